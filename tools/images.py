"""Image references and release versions, as ECR and the tools name images.

- A release image carries a tag matching one of the release patterns (`v*` unless the stack sets
  releaseTagPatterns; what the lifecycle policy keeps: components/lifecycle.py); its version is
  semver after the pattern's literal start (`v1.2.3`, `release-2026.12`, an optional -pre-release
  and +build).
- References: the one parser every tool reads image references with (`parse_image`): `repo:tag`,
  `repo@sha256:...`, or a full URI of any ECR registry host (standard, FIPS, China, GovCloud,
  dual-stack); the tag, digest and repository-name grammars the commands check their arguments with.
- Statuses: ACTIVE, ARCHIVED, ACTIVATING (`image_status`), counted apart.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from components.lifecycle import RELEASE_TAG_PATTERNS
from policy.ecr_guardrails.lifecycle_eval import pattern_matches

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import ImageDetailTypeDef

# Docker/ECR tag grammar, the OCI sha256 digest, and ECR's repository-name rule, ASCII only.
TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
# A lifecycle tag pattern (ECR: tag characters and at most four `*`), as releaseTagPatterns.
RELEASE_PATTERN = re.compile(r"(?=.{1,128}$)[A-Za-z0-9_.-]*(?:\*[A-Za-z0-9_.-]*){0,4}")
REPOSITORY = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*")


def pushed_at(image: ImageDetailTypeDef) -> datetime.datetime:
    """An `imageDetails` entry's push time, timezone-aware (boto3 gives datetimes)."""
    pushed = image.get("imagePushedAt")
    if isinstance(pushed, datetime.datetime):
        return pushed if pushed.tzinfo else pushed.replace(tzinfo=datetime.timezone.utc)
    return datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)


def is_release(image: ImageDetailTypeDef, patterns: Sequence[str] = RELEASE_TAG_PATTERNS) -> bool:
    """A release image: one of its tags matches a release pattern (what the lifecycle policy
    keeps)."""
    return any(pattern_matches(p, t) for p in patterns for t in image.get("imageTags") or [])


IMAGE_STATUSES = ("ACTIVE", "ARCHIVED", "ACTIVATING")
"""ECR's ImageStatus values (botocore's model): ARCHIVED images are in the archive storage class
(not pullable until restored), ACTIVATING ones are being restored."""


def image_status(image: ImageDetailTypeDef) -> str:
    """An `imageDetails` entry's status (ACTIVE when absent: DescribeImages without the status
    filter, older snapshots); ValueError for a status this tool does not know."""
    status = image.get("imageStatus", "ACTIVE")
    if status not in IMAGE_STATUSES:
        raise ValueError(
            f"{image.get('imageDigest')}: imageStatus {status!r} is not one of "
            f"{', '.join(IMAGE_STATUSES)}"
        )
    return str(status)


def status_meaning(status: str) -> str:
    """What a status means for a pull, as every tool says it (ACTIVE: pullable)."""
    return {
        "ACTIVE": "ACTIVE: pullable",
        "ARCHIVED": "ARCHIVED: not pullable until restored (UpdateImageStorageClass to STANDARD)",
        "ACTIVATING": "ACTIVATING: being restored, not pullable yet",
    }[status]


def status_counts(images: Sequence[ImageDetailTypeDef]) -> dict[str, int]:
    """ACTIVE, ARCHIVED and ACTIVATING image counts, each reported apart."""
    counts = dict.fromkeys(IMAGE_STATUSES, 0)
    for image in images:
        counts[image_status(image)] += 1
    return counts


# A release tag's version after the pattern's literal start: 1, 1.2, 1.2.3, with an optional
# -pre-release and +build (semver).
_VERSION = re.compile(r"(\d{1,9}(?:\.\d{1,9}){0,2})(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?")


def version(
    tag: str, patterns: Sequence[str] = RELEASE_TAG_PATTERNS
) -> tuple[tuple[int, int, int], bool] | None:
    """`v1.2.3` -> ((1, 2, 3), pre-release?); None for a tag that is not a release version: one
    that matches a release pattern and is semver after the pattern's text before its first `*`
    (`v` of `v*`, `release-` of `release-*`, nothing of `*`)."""
    for pattern in patterns:
        start = pattern.split("*", 1)[0]
        if not (pattern_matches(pattern, tag) and tag.startswith(start)):
            continue
        match = _VERSION.fullmatch(tag[len(start) :])
        if match is not None:
            numbers = [int(n) for n in match[1].split(".")] + [0, 0]
            return (numbers[0], numbers[1], numbers[2]), match[2] is not None
    return None


def image_version(
    image: ImageDetailTypeDef, patterns: Sequence[str] = RELEASE_TAG_PATTERNS
) -> tuple[int, int, int] | None:
    """The highest release version among an image's tags (pre-releases count as their version)."""
    found = [v for t in image.get("imageTags") or [] if (v := version(t, patterns))]
    return max(v for v, _ in found) if found else None


def newest_release(
    images: Sequence[ImageDetailTypeDef], patterns: Sequence[str] = RELEASE_TAG_PATTERNS
) -> ImageDetailTypeDef | None:
    """The newest release image: the last pushed, and among images pushed at the same time (ECR
    gives whole seconds in some views) the highest version."""
    releases = [i for i in images if is_release(i, patterns)]
    if not releases:
        return None
    return max(releases, key=lambda i: (pushed_at(i), image_version(i, patterns) or (0, 0, 0)))


# --- image references -----------------------------------------------------------------------------
#
# The registry hosts ECR documents for a private registry (AWS General Reference, "Amazon ECR
# endpoints and quotas"): `<account>.dkr.ecr.<region>.amazonaws.com` (GovCloud the same),
# `.amazonaws.com.cn` in China, `dkr.ecr-fips.` for FIPS, and the dual-stack (IPv4 and IPv6)
# `<account>.dkr-ecr.<region>.on.aws` / `dkr-ecr-fips.` (`on.amazonwebservices.com.cn` in China).
# Hosts are case-insensitive (DNS).
_ECR_HOST = re.compile(
    r"(?P<account>[0-9]{12})\."
    r"(?:dkr\.ecr(?:-fips)?\.(?P<region>[a-z]{2}(?:-[a-z]+)+-[0-9]+)\.amazonaws\.com(?:\.cn)?"
    r"|dkr-ecr(?:-fips)?\.(?P<dual_region>[a-z]{2}(?:-[a-z]+)+-[0-9]+)"
    r"\.on\.(?:aws|amazonwebservices\.com\.cn))"
)
# What makes a host claim to be ECR's private registry: anything malformed after that is an error.
_LOOKS_ECR = re.compile(r"(?:^|\.)dkr[.-]ecr", re.IGNORECASE)
_REFERENCE = re.compile(
    r"(?P<repository>[^:@]+)(?::(?P<tag>[^@]*))?(?:@(?P<digest>.*))?", re.DOTALL
)


class ImageReferenceError(ValueError):
    """A reference to an ECR registry (or one without a registry) that is not well formed."""


@dataclass(frozen=True)
class ImageReference:
    """One image reference, as a container runtime reads it. A pull-through cache repository is an
    ordinary repository name with the rule's prefix (`docker-hub/library/nginx`)."""

    repository: str
    tag: str | None
    """The tag; `latest` when the reference names neither tag nor digest (what a pull takes)."""
    digest: str | None
    """With a tag too (`repo:tag@sha256:...`), the runtime pulls the digest: it is what counts."""
    account: str | None
    """The registry's account, when the reference names an ECR host."""
    region: str | None

    def __str__(self) -> str:
        return (
            self.repository
            + (f":{self.tag}" if self.tag else "")
            + (f"@{self.digest}" if self.digest else "")
        )


def _host_of(reference: str) -> tuple[str | None, str]:
    """(registry host, rest): the first path component is a host when it has a `.` or a `:` or is
    `localhost` (the Docker reference grammar); a bare `repo:tag` has none."""
    first, slash, rest = reference.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return None, reference


def parse_image(reference: str) -> ImageReference | None:
    """An image reference -> its parts; None for an image of another registry (Docker Hub,
    ECR Public, a self-hosted one), which no tool here judges.

    A reference that names an ECR private registry host, or no host at all (`repo:tag`,
    `repo@sha256:...`, `repo`), must be well formed: ImageReferenceError says what is wrong."""
    text = reference.strip()
    host, rest = _host_of(text)
    account = region = None
    if host is not None:
        parsed = _ECR_HOST.fullmatch(host.lower())
        if parsed is None:
            if _LOOKS_ECR.search(host):
                raise ImageReferenceError(
                    f"{text[:120]!r}: registry host {host!r} is not an ECR registry host "
                    "(<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn] or "
                    "<account>.dkr-ecr[-fips].<region>.on.aws)"
                )
            return None
        account, region = parsed["account"], parsed["region"] or parsed["dual_region"]
    parts = _REFERENCE.fullmatch(rest)
    if parts is None or not REPOSITORY.fullmatch(parts["repository"]):
        raise ImageReferenceError(
            f"{text[:120]!r}: repository {(parts['repository'] if parts else rest)[:80]!r} is "
            "not an ECR repository name (lowercase letters, digits, . _ - and / between them)"
        )
    tag, digest = parts["tag"], parts["digest"]
    if tag is not None and not TAG.fullmatch(tag):
        raise ImageReferenceError(
            f"{text[:120]!r}: tag {tag[:80]!r} is not a tag (letters, digits, _ . -, at most 128)"
        )
    if digest is not None and not DIGEST.fullmatch(digest):
        raise ImageReferenceError(
            f"{text[:120]!r}: digest {digest[:80]!r} is not sha256: and 64 lowercase hex digits"
        )
    if tag is None and digest is None:
        tag = "latest"
    return ImageReference(parts["repository"], tag, digest, account, region)


if __name__ == "__main__":
    from tools.cli import not_a_command

    raise SystemExit(not_a_command("tools.images"))
