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
skipped) below the quarantined one whose completed scan has nothing at or above --fail-on, as a
digest-pinned reference `<url>@sha256:...`; when there is none, the output says which were
vulnerable and which unscanned. `--dry-run` lists exactly the steps the real run would take.

Exit status: 0 done, with a rollback candidate; 1 done (or would be), but no safe rollback
candidate; 2 usage or AWS error, or a refusal: nothing changed; 3 a step failed after an earlier
one changed something: the one line on stderr says exactly what changed.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tools.aws import Aws, paginate, regions
from tools.cli import (
    EXIT_FOUND,
    EXIT_OK,
    ToolError,
    add_fail_on,
    at_or_above,
    emit,
    error_code,
    one_line,
    progress,
    run,
    write_step_summary,
)
from tools.images import DIGEST, REPOSITORY, TAG, image_version, is_release, pushed_at, version
from tools.usage import from_account, from_file, users_by_digest

EXIT_PARTIAL = 3
"""A step failed after an earlier step changed something (the message names what changed)."""
_TOPIC = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?")
SHOWN = 5  # images named when explaining why there is no rollback candidate


# --- pure decisions -------------------------------------------------------------------------------


def _is_final_release(image: Mapping[str, Any]) -> bool:
    versions = [version(t) for t in image.get("imageTags") or []]
    return any(v is not None and not v[1] for v in versions)


def last_release_problem(
    images: Sequence[Mapping[str, Any]],
    target: Mapping[str, Any],
    removed: Sequence[str],
    delete: bool,
) -> str | None:
    """Why the action would leave the repository without any release image (None if it would
    not): deleting the only image tagged v*, or removing the only v* tags there are."""
    others = [i for i in images if i["imageDigest"] != target["imageDigest"] and is_release(i)]
    if others:
        return None
    remaining = [] if delete else [t for t in target.get("imageTags") or [] if t not in removed]
    if is_release(target) and not is_release({"imageTags": remaining}):
        return "it is the last release image of the repository: pass --force to do it anyway"
    return None


@dataclass(frozen=True)
class ScanVerdict:
    """An image's completed scan: clean, or the findings that block it; or no completed scan."""

    scanned: bool
    blocking: Mapping[str, int] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return self.scanned and not self.blocking


def candidates(
    images: Sequence[Mapping[str, Any]], target: Mapping[str, Any]
) -> list[Mapping[str, Any]]:
    """Release images to roll back to, best first: versions below the target's, highest first
    (pre-releases skipped). A target without a version (`latest`) compares by push time."""
    ceiling = image_version(target)
    found = []
    for image in images:
        current = image_version(image)
        if image["imageDigest"] == target["imageDigest"] or current is None:
            continue
        if not _is_final_release(image):
            continue
        below = current < ceiling if ceiling else pushed_at(image) < pushed_at(target)
        if below:
            found.append((current, pushed_at(image), image))
    return [image for *_, image in sorted(found, key=lambda f: (f[0], f[1]), reverse=True)]


def rollback_candidate(
    images: Sequence[Mapping[str, Any]],
    target: Mapping[str, Any],
    verdict: Callable[[str], ScanVerdict],
) -> tuple[Mapping[str, Any] | None, str]:
    """(the best candidate with a clean scan, None and why there is none). Checks best first and
    stops at the first clean one."""
    checked: list[tuple[Mapping[str, Any], ScanVerdict]] = []
    for image in candidates(images, target):
        found = verdict(image["imageDigest"])
        if found.clean:
            return image, ""
        checked.append((image, found))
    below = f"below {_label(target)}"
    if not checked:
        return None, f"no release image {below}"
    vulnerable = [
        f"{_label(i)}: " + ", ".join(f"{n} {s}" for s, n in v.blocking.items())
        for i, v in checked
        if v.scanned
    ]
    unscanned = [_label(i) for i, v in checked if not v.scanned]
    parts = []
    if vulnerable:
        parts.append(f"{len(vulnerable)} vulnerable ({_some(vulnerable)})")
    if unscanned:
        parts.append(f"{len(unscanned)} without a completed scan ({_some(unscanned)})")
    return None, f"no release image {below} has a clean scan: {'; '.join(parts)}"


def _label(image: Mapping[str, Any]) -> str:
    tags = sorted(image.get("imageTags") or [], key=lambda t: (version(t) is None, t))
    return tags[0] if tags else str(image["imageDigest"])[:19]


def _some(items: Sequence[str]) -> str:
    shown = "; ".join(items[:SHOWN])
    return shown + (f"; and {len(items) - SHOWN} more" if len(items) > SHOWN else "")


def artifacts_of(images: Sequence[Mapping[str, Any]], digest: str) -> list[str]:
    """The image's signatures (client-side Notation or ECR managed signing) and other artifacts:
    the images whose `subjectManifestDigest` is its digest."""
    return sorted(str(i["imageDigest"]) for i in images if i.get("subjectManifestDigest") == digest)


def quarantine_tag(tag: str, now: datetime.datetime) -> str:
    return f"quarantined-{now.strftime('%Y%m%dT%H%M%SZ')}-{tag}"[:128]


@dataclass(frozen=True)
class Step:
    """One change, in the order the real run makes it."""

    kind: str
    """`announce` (a "starting" message, which proves the topic takes ours: before any change),
    `keep` (add the quarantine tag), `untag`, `delete` (the image) or `notify`."""
    value: str
    """The tag, the digest or the topic."""

    def describe(self, repository: str) -> str:
        return {
            "announce": f"announce the quarantine on {self.value}",
            "keep": f"tag the image {repository}:{self.value} so that it survives",
            "untag": f"remove the tag {repository}:{self.value}",
            "delete": f"delete the image {repository}@{self.value} with every tag",
            "notify": f"publish what was done to {self.value}",
        }[self.kind]


def plan(
    target: Mapping[str, Any],
    removed: Sequence[str],
    delete: bool,
    keep_as: str,
    topic: str | None,
) -> list[Step]:
    """The changes, in order: the announcement; the quarantine tag first when no tag would be left
    (ECR deletes an image with its last tag), then each tag, or the deletion; the notification."""
    steps = [Step("announce", topic)] if topic else []
    if delete:
        steps.append(Step("delete", str(target["imageDigest"])))
    else:
        left = [t for t in target.get("imageTags") or [] if t not in removed]
        if removed and not left:
            steps.append(Step("keep", keep_as))
        steps += [Step("untag", tag) for tag in removed]
    if topic:
        steps.append(Step("notify", topic))
    return steps


# --- output ---------------------------------------------------------------------------------------


@dataclass
class Outcome:
    repository: str
    digest: str
    tags: list[str]
    """The image's tags before anything changed."""
    steps: list[Step]
    dry_run: bool
    still_tagged: list[str]
    """Tags that still pull the image afterwards (not asked to be removed)."""
    used_by: list[str]
    rollback: Mapping[str, Any] | None
    no_rollback: str
    artifacts: list[str] = field(default_factory=list)
    """Digests of the image's signatures and other artifacts (their `subject` is the image):
    never touched, they stay with the image (and verify it again after a rollback of it)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "repository": self.repository,
            "digest": self.digest,
            "tags": self.tags,
            "dryRun": self.dry_run,
            "steps": [
                {"action": s.kind, "value": s.value, "text": s.describe(self.repository)}
                for s in self.steps
            ],
            "stillTagged": self.still_tagged,
            "usedBy": self.used_by,
            "rollback": self.rollback,
            "noRollback": self.no_rollback or None,
            "artifacts": self.artifacts,
        }

    def as_text(self) -> str:
        tags = ", ".join(self.tags) or "untagged"
        lines = [f"{self.repository}@{self.digest} ({tags})"]
        head = "would" if self.dry_run else "done"
        if self.steps:
            lines += [f"  {head}: {s.describe(self.repository)}" for s in self.steps]
        else:
            lines.append(f"  {head}: nothing (the image has no tag to remove)")
        if self.still_tagged:
            shown = ", ".join(f"{self.repository}:{t}" for t in self.still_tagged)
            lines.append(
                f"still pullable as {shown} (same image): rerun with --all-tags to remove them too"
            )
        if not any(s.kind == "delete" for s in self.steps):
            lines.append(
                "references by digest still pull it: `--delete --yes` deletes the image itself"
            )
        if self.artifacts:
            lines.append(
                f"kept with the image: {len(self.artifacts)} signature(s) or other artifact(s) "
                f"({', '.join(self.artifacts)})"
            )
        if self.used_by:
            lines.append(f"in use by: {'; '.join(self.used_by)}: redeploy them with the rollback")
        if self.rollback:
            shown = ", ".join(self.rollback["tags"])
            lines.append(f"roll back to: {self.rollback['reference']} ({shown})")
        else:
            lines.append(f"nothing safe to roll back to: {self.no_rollback}")
        return "\n".join(lines)


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

    def images(self) -> list[dict[str, Any]]:
        return list(
            paginate(self.ecr, "describe_images", "imageDetails", repositoryName=self.repository)
        )

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
        return ScanVerdict(True, {s: int(counts[s]) for s in self.blocking if counts.get(s)})

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

    def remove(self, image_id: Mapping[str, str]) -> None:
        result = self.ecr.batch_delete_image(repositoryName=self.repository, imageIds=[image_id])
        if result.get("failures"):
            failure = result["failures"][0]
            raise ToolError(
                f"ECR refused: {failure.get('failureCode')} {failure.get('failureReason')}"
            )


# --- the command ----------------------------------------------------------------------------------


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.quarantine",
        description="Take a vulnerable image out of circulation (remove its tag, or delete it) "
        "and name the highest lower release version with a clean scan to roll back to. "
        "Everything is checked before anything changes.",
        epilog="Exit status: 0 done with a rollback candidate; 1 done without one; 2 usage or AWS "
        "error or a refusal (nothing changed); 3 a step failed after something changed (stderr "
        "says exactly what).",
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
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    args = parser.parse_args(argv)
    if not REPOSITORY.fullmatch(args.repository):
        parser.error(f"argument --repository: {args.repository!r} is not an ECR repository name")
    if args.tag is not None and not TAG.fullmatch(args.tag):
        parser.error(
            f"argument --tag: {args.tag!r} is not an image tag "
            "([A-Za-z0-9_][A-Za-z0-9_.-]*, at most 128 characters)"
        )
    if args.digest is not None and not DIGEST.fullmatch(args.digest):
        parser.error(f"argument --digest: {args.digest!r} is not sha256:<64 hex digits>")
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
    failure after a change is exit 3 naming what changed."""
    done: list[str] = []
    for step in steps:
        try:
            if step.kind == "keep":
                tool.keep(digest, step.value)
            elif step.kind == "untag":
                tool.remove({"imageTag": step.value})
            elif step.kind == "delete":
                tool.remove({"imageDigest": digest})
            else:
                tool.publish(step.value, *message(step))
        except (Exception, KeyboardInterrupt) as error:  # an interrupt must still say what changed
            cause = one_line(error) or "interrupted"
            failed = f"could not {step.describe(tool.repository)}: {cause}"
            if not done:
                raise ToolError(f"{failed}; nothing changed") from None
            raise ToolError(f"{failed}; already done: {'; '.join(done)}", EXIT_PARTIAL) from None
        done.append(step.describe(tool.repository))
        progress(f"done: {done[-1]}")


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)

    def body() -> int:
        (region,) = regions([args.region] if args.region else None)
        aws = Aws(region)
        tool = Quarantine(aws, args.repository, args.fail_on)
        url = tool.url()
        images = tool.images()
        if args.tag:
            target = next((i for i in images if args.tag in (i.get("imageTags") or [])), None)
            name = f"{args.repository}:{args.tag}"
        else:
            target = next((i for i in images if i["imageDigest"] == args.digest), None)
            name = f"{args.repository}@{args.digest}"
        if target is None:
            raise ToolError(f"image {name} not found")
        if args.notify:
            tool.check_topic(args.notify)
        digest, tags = str(target["imageDigest"]), list(target.get("imageTags") or [])
        # The named tag first, then the others in a stable order (what the dry run lists).
        named = [args.tag] if args.tag else []
        others = sorted(t for t in tags if t not in named)
        removed = named + others if (args.all_tags or args.digest or args.delete) else named
        refusal = last_release_problem(images, target, removed, args.delete)
        if refusal and not args.force:
            raise ToolError(f"refusing to remove {name}: {refusal}")
        uses = from_file(args.in_use) if args.in_use else []
        if args.delete:
            uses += from_account(aws)
        registry = target.get("registryId")
        used_by = users_by_digest(uses, args.repository, images, registry).get(digest, [])
        if args.delete and used_by and not args.force:
            raise ToolError(
                f"refusing to delete {name}: in use by {'; '.join(used_by)}: redeploy them first, "
                "or pass --force"
            )
        found, why_not = rollback_candidate(images, target, tool.scan)
        rollback = (
            {
                "digest": found["imageDigest"],
                "tags": sorted(found.get("imageTags") or []),
                "reference": f"{url}@{found['imageDigest']}",
            }
            if found
            else None
        )
        now = datetime.datetime.now(datetime.timezone.utc)
        keep_as = quarantine_tag(args.tag or _label(target), now)
        steps = plan(target, removed, args.delete, keep_as, args.notify)
        outcome = Outcome(
            args.repository,
            digest,
            tags,
            steps,
            args.dry_run,
            [] if args.delete else [t for t in tags if t not in removed],
            used_by,
            rollback,
            why_not,
            artifacts_of(images, digest),
        )

        def message(step: Step) -> tuple[str, str]:
            if step.kind == "announce":
                plan_text = dataclasses.replace(outcome, dry_run=True).as_text()
                return f"ECR quarantine starting: {name}", f"Starting now:\n{plan_text}"
            done = outcome.as_text() + "\n\n" + json.dumps(outcome.as_dict(), indent=2)
            return f"ECR quarantine: {name}", done

        if not args.dry_run:
            execute(tool, steps, digest, message)
        emit(json.dumps(outcome.as_dict(), indent=2) if args.json else outcome.as_text())
        write_step_summary(f"## ECR quarantine\n\n```\n{outcome.as_text()}\n```")
        return EXIT_OK if rollback else EXIT_FOUND

    return run("quarantine", body)


if __name__ == "__main__":
    sys.exit(main())
