"""What the lifecycle policy a stack file proposes would do to the images that exist, and whether
any of them is still in use.

    python -m tools.retention --stack prod [--service fileflow] [--images FILE] [--in-use FILE]

The stack file is read through the same settings code as the program, and each service's lifecycle
policy is built by the same function, so a pull request's change is judged before it is applied.
Images come from ECR (DescribeImages) in the stack's region (`aws:region`; an AWS_REGION or
AWS_DEFAULT_REGION that disagrees is refused, `--region` overrides it explicitly), or from
`--images FILE`: either a JSON object mapping repository name to a list of `imageDetails`, or what
`aws ecr describe-images` prints (`{"imageDetails": [...]}`, or a JSON list of such outputs),
grouped by `repositoryName`; then nothing is read from AWS, and in-use references come from
`--in-use` alone. Any other file is refused, naming the path inside it. In use: images of ACTIVE ECS
task definitions and running ECS tasks (all clusters, or `--ecs-cluster`), Lambda functions with
package type Image, and `--in-use FILE` (one `repo:tag`, `repo@sha256:...` or image URI per line,
UTF-8). Tags are resolved to digests. The verdict follows ECR's documented evaluation
(policy/ecr_guardrails/lifecycle_eval.py); `--aws-preview` also runs AWS's own lifecycle policy
preview and reports any disagreement.

Never an all-clear for what it did not see: a service the snapshot does not cover, or whose images
cannot be read, is "not judged" (exit 1; the others are still judged); a service whose repository
does not exist yet is reported as such (nothing to lose); an in-use reference that names no image
of its repository is listed (it does not change the exit).

Exit status: 0 nothing in use or protected would go; 1 something would (named in the output), or a
service could not be judged; 2 usage or AWS error, one line on stderr; 130 interrupted (the
services judged so far are shown, marked partial). Read-only, except that --aws-preview starts
previews.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from components.documents import to_json
from components.lifecycle import lifecycle_policy
from components.settings import SettingsError
from components.settings.repository import RepositorySettings
from tools.aws import REGION_NAME, Aws, all_images, regions
from tools.cli import (
    COMPLETED,
    EXIT_FOUND,
    EXIT_OK,
    ToolError,
    emit,
    error_code,
    markdown_table,
    one_line,
    parse,
    partial,
    progress,
    run,
    table,
    write_step_summary,
)
from tools.inputs import images_snapshot, moment
from tools.preview.stack_file import (
    StackFileError,
    add_stack_arguments,
    engine_config,
    stack_settings,
)
from tools.retention_verdict import (
    NO_REPOSITORY,
    NOT_IN_SNAPSHOT,
    NOT_JUDGED,
    UNREADABLE,
    ServiceVerdict,
    aws_preview,
    compare,
    judge,
    not_judged,
)
from tools.usage import Use, from_account, from_file

if TYPE_CHECKING:
    from mypy_boto3_ecr import ECRClient
    from mypy_boto3_ecr.type_defs import ImageDetailTypeDef

# --- output ---------------------------------------------------------------------------------------


def _not_judged(verdicts: Sequence[ServiceVerdict]) -> list[str]:
    return [f"{v.service} ({v.problem})" for v in verdicts if v.status in NOT_JUDGED]


def _rows(verdicts: Sequence[ServiceVerdict]) -> list[list[object]]:
    return [
        [
            v.service,
            v.images,
            v.statuses.get("ARCHIVED", 0),
            v.statuses.get("ACTIVATING", 0),
            len(v.expire),
            len(v.archive),
            v.images - len(v.expire) - len(v.archive),
            len(v.blocked),
            v.status,
        ]
        for v in verdicts
    ]


def _blocked_rows(verdicts: Sequence[ServiceVerdict]) -> list[list[object]]:
    return [
        [
            v.service,
            ", ".join(b["tags"]) or "(untagged)",
            b["digest"],
            b["pushedAt"],
            b["rule"],
            "; ".join(b["usedBy"]),
        ]
        for v in verdicts
        for b in v.blocked
    ]


def _unmatched_rows(verdicts: Sequence[ServiceVerdict]) -> list[list[object]]:
    return [[v.service, u["reference"], u["usedBy"]] for v in verdicts for u in v.unmatched]


HEADERS = [
    "service",
    "images",
    "archived",
    "activating",
    "expire",
    "archive",
    "kept",
    "blocked",
    "status",
]
BLOCKED = ["service", "tags", "digest", "pushed", "rule", "used by"]
UNMATCHED = ["service", "reference", "used by"]
UNSEEN = "Not judged (nothing is known about their images)"
NO_IMAGE = "In use, but naming no image of the repository (deleted already, or another region?)"


def as_table(verdicts: Sequence[ServiceVerdict]) -> str:
    text = table(HEADERS, _rows(verdicts))
    blocked = _blocked_rows(verdicts)
    if blocked:
        text += "\n\nIn use or protected, but a rule would take them:\n" + table(BLOCKED, blocked)
    missing = _not_judged(verdicts)
    if missing:
        text += f"\n\n{UNSEEN}: {'; '.join(missing)}"
    stray = _unmatched_rows(verdicts)
    if stray:
        text += f"\n\n{NO_IMAGE}:\n" + table(UNMATCHED, stray)
    for v in verdicts:
        if v.aws_preview and not v.aws_preview["agrees"]:
            text += f"\n\n{v.service}: AWS's preview disagrees: {json.dumps(v.aws_preview)}"
    return text


def as_markdown(stack: str, verdicts: Sequence[ServiceVerdict]) -> str:
    blocked = _blocked_rows(verdicts)
    missing = _not_judged(verdicts)
    verdict = (
        "❌ would take images in use"
        if blocked
        else "❌ not every service was judged"
        if missing
        else "✅ nothing in use is affected"
    )
    text = f"## Retention check ({stack}): {verdict}\n\n" + markdown_table(HEADERS, _rows(verdicts))
    if blocked:
        text += "\n\n" + markdown_table(BLOCKED, blocked)
    if missing:
        text += f"\n\n{UNSEEN}: {'; '.join(missing)}"
    stray = _unmatched_rows(verdicts)
    if stray:
        text += f"\n\n{NO_IMAGE}:\n\n" + markdown_table(UNMATCHED, stray)
    return text


# --- the command ----------------------------------------------------------------------------------


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.retention",
        description="Judge the lifecycle policies a stack file proposes against the images that "
        "exist: what would expire or be archived, and whether any of it is in use.",
        epilog="Exit status: 0 nothing in use or protected would go, 1 something would or a "
        "service could not be judged (missing from the snapshot, or its images unreadable), 2 "
        "usage or AWS error, or ECS and Lambda unreadable (one line "
        "on stderr; an empty or blank flag value too); 130 interrupted (the services judged are "
        "shown, marked partial).",
    )
    add_stack_arguments(parser, "read")
    parser.add_argument("--service", action="append", help="only this service (repeatable)")
    parser.add_argument(
        "--images",
        metavar="FILE",
        help="offline: {repository: [imageDetails]}, or the output of `aws ecr describe-images` "
        "(one or a JSON list of several); reads nothing from AWS",
    )
    parser.add_argument(
        "--in-use",
        metavar="FILE",
        help="image references in use, one per line (repo:tag, repo@sha256:..., or an image URI)",
    )
    parser.add_argument(
        "--ecs-cluster",
        action="append",
        help="ECS cluster whose running tasks count (repeatable; default: every cluster)",
    )
    parser.add_argument(
        "--region",
        help="AWS region to read images from (default: the stack's aws:region; an AWS_REGION "
        "that disagrees with it is refused unless this is given)",
    )
    parser.add_argument(
        "--aws-preview",
        action="store_true",
        help="also run AWS's lifecycle policy preview and report disagreements",
    )
    parser.add_argument(
        "--at",
        type=_moment,
        metavar="TIME",
        help="evaluate as of this ISO 8601 time, 1970-9998 (default: now), e.g. to see what "
        "the policy takes in a month",
    )
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    args = parse(parser, argv)
    if args.images and args.aws_preview:
        parser.error("--aws-preview needs ECR: it cannot be used with --images")
    return args


def repository_images(ecr: ECRClient, repository: str) -> list[ImageDetailTypeDef] | None:
    """Every image of a repository, archived ones included (DescribeImages, paginated); None when
    it does not exist."""
    try:
        return all_images(ecr, repository)
    except Exception as error:
        if error_code(error) != "RepositoryNotFoundException":
            raise
        return None


def _moment(text: str) -> datetime.datetime:
    try:
        return moment(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def region_to_read(flag: str | None, stack_region: str | None, stack: str) -> str:
    """The stack's `aws:region`; an environment that disagrees is refused (it would silently read
    another region's images), an explicit --region wins."""
    if flag:
        (region,) = regions([flag])
        if stack_region and region != stack_region:
            progress(f"note: reading {region}, not Pulumi.{stack}.yaml's aws:region {stack_region}")
        return region
    if not stack_region:
        (region,) = regions(None)
        return region
    region = stack_region
    if not REGION_NAME.fullmatch(region):
        raise ToolError(f"Pulumi.{stack}.yaml: aws:region {region!r} is not an AWS region name")
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        value = os.environ.get(name)
        if value and value != region:
            raise ToolError(
                f"{name}={value} but Pulumi.{stack}.yaml deploys to aws:region {region}: unset it, "
                f"or pass --region {value} to read that region's images on purpose"
            )
    return region


def _judge_snapshot(
    path: str,
    services: Sequence[RepositorySettings],
    uses: list[Use],
    now: datetime.datetime,
    stack_region: str | None,
    verdicts: list[ServiceVerdict],
) -> None:
    """Each service against the images a snapshot file holds (appended as judged, so that an
    interrupt shows them)."""
    snapshot = images_snapshot(path)
    for service in services:
        if service.name in snapshot:
            details = snapshot[service.name]
            registry = details[0].get("registryId") if details else None
            verdicts.append(judge(service, details, uses, now, registry, stack_region))
        else:
            problem = f"{path} has no entry {service.name!r}"
            verdicts.append(not_judged(service, NOT_IN_SNAPSHOT, problem))


def _judge_live(
    args: argparse.Namespace,
    services: Sequence[RepositorySettings],
    uses: list[Use],
    now: datetime.datetime,
    stack_region: str | None,
    verdicts: list[ServiceVerdict],
) -> None:
    """Each service against the images its repository stores now (and what ECS and Lambda run),
    appended as judged."""
    region = region_to_read(args.region, stack_region, args.stack)
    aws = Aws(region)
    ecr = aws.client("ecr")
    progress(f"{region}: reading what ECS and Lambda run")
    uses += from_account(aws, args.ecs_cluster)
    for service in services:
        progress(f"{region}: {service.name}")
        try:
            found = repository_images(ecr, service.name)
        except (ClientError, BotoCoreError) as error:
            # One repository that cannot be read is not judged; the others still are.
            problem = f"DescribeImages failed: {one_line(error)}"
            verdicts.append(not_judged(service, UNREADABLE, problem))
            continue
        registry = found[0].get("registryId") if found else None
        verdict = judge(service, found or [], uses, now, registry, region)
        if found is None:
            verdict.status = NO_REPOSITORY  # nothing to lose; references to it are listed
            verdicts.append(verdict)
            continue
        if args.aws_preview and found:
            text = to_json(lifecycle_policy(service.retention))
            verdict.aws_preview = compare(verdict, aws_preview(ecr, service.name, text))
        verdicts.append(verdict)


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)

    def body() -> int:
        try:
            settings = stack_settings(args.stack, root=args.project_dir)
            stack_region = engine_config(args.stack, root=args.project_dir).get("aws:region")
        except (SettingsError, StackFileError) as error:
            raise ToolError(f"Pulumi.{args.stack}.yaml: {one_line(error)}") from None
        services = [s for s in settings.services if not args.service or s.name in args.service]
        unknown = sorted(set(args.service or []) - {s.name for s in settings.services})
        if unknown:
            raise ToolError(f"--service {', '.join(unknown)}: not in Pulumi.{args.stack}.yaml")
        uses = from_file(args.in_use) if args.in_use else []
        now = args.at or datetime.datetime.now(datetime.timezone.utc)
        verdicts: list[ServiceVerdict] = []
        COMPLETED.follow(verdicts, len(services), "services", lambda v: v.service)
        COMPLETED.show(
            lambda: (
                json.dumps(
                    {"ok": False, "interrupted": True, "services": [v.as_dict() for v in verdicts]},
                    indent=2,
                )
                if args.json
                else partial(as_table(verdicts))
            )
        )
        if args.images:
            _judge_snapshot(args.images, services, uses, now, stack_region, verdicts)
        else:
            _judge_live(args, services, uses, now, stack_region, verdicts)
        failed = any(v.failed for v in verdicts)
        report = {"ok": not failed, "services": [v.as_dict() for v in verdicts]}
        emit(json.dumps(report, indent=2) if args.json else as_table(verdicts))
        write_step_summary(as_markdown(args.stack, verdicts))
        return EXIT_FOUND if failed else EXIT_OK

    return run("retention", body)


if __name__ == "__main__":
    sys.exit(main())
