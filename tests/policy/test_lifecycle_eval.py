"""The lifecycle evaluator against the worked examples and rules of AWS's lifecycle documentation."""

import datetime

import pytest

from components.lifecycle import Retention, lifecycle_policy
from policy.ecr_guardrails.lifecycle_eval import Image, evaluate, pattern_matches

NOW = datetime.datetime(2026, 11, 26, tzinfo=datetime.timezone.utc)


def image(name, tags, days_ago, pulled_days_ago=None, storage="standard"):
    return Image(
        digest=name,
        tags=tuple(tags),
        pushed_at=NOW - datetime.timedelta(days=days_ago),
        last_pulled_at=None
        if pulled_days_ago is None
        else NOW - datetime.timedelta(days=pulled_days_ago),
        storage_class=storage,
    )


def rule(priority, selection, action="expire"):
    return {"rulePriority": priority, "selection": selection, "action": {"type": action}}


def taken(policy, images):
    return {
        (a.image.digest, a.rule, a.type) for a in evaluate({"rules": policy}, images, NOW).actions
    }


def test_example_a_of_the_aws_documentation():
    """ECR User Guide, "Examples of lifecycle policies", Example A: rule 2 would take images A and
    B, but A is already taken by rule 1 and B matches rule 1's tags, so only A is expired."""
    images = [
        image("A", ["beta-1", "prod-1"], 10),
        image("B", ["beta-2", "prod-2"], 9),
        image("C", ["beta-3"], 8),
    ]
    policy = [
        rule(
            1,
            {
                "tagStatus": "tagged",
                "tagPrefixList": ["prod"],
                "countType": "imageCountMoreThan",
                "countNumber": 1,
            },
        ),
        rule(
            2,
            {
                "tagStatus": "tagged",
                "tagPrefixList": ["beta"],
                "countType": "imageCountMoreThan",
                "countNumber": 1,
            },
        ),
    ]
    assert taken(policy, images) == {("A", 1, "expire")}
    patterns = [
        dict(
            r,
            selection={k: v for k, v in r["selection"].items() if k != "tagPrefixList"}
            | {"tagPatternList": [r["selection"]["tagPrefixList"][0] + "*"]},
        )
        for r in policy
    ]
    assert taken(patterns, images) == {("A", 1, "expire")}  # the same example with tagPatternList


def test_several_prefixes_select_only_images_carrying_all_of_them():
    """ "If you specify multiple tags, only the images with all specified tags are selected.\""""
    images = [image("both", ["alpha-1", "beta-1"], 5), image("alpha", ["alpha-2"], 4)]
    policy = [
        rule(
            1,
            {
                "tagStatus": "tagged",
                "tagPrefixList": ["alpha", "beta"],
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 1,
            },
        )
    ]
    assert taken(policy, images) == {("both", 1, "expire")}


def test_counts_keep_the_newest_and_ages_take_the_old():
    images = [image(f"v{i}", [f"v1.{i}"], 10 - i) for i in range(5)] + [
        image("u", [], 3),
        image("u-old", [], 30),
    ]
    policy = lifecycle_policy(Retention(keep_release_images=2, untagged_expiry_days=7))["rules"]
    assert taken(policy, images) == {
        ("v0", 1, "expire"),
        ("v1", 1, "expire"),
        ("v2", 1, "expire"),
        ("u-old", 2, "expire"),
    }


def test_protected_tags_are_never_taken_by_lower_rules():
    images = [
        image("old-prod", ["v1.0", "prod-2024"], 400),
        image("old", ["v0.9"], 500),
        image("new", ["v2.0"], 1),
    ]
    policy = lifecycle_policy(Retention(keep_release_images=1, protected_tags=("prod-*",)))["rules"]
    assert taken(policy, images) == {("old", 2, "expire")}


def test_expiring_patterns_spare_release_and_protected_images():
    images = [
        image("sha", ["sha-abc"], 20),
        image("sha-new", ["sha-def"], 2),
        image("rel", ["v1", "sha-111"], 20),
        image("keep", ["stable", "sha-222"], 20),
    ]
    policy = lifecycle_policy(
        Retention(
            keep_release_images=5,
            protected_tags=("stable",),
            expire_tagged_after_days=14,
            expire_tagged_patterns=("sha-*",),
        )
    )["rules"]
    assert taken(policy, images) == {("sha", 3, "expire")}


def test_archive_goes_by_last_pull_and_only_reaches_images_no_other_rule_selects():
    images = [
        image("latest", ["latest"], 300, pulled_days_ago=200),
        image("main", ["main"], 300, pulled_days_ago=5),
        image("never-pulled", ["dev"], 200),
        image("release", ["v1"], 300, pulled_days_ago=200),
        image("gone", ["old"], 300, pulled_days_ago=300, storage="archive"),
    ]
    policy = lifecycle_policy(Retention(keep_release_images=30, archive_after_days=90))["rules"]
    assert taken(policy, images) == {("latest", 3, "transition"), ("never-pulled", 3, "transition")}


def test_a_rule_selects_one_storage_class():
    images = [image("a", ["x"], 200, storage="archive"), image("s", ["x"], 200)]
    policy = [
        rule(
            1,
            {
                "tagStatus": "any",
                "storageClass": "archive",
                "countType": "imageCountMoreThan",
                "countNumber": 0,
            },
        )
    ]
    assert taken(policy, images) == {("a", 1, "expire")}


@pytest.mark.parametrize(
    ("pattern", "tag", "expected"),
    [
        ("prod*", "prod-1", True),
        ("prod*", "xprod", False),
        ("*test*1", "a-test-b1", True),
        ("v1.*", "v1x2", False),
        ("stable", "stable", True),
        ("stable", "stable2", False),
    ],
)
def test_tag_patterns_have_only_one_wildcard(pattern, tag, expected):
    assert pattern_matches(pattern, tag) is expected


def test_images_are_read_as_describe_images_and_the_cli_print_them():
    cli = Image.from_details(
        {
            "imageDigest": "sha256:1",
            "imageTags": ["v1"],
            "imagePushedAt": "2026-01-02T03:04:05+00:00",
            "lastRecordedPullTime": 1767225600.0,
            "imageStatus": "ARCHIVED",
        }
    )
    assert cli.pushed_at == datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    assert cli.last_pulled_at == datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    assert cli.storage_class == "archive"
