"""The ECR lifecycle policy document (pure), built from a service's retention settings.

ECR evaluates rules in priority order, and an image that matches the tag requirements of a rule can
never be expired (or archived) by a rule of lower priority (ECR User Guide, "Lifecycle policy
evaluation rules"). So the document is ordered:

1. protected tags: one rule per pattern (a tagPatternList with several patterns selects only images
   carrying *all* of them), keeping up to 10,000 images: protected images are never touched below;
2. release images (tags starting with `v`): keep the newest N;
3. other tag patterns (e.g. `sha-*`, `pr-*`): expire D days after push, one rule per pattern;
4. untagged images: expire D days after push (ECR allows one untagged rule); not with image
   signing, since signatures are untagged artifacts ECR's rules cannot tell apart;
5. archive: images not pulled for D days move to the archive storage class. Its `tagStatus` is
   `any`, which ECR requires to come last, so it only reaches images no rule above selected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RELEASE_TAG_PREFIX = "v"
# ECR: countNumber of imageCountMoreThan is at most 10,000; a protected pattern keeps that many.
PROTECT_COUNT = 10000


@dataclass(frozen=True)
class Retention:
    """What a repository keeps, expires and archives."""

    keep_release_images: int = 30
    """Images tagged `v*` to keep."""
    untagged_expiry_days: int = 7
    protected_tags: tuple[str, ...] = ()
    """Tag patterns no rule expires or archives."""
    expire_tagged_after_days: int | None = None
    expire_tagged_patterns: tuple[str, ...] = ()
    archive_after_days: int | None = None
    """Move images not pulled for this many days to the archive storage class."""
    expire_untagged: bool = True
    """False with image signing: signatures are untagged artifacts that lifecycle rules cannot
    tell from untagged images, so an untagged-expiry rule would delete live images' signatures."""


def _rule(
    priority: int, description: str, selection: dict[str, Any], **action: str
) -> dict[str, Any]:
    return {
        "rulePriority": priority,
        "description": description,
        "selection": selection,
        "action": action or {"type": "expire"},
    }


def _age(days: int, count_type: str = "sinceImagePushed") -> dict[str, Any]:
    return {"countType": count_type, "countUnit": "days", "countNumber": days}


def lifecycle_policy(retention: Retention) -> dict[str, Any]:
    """The lifecycle policy document for `retention`, rules in the order described above."""
    rules: list[dict[str, Any]] = []

    def add(description: str, selection: dict[str, Any], **action: str) -> None:
        rules.append(_rule(len(rules) + 1, description, selection, **action))

    for pattern in retention.protected_tags:
        add(
            f"Protect {pattern}: never expired or archived",
            {"tagStatus": "tagged", "tagPatternList": [pattern],
             "countType": "imageCountMoreThan", "countNumber": PROTECT_COUNT},
        )  # fmt: skip
    add(
        f"Keep the last {retention.keep_release_images} {RELEASE_TAG_PREFIX}* images",
        {"tagStatus": "tagged", "tagPrefixList": [RELEASE_TAG_PREFIX],
         "countType": "imageCountMoreThan", "countNumber": retention.keep_release_images},
    )  # fmt: skip
    if retention.expire_tagged_after_days is not None:
        for pattern in retention.expire_tagged_patterns:
            add(
                f"Expire {pattern} images {retention.expire_tagged_after_days} days after push",
                {"tagStatus": "tagged", "tagPatternList": [pattern],
                 **_age(retention.expire_tagged_after_days)},
            )  # fmt: skip
    if retention.expire_untagged:
        add(
            f"Expire untagged images {retention.untagged_expiry_days} days after push",
            {"tagStatus": "untagged", **_age(retention.untagged_expiry_days)},
        )
    if retention.archive_after_days is not None:
        add(
            f"Archive images not pulled for {retention.archive_after_days} days",
            {"tagStatus": "any", **_age(retention.archive_after_days, "sinceImagePulled")},
            type="transition",
            targetStorageClass="archive",
        )
    return {"rules": rules}
