"""What a quarantine will change and where it rolls back to, decided before anything changes (pure:
the AWS calls are tools/quarantine.py's).

- the rollback candidate: the highest release version (`v1.2.3`: tools/images.py) below the
  quarantined image whose completed scan is clean, and why there is none;
- whether the action would leave the repository without any release image;
- the steps, in the order the real run makes them, and the outcome as the command shows it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from components.lifecycle import RELEASE_TAG_PATTERNS
from tools.images import image_version, is_release, pushed_at, version

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import ImageDetailTypeDef

# --- the rollback candidate ---------------------------------------------------------------------

SHOWN = 5  # images named when explaining why there is no rollback candidate


def _is_final_release(image: ImageDetailTypeDef, patterns: Sequence[str]) -> bool:
    versions = [version(t, patterns) for t in image.get("imageTags") or []]
    return any(v is not None and not v[1] for v in versions)


def last_release_problem(
    images: Sequence[ImageDetailTypeDef],
    target: ImageDetailTypeDef,
    removed: Sequence[str],
    delete: bool,
    patterns: Sequence[str] = RELEASE_TAG_PATTERNS,
) -> str | None:
    """Why the action would leave the repository without any release image (None if it would
    not): deleting the only release image, or removing the only release tags there are."""
    others = [
        i for i in images if i["imageDigest"] != target["imageDigest"] and is_release(i, patterns)
    ]
    if others:
        return None
    remaining = [] if delete else [t for t in target.get("imageTags") or [] if t not in removed]
    if is_release(target, patterns) and not is_release({"imageTags": remaining}, patterns):
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
    images: Sequence[ImageDetailTypeDef],
    target: ImageDetailTypeDef,
    patterns: Sequence[str] = RELEASE_TAG_PATTERNS,
) -> list[ImageDetailTypeDef]:
    """Release images to roll back to, best first: versions below the target's, highest first
    (pre-releases skipped). A target without a version (`latest`) compares by push time."""
    ceiling = image_version(target, patterns)
    found = []
    for image in images:
        current = image_version(image, patterns)
        if image["imageDigest"] == target["imageDigest"] or current is None:
            continue
        if not _is_final_release(image, patterns):
            continue
        below = current < ceiling if ceiling else pushed_at(image) < pushed_at(target)
        if below:
            found.append((current, pushed_at(image), image))
    return [image for *_, image in sorted(found, key=lambda f: (f[0], f[1]), reverse=True)]


def rollback_candidate(
    images: Sequence[ImageDetailTypeDef],
    target: ImageDetailTypeDef,
    verdict: Callable[[str], ScanVerdict],
    patterns: Sequence[str] = RELEASE_TAG_PATTERNS,
) -> tuple[ImageDetailTypeDef | None, str]:
    """(the best candidate with a clean scan, None and why there is none). Checks best first and
    stops at the first clean one."""
    checked: list[tuple[ImageDetailTypeDef, ScanVerdict]] = []
    for image in candidates(images, target, patterns):
        found = verdict(image["imageDigest"])
        if found.clean:
            return image, ""
        checked.append((image, found))
    below = f"below {label(target)}"
    if not checked:
        return None, f"no release image {below}"
    vulnerable = [
        f"{label(i)}: " + ", ".join(f"{n} {s}" for s, n in v.blocking.items())
        for i, v in checked
        if v.scanned
    ]
    unscanned = [label(i) for i, v in checked if not v.scanned]
    parts = []
    if vulnerable:
        parts.append(f"{len(vulnerable)} vulnerable ({_some(vulnerable)})")
    if unscanned:
        parts.append(f"{len(unscanned)} without a completed scan ({_some(unscanned)})")
    return None, f"no release image {below} has a clean scan: {'; '.join(parts)}"


def label(image: ImageDetailTypeDef) -> str:
    tags = sorted(image.get("imageTags") or [], key=lambda t: (version(t) is None, t))
    return tags[0] if tags else str(image["imageDigest"])[:19]


def _some(items: Sequence[str]) -> str:
    shown = "; ".join(items[:SHOWN])
    return shown + (f"; and {len(items) - SHOWN} more" if len(items) > SHOWN else "")


# --- the changes ----------------------------------------------------------------------------------


def artifacts_of(images: Sequence[ImageDetailTypeDef], digest: str) -> list[str]:
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
    target: ImageDetailTypeDef,
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


class Rollback(TypedDict):
    """The release image to roll back to."""

    digest: str
    tags: list[str]
    reference: str


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
    rollback: Rollback | None
    no_rollback: str
    artifacts: list[str] = field(default_factory=list)
    """Digests of the image's signatures and other artifacts (their `subject` is the image):
    never touched, they stay with the image (and verify it again after a rollback of it)."""
    tag_users: dict[str, list[str]] = field(default_factory=dict)
    """Removed tag -> the workloads that pull it by that tag (ECS task definitions and tasks,
    Lambda functions, --in-use lines): their next deployment or scale-out fails."""
    status: str = "ACTIVE"
    """The image's status (ACTIVE, ARCHIVED, ACTIVATING): what restoring an archived one does."""

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
            "tagUsers": self.tag_users,
            "imageStatus": self.status,
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
        for tag, users in self.tag_users.items():
            lines.append(
                f"pulls {self.repository}:{tag}, which {'would be' if self.dry_run else 'is'} "
                f"removed: {'; '.join(users)}: their next deployment fails; redeploy them with "
                "the rollback"
            )
        if self.status != "ACTIVE":
            lines.append(
                f"the image is {self.status}: restoring it (UpdateImageStorageClass to STANDARD) "
                "makes it pullable again by digest and by any tag it still carries"
            )
        if self.rollback:
            shown = ", ".join(self.rollback["tags"])
            lines.append(f"roll back to: {self.rollback['reference']} ({shown})")
        else:
            lines.append(f"nothing safe to roll back to: {self.no_rollback}")
        return "\n".join(lines)


if __name__ == "__main__":
    from tools.cli import not_a_command

    raise SystemExit(not_a_command("tools.quarantine_plan"))
