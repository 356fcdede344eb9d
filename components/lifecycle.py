"""The ECR lifecycle policy document (pure), built from a service's retention settings.

ECR evaluates rules in priority order, and an image that matches the tag requirements of a rule can
never be expired (or archived) by a rule of lower priority (ECR User Guide, "Lifecycle policy
evaluation rules"). So the document is ordered:

1. protected tags: one rule per pattern (a tagPatternList with several patterns selects only images
   carrying *all* of them), keeping up to 10,000 images: protected images are never touched below;
2. release images (tags matching a release pattern, `v*` unless the stack names others): keep
   the newest N of each pattern, expiring (or, with archiveOldReleases, archiving) older ones;
3. other tag patterns (e.g. `sha-*`, `pr-*`): expire D days after push, one rule per pattern;
   then the team's own rules (extraLifecycleRules) that select tagged or untagged images;
4. untagged images: expire D days after push (ECR allows one untagged rule); not with image
   signing, since signatures are untagged artifacts ECR's rules cannot tell apart;
5. archive: images not pulled for D days move to the archive storage class. Its `tagStatus` is
   `any`, which ECR requires to come last, so it only reaches images no rule above selected;
   then the team's own `any` rules;
6. archive expiry: archived images expire D days (at least 90, ECR's minimum) after their
   transition. It selects the archive storage class, which no rule above selects, so it is the
   only rule that ever deletes from the archive; it is also `any`, so it comes last.

ECR offers no "expire what nobody pulls": `sinceImagePulled` only transitions to the archive (ECR
User Guide, "Examples of lifecycle policies"). Unpulled images are deleted by archiving them (5)
and expiring the archive (6): at the earliest archiveAfterDays + 90 days after the last pull.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RELEASE_TAG_PATTERNS = ("v*",)
"""What a release image is unless the stack says otherwise: a tag starting with `v`."""
# ECR: countNumber of imageCountMoreThan is at most 10,000; a protected pattern keeps that many.
PROTECT_COUNT = 10000


@dataclass(frozen=True)
class Retention:
    """What a repository keeps, expires and archives."""

    keep_release_images: int = 30
    """Release images to keep, per release pattern."""
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
    release_patterns: tuple[str, ...] = RELEASE_TAG_PATTERNS
    """Tag patterns of release images (`*` matches any run of characters)."""
    archive_old_releases: bool = False
    """Release images beyond the newest N move to the archive instead of expiring."""
    expire_archived_after_days: int | None = None
    """Archived images expire this many days after their transition (ECR: at least 90)."""
    extra_rules: tuple[Any, ...] = ()
    """The team's own rules: objects with `tag_status` and `rule(priority) -> dict`
    (components.settings.ExtraLifecycleRule)."""

    @property
    def archive_unbounded(self) -> bool:
        """Images go to the archive and no rule ever deletes them there."""
        archives = self.archive_after_days is not None or self.archive_old_releases
        return archives and self.expire_archived_after_days is None


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


def tag_selection(pattern: str) -> dict[str, list[str]]:
    """A pattern's tag requirement. `prefix*` is written as a tagPrefixList, which selects the same
    images and is what release rules have always said (`v*` -> `["v"]`), so policies stay byte
    identical; anything else is a tagPatternList."""
    literal = pattern[:-1]
    if pattern.endswith("*") and literal and "*" not in literal:
        return {"tagPrefixList": [literal]}
    return {"tagPatternList": [pattern]}


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
    keep = retention.keep_release_images
    for pattern in retention.release_patterns:
        selection = {"tagStatus": "tagged", **tag_selection(pattern),
                     "countType": "imageCountMoreThan", "countNumber": keep}  # fmt: skip
        if retention.archive_old_releases:
            add(
                f"Keep the last {keep} {pattern} images in standard storage, archive older ones",
                selection,
                type="transition",
                targetStorageClass="archive",
            )
        else:
            add(f"Keep the last {keep} {pattern} images", selection)
    if retention.expire_tagged_after_days is not None:
        for pattern in retention.expire_tagged_patterns:
            add(
                f"Expire {pattern} images {retention.expire_tagged_after_days} days after push",
                {"tagStatus": "tagged", "tagPatternList": [pattern],
                 **_age(retention.expire_tagged_after_days)},
            )  # fmt: skip
    for extra in retention.extra_rules:
        if extra.tag_status != "any":
            rules.append(extra.rule(len(rules) + 1))
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
    for extra in retention.extra_rules:
        if extra.tag_status == "any":
            rules.append(extra.rule(len(rules) + 1))
    if retention.expire_archived_after_days is not None:
        days = retention.expire_archived_after_days
        add(
            f"Expire archived images {days} days after they were archived",
            {"tagStatus": "any", "storageClass": "archive", **_age(days, "sinceImageTransitioned")},
        )
    return {"rules": rules}


def unbounded_archive_warning(name: str, retention: Retention) -> str | None:
    """What the plan says when images go to the archive and nothing ever deletes them there."""
    if not retention.archive_unbounded:
        return None
    return (
        f"{name}: images are archived but never expire from the archive, so it grows without "
        "bound (archived storage is billed, at least 90 days per image): set "
        "expireArchivedAfterDays (>= 90) to delete archived images that many days after archiving"
    )
