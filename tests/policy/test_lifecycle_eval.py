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


# --- release_problems against the evaluator (issue 24) ----------------------------------------------

from hypothesis import given  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from policy.ecr_guardrails.lifecycle_eval import release_problems  # noqa: E402

PATTERNS = ["v*", "v1*", "v1.0", "*", "build-*", "latest", "st*"]
TAGS = ["v1.0", "v1.1", "v2.0", "build-1", "build-2", "latest", "stable", "x"]
KEEP, DAYS = 10, 90


@st.composite
def policies(draw):
    rules = []
    for priority in range(1, draw(st.integers(1, 4)) + 1):
        status = draw(st.sampled_from(["tagged", "any", "untagged"]))
        selection = {"tagStatus": status}
        if status == "tagged":
            key = draw(st.sampled_from(["tagPatternList", "tagPrefixList"]))
            values = draw(st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=2))
            selection[key] = (
                [v.rstrip("*") or "v" for v in values] if key == "tagPrefixList" else values
            )
        kind = draw(st.sampled_from(["imageCountMoreThan", "sinceImagePushed"]))
        selection |= {
            "countType": kind,
            "countNumber": draw(st.sampled_from([1, 3, 10, 30, 90, 120])),
        }
        if kind != "imageCountMoreThan":
            selection["countUnit"] = "days"
        rules.append(rule(priority, selection, draw(st.sampled_from(["expire", "transition"]))))
    return {"rules": rules}


@st.composite
def stores(draw):
    count = draw(st.integers(1, 25))
    return [
        image(f"sha256:{i}", draw(st.lists(st.sampled_from(TAGS), max_size=3, unique=True)),
              draw(st.integers(0, 200)))
        for i in range(count)
    ]  # fmt: skip


def _safe(rule_):
    selection = rule_["selection"]
    if selection["countType"] == "imageCountMoreThan":
        return selection["countNumber"] >= KEEP
    return selection["countNumber"] >= DAYS


@hypothesis_settings(max_examples=300, deadline=None)
@given(policies(), stores())
def test_a_policy_release_problems_passes_never_lets_a_hasty_rule_take_a_release(policy, images):
    """Sound by the one evaluator: when release_problems finds nothing, every image carrying a
    `v*` tag that the policy acts on is taken by a rule that keeps KEEP images or waits DAYS."""
    if release_problems(policy, ("v*",), KEEP, DAYS):
        return
    by_priority = {r["rulePriority"]: r for r in policy["rules"]}
    for action in evaluate(policy, images, NOW).actions:
        if any(pattern_matches("v*", t) for t in action.image.tags):
            assert _safe(by_priority[action.rule]), (policy, action)


def test_release_problems_name_the_rule_and_how_to_fix_it():
    policy = {"rules": [rule(1, {"tagStatus": "any", "countType": "sinceImagePushed",
                                 "countUnit": "days", "countNumber": 1})]}  # fmt: skip
    (problem,) = release_problems(policy, ("v*",), KEEP, DAYS)
    assert problem.startswith("rule 1 can expire images tagged v*")
    assert "keep at least 10" in problem and "after 90 days" in problem
