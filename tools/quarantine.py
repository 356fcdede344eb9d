"""Incident response: take a vulnerable image's tag out of circulation and name the image to roll
back to (the seed's "보안 사고 대응": 즉시 태그 제거, 이전 안전 이미지로 롤백, 통지).

    python -m tools.quarantine --repository R --tag T [--fail-on HIGH] [--notify TOPIC_ARN]
    python -m tools.quarantine --repository R --tag T --delete --yes

Default: removes the tag T (BatchDeleteImage by tag, which works on IMMUTABLE repositories). The
image itself and its other tags stay. When T is its only tag, ECR would delete the image with it,
so the image is first given a `quarantined-<UTC time>-<T>` tag: nothing is lost, and the evidence
stays for forensics. Digest-pinned references still pull the image; `--delete --yes` deletes the
image with all its tags.

Both print the rollback candidate: the newest release image (`v*`) pushed before it whose
completed scan has nothing at or above --fail-on, as a digest-pinned reference `<url>@sha256:...`.
Removing the last release image is refused without --force. `--notify` publishes what was done
and the candidate to an SNS topic (e.g. the stack's alertTopicArn). `--dry-run` changes nothing.

Exit status: 0 done, with a rollback candidate; 1 done (or would be), but no safe rollback
candidate exists; 2 usage or AWS error, or a refusal (nothing changed), with one line on stderr.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tools.aws import (
    EXIT_FOUND,
    EXIT_OK,
    Aws,
    ToolError,
    error_code,
    is_release,
    paginate,
    progress,
    pushed_at,
    regions,
    run,
    write_step_summary,
)

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW")
# Docker/ECR tag grammar and ECR's repository-name rule, ASCII only.
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_REPOSITORY = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*")
_TOPIC = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?")


def last_release_problem(
    images: Sequence[Mapping[str, Any]], target: Mapping[str, Any], tag: str, delete: bool
) -> str | None:
    """Why the action would leave the repository without any release image (None if it would
    not): deleting the only image tagged v*, or removing the only v* tag there is."""
    others = [i for i in images if i["imageDigest"] != target["imageDigest"] and is_release(i)]
    if others:
        return None
    remaining = [] if delete else [t for t in target.get("imageTags", []) if t != tag]
    if is_release(target) and not is_release({"imageTags": remaining}):
        return "it is the last release image of the repository: pass --force to do it anyway"
    return None


def rollback_candidate(
    images: Sequence[Mapping[str, Any]],
    target: Mapping[str, Any],
    clean: Callable[[str], bool],
) -> Mapping[str, Any] | None:
    """The newest release image pushed before `target` whose scan is clean (`clean(digest)`),
    checking newest first and stopping at the first clean one."""
    older = [
        i
        for i in images
        if is_release(i)
        and i["imageDigest"] != target["imageDigest"]
        and pushed_at(i) < pushed_at(target)
    ]
    for image in sorted(older, key=pushed_at, reverse=True):
        if clean(image["imageDigest"]):
            return image
    return None


@dataclass
class Outcome:
    repository: str
    tag: str
    digest: str
    action: str
    kept_as: str | None
    rollback: Mapping[str, Any] | None
    notified: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "repository": self.repository,
            "tag": self.tag,
            "digest": self.digest,
            "action": self.action,
            "keptAs": self.kept_as,
            "rollback": self.rollback,
            "notified": self.notified,
        }

    def as_text(self) -> str:
        lines = [f"{self.repository}:{self.tag} ({self.digest}): {self.action}"]
        if self.kept_as:
            lines.append(f"the image was its only tag's: kept as {self.repository}:{self.kept_as}")
        if self.rollback:
            tags = ", ".join(self.rollback["tags"])
            lines.append(f"roll back to: {self.rollback['reference']} ({tags})")
        else:
            lines.append("no older release image with a clean scan: nothing safe to roll back to")
        if self.notified:
            lines.append(f"notified {self.notified}")
        return "\n".join(lines)


class Quarantine:
    """The calls the tool makes, in one region."""

    def __init__(self, aws: Aws, repository: str, fail_on: str) -> None:
        self.aws = aws
        self.ecr = aws.client("ecr")
        self.repository = repository
        self.blocking = SEVERITIES[: SEVERITIES.index(fail_on) + 1]

    def images(self) -> list[dict[str, Any]]:
        try:
            return list(
                paginate(
                    self.ecr, "describe_images", "imageDetails", repositoryName=self.repository
                )
            )
        except Exception as error:
            if error_code(error) == "RepositoryNotFoundException":
                raise ToolError(f"repository {self.repository} not found") from None
            raise

    def url(self) -> str:
        found = self.ecr.describe_repositories(repositoryNames=[self.repository])
        return str(found["repositories"][0]["repositoryUri"])

    def clean(self, digest: str) -> bool:
        """The image has a completed scan with nothing at or above the threshold."""
        try:
            found = self.ecr.describe_image_scan_findings(
                repositoryName=self.repository, imageId={"imageDigest": digest}
            )
        except Exception as error:
            if error_code(error) == "ScanNotFoundException":
                return False
            raise
        if found.get("imageScanStatus", {}).get("status") not in ("COMPLETE", "ACTIVE"):
            return False
        counts = found.get("imageScanFindings", {}).get("findingSeverityCounts", {})
        return not any(counts.get(s) for s in self.blocking)

    def keep(self, digest: str, tag: str) -> str:
        """Tags the image `quarantined-<time>-<tag>` so that removing its last tag keeps it."""
        image = self.ecr.batch_get_image(
            repositoryName=self.repository, imageIds=[{"imageDigest": digest}]
        )["images"][0]
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        kept = f"quarantined-{stamp}-{tag}"[:128]
        kwargs = (
            {"imageManifestMediaType": image["imageManifestMediaType"]}
            if image.get("imageManifestMediaType")
            else {}
        )
        self.ecr.put_image(
            repositoryName=self.repository,
            imageManifest=image["imageManifest"],
            imageTag=kept,
            **kwargs,
        )
        return kept

    def remove(self, image_id: Mapping[str, str]) -> None:
        result = self.ecr.batch_delete_image(repositoryName=self.repository, imageIds=[image_id])
        if result.get("failures"):
            failure = result["failures"][0]
            raise ToolError(
                f"ECR refused: {failure.get('failureCode')} {failure.get('failureReason')}"
            )

    def notify(self, topic: str, outcome: Outcome) -> None:
        self.aws.client("sns").publish(
            TopicArn=topic,
            Subject=f"ECR quarantine: {self.repository}:{outcome.tag}"[:100],
            Message=outcome.as_text() + "\n\n" + json.dumps(outcome.as_dict(), indent=2),
        )


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.quarantine",
        description="Take a vulnerable image's tag out of circulation (or delete the image) and "
        "name the newest older release image with a clean scan to roll back to.",
        epilog="Exit status: 0 done with a rollback candidate, 1 done without one, 2 usage or AWS "
        "error or a refusal (nothing changed).",
    )
    parser.add_argument("--repository", required=True, help="ECR repository name")
    parser.add_argument("--tag", required=True, help="the tag to take out of circulation")
    parser.add_argument(
        "--delete",
        action="store_true",
        help="delete the image itself, with every tag (needs --yes)",
    )
    parser.add_argument("--yes", action="store_true", help="confirm --delete")
    parser.add_argument(
        "--force", action="store_true", help="allow removing the repository's last release image"
    )
    parser.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        default="HIGH",
        help="a rollback candidate has no finding at or above this (HIGH)",
    )
    parser.add_argument("--notify", metavar="TOPIC_ARN", help="SNS topic to tell what was done")
    parser.add_argument("--region", help="AWS region (default AWS_REGION, else AWS_DEFAULT_REGION)")
    parser.add_argument("--dry-run", action="store_true", help="say what would be done, do nothing")
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    args = parser.parse_args(argv)
    if not _REPOSITORY.fullmatch(args.repository):
        parser.error(f"argument --repository: {args.repository!r} is not an ECR repository name")
    if not _TAG.fullmatch(args.tag):
        parser.error(
            f"argument --tag: {args.tag!r} is not an image tag "
            "([A-Za-z0-9_][A-Za-z0-9_.-]*, at most 128 characters)"
        )
    if args.delete and not args.yes:
        parser.error("--delete deletes the image with all its tags: confirm with --yes")
    if args.notify and not _TOPIC.fullmatch(args.notify):
        parser.error(f"argument --notify: {args.notify!r} is not an SNS topic ARN")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)

    def body() -> int:
        (region,) = regions([args.region] if args.region else None)
        tool = Quarantine(Aws(region), args.repository, args.fail_on)
        images = tool.images()
        target = next((i for i in images if args.tag in i.get("imageTags", [])), None)
        if target is None:
            raise ToolError(f"image {args.repository}:{args.tag} not found")
        digest = target["imageDigest"]
        refusal = last_release_problem(images, target, args.tag, args.delete)
        if refusal and not args.force:
            raise ToolError(f"refusing to remove {args.repository}:{args.tag}: {refusal}")
        found = rollback_candidate(images, target, tool.clean)
        url = tool.url()
        rollback = (
            {
                "digest": found["imageDigest"],
                "tags": sorted(found.get("imageTags", [])),
                "reference": f"{url}@{found['imageDigest']}",
            }
            if found
            else None
        )
        kept = None
        if args.dry_run:
            action = "would delete the image" if args.delete else "would remove the tag"
        elif args.delete:
            progress(f"deleting {args.repository}@{digest}")
            tool.remove({"imageDigest": digest})
            action = "deleted the image and all its tags"
        else:
            if target.get("imageTags") == [args.tag]:
                kept = tool.keep(digest, args.tag)
            tool.remove({"imageTag": args.tag})
            action = "removed the tag (the image stays)"
        outcome = Outcome(args.repository, args.tag, digest, action, kept, rollback, None)
        if args.notify and not args.dry_run:
            tool.notify(args.notify, outcome)
            outcome.notified = args.notify
        print(json.dumps(outcome.as_dict(), indent=2) if args.json else outcome.as_text())
        write_step_summary(f"## ECR quarantine\n\n```\n{outcome.as_text()}\n```")
        return EXIT_OK if rollback else EXIT_FOUND

    return run("quarantine", body)


if __name__ == "__main__":
    sys.exit(main())
