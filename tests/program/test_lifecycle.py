import json

import pytest

from components.lifecycle import (
    Retention,
    lifecycle_policy,
    tag_selection,
    unbounded_archive_warning,
)
from tests.support.ecr_rules import lifecycle_problems


def test_seed_rules_keep_30_release_images_and_expire_untagged_after_7_days():
    rules = lifecycle_policy(Retention(30, 7))["rules"]
    assert [r["selection"] for r in rules] == [
        {
            "tagStatus": "tagged",
            "tagPrefixList": ["v"],
            "countType": "imageCountMoreThan",
            "countNumber": 30,
        },
        {
            "tagStatus": "untagged",
            "countType": "sinceImagePushed",
            "countUnit": "days",
            "countNumber": 7,
        },
    ]
    assert [r["action"] for r in rules] == [{"type": "expire"}] * 2


def test_every_retention_key_becomes_a_rule_in_the_order_ecr_needs():
    retention = Retention(10, 3, ("prod-*", "stable"), 14, ("sha-*", "pr-*"), 120)
    rules = lifecycle_policy(retention)["rules"]
    assert [r["rulePriority"] for r in rules] == list(range(1, 8))
    assert [r["selection"].get("tagPatternList") for r in rules[:2]] == [["prod-*"], ["stable"]]
    assert rules[2]["selection"]["tagPrefixList"] == ["v"]
    assert [r["selection"]["tagPatternList"] for r in rules[3:5]] == [["sha-*"], ["pr-*"]]
    assert rules[5]["selection"]["tagStatus"] == "untagged"
    archive = rules[6]
    assert archive["selection"] == {
        "tagStatus": "any",
        "countType": "sinceImagePulled",
        "countUnit": "days",
        "countNumber": 120,
    }
    assert archive["action"] == {"type": "transition", "targetStorageClass": "archive"}
    assert lifecycle_problems(lifecycle_policy(retention)) == []


@pytest.mark.parametrize(("count", "days"), [(1, 1), (30, 7), (10000, 3650)])
def test_documents_are_valid_for_ecr_across_the_allowed_range(count, days):
    document = lifecycle_policy(Retention(count, days, ("a*b*c*d*",), days, ("x",), days))
    assert lifecycle_problems(document) == []
    assert 100 <= len(json.dumps(document)) <= 30720  # PutLifecyclePolicy's text limits


def test_the_rule_checker_catches_what_ecr_rejects():
    bad = lifecycle_policy(Retention(30, 7))
    bad["rules"][1]["rulePriority"] = 1
    bad["rules"][1]["selection"]["tagPrefixList"] = ["v"]
    bad["rules"][0]["selection"]["countNumber"] = 0
    assert len(lifecycle_problems(bad)) == 3


class Extra:
    """A team rule as components.settings.ExtraLifecycleRule gives it."""

    def __init__(self, tag_status, name):
        self.tag_status, self.name = tag_status, name

    def rule(self, priority):
        return {"rulePriority": priority, "description": self.name}


def test_every_key_gives_the_document_written_out():
    retention = Retention(
        keep_release_images=5,
        untagged_expiry_days=3,
        protected_tags=("prod-*",),
        expire_tagged_after_days=14,
        expire_tagged_patterns=("sha-*",),
        archive_after_days=90,
        release_patterns=("v*", "release-*", "*.*.*"),
        archive_old_releases=True,
        expire_archived_after_days=365,
        extra_rules=(Extra("any", "team any"), Extra("tagged", "team tagged")),
    )
    to_archive = {"type": "transition", "targetStorageClass": "archive"}
    assert lifecycle_policy(retention) == {"rules": [
        {"rulePriority": 1, "description": "Protect prod-*: never expired or archived",
         "selection": {"tagStatus": "tagged", "tagPatternList": ["prod-*"],
                       "countType": "imageCountMoreThan", "countNumber": 10000},
         "action": {"type": "expire"}},
        {"rulePriority": 2,
         "description": "Keep the last 5 v* images in standard storage, archive older ones",
         "selection": {"tagStatus": "tagged", "tagPrefixList": ["v"],
                       "countType": "imageCountMoreThan", "countNumber": 5},
         "action": to_archive},
        {"rulePriority": 3,
         "description": "Keep the last 5 release-* images in standard storage, archive older ones",
         "selection": {"tagStatus": "tagged", "tagPrefixList": ["release-"],
                       "countType": "imageCountMoreThan", "countNumber": 5},
         "action": to_archive},
        {"rulePriority": 4,
         "description": "Keep the last 5 *.*.* images in standard storage, archive older ones",
         "selection": {"tagStatus": "tagged", "tagPatternList": ["*.*.*"],
                       "countType": "imageCountMoreThan", "countNumber": 5},
         "action": to_archive},
        {"rulePriority": 5, "description": "Expire sha-* images 14 days after push",
         "selection": {"tagStatus": "tagged", "tagPatternList": ["sha-*"],
                       "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
         "action": {"type": "expire"}},
        {"rulePriority": 6, "description": "team tagged"},
        {"rulePriority": 7, "description": "Expire untagged images 3 days after push",
         "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                       "countUnit": "days", "countNumber": 3},
         "action": {"type": "expire"}},
        {"rulePriority": 8, "description": "Archive images not pulled for 90 days",
         "selection": {"tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days",
                       "countNumber": 90},
         "action": to_archive},
        {"rulePriority": 9, "description": "team any"},
        {"rulePriority": 10, "description": "Expire archived images 365 days after they were archived",
         "selection": {"tagStatus": "any", "storageClass": "archive",
                       "countType": "sinceImageTransitioned", "countUnit": "days",
                       "countNumber": 365},
         "action": {"type": "expire"}},
    ]}  # fmt: skip


def test_signed_repositories_get_no_untagged_rule_and_patterns_without_days_no_expiry():
    rules = lifecycle_policy(
        Retention(3, 7, expire_untagged=False, expire_tagged_patterns=("sha-*",))
    )["rules"]
    assert [r["description"] for r in rules] == ["Keep the last 3 v* images"]
    assert rules[0]["action"] == {"type": "expire"}


@pytest.mark.parametrize(
    ("pattern", "selection"),
    [
        ("v*", {"tagPrefixList": ["v"]}),
        ("release-*", {"tagPrefixList": ["release-"]}),
        ("*", {"tagPatternList": ["*"]}),
        ("**", {"tagPatternList": ["**"]}),
        ("v*.*", {"tagPatternList": ["v*.*"]}),
        ("*-rc", {"tagPatternList": ["*-rc"]}),
        ("stable", {"tagPatternList": ["stable"]}),
    ],
)
def test_a_trailing_star_pattern_is_a_prefix_and_anything_else_a_pattern(pattern, selection):
    assert tag_selection(pattern) == selection


@pytest.mark.parametrize(
    ("archive_after_days", "archive_old_releases", "expire_archived_after_days", "unbounded"),
    [
        (None, False, None, False),
        (90, False, None, True),
        (None, True, None, True),
        (90, True, 365, False),
        (None, False, 365, False),
    ],
)
def test_an_archive_nothing_expires_is_warned_about(
    archive_after_days, archive_old_releases, expire_archived_after_days, unbounded
):
    retention = Retention(
        archive_after_days=archive_after_days,
        archive_old_releases=archive_old_releases,
        expire_archived_after_days=expire_archived_after_days,
    )
    assert retention.archive_unbounded is unbounded
    warning = unbounded_archive_warning("api", retention)
    if unbounded:
        assert warning == (
            "api: images are archived but never expire from the archive, so it grows without "
            "bound (archived storage is billed, at least 90 days per image): set "
            "expireArchivedAfterDays (>= 90) to delete archived images that many days after "
            "archiving"
        )
    else:
        assert warning is None
