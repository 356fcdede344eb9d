"""The image checks: which images are ACTIVE (the others cannot be pulled or scanned), and the
scan results of the images that matter, the newest release image and every image in use."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from components.lifecycle import RELEASE_TAG_PATTERNS
from tools.audit.checks.base import Check, Options, Seen
from tools.audit.reads import Registry
from tools.audit.report import Finding
from tools.cli import at_or_above
from tools.images import image_status, newest_release, status_meaning
from tools.usage import Use, users_by_digest

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import ImageDetailTypeDef

NOT_ACTIVE = Check(
    "ecr-live-image-not-active",
    ("mandatory", "info"),
    "an ARCHIVED or ACTIVATING image: in use, its pull fails; otherwise it is named as left out",
)


def active_images(
    seen: Seen, stored: Sequence[ImageDetailTypeDef], in_use: Iterable[Use]
) -> tuple[list[ImageDetailTypeDef], list[Finding]]:
    """The ACTIVE images, which the scan and signature checks judge, and a finding naming each
    image they leave out and why: an ARCHIVED or ACTIVATING image cannot be pulled (or scanned)
    until it is restored, yet it can be restored and run, so it is listed, never silently dropped.
    An image in use that is not ACTIVE is mandatory: its next pull fails."""
    active: list[ImageDetailTypeDef] = []
    findings = []
    users = users_by_digest(in_use, seen.name, stored, seen.repository.get("registryId"))
    for image in stored:
        try:
            status = image_status(image)
        except ValueError as error:
            findings.append(seen.finding(NOT_ACTIVE, f"not checked: {error}"))
            continue
        if status == "ACTIVE":
            active.append(image)
            continue
        digest = image["imageDigest"]
        label = f"{seen.name}@{digest} ({', '.join(image.get('imageTags') or []) or 'untagged'})"
        why = status_meaning(status)
        if digest in users:
            message = f"{label} is {why}, but used by {', '.join(users[digest])}: its pull fails"
            findings.append(seen.finding(NOT_ACTIVE, message))
        else:
            message = f"{label} left out of the scan and signature checks: {why}"
            findings.append(seen.finding(NOT_ACTIVE, message, "info"))
    return active, findings


def images_to_check(
    name: str,
    images: Sequence[ImageDetailTypeDef],
    in_use: Iterable[Use],
    registry: str | None,
    release_patterns: Sequence[str] = RELEASE_TAG_PATTERNS,
) -> dict[str, str]:
    """digest -> why it is checked: the newest release image, and images ECS uses."""
    chosen: dict[str, str] = {}
    newest = newest_release(images, release_patterns)
    if newest is not None:
        chosen[newest["imageDigest"]] = "newest release image"
    for digest, users in users_by_digest(in_use, name, images, registry).items():
        reason = "used by " + ", ".join(users)
        chosen[digest] = f"{chosen[digest]}; {reason}" if digest in chosen else reason
    return chosen


IMAGE_FINDINGS = Check(
    "ecr-live-image-findings",
    ("mandatory",),
    "the newest release image and every image in use have no scan finding at or above --fail-on",
)
NOT_SCANNED = Check(
    "ecr-live-image-not-scanned",
    ("advisory",),
    "such an image has a completed scan",
)


def image_findings(
    seen: Seen,
    registry: Registry,
    images: Sequence[ImageDetailTypeDef],
    in_use: list[Use],
    options: Options,
) -> list[Finding]:
    """The newest release image and every image ECS uses: a completed scan, and no finding at or
    above --fail-on."""
    blocking = at_or_above(options.fail_on)
    tags_of = {i["imageDigest"]: i.get("imageTags", []) for i in images}
    checked = images_to_check(
        seen.name, images, in_use, seen.repository.get("registryId"), options.release_patterns
    )
    findings = []
    for digest, why in checked.items():
        label = f"{seen.name}@{digest} ({', '.join(tags_of.get(digest, [])) or 'untagged'}, {why})"
        counts = registry.scan(seen.name, digest)
        if counts is None:
            findings.append(seen.finding(NOT_SCANNED, f"{label} has no completed scan"))
            continue
        found = {s: int(counts.get(s, 0)) for s in blocking if counts.get(s)}
        if found:
            shown = ", ".join(f"{n} {s}" for s, n in found.items())
            message = f"{label} has {shown} findings (fail on {options.fail_on})"
            findings.append(seen.finding(IMAGE_FINDINGS, message))
    return findings
