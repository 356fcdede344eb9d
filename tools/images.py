"""Image references and release versions, as ECR and the tools name images.

- A release image carries a tag matching one of the release patterns (`v*` unless the stack sets
  releaseTagPatterns; what the lifecycle policy keeps: components/lifecycle.py); its version is
  semver after the pattern's literal start (`v1.2.3`, `release-2026.12`, an optional -pre-release
  and +build).
- References: `repo:tag`, `repo@sha256:...` or a full ECR URI; the tag, digest and repository-name
  grammars the commands check their arguments with.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from typing import Any

from components.lifecycle import RELEASE_TAG_PATTERNS
from policy.ecr_guardrails.lifecycle_eval import pattern_matches

# Docker/ECR tag grammar, the OCI sha256 digest, and ECR's repository-name rule, ASCII only.
TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
# A lifecycle tag pattern (ECR: tag characters and at most four `*`), as releaseTagPatterns.
RELEASE_PATTERN = re.compile(r"(?=.{1,128}$)[A-Za-z0-9_.-]*(?:\*[A-Za-z0-9_.-]*){0,4}")
REPOSITORY = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*")


def pushed_at(image: Mapping[str, Any]) -> datetime.datetime:
    """An `imageDetails` entry's push time, timezone-aware (boto3 gives datetimes)."""
    pushed = image.get("imagePushedAt")
    if isinstance(pushed, datetime.datetime):
        return pushed if pushed.tzinfo else pushed.replace(tzinfo=datetime.timezone.utc)
    return datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)


def is_release(image: Mapping[str, Any], patterns: Sequence[str] = RELEASE_TAG_PATTERNS) -> bool:
    """A release image: one of its tags matches a release pattern (what the lifecycle policy
    keeps)."""
    return any(pattern_matches(p, t) for p in patterns for t in image.get("imageTags") or [])


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
    image: Mapping[str, Any], patterns: Sequence[str] = RELEASE_TAG_PATTERNS
) -> tuple[int, int, int] | None:
    """The highest release version among an image's tags (pre-releases count as their version)."""
    found = [v for t in image.get("imageTags") or [] if (v := version(t, patterns))]
    return max(v for v, _ in found) if found else None


def newest_release(
    images: Sequence[Mapping[str, Any]], patterns: Sequence[str] = RELEASE_TAG_PATTERNS
) -> Mapping[str, Any] | None:
    """The newest release image: the last pushed, and among images pushed at the same time (ECR
    gives whole seconds in some views) the highest version."""
    releases = [i for i in images if is_release(i, patterns)]
    if not releases:
        return None
    return max(releases, key=lambda i: (pushed_at(i), image_version(i, patterns) or (0, 0, 0)))


# --- image references -----------------------------------------------------------------------------

_IMAGE = re.compile(
    r"(?:(?P<account>[0-9]{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/)?"
    r"(?P<repository>[a-z0-9][a-z0-9._/-]*?)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[0-9a-f]{64}))?"
)


def parse_image(reference: str) -> Mapping[str, str | None] | None:
    """`repo:tag`, `repo@sha256:...` or a full ECR URI -> its parts (None when it is none of
    these, e.g. an image of another registry)."""
    match = _IMAGE.fullmatch(reference.strip())
    if match is None or (match["tag"] is None and match["digest"] is None):
        return None
    return match.groupdict()
