"""The lifecycle evaluator against the worked examples and rules of AWS's lifecycle documentation."""

import datetime
import re
import time

import pytest

from components.lifecycle import Retention, lifecycle_policy
from policy.ecr_guardrails.lifecycle_eval import (
    Image,
    evaluate,
    pattern_matches,
    policy_problems,
    timestamp,
)

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


# --- times as DescribeImages, the AWS CLI and exported JSON give them ------------------------------

UTC = datetime.timezone.utc
PUSHED = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        PUSHED,  # boto3: an aware datetime
        PUSHED.astimezone(datetime.timezone(datetime.timedelta(hours=2))),  # boto3 in local time
        PUSHED.replace(tzinfo=None),  # naive: UTC, as the API's epoch seconds are
        "2026-01-02T03:04:05+00:00",  # the AWS CLI's JSON
        "2026-01-02T03:04:05Z",
        "2026-01-02T05:04:05+02:00",  # the same instant, written in another offset
        "2026-01-01T22:04:05-05:00",
        "2026-01-02T03:04:05",  # naive text: UTC
        1767323045,  # epoch seconds
        1767323045.0,
    ],
)
def test_a_time_in_any_form_or_offset_is_the_same_instant_in_utc(value):
    moment = timestamp(value)
    assert moment == PUSHED
    assert moment.utcoffset() is not None  # always aware, so it compares with NOW
    assert moment - NOW == PUSHED - NOW


def test_epoch_seconds_are_utc_whatever_the_machines_time_zone(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert timestamp(1767323045) == PUSHED
        assert timestamp(1767323045).utcoffset() == datetime.timedelta(0)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_naive_time_is_read_as_utc_not_local_time():
    assert timestamp(datetime.datetime(2026, 1, 2, 3, 4, 5)).tzinfo == UTC
    assert timestamp("2026-01-02T03:04:05").tzinfo == UTC
    assert timestamp(0) == datetime.datetime(1970, 1, 1, tzinfo=UTC)
    # An aware time keeps its own offset (and instant).
    plus_two = datetime.timezone(datetime.timedelta(hours=2))
    assert timestamp(PUSHED.astimezone(plus_two)).utcoffset() == datetime.timedelta(hours=2)


@pytest.mark.parametrize("value", [None, [2026, 1, 2], datetime.date(2026, 1, 2)])
def test_what_is_not_a_time_is_refused_naming_it(value):
    with pytest.raises(ValueError, match=r"^not a time: " + re.escape(repr(value)) + "$"):
        timestamp(value)


def test_every_field_lifecycle_rules_read_comes_from_describe_images():
    """imageDetails as DescribeImages returns it with imageStatus ANY (botocore's ECR model:
    lastRecordedPullTime, lastArchivedAt, lastActivatedAt, imageStatus)."""
    details = {
        "imageDigest": "sha256:abc",
        "imageTags": ["v1", "latest"],
        "imagePushedAt": "2025-01-01T00:00:00Z",
        "lastRecordedPullTime": "2025-02-01T00:00:00+01:00",
        "imageStatus": "ARCHIVED",
        "lastArchivedAt": "2025-03-01T12:00:00-02:00",
        "lastActivatedAt": 1740787200,  # 2025-03-01T00:00:00Z
    }
    assert Image.from_details(details) == Image(
        digest="sha256:abc",
        tags=("v1", "latest"),
        pushed_at=datetime.datetime(2025, 1, 1, tzinfo=UTC),
        last_pulled_at=datetime.datetime(2025, 1, 31, 23, tzinfo=UTC),
        storage_class="archive",
        archived_at=datetime.datetime(2025, 3, 1, 14, tzinfo=UTC),
        activated_at=datetime.datetime(2025, 3, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("status", "storage"),
    [
        (None, "standard"),  # DescribeImages without the status filter: active images only
        ("ACTIVE", "standard"),
        ("ACTIVATING", "standard"),  # being restored: no longer in the archive class
        ("ARCHIVED", "archive"),
        ("archived", "archive"),
    ],
)
def test_only_archived_images_are_in_the_archive_storage_class(status, storage):
    details = {"imageDigest": "sha256:1", "imagePushedAt": PUSHED}
    if status is not None:
        details["imageStatus"] = status
    image = Image.from_details(details)
    assert image.storage_class == storage
    assert (image.tags, image.last_pulled_at, image.archived_at, image.activated_at) == (
        (),  # an untagged image has no imageTags key
        None,
        None,
        None,
    )


def test_an_untagged_image_may_carry_an_empty_or_null_tag_list():
    for tags in ([], None):
        image = Image.from_details({"imageDigest": "d", "imageTags": tags, "imagePushedAt": PUSHED})
        assert image.tags == ()


# --- ECR's evaluation, case by case ---------------------------------------------------------------


def archived(name, tags, days_ago, archived_days_ago):
    return Image(
        digest=name,
        tags=tuple(tags),
        pushed_at=NOW - datetime.timedelta(days=days_ago),
        storage_class="archive",
        archived_at=NOW - datetime.timedelta(days=archived_days_ago),
    )


def test_archived_images_expire_by_the_time_they_were_archived_not_pushed():
    """ECR User Guide, "Lifecycle policy properties": sinceImageTransitioned counts from when the
    image was archived (lastArchivedAt)."""
    images = [
        archived("long-ago", ["a"], 900, 400),
        archived("recent", ["b"], 900, 100),  # pushed long ago, archived recently: stays
        image("standard", ["c"], 900),  # not archived: not selected
    ]
    policy = [
        rule(
            1,
            {
                "tagStatus": "any",
                "storageClass": "archive",
                "countType": "sinceImageTransitioned",
                "countUnit": "days",
                "countNumber": 365,
            },
        )
    ]
    assert taken(policy, images) == {("long-ago", 1, "expire")}


def test_since_pulled_counts_from_the_later_of_the_last_pull_and_the_restore():
    """A restored image not pulled since counts from its restore (lastActivatedAt); one pulled
    after its restore counts from the pull; one never pulled nor restored from its push."""

    def restored(name, pushed, pulled, activated):
        return Image(
            digest=name,
            tags=("x",),
            pushed_at=NOW - datetime.timedelta(days=pushed),
            last_pulled_at=None if pulled is None else NOW - datetime.timedelta(days=pulled),
            activated_at=None if activated is None else NOW - datetime.timedelta(days=activated),
        )

    images = [
        restored("restored-recently", 900, 400, 10),
        restored("pulled-after-restore", 900, 5, 400),
        restored("restored-never-pulled", 900, None, 10),
        restored("stale", 900, 400, 300),
        restored("never-pulled", 100, None, None),
        restored("new", 30, None, None),
    ]
    policy = [
        rule(
            1,
            {"tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days",
             "countNumber": 90},
            "transition",
        )
    ]  # fmt: skip
    assert taken(policy, images) == {("stale", 1, "transition"), ("never-pulled", 1, "transition")}


def test_an_age_counts_only_images_older_than_the_number_of_days():
    """ "more than countNumber days": an image exactly that old stays."""
    images = [
        Image("exact", ("x",), NOW - datetime.timedelta(days=14)),
        Image("older", ("x",), NOW - datetime.timedelta(days=14, seconds=1)),
    ]
    policy = [
        rule(1, {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days",
                 "countNumber": 14})
    ]  # fmt: skip
    assert taken(policy, images) == {("older", 1, "expire")}


def test_any_selects_untagged_images_too():
    images = [image("tagged", ["x"], 10), image("untagged", [], 10)]
    policy = [rule(1, {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 0})]
    assert taken(policy, images) == {("tagged", 1, "expire"), ("untagged", 1, "expire")}


def test_untagged_and_tagged_rules_split_the_images():
    images = [image("tagged", ["x"], 10), image("untagged", [], 10)]
    untagged = [rule(1, {"tagStatus": "untagged", "countType": "imageCountMoreThan",
                         "countNumber": 0})]  # fmt: skip
    tagged = [rule(1, {"tagStatus": "tagged", "tagPatternList": ["*"],
                       "countType": "imageCountMoreThan", "countNumber": 0})]  # fmt: skip
    assert taken(untagged, images) == {("untagged", 1, "expire")}
    assert taken(tagged, images) == {("tagged", 1, "expire")}


def test_several_patterns_select_only_images_matching_all_of_them():
    images = [image("both", ["prod-1", "v1"], 5), image("prod", ["prod-2"], 4)]
    policy = [
        rule(1, {"tagStatus": "tagged", "tagPatternList": ["prod-*", "v*"],
                 "countType": "imageCountMoreThan", "countNumber": 0})
    ]  # fmt: skip
    assert taken(policy, images) == {("both", 1, "expire")}


def test_the_storage_class_is_read_case_insensitively_and_defaults_to_standard():
    images = [image("s", ["x"], 10), image("a", ["x"], 10, storage="archive")]
    count = {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 0}
    assert taken([rule(1, count)], images) == {("s", 1, "expire")}
    assert taken([rule(1, count | {"storageClass": "ARCHIVE"})], images) == {("a", 1, "expire")}


def test_rules_run_in_numeric_priority_order_and_an_image_is_taken_once():
    """Priority 10 runs after priority 9 (numbers, not text); the image both would take goes to
    the first; the action type is read case-insensitively and defaults to expire."""
    images = [image("old", ["x"], 100), image("new", ["y"], 1)]
    age = {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days",
           "countNumber": 30}  # fmt: skip
    policy = [
        {"rulePriority": 10, "selection": age, "action": {"type": "expire"}},
        {"rulePriority": 9, "selection": age, "action": {"type": "TRANSITION"}},
    ]
    assert taken(policy, images) == {("old", 9, "transition")}
    assert taken([{"rulePriority": 1, "selection": age}], images) == {("old", 1, "expire")}
    assert taken([{"rulePriority": 1, "selection": age, "action": {}}], images) == {
        ("old", 1, "expire")
    }


def test_an_image_taken_by_a_rule_is_not_counted_twice_within_it():
    images = [image(f"i{n}", ["x"], n) for n in range(1, 6)]
    evaluation = evaluate(
        {"rules": [rule(1, {"tagStatus": "any", "countType": "imageCountMoreThan",
                            "countNumber": 2})]},
        images,
        NOW,
    )  # fmt: skip
    # Oldest first, each once.
    assert [a.image.digest for a in evaluation.actions] == ["i5", "i4", "i3"]
    assert [a.image.digest for a in evaluation.of_type("expire")] == ["i5", "i4", "i3"]
    assert evaluation.of_type("transition") == []


def test_images_pushed_at_the_same_second_are_ordered_by_digest():
    images = [image("b", ["x"], 10), image("a", ["x"], 10), image("c", ["x"], 10)]
    count = {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}
    assert taken([rule(1, count)], images) == {("a", 1, "expire"), ("b", 1, "expire")}


def test_a_draft_without_rules_selection_action_or_count_is_evaluated_without_failing():
    """What tools.retention may be given before the grammar check names its problems: no rules
    take nothing; a rule without a selection or count takes nothing; one without
    countNumber counts from zero."""
    images = [image("t", ["x"], 10), image("u", [], 10)]
    assert evaluate({}, images, NOW).actions == []
    assert taken([{"rulePriority": 1}], images) == set()
    assert taken([{"rulePriority": 1, "selection": {"tagStatus": "any",
                  "countType": "imageCountMoreThan"}}], images) == {("t", 1, "expire"),
                                                                   ("u", 1, "expire")}  # fmt: skip


# --- what PutLifecyclePolicy refuses: each problem named by rule and field ------------------------
#
# ECR User Guide, "Lifecycle policy properties": rulePriority a unique positive integer; tagStatus
# tagged | untagged | any, with tagPrefixList or tagPatternList (not both) only for tagged, up to
# four `*` per pattern; countType imageCountMoreThan (no countUnit) or sinceImagePushed /
# sinceImagePulled / sinceImageTransitioned (countUnit days); archived images stay at least 90
# days; transition only to archive, and only by age; an `any` rule must come last.


def ecr_rule(priority=1, action=None, description=None, **selection):
    found = {
        "rulePriority": priority,
        "selection": selection,
        "action": action or {"type": "expire"},
    }
    if description is not None:
        found["description"] = description
    return found


COUNT = {"countType": "imageCountMoreThan", "countNumber": 5}
AGE = {"countType": "sinceImagePushed", "countUnit": "days", "countNumber": 5}
ARCHIVE_AGE = {"storageClass": "archive", "countType": "sinceImageTransitioned",
               "countUnit": "days"}  # fmt: skip
TO_ARCHIVE = {"type": "transition", "targetStorageClass": "archive"}
ANY_TYPES = "imageCountMoreThan, sinceImagePushed, sinceImagePulled, sinceImageTransitioned"

REFUSED = {
    "no rules": ({}, ["rules: must be a non-empty list of rules"]),
    "an empty list": ({"rules": []}, ["rules: must be a non-empty list of rules"]),
    "rules not a list": ({"rules": "x"}, ["rules: must be a non-empty list of rules"]),
    "a rule not an object": ({"rules": ["x"]}, ["rule #1: must be an object"]),
    "unknown rule fields": (
        {"rules": [ecr_rule(tagStatus="any", **COUNT) | {"extra": 1, "Another": 2}]},
        ["rule 1: unknown field 'Another'", "rule 1: unknown field 'extra'"],
    ),
    "priority 0": (
        {"rules": [ecr_rule(0, tagStatus="any", **COUNT)]},
        ["rule 0: rulePriority must be a positive integer, not 0"],
    ),
    "priority true": (
        {"rules": [ecr_rule(True, tagStatus="any", **COUNT)]},
        ["rule True: rulePriority must be a positive integer, not True"],
    ),
    "priority as text": (
        {"rules": [ecr_rule("1", tagStatus="any", **COUNT)]},
        ["rule 1: rulePriority must be a positive integer, not '1'"],
    ),
    "no priority: named by position": (
        {
            "rules": [
                ecr_rule(1, tagStatus="untagged", **COUNT),
                {"selection": {"tagStatus": "any", **COUNT}, "action": {"type": "expire"}},
            ]
        },
        ["rule #2: rulePriority must be a positive integer, not None"],
    ),
    "description not text": (
        {"rules": [ecr_rule(1, description=5, tagStatus="any", **COUNT)]},
        ["rule 1 (5): description must be a string"],
    ),
    "no selection": (
        {"rules": [{"rulePriority": 1, "description": "d", "action": {"type": "expire"}}]},
        ["rule 1 (d): selection must be an object"],
    ),
    "no action": (
        {"rules": [{"rulePriority": 1, "selection": {"tagStatus": "any", **COUNT}}]},
        ["rule 1: action must be an object"],
    ),
    "unknown selection field": (
        {"rules": [ecr_rule(tagStatus="any", countunit="days", **COUNT)]},
        ["rule 1: selection has unknown field 'countunit'"],
    ),
    "no tagStatus": (
        {"rules": [ecr_rule(**COUNT)]},
        ["rule 1: selection.tagStatus must be one of tagged, untagged, any"],
    ),
    "both tag lists": (
        {
            "rules": [
                ecr_rule(tagStatus="tagged", tagPrefixList=["a"], tagPatternList=["a*"], **COUNT)
            ]
        },
        ["rule 1: selection has tagPrefixList and tagPatternList; give one"],
    ),
    "tagged without a list": (
        {"rules": [ecr_rule(tagStatus="tagged", **COUNT)]},
        ["rule 1: selection.tagStatus tagged needs tagPatternList or tagPrefixList"],
    ),
    "untagged with prefixes": (
        {"rules": [ecr_rule(tagStatus="untagged", tagPrefixList=["a"], **COUNT)]},
        ["rule 1: selection.tagPrefixList is only allowed with tagStatus tagged"],
    ),
    "any with patterns": (
        {"rules": [ecr_rule(tagStatus="any", tagPatternList=["a*"], **COUNT)]},
        ["rule 1: selection.tagPatternList is only allowed with tagStatus tagged"],
    ),
    "an empty prefix list": (
        {"rules": [ecr_rule(tagStatus="tagged", tagPrefixList=[], **COUNT)]},
        ["rule 1: selection.tagPrefixList must be a non-empty list of strings"],
    ),
    "both lists, each wrong: both named": (
        {
            "rules": [
                ecr_rule(
                    tagStatus="tagged", tagPrefixList=[], tagPatternList=["a*b*c*d*e*"], **COUNT
                )
            ]
        },
        [
            "rule 1: selection has tagPrefixList and tagPatternList; give one",
            "rule 1: selection.tagPrefixList must be a non-empty list of strings",
            "rule 1: selection.tagPatternList entry 'a*b*c*d*e*' has more than 4 `*`",
        ],
    ),
    "a pattern, not a list": (
        {"rules": [ecr_rule(tagStatus="tagged", tagPatternList="a*", **COUNT)]},
        ["rule 1: selection.tagPatternList must be a non-empty list of strings"],
    ),
    "entries that are not tag text": (
        {"rules": [ecr_rule(tagStatus="tagged", tagPrefixList=["", 5, "ok"], **COUNT)]},
        [
            "rule 1: selection.tagPrefixList entry '' is not a tag text",
            "rule 1: selection.tagPrefixList entry 5 is not a tag text",
        ],
    ),
    "five wildcards in a pattern (four are allowed)": (
        {
            "rules": [
                ecr_rule(tagStatus="tagged", tagPatternList=["a*b*c*d*", "*a*b*c*d*e"], **COUNT)
            ]
        },
        ["rule 1: selection.tagPatternList entry '*a*b*c*d*e' has more than 4 `*`"],
    ),
    "no count": (
        {"rules": [ecr_rule(tagStatus="any")]},
        [
            f"rule 1: selection.countType must be one of {ANY_TYPES}",
            "rule 1: selection.countNumber must be a positive integer, not None",
        ],
    ),
    "count 0": (
        {"rules": [ecr_rule(tagStatus="any", countType="imageCountMoreThan", countNumber=0)]},
        ["rule 1: selection.countNumber must be a positive integer, not 0"],
    ),
    "count true": (
        {"rules": [ecr_rule(tagStatus="any", countType="imageCountMoreThan", countNumber=True)]},
        ["rule 1: selection.countNumber must be a positive integer, not True"],
    ),
    "count as text": (
        {"rules": [ecr_rule(tagStatus="any", countType="imageCountMoreThan", countNumber="5")]},
        ["rule 1: selection.countNumber must be a positive integer, not '5'"],
    ),
    "more than 10000 images": (
        {"rules": [ecr_rule(tagStatus="any", countType="imageCountMoreThan", countNumber=10001)]},
        ["rule 1: selection.countNumber of imageCountMoreThan is at most 10000"],
    ),
    "archived for less than 90 days": (
        {"rules": [ecr_rule(tagStatus="any", countNumber=89, **ARCHIVE_AGE)]},
        [
            "rule 1: selection.countNumber of sinceImageTransitioned is at least 90 (archived "
            "images stay 90 days)"
        ],
    ),
    "an age without a unit": (
        {
            "rules": [
                ecr_rule(
                    tagStatus="any", countType="sinceImagePulled", countNumber=5, action=TO_ARCHIVE
                )
            ]
        },
        ["rule 1: selection.countUnit must be days with countType sinceImagePulled"],
    ),
    "an age in hours": (
        {
            "rules": [
                ecr_rule(
                    tagStatus="any", countType="sinceImagePushed", countUnit="hours", countNumber=5
                )
            ]
        },
        ["rule 1: selection.countUnit must be days with countType sinceImagePushed"],
    ),
    "a count with a unit": (
        {"rules": [ecr_rule(tagStatus="any", countUnit="days", **COUNT)]},
        ["rule 1: selection.countUnit is not allowed with imageCountMoreThan"],
    ),
    "sinceImageTransitioned without a storage class": (
        {
            "rules": [
                ecr_rule(
                    tagStatus="any",
                    countType="sinceImageTransitioned",
                    countUnit="days",
                    countNumber=90,
                )
            ]
        },
        ["rule 1: selection.storageClass archive is required with sinceImageTransitioned"],
    ),
    "sinceImageTransitioned on standard images": (
        {
            "rules": [
                ecr_rule(
                    tagStatus="any", countNumber=90, **ARCHIVE_AGE | {"storageClass": "standard"}
                )
            ]
        },
        ["rule 1: selection.storageClass must be archive with countType sinceImageTransitioned"],
    ),
    "a count over archived images": (
        {"rules": [ecr_rule(tagStatus="any", storageClass="archive", **COUNT)]},
        ["rule 1: selection.storageClass must be standard with countType imageCountMoreThan"],
    ),
    "an unknown count type: only that is named": (
        {
            "rules": [
                ecr_rule(tagStatus="any", storageClass="archive", countType="x", countNumber=5)
            ]
        },
        [f"rule 1: selection.countType must be one of {ANY_TYPES}"],
    ),
    "an unknown action field": (
        {
            "rules": [
                ecr_rule(tagStatus="any", action={"type": "expire", "targetStorage": "a"}, **COUNT)
            ]
        },
        ["rule 1: action has unknown field 'targetStorage'"],
    ),
    "expire with a target": (
        {
            "rules": [
                ecr_rule(
                    tagStatus="any",
                    action={"type": "expire", "targetStorageClass": "archive"},
                    **COUNT,
                )
            ]
        },
        ["rule 1: action.targetStorageClass is only for type transition"],
    ),
    "expire by last pull": (
        {
            "rules": [
                ecr_rule(
                    tagStatus="any", countType="sinceImagePulled", countUnit="days", countNumber=5
                )
            ]
        },
        [
            "rule 1: action.type expire cannot go with sinceImagePulled (ECR only archives by pull "
            "time: transition, then expire with sinceImageTransitioned)"
        ],
    ),
    "transition to standard": (
        {
            "rules": [
                ecr_rule(
                    tagStatus="any",
                    action={"type": "transition", "targetStorageClass": "standard"},
                    **AGE,
                )
            ]
        },
        ["rule 1: action.targetStorageClass must be archive with transition"],
    ),
    "transition without a target": (
        {"rules": [ecr_rule(tagStatus="any", action={"type": "transition"}, **AGE)]},
        ["rule 1: action.targetStorageClass must be archive with transition"],
    ),
    "transition of archived images": (
        {"rules": [ecr_rule(tagStatus="any", action=TO_ARCHIVE, countNumber=90, **ARCHIVE_AGE)]},
        [
            "rule 1: action.type transition cannot go with sinceImageTransitioned (it selects "
            "archived images, which can only expire)"
        ],
    ),
    "an unknown action": (
        {"rules": [ecr_rule(tagStatus="any", action={"type": "delete"}, **COUNT)]},
        ["rule 1: action.type must be expire or transition, not 'delete'"],
    ),
    "no action type": (
        {"rules": [ecr_rule(tagStatus="any", action={"targetStorageClass": "archive"}, **COUNT)]},
        ["rule 1: action.type must be expire or transition, not None"],
    ),
    "repeated priorities, and any before a later rule": (
        {
            "rules": [
                ecr_rule(1, tagStatus="untagged", **AGE),
                ecr_rule(1, tagStatus="tagged", tagPrefixList=["a"], **COUNT),
                ecr_rule(2, tagStatus="tagged", tagPrefixList=["b"], **COUNT),
                ecr_rule(2, tagStatus="any", **COUNT),
                ecr_rule(3, tagStatus="tagged", tagPatternList=["c*"], **COUNT),
            ]
        },
        [
            "rulePriority values must be unique: [1, 2] used more than once",
            "rule 2: selection.tagStatus any must have the highest rulePriority (rule 3 comes after "
            "it)",
        ],
    ),
    "any rules before the last specific one, listed out of order": (
        {
            "rules": [
                ecr_rule(3, tagStatus="tagged", tagPrefixList=["b"], **COUNT),
                ecr_rule(1, tagStatus="any", **COUNT),
                ecr_rule(2, tagStatus="any", **AGE),
                ecr_rule(4, tagStatus="untagged", **AGE),
            ]
        },
        [
            "rule 1: selection.tagStatus any must have the highest rulePriority (rule 4 comes after "
            "it)",
            "rule 2: selection.tagStatus any must have the highest rulePriority (rule 4 comes after "
            "it)",
        ],
    ),
    "two untagged rules in standard storage (one in archive is another class)": (
        {
            "rules": [
                ecr_rule(2, description="second", tagStatus="untagged", **AGE),
                ecr_rule(1, tagStatus="untagged", **COUNT),
                ecr_rule(3, tagStatus="untagged", countNumber=90, **ARCHIVE_AGE),
            ]
        },
        ["rule 2 (second): selects untagged images in standard storage as rule 1 does"],
    ),
    "the same tag prefixes in any order (patterns are not compared)": (
        {
            "rules": [
                ecr_rule(1, tagStatus="tagged", tagPatternList=["a*"], **AGE),
                ecr_rule(2, tagStatus="tagged", tagPrefixList=["b", "a"], **COUNT),
                ecr_rule(3, tagStatus="tagged", tagPrefixList=["a", "b"], **AGE),
                ecr_rule(4, tagStatus="tagged", tagPrefixList=["a", "b"], **AGE),
                ecr_rule(5, tagStatus="tagged", tagPrefixList=["a"], **AGE),
                ecr_rule(6, tagStatus="tagged", tagPatternList=["a*"], **AGE),
                ecr_rule(7, tagStatus="tagged", tagPatternList=["a*"], **AGE),
            ]
        },
        [
            "rule 3: selects tag prefixes ['a', 'b'] in standard storage as rule 2 does",
            "rule 4: selects tag prefixes ['a', 'b'] in standard storage as rule 2 does",
        ],
    ),
    "rules that cannot be read are left out of the comparisons": (
        {
            "rules": [
                ecr_rule("1", tagStatus="untagged", **AGE),
                ecr_rule(1, tagStatus="untagged", **AGE),
                {"rulePriority": 1, "selection": "x", "action": {"type": "expire"}},
            ]
        },
        [
            "rule 1: rulePriority must be a positive integer, not '1'",
            "rule 1: selection must be an object",
        ],
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_what_put_lifecycle_policy_refuses_is_named_by_rule_and_field(case):
    policy, expected = REFUSED[case]
    assert policy_problems(policy) == expected


ACCEPTED = {
    "the documented limits": [
        ecr_rule(1, tagStatus="tagged", tagPatternList=["a*b*c*d*"], countType="imageCountMoreThan",
                 countNumber=10000),
        ecr_rule(2, tagStatus="tagged", tagPrefixList=["*a*b*c*d*e"], countType="sinceImagePushed",
                 countUnit="days", countNumber=10001),
        ecr_rule(3, tagStatus="untagged", countType="imageCountMoreThan", countNumber=1),
        ecr_rule(4, tagStatus="any", countNumber=90, **ARCHIVE_AGE),
    ],
    "archive by last pull, then expire the archive": [
        ecr_rule(1, tagStatus="any", action=TO_ARCHIVE, countType="sinceImagePulled",
                 countUnit="days", countNumber=30),
        ecr_rule(2, tagStatus="any", countNumber=365, **ARCHIVE_AGE),
    ],
    "every rule any": [ecr_rule(1, tagStatus="any", **AGE), ecr_rule(2, tagStatus="any", **COUNT)],
}  # fmt: skip


@pytest.mark.parametrize("case", list(ACCEPTED))
def test_what_put_lifecycle_policy_accepts(case):
    assert policy_problems({"rules": ACCEPTED[case]}) == []
