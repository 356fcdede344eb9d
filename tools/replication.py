"""Replication health: per destination, the images not replicated yet, and a backfill that copies
them.

    python -m tools.replication [--region R] [--repository NAME ...]
        [--destination REGION:ACCOUNT ...] [--backfill [--timeout S] [--poll S]]
        [--concurrency N] [--json]

Reads the registry's replication configuration (DescribeRegistry), every repository its rules'
filters match (DescribeRepositories) and every image ECR stores in them, ACTIVE, ARCHIVED and
ACTIVATING alike (DescribeImages, imageStatus ANY), then asks each image's replication status
(DescribeImageReplicationStatus, at most --concurrency at once). An image counts as replicated to
a destination its rule names only when ECR says COMPLETE there; IN_PROGRESS, FAILED (with ECR's
failure code) and no status at all are listed. An image whose status cannot be read is listed as
unreadable, and the rest is still checked.

--backfill starts a replication backfill (StartReplicationBackfill) for each destination with
images not replicated, or follows the one already running there (ListReplicationBackfills), and
follows it (DescribeReplicationBackfillResults) until it ends or --timeout passes, then lists the
images it could not copy. It changes nothing but what ECR copies; images pushed before the
destination was added are what it is for.

Output (--json), one object:

    {"registryId": "123456789012", "region": "eu-west-1", "failed": true,
     "destinations": [{"region": "us-west-2", "registryId": "210987654321",
                       "repositories": 3, "images": 40, "replicated": 38,
                       "notReplicated": [{"repository": "fileflow", "imageDigest": "sha256:...",
                                          "imageTags": ["v1.2.3"], "imageStatus": "ACTIVE",
                                          "status": "NONE" | "IN_PROGRESS" | "FAILED",
                                          "failureCode": null}],
                       "backfill": null | {"id": "...", "status": "COMPLETE", "started": true,
                                           "failureCode": null,
                                           "progress": {"totalReplicationCount": 2, ...},
                                           "failed": [{"repository": ..., "imageDigest": ...,
                                                       "imageTag": ..., "failureCode": ...}]}}],
     "unreadable": [{"repository": "...", "imageDigest": "...", "error": "..."}]}

Exit status: 0 every image is replicated to every destination (or the backfill copied them all);
1 some are not, some could not be read, or the backfill failed, stopped or is still running at
--timeout (it is named: follow it with `aws ecr describe-replication-backfill-results`); 2 usage
or AWS error, or no replication configured; 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from tools.aws import Aws, all_images, regions
from tools.cli import (
    ToolError,
    emit,
    error_code,
    positive_seconds,
    progress,
    run,
    write_step_summary,
)
from tools.images import REPOSITORY, image_status
from tools.replication_report import (
    ENDED,
    RUNNING,
    Backfill,
    Destination,
    Health,
    Pending,
    Report,
    Rule,
)

if TYPE_CHECKING:  # the stubs are a dev dependency: types only
    from mypy_boto3_ecr.type_defs import ImageDetailTypeDef


def rules_of(registry: dict[str, Any]) -> list[Rule]:
    """The replication rules of a DescribeRegistry answer."""
    configuration = registry.get("replicationConfiguration") or {}
    return [
        Rule(
            tuple(
                Destination(str(d["region"]), str(d["registryId"]))
                for d in rule.get("destinations") or []
            ),
            tuple(
                str(f["filter"])
                for f in rule.get("repositoryFilters") or []
                if f.get("filterType") == "PREFIX_MATCH"
            ),
        )
        for rule in configuration.get("rules") or []
    ]


# long because: one pass from rules to repositories, images and statuses, tallied per destination
def check(
    ecr: Any,
    region: str,
    repositories: Sequence[str] = (),
    destinations: Sequence[Destination] = (),
    concurrency: int = 8,
    progress: Callable[[str], None] = lambda _: None,
) -> Report:
    """Per destination, the images its rules copy that ECR has not replicated there."""
    registry = ecr.describe_registry()
    registry_id = str(registry.get("registryId", ""))
    rules = rules_of(registry)
    configured = list(dict.fromkeys(d for rule in rules for d in rule.destinations))
    if not configured:
        raise ToolError(f"registry {registry_id} ({region}) has no replication destinations")
    unknown = [d.label for d in destinations if d not in configured]
    if unknown:
        raise ToolError(
            f"--destination {', '.join(unknown)}: not a destination of the registry's replication "
            f"rules ({', '.join(d.label for d in configured)})"
        )
    chosen = list(destinations) or configured
    names = [
        str(r["repositoryName"])
        for page in ecr.get_paginator("describe_repositories").paginate()
        for r in page.get("repositories", [])
        if not repositories or r["repositoryName"] in repositories
    ]
    missing = sorted(set(repositories) - set(names))
    if missing:
        raise ToolError(f"--repository {', '.join(missing)}: not found in registry {registry_id}")
    health = {d: Health(d) for d in chosen}
    # Which destinations each repository goes to: those of every rule whose filters match it.
    targets = {
        name: [d for d in chosen if any(r.matches(name) and d in r.destinations for r in rules)]
        for name in sorted(names)
    }
    work: list[tuple[str, ImageDetailTypeDef, list[Destination]]] = []
    for name, where in targets.items():
        if not where:
            continue
        progress(f"listing images of {name}")
        images = all_images(ecr, name)
        for d in where:
            health[d].repositories += 1
            health[d].images += len(images)
        work += [(name, image, where) for image in images]
    progress(f"reading the replication status of {len(work)} images")
    unreadable: list[dict[str, str]] = []
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        answers = list(pool.map(lambda item: _status(ecr, item[0], item[1]), work))
    for (name, image, where), (statuses, error) in zip(work, answers, strict=True):
        digest = str(image.get("imageDigest", ""))
        if error is not None:
            unreadable.append({"repository": name, "imageDigest": digest, "error": error})
            for d in where:
                health[d].unreadable += 1
            continue
        for d in where:
            found = statuses.get(d)
            if found is not None and found.get("status") == "COMPLETE":
                continue
            health[d].pending.append(
                Pending(
                    name,
                    digest,
                    tuple(sorted(image.get("imageTags") or ())),
                    image_status(image),
                    str(found.get("status")) if found else "NONE",
                    found.get("failureCode") if found else None,
                )
            )
    return Report(registry_id, region, [health[d] for d in chosen], unreadable)


def _status(
    ecr: Any, repository: str, image: dict[str, Any]
) -> tuple[dict[Destination, dict[str, Any]], str | None]:
    """(status by destination, None) for one image, or ({}, why it could not be read)."""
    from botocore.exceptions import ClientError

    try:
        response = ecr.describe_image_replication_status(
            repositoryName=repository, imageId={"imageDigest": image["imageDigest"]}
        )
    except ClientError as error:
        # One image that cannot be read (deleted since the listing, ...) is a finding of its own.
        if error_code(error) in ("ImageNotFoundException", "RepositoryNotFoundException"):
            return {}, f"{error_code(error)}: {error}"
        raise
    return {
        Destination(str(s.get("region")), str(s.get("registryId"))): s
        for s in response.get("replicationStatuses") or []
    }, None


def backfill(
    ecr: Any,
    destination: Destination,
    timeout: float,
    poll: float = 15.0,
    progress: Callable[[str], None] = lambda _: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Backfill:
    """Starts a backfill to `destination` (or follows the one running there) until it ends or
    `timeout` passes; at its end, the images it could not copy."""
    from botocore.exceptions import ClientError

    try:
        started = ecr.start_replication_backfill(destination=destination.as_api())
        ident, status, fresh = str(started["replicationBackfillId"]), started.get("status"), True
        progress(f"backfill {ident} to {destination.label} started")
    except ClientError as error:
        if error_code(error) != "ReplicationBackfillInProgressException":
            raise
        running = _running(ecr, destination)
        if running is None:
            raise
        ident, status, fresh = running, "IN_PROGRESS", False
        progress(f"backfill {ident} to {destination.label} was already running: following it")
    deadline = clock() + timeout
    while True:
        answer = ecr.describe_replication_backfill_results(replicationBackfillId=ident)
        status = str(answer.get("status") or status)
        result = Backfill(ident, status, fresh, answer.get("failureCode"), answer.get("progress"))
        if status in ENDED:
            result.failed = _failed_results(ecr, ident)
            return result
        remaining = deadline - clock()
        if remaining <= 0:
            progress(f"backfill {ident}: still {status} after {timeout:g}s; it goes on in ECR")
            return result
        done = (answer.get("progress") or {}).get("completedReplicationCount")
        shown = f", {done} copied" if done is not None else ""
        progress(f"backfill {ident} to {destination.label}: {status}{shown}, {remaining:.0f}s left")
        sleep(min(poll, remaining))


def _running(ecr: Any, destination: Destination) -> str | None:
    pages = ecr.get_paginator("list_replication_backfills").paginate()
    for summary in (s for page in pages for s in page.get("backfills", [])):
        where = summary.get("destination") or {}
        if (
            Destination(str(where.get("region")), str(where.get("registryId"))) == destination
            and summary.get("status") in RUNNING
        ):
            return str(summary["replicationBackfillId"])
    return None


def _failed_results(ecr: Any, ident: str) -> list[dict[str, Any]]:
    """The per-image results that failed (available once the backfill has ended)."""
    return [
        {
            "repository": r.get("repositoryName"),
            "imageDigest": (r.get("imageId") or {}).get("imageDigest"),
            "imageTag": (r.get("imageId") or {}).get("imageTag"),
            "failureCode": r.get("failureCode"),
            "subImageFailureCodes": r.get("subImageFailureCodes") or [],
        }
        for page in ecr.get_paginator("describe_replication_backfill_results").paginate(
            replicationBackfillId=ident, resultStatusFilter="FAILED"
        )
        for r in page.get("results", [])
    ]


def destination(text: str) -> Destination:
    """argparse type: REGION:ACCOUNT."""
    region, _, account = text.partition(":")
    if not (region and account.isdigit() and len(account) == 12):
        raise argparse.ArgumentTypeError(f"{text!r} is not REGION:ACCOUNT (us-west-2:123456789012)")
    return Destination(region, account)


def _concurrency(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 32:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 1 to 32")
    return int(text)


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.replication",
        description="List, per replication destination, the images ECR has not replicated there; "
        "with --backfill, copy them (replication backfill) and follow it.",
        epilog="Exit status: 0 every image is replicated (or the backfill copied them all); 1 "
        "some are not, could not be read, or the backfill failed or is still running at "
        "--timeout; 2 usage or AWS error, or no replication configured; 130 interrupted.",
    )
    parser.add_argument("--region", help="AWS region (default AWS_REGION, else AWS_DEFAULT_REGION)")
    parser.add_argument(
        "--repository",
        action="append",
        default=[],
        help="only this repository (repeatable; default: every repository the rules replicate)",
    )
    parser.add_argument(
        "--destination",
        action="append",
        type=destination,
        default=[],
        metavar="REGION:ACCOUNT",
        help="only this destination of the rules (repeatable; default: all of them)",
    )
    parser.add_argument(
        "--backfill",
        action="store_true",
        help="start a replication backfill to each destination with images not replicated (or "
        "follow the one running) and wait for it",
    )
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        default=1800.0,
        help="seconds to follow each backfill (1800)",
    )
    parser.add_argument(
        "--poll", type=positive_seconds, default=15.0, help="seconds between checks (15)"
    )
    parser.add_argument(
        "--concurrency",
        type=_concurrency,
        default=8,
        help="image statuses read at once (1-32, default 8)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    for name in args.repository:
        if not REPOSITORY.fullmatch(name):
            parser.error(f"argument --repository: {name!r} is not an ECR repository name")
    return args


def replicate(
    ecr: Any,
    region: str,
    args: argparse.Namespace,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Report:
    """The check, then with --backfill a backfill per destination that needs one."""
    report = check(
        ecr, region, args.repository, args.destination, args.concurrency, progress=progress
    )
    if args.backfill:
        for health in _needing(report.destinations):
            health.backfill = backfill(
                ecr, health.destination, args.timeout, args.poll, progress, clock, sleep
            )
    return report


def _needing(destinations: Iterable[Health]) -> list[Health]:
    return [h for h in destinations if h.pending]


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)

    def body() -> int:
        (region,) = regions([args.region] if args.region else None)
        report = replicate(Aws(region).client("ecr"), region, args)
        emit(report.as_json() if args.json else report.as_table())
        write_step_summary(report.as_markdown())
        return 1 if report.failed else 0

    return run("replication", body)


if __name__ == "__main__":
    sys.exit(main())
