"""What an ECR lifecycle policy would do to a repository's images (pure).

A model of ECR's documented evaluation (ECR User Guide, "Lifecycle policy evaluation rules" and
"Lifecycle policy properties"), so a proposed policy can be judged before it is applied:

- rules are evaluated in ascending rulePriority; an image is acted on by at most one rule;
- an image that matches the tag requirements of a rule cannot be expired (or transitioned) by a
  rule with a lower priority — it still counts for that rule's image count ("rules can still
  identify them as if they haven't been expired");
- `tagged` with tagPrefixList: every prefix in the list must start one of the image's tags;
  with tagPatternList: every pattern (where `*` matches any run of characters) must match one of
  the image's tags; `untagged`: images without tags; `any`: every image;
- rules select images of one storage class (`storageClass`, default standard);
- imageCountMoreThan N: the matching images newest first by push time, all after the first N;
  sinceImagePushed / sinceImagePulled / sinceImageTransitioned D days: matching images whose
  push / last recorded pull (else push) / archive time is more than D days ago;
- expiration always takes older images first.

ECR's semantics, so it lives with the rules (policy/ stays publishable on its own):
`tools.retention` judges a stack file's proposed policies with it, and compares it with AWS's own
lifecycle policy preview when asked (`--aws-preview`), reporting any disagreement.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class Image:
    """An image as DescribeImages describes it (the fields lifecycle rules read)."""

    digest: str
    tags: tuple[str, ...]
    pushed_at: datetime.datetime
    last_pulled_at: datetime.datetime | None = None
    storage_class: str = "standard"
    """`standard`, or `archive` for an ARCHIVED image."""
    archived_at: datetime.datetime | None = None

    @classmethod
    def from_details(cls, details: Mapping[str, Any]) -> Image:
        """From one `imageDetails` entry of DescribeImages (boto3's or the AWS CLI's JSON)."""
        status = str(details.get("imageStatus", "ACTIVE")).upper()
        return cls(
            digest=str(details["imageDigest"]),
            tags=tuple(details.get("imageTags") or ()),
            pushed_at=timestamp(details["imagePushedAt"]),
            last_pulled_at=_optional_time(details.get("lastRecordedPullTime")),
            storage_class="archive" if status == "ARCHIVED" else "standard",
            archived_at=_optional_time(details.get("lastArchivedAt")),
        )


@dataclass(frozen=True)
class Action:
    """What one rule does to one image."""

    image: Image
    rule: int
    """The rulePriority of the rule that takes the image."""
    type: str
    """`expire` or `transition` (to archive)."""


@dataclass
class Evaluation:
    actions: list[Action] = field(default_factory=list)

    def of_type(self, kind: str) -> list[Action]:
        return [a for a in self.actions if a.type == kind]


def timestamp(value: Any) -> datetime.datetime:
    """A time from boto3 (datetime), the AWS CLI (ISO 8601) or epoch seconds; UTC if naive."""
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, int | float):
        moment = datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    elif isinstance(value, str):
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    else:
        raise ValueError(f"not a time: {value!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def _optional_time(value: Any) -> datetime.datetime | None:
    return None if value is None else timestamp(value)


@lru_cache(maxsize=1024)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def pattern_matches(pattern: str, tag: str) -> bool:
    """A lifecycle tagPatternList entry: `*` matches any run of characters; nothing else is."""
    return _pattern(pattern).fullmatch(tag) is not None


def _matches_tags(selection: Mapping[str, Any], image: Image) -> bool:
    status = selection.get("tagStatus")
    if status == "untagged":
        return not image.tags
    if status == "any":
        return True
    if not image.tags:
        return False
    prefixes = selection.get("tagPrefixList") or []
    patterns = selection.get("tagPatternList") or []
    return all(any(t.startswith(p) for t in image.tags) for p in prefixes) and all(
        any(pattern_matches(p, t) for t in image.tags) for p in patterns
    )


def selects(selection: Mapping[str, Any], image: Image) -> bool:
    """Whether a rule's selection matches an image (tag requirements and storage class)."""
    storage = str(selection.get("storageClass", "standard")).lower()
    return image.storage_class == storage and _matches_tags(selection, image)


def _age_reference(count_type: str, image: Image) -> datetime.datetime | None:
    if count_type == "sinceImagePushed":
        return image.pushed_at
    if count_type == "sinceImagePulled":
        return image.last_pulled_at or image.pushed_at
    if count_type == "sinceImageTransitioned":
        return image.archived_at
    return None


def _candidates(
    selection: Mapping[str, Any], matched: Sequence[Image], now: datetime.datetime
) -> list[Image]:
    """The matched images a rule would act on, oldest first."""
    count_type, number = selection.get("countType"), int(selection.get("countNumber", 0))
    newest_first = sorted(matched, key=lambda i: (i.pushed_at, i.digest), reverse=True)
    if count_type == "imageCountMoreThan":
        chosen = newest_first[number:]
    else:
        limit = now - datetime.timedelta(days=number)
        chosen = [
            i
            for i in newest_first
            if (moment := _age_reference(str(count_type), i)) is not None and moment < limit
        ]
    return list(reversed(chosen))


def evaluate(
    policy: Mapping[str, Any], images: Iterable[Image], now: datetime.datetime
) -> Evaluation:
    """The action each rule of `policy` would take on `images` at `now`."""
    images = list(images)
    rules = sorted(policy.get("rules", []), key=lambda r: int(r["rulePriority"]))
    seen: set[str] = set()  # digests matched by a higher-priority rule's tag requirements
    taken: set[str] = set()
    result = Evaluation()
    for rule in rules:
        selection = rule.get("selection", {})
        action = str(rule.get("action", {}).get("type", "expire")).lower()
        matched = [i for i in images if selects(selection, i)]
        for image in _candidates(selection, matched, now):
            if image.digest in seen or image.digest in taken:
                continue
            taken.add(image.digest)
            result.actions.append(Action(image, int(rule["rulePriority"]), action))
        seen.update(i.digest for i in matched)
    return result
