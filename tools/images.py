"""Image references and release versions, as ECR and the tools name images.

- A release image carries a tag that starts with the program's release prefix (`v`, what the
  lifecycle policy keeps: components/lifecycle.py); its version is semver (`v1.2.3`, an optional
  -pre-release and +build).
- References: `repo:tag`, `repo@sha256:...` or a full ECR URI; the tag, digest and repository-name
  grammars the commands check their arguments with.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from typing import Any

from components.lifecycle import RELEASE_TAG_PREFIX

# Docker/ECR tag grammar, the OCI sha256 digest, and ECR's repository-name rule, ASCII only.
TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
REPOSITORY = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*")


def pushed_at(image: Mapping[str, Any]) -> datetime.datetime:
    """An `imageDetails` entry's push time, timezone-aware (boto3 gives datetimes)."""
    pushed = image.get("imagePushedAt")
    if isinstance(pushed, datetime.datetime):
        return pushed if pushed.tzinfo else pushed.replace(tzinfo=datetime.timezone.utc)
    return datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)


def is_release(image: Mapping[str, Any]) -> bool:
    """A release image: one of its tags starts with `v` (what the lifecycle policy keeps)."""
    return any(t.startswith(RELEASE_TAG_PREFIX) for t in image.get("imageTags") or [])


# A release tag's version: v1, v1.2, v1.2.3, with an optional -pre-release and +build (semver).
_VERSION = re.compile(
    re.escape(RELEASE_TAG_PREFIX)
    + r"(\d{1,9}(?:\.\d{1,9}){0,2})(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?"
)


def version(tag: str) -> tuple[tuple[int, int, int], bool] | None:
    """`v1.2.3` -> ((1, 2, 3), pre-release?); None for a tag that is not a version."""
    match = _VERSION.fullmatch(tag)
    if match is None:
        return None
    numbers = [int(n) for n in match[1].split(".")] + [0, 0]
    return (numbers[0], numbers[1], numbers[2]), match[2] is not None


def image_version(image: Mapping[str, Any]) -> tuple[int, int, int] | None:
    """The highest release version among an image's tags (pre-releases count as their version)."""
    found = [v for t in image.get("imageTags") or [] if (v := version(t))]
    return max(v for v, _ in found) if found else None


def newest_release(images: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The newest release image: the last pushed, and among images pushed at the same time (ECR
    gives whole seconds in some views) the highest version."""
    releases = [i for i in images if is_release(i)]
    if not releases:
        return None
    return max(releases, key=lambda i: (pushed_at(i), image_version(i) or (0, 0, 0)))


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
