"""Incident response: take a vulnerable image out of circulation and name the image to roll back
to (the seed's "보안 사고 대응": 즉시 태그 제거, 이전 안전 이미지로 롤백, 통지).

    python -m tools.quarantine --repository R --tag T [--all-tags] [--notify TOPIC_ARN]
    python -m tools.quarantine --repository R --digest sha256:... [--notify TOPIC_ARN]
    python -m tools.quarantine --repository R --tag T --delete --yes [--in-use FILE] [--force]

Default: removes the tag T (BatchDeleteImage by tag, which works on IMMUTABLE repositories); the
image stays. Other tags on the same image keep it pullable: they are named, and `--all-tags`
removes them too (`--digest` names the image itself and removes all its tags). When no tag would
be left, ECR would delete the image with its last tag, so it is first given a
`quarantined-<UTC time>-<T>` tag: nothing is lost, the evidence stays for forensics. Digest-pinned
references still pull the image; `--delete --yes` deletes it with all its tags.

Everything is checked before anything changes: the repository, the image, the topic (it must
exist and be readable, in the dry run too; the real run publishes a "starting" message first,
which proves it can publish), that the repository keeps a
release image (else `--force`), and for `--delete` that nothing uses the image: ECS task
definitions and running tasks, Lambda functions and `--in-use FILE` (else `--force`).

The rollback candidate is the highest release version (`v1.2.3`, semver order, pre-releases
skipped; release tags are `v*` unless `--release-tag-pattern` names the stack's
releaseTagPatterns) below the quarantined one whose completed scan has nothing at or above
--fail-on, as a digest-pinned reference `<url>@sha256:...`; when there is none, the output says
which were vulnerable and which unscanned. `--dry-run` lists exactly the steps the real run would
take.

Exit status: 0 done, with a rollback candidate; 1 done (or would be), but no safe rollback
candidate; 2 usage or AWS error, or a refusal: nothing changed; 3 a step failed after an earlier
one changed something: the one line on stderr says exactly what changed; 130 interrupted (SIGINT
or SIGTERM): a step under way gets its answer first, and the one line says exactly what changed.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import re
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from components.lifecycle import RELEASE_TAG_PATTERNS
from tools.aws import Aws, all_images, regions
from tools.cli import (
    COMPLETED,
    EXIT_FOUND,
    EXIT_OK,
    ToolError,
    add_fail_on,
    at_or_above,
    emit,
    error_code,
    one_line,
    parse,
    progress,
    run,
    uninterrupted,
    write_step_summary,
)
from tools.images import DIGEST, RELEASE_PATTERN, REPOSITORY, TAG
from tools.quarantine_plan import (
    Outcome,
    ScanVerdict,
    Step,
    artifacts_of,
    label,
    last_release_problem,
    plan,
    quarantine_tag,
    rollback_candidate,
)
from tools.usage import Use, from_account, from_file, users_by_digest

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import ImageDetailTypeDef, ImageIdentifierTypeDef

    from tools.quarantine_plan import Rollback

EXIT_PARTIAL = 3
"""A step failed after an earlier step changed something (the message names what changed)."""
_TOPIC = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?")


# --- AWS ------------------------------------------------------------------------------------------


class Quarantine:
    """The calls the tool makes, in one region."""

    def __init__(self, aws: Aws, repository: str, fail_on: str) -> None:
        self.aws = aws
        self.ecr = aws.client("ecr")
        self.repository = repository
        self.blocking = at_or_above(fail_on)

    def url(self) -> str:
        try:
            found = self.ecr.describe_repositories(repositoryNames=[self.repository])
        except Exception as error:
            if error_code(error) == "RepositoryNotFoundException":
                raise ToolError(f"repository {self.repository} not found") from None
            raise
        return str(found["repositories"][0]["repositoryUri"])

    def images(self) -> list[ImageDetailTypeDef]:
        return all_images(self.ecr, self.repository)

    def scan(self, digest: str) -> ScanVerdict:
        """The image's completed scan, judged at the threshold."""
        try:
            found = self.ecr.describe_image_scan_findings(
                repositoryName=self.repository, imageId={"imageDigest": digest}
            )
        except Exception as error:
            if error_code(error) == "ScanNotFoundException":
                return ScanVerdict(False)
            raise
        if found.get("imageScanStatus", {}).get("status") not in ("COMPLETE", "ACTIVE"):
            return ScanVerdict(False)
        counts = found.get("imageScanFindings", {}).get("findingSeverityCounts", {})
        by_severity = {str(s): n for s, n in counts.items()}
        return ScanVerdict(
            True, {s: int(by_severity[s]) for s in self.blocking if by_severity.get(s)}
        )

    def check_topic(self, topic: str) -> None:
        """The topic exists and this identity can read it (read-only, so the dry run checks it
        too; the real run's announcement then proves it can publish)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.aws.client("sns").get_topic_attributes(TopicArn=topic)
        except (ClientError, BotoCoreError) as error:
            raise ToolError(f"--notify {topic}: {one_line(error)}; nothing changed") from None

    def publish(self, topic: str, subject: str, message: str) -> None:
        self.aws.client("sns").publish(TopicArn=topic, Subject=subject[:100], Message=message)

    def keep(self, digest: str, tag: str) -> None:
        """Tags the image `tag` (re-putting its manifest) so that removing its last tag keeps it."""
        image = self.ecr.batch_get_image(
            repositoryName=self.repository, imageIds=[{"imageDigest": digest}]
        )["images"][0]
        kwargs = (
            {"imageManifestMediaType": image["imageManifestMediaType"]}
            if image.get("imageManifestMediaType")
            else {}
        )
        self.ecr.put_image(
            repositoryName=self.repository,
            imageManifest=image["imageManifest"],
            imageTag=tag,
            **kwargs,
        )

    def remove(self, image_id: ImageIdentifierTypeDef) -> None:
        result = self.ecr.batch_delete_image(repositoryName=self.repository, imageIds=[image_id])
        if result.get("failures"):
            failure = result["failures"][0]
            raise ToolError(
                f"ECR refused: {failure.get('failureCode')} {failure.get('failureReason')}"
            )


# --- the command ----------------------------------------------------------------------------------


# long because: one argparse declaration per flag, flat, in the order --help shows them
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.quarantine",
        description="Take a vulnerable image out of circulation (remove its tag, or delete it) "
        "and name the highest lower release version with a clean scan to roll back to. "
        "Everything is checked before anything changes.",
        epilog="Exit status: 0 done with a rollback candidate; 1 done without one; 2 usage or AWS "
        "error or a refusal (nothing changed); 3 a step failed after something changed (stderr "
        "says exactly what); 130 interrupted (stderr says exactly what changed, or nothing).",
    )
    parser.add_argument("--repository", required=True, help="ECR repository name")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--tag", help="the tag to take out of circulation")
    which.add_argument(
        "--digest",
        help="the image by digest (sha256:<64 hex>), as Inspector findings and pinned "
        "deployments name it: every tag of it is removed",
    )
    parser.add_argument(
        "--all-tags",
        action="store_true",
        help="also remove every other tag on the same image (else they are named: they still "
        "pull it)",
    )
    parser.add_argument(
        "--delete",
        action="store_true",
        help="delete the image itself, with every tag (needs --yes)",
    )
    parser.add_argument("--yes", action="store_true", help="confirm --delete")
    parser.add_argument(
        "--force",
        action="store_true",
        help="allow removing the repository's last release image, or deleting an image in use",
    )
    parser.add_argument(
        "--in-use",
        metavar="FILE",
        help="image references in use elsewhere (EKS, ...), one per line; with --delete, ECS "
        "and Lambda are read too",
    )
    add_fail_on(parser, "HIGH", "a rollback candidate has no finding at or above this")
    parser.add_argument(
        "--notify",
        metavar="TOPIC_ARN",
        help="SNS topic to tell: a 'starting' message before any change (proving it can "
        "publish), then what was done",
    )
    parser.add_argument("--region", help="AWS region (default AWS_REGION, else AWS_DEFAULT_REGION)")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="check everything and list the exact steps; change nothing, publish nothing",
    )
    parser.add_argument(
        "--release-tag-pattern",
        dest="release_patterns",
        action="append",
        metavar="PATTERN",
        help="what a release tag looks like, as the stack's releaseTagPatterns (`*` matches any "
        "characters; repeat for several; default v*)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    return parser


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The arguments, each checked against its grammar (a usage error names the flag)."""
    parser = _parser()
    args = parse(parser, argv)
    if not REPOSITORY.fullmatch(args.repository):
        parser.error(f"argument --repository: {args.repository!r} is not an ECR repository name")
    if args.tag is not None and not TAG.fullmatch(args.tag):
        parser.error(
            f"argument --tag: {args.tag!r} is not an image tag "
            "([A-Za-z0-9_][A-Za-z0-9_.-]*, at most 128 characters)"
        )
    if args.digest is not None and not DIGEST.fullmatch(args.digest):
        parser.error(f"argument --digest: {args.digest!r} is not sha256:<64 hex digits>")
    for pattern in args.release_patterns or ():
        if not RELEASE_PATTERN.fullmatch(pattern):
            parser.error(
                f"argument --release-tag-pattern: {pattern!r} is not a tag pattern (1-128 of "
                "A-Z a-z 0-9 _ . - with at most 4 `*`)"
            )
    args.release_patterns = tuple(args.release_patterns or RELEASE_TAG_PATTERNS)
    if args.delete and not args.yes:
        parser.error("--delete deletes the image with all its tags: confirm with --yes")
    if args.notify and not _TOPIC.fullmatch(args.notify):
        parser.error(f"argument --notify: {args.notify!r} is not an SNS topic ARN")
    return args


def execute(
    tool: Quarantine,
    steps: Sequence[Step],
    digest: str,
    message: Callable[[Step], tuple[str, str]],
) -> None:
    """Makes the changes in order (`message` gives a publishing step its subject and text); a
    failure after a change is exit 3 naming what changed. A signal during a step lets it get its
    answer first (`uninterrupted`), so an interrupted run (exit 130) says exactly what changed."""
    done: list[str] = []
    for step in steps:
        described = step.describe(tool.repository)
        try:
            with uninterrupted(described):
                if step.kind == "keep":
                    tool.keep(digest, step.value)
                elif step.kind == "untag":
                    tool.remove({"imageTag": step.value})
                elif step.kind == "delete":
                    tool.remove({"imageDigest": digest})
                else:
                    tool.publish(step.value, *message(step))
                done.append(described)
                COMPLETED.change(described)
        except Exception as error:
            failed = f"could not {described}: {one_line(error) or type(error).__name__}"
            if not done:
                raise ToolError(f"{failed}; nothing changed") from None
            raise ToolError(f"{failed}; already done: {'; '.join(done)}", EXIT_PARTIAL) from None
        progress(f"done: {done[-1]}")


def _target(
    images: Sequence[ImageDetailTypeDef], args: argparse.Namespace
) -> tuple[ImageDetailTypeDef, str]:
    """The image --tag or --digest names, and how to name it; ToolError when it is not there."""
    if args.tag:
        target = next((i for i in images if args.tag in (i.get("imageTags") or [])), None)
        name = f"{args.repository}:{args.tag}"
    else:
        target = next((i for i in images if i["imageDigest"] == args.digest), None)
        name = f"{args.repository}@{args.digest}"
    if target is None:
        raise ToolError(f"image {name} not found")
    return target, name


def _removed(target: ImageDetailTypeDef, args: argparse.Namespace) -> list[str]:
    """The tags to remove: the named tag first, then, with --all-tags, --digest or --delete, the
    others in a stable order (what the dry run lists)."""
    named = [args.tag] if args.tag else []
    others = sorted(t for t in target.get("imageTags") or [] if t not in named)
    return named + others if (args.all_tags or args.digest or args.delete) else named


def _users(
    aws: Aws,
    args: argparse.Namespace,
    images: Sequence[ImageDetailTypeDef],
    target: ImageDetailTypeDef,
) -> tuple[list[str], list[Use]]:
    """Who uses the image (--in-use, what ECS and Lambda run), and every reference read."""
    uses = from_file(args.in_use) if args.in_use else []
    uses += from_account(aws)
    registry = target.get("registryId")
    found = users_by_digest(uses, args.repository, images, registry)
    return found.get(str(target["imageDigest"]), []), uses


def tag_users(
    uses: Sequence[Use], repository: str, removed: Sequence[str], registry: str | None
) -> dict[str, list[str]]:
    """Removed tag -> who pulls it by that tag (a reference with a digest pulls the digest)."""
    found: dict[str, list[str]] = {}
    for use in uses:
        if (
            use.repository == repository
            and use.digest is None
            and use.tag in removed
            and (not registry or use.account in (None, registry))
            and use.user not in found.get(str(use.tag), [])
        ):
            found.setdefault(str(use.tag), []).append(use.user)
    return {tag: found[tag] for tag in removed if tag in found}


def _outcome(
    args: argparse.Namespace,
    tool: Quarantine,
    url: str,
    images: Sequence[ImageDetailTypeDef],
    target: ImageDetailTypeDef,
    removed: list[str],
    used_by: list[str],
) -> Outcome:
    """What the run does (or would): its steps, and the release image to roll back to."""
    digest, tags = str(target["imageDigest"]), list(target.get("imageTags") or [])
    found, why_not = rollback_candidate(images, target, tool.scan, args.release_patterns)
    rollback: Rollback | None = (
        {
            "digest": found["imageDigest"],
            "tags": sorted(found.get("imageTags") or []),
            "reference": f"{url}@{found['imageDigest']}",
        }
        if found
        else None
    )
    now = datetime.datetime.now(datetime.timezone.utc)
    keep_as = quarantine_tag(args.tag or label(target), now)
    return Outcome(
        args.repository,
        digest,
        tags,
        plan(target, removed, args.delete, keep_as, args.notify),
        args.dry_run,
        [] if args.delete else [t for t in tags if t not in removed],
        used_by,
        rollback,
        why_not,
        artifacts_of(images, digest),
    )


def _messages(outcome: Outcome, name: str) -> Callable[[Step], tuple[str, str]]:
    """The subject and text of each publishing step: the plan first, then what was done."""

    def message(step: Step) -> tuple[str, str]:
        if step.kind == "announce":
            plan_text = dataclasses.replace(outcome, dry_run=True).as_text()
            return f"ECR quarantine starting: {name}", f"Starting now:\n{plan_text}"
        done = outcome.as_text() + "\n\n" + json.dumps(outcome.as_dict(), indent=2)
        return f"ECR quarantine: {name}", done

    return message


def _quarantine(args: argparse.Namespace) -> int:
    """Checks everything (image, topic, last release, users), then changes it unless a dry run."""
    (region,) = regions([args.region] if args.region else None)
    COMPLETED.may_change()  # an interrupt says what changed, "nothing" included
    aws = Aws(region)
    tool = Quarantine(aws, args.repository, args.fail_on)
    url = tool.url()
    images = tool.images()
    target, name = _target(images, args)
    if args.notify:
        tool.check_topic(args.notify)
    removed = _removed(target, args)
    refusal = last_release_problem(images, target, removed, args.delete, args.release_patterns)
    if refusal and not args.force:
        raise ToolError(f"refusing to remove {name}: {refusal}")
    used_by, uses = _users(aws, args, images, target)
    if args.delete and used_by and not args.force:
        raise ToolError(
            f"refusing to delete {name}: in use by {'; '.join(used_by)}: redeploy them first, "
            "or pass --force"
        )
    outcome = _outcome(args, tool, url, images, target, removed, used_by)
    outcome.tag_users = tag_users(uses, args.repository, removed, target.get("registryId"))
    outcome.status = str(target.get("imageStatus", "ACTIVE"))
    if not args.dry_run:
        execute(tool, outcome.steps, outcome.digest, _messages(outcome, name))
    emit(json.dumps(outcome.as_dict(), indent=2) if args.json else outcome.as_text())
    write_step_summary(f"## ECR quarantine\n\n```\n{outcome.as_text()}\n```")
    return EXIT_OK if outcome.rollback else EXIT_FOUND


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    return run("quarantine", lambda: _quarantine(args))


if __name__ == "__main__":
    sys.exit(main())
