"""Retention as teams run it (issue 28): release patterns, archive expiry, old releases archived,
ECR's lifecycle grammar, and byte-identical policies for stacks that set none of the new keys."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from components.documents import to_json
from components.lifecycle import Retention, lifecycle_policy, unbounded_archive_warning
from components.settings import SettingsError, load_settings
from policy.ecr_guardrails.lifecycle_eval import (
    Image,
    evaluate,
    pattern_matches,
    policy_problems,
)
from tools.audit.checks import images_to_check, lifecycle_problems
from tools.images import is_release, newest_release, version
from tools.preview.mock_engine import run_program
from tools.preview.stack_file import stack_settings
from tools.quarantine import _arguments as quarantine_arguments
from tools.quarantine_plan import candidates, last_release_problem
from tools.retention import judge
from tools.usage import Use

NOW = datetime.datetime(2026, 12, 5, tzinfo=datetime.timezone.utc)
SHIPPED = ("dev", "staging", "prod", "local")


def _released_policy(retention: Retention) -> dict[str, Any]:
    """components/lifecycle.py's builder as released before issue 28 (commit 6c192bd), verbatim
    in what it produces: the reference a stack without the new keys must still get."""
    rules: list[dict[str, Any]] = []

    def add(description, selection, **action):
        rules.append(
            {
                "rulePriority": len(rules) + 1,
                "description": description,
                "selection": selection,
                "action": action or {"type": "expire"},
            }
        )

    def age(days, count_type="sinceImagePushed"):
        return {"countType": count_type, "countUnit": "days", "countNumber": days}

    for pattern in retention.protected_tags:
        add(
            f"Protect {pattern}: never expired or archived",
            {"tagStatus": "tagged", "tagPatternList": [pattern],
             "countType": "imageCountMoreThan", "countNumber": 10000},
        )  # fmt: skip
    add(
        f"Keep the last {retention.keep_release_images} v* images",
        {"tagStatus": "tagged", "tagPrefixList": ["v"],
         "countType": "imageCountMoreThan", "countNumber": retention.keep_release_images},
    )  # fmt: skip
    if retention.expire_tagged_after_days is not None:
        for pattern in retention.expire_tagged_patterns:
            add(
                f"Expire {pattern} images {retention.expire_tagged_after_days} days after push",
                {"tagStatus": "tagged", "tagPatternList": [pattern],
                 **age(retention.expire_tagged_after_days)},
            )  # fmt: skip
    if retention.expire_untagged:
        add(
            f"Expire untagged images {retention.untagged_expiry_days} days after push",
            {"tagStatus": "untagged", **age(retention.untagged_expiry_days)},
        )
    if retention.archive_after_days is not None:
        add(
            f"Archive images not pulled for {retention.archive_after_days} days",
            {"tagStatus": "any", **age(retention.archive_after_days, "sinceImagePulled")},
            type="transition",
            targetStorageClass="archive",
        )
    return {"rules": rules}


def image(name, tags, days_ago, pulled=None, storage="standard", archived=None):
    def ago(days):
        return None if days is None else NOW - datetime.timedelta(days=days)

    return Image(name, tuple(tags), ago(days_ago), ago(pulled), storage, ago(archived))


def taken(policy, images):
    return {(a.image.digest, a.rule, a.type) for a in evaluate(policy, images, NOW).actions}


def settings_of(**keys):
    raw = {"environment": "dev", "services": json.dumps({"api": None})}
    raw |= {k: v if isinstance(v, str) else json.dumps(v) for k, v in keys.items()}
    return load_settings(raw, region="ap-northeast-2")


def refusal(**keys):
    with pytest.raises(SettingsError) as error:
        settings_of(**keys)
    return "\n".join(error.value.problems)


# --- upgrade: stacks without the new keys keep their exact policy ---------------------------------


@pytest.mark.parametrize("stack", SHIPPED)
def test_each_shipped_stack_keeps_its_lifecycle_policies_byte_for_byte(stack):
    settings = stack_settings(stack)
    for service in settings.services:
        assert to_json(lifecycle_policy(service.retention)) == to_json(
            _released_policy(service.retention)
        ), service.name
    # and what the program registers is that document
    run = run_program(stack)
    documents = [r.inputs["policy"] for r in run.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")]
    assert documents == [to_json(_released_policy(s.retention)) for s in settings.services]


_patterns = st.lists(
    st.sampled_from(["prod-*", "stable", "sha-*", "pr-*", "a*b*c*d*"]), max_size=3, unique=True
)
_old_keys = st.fixed_dictionaries(
    {},
    optional={
        "lifecyclePolicyMaxImageCount": st.integers(1, 10000),
        "untaggedImageExpiryDays": st.integers(1, 3650),
        "protectedTags": _patterns,
        "archiveAfterDays": st.integers(1, 3650),
    },
)  # fmt: skip


@hypothesis_settings(max_examples=150, derandomize=True, deadline=None)
@given(_old_keys, st.one_of(st.none(), st.tuples(st.integers(1, 3650), _patterns)))
def test_generated_configs_without_the_new_keys_keep_their_exact_policy(keys, expiring):
    if expiring and expiring[1]:
        keys = keys | {"expireTaggedAfterDays": expiring[0], "expireTaggedPatterns": expiring[1]}
    try:
        settings = settings_of(**keys)
    except SettingsError:
        return  # refused as before (e.g. a pattern both protected and expired)
    for retention in [*(s.retention for s in settings.services), settings.stack_retention]:
        assert to_json(lifecycle_policy(retention)) == to_json(_released_policy(retention))


@hypothesis_settings(max_examples=150, derandomize=True, deadline=None)
@given(
    st.builds(
        Retention,
        keep_release_images=st.integers(1, 10000),
        untagged_expiry_days=st.integers(1, 3650),
        protected_tags=_patterns.map(tuple),
        expire_tagged_after_days=st.one_of(st.none(), st.integers(1, 3650)),
        expire_tagged_patterns=_patterns.map(tuple),
        archive_after_days=st.one_of(st.none(), st.integers(1, 3650)),
        expire_untagged=st.booleans(),
    )
)
def test_any_retention_without_the_new_fields_builds_the_released_document(retention):
    assert to_json(lifecycle_policy(retention)) == to_json(_released_policy(retention))


# --- release patterns -------------------------------------------------------------------------------


def test_release_patterns_each_keep_the_newest_n_and_a_prefix_pattern_stays_a_prefix_list():
    settings = settings_of(
        releaseTagPatterns=["release-*", "*.*.*"], lifecyclePolicyMaxImageCount=2
    )
    rules = lifecycle_policy(settings.services[0].retention)["rules"]
    assert [(r["description"], r["selection"].get("tagPrefixList"), r["selection"].get("tagPatternList")) for r in rules[:2]] == [
        ("Keep the last 2 release-* images", ["release-"], None),
        ("Keep the last 2 *.*.* images", None, ["*.*.*"]),
    ]  # fmt: skip
    images = [image(f"r{n}", [f"release-2026.{n}"], 10 - n) for n in range(1, 5)]
    images += [image(f"s{n}", [f"1.{n}.0"], 10 - n) for n in range(1, 4)]
    images += [image("v1", ["v1"], 50)]  # no longer a release: no rule takes it
    assert taken(lifecycle_policy(settings.services[0].retention), images) == {
        ("r1", 1, "expire"), ("r2", 1, "expire"), ("s1", 2, "expire"),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"releaseTagPatterns": []}, "ecr:releaseTagPatterns = []"),
        ({"releaseTagPatterns": ["a*b*c*d*e*"]}, "at most 4 `*`"),
        (
            {"releaseTagPatterns": ["v*", "stable"], "protectedTags": ["stable"]},
            'ecr:services.api.releaseTagPatterns = ["v*", "stable"]: ["stable"] also in protectedTags, so its '
            "keep-the-newest rule could never act",
        ),
        (
            {"expireTaggedAfterDays": 3, "expireTaggedPatterns": ["v*"]},
            'ecr:services.api.expireTaggedPatterns = ["v*"]: ["v*"] is a release pattern (releaseTagPatterns), '
            "so its expire rule could never act",
        ),
        ({"expireArchivedAfterDays": 30}, "ecr:expireArchivedAfterDays = 30"),
    ],
)
def test_unusable_retention_keys_are_refused_naming_key_and_rule(keys, message):
    assert message in refusal(**keys)


def test_a_service_can_name_its_own_release_patterns():
    settings = settings_of(
        services=json.dumps({"api": {"releaseTagPatterns": ["prod-*"]}, "web": None})
    )
    api, web = settings.services
    assert api.retention.release_patterns == ("prod-*",)
    assert web.retention.release_patterns == ("v*",)


def test_the_tools_find_release_images_by_the_stacks_patterns():
    images = [
        {"imageDigest": "sha256:a", "imageTags": ["release-2026.11"], "imagePushedAt": NOW - datetime.timedelta(days=9)},
        {"imageDigest": "sha256:b", "imageTags": ["release-2026.12"], "imagePushedAt": NOW - datetime.timedelta(days=2)},
        {"imageDigest": "sha256:c", "imageTags": ["v9.9.9"], "imagePushedAt": NOW - datetime.timedelta(days=1)},
    ]  # fmt: skip
    patterns = ("release-*",)
    assert version("release-2026.12", patterns) == ((2026, 12, 0), False)
    assert version("v1.2.3") == ((1, 2, 3), False) and version("release-2026.12") is None
    assert not is_release(images[2], patterns) and is_release(images[2])
    assert newest_release(images, patterns)["imageDigest"] == "sha256:b"
    assert newest_release(images)["imageDigest"] == "sha256:c"  # the default stays v*
    # quarantine: the rollback candidate below release-2026.12, and the last-release refusal
    assert [i["imageDigest"] for i in candidates(images, images[1], patterns)] == ["sha256:a"]
    assert candidates(images, images[1]) == []
    assert last_release_problem(images[1:2], images[1], [], True, patterns)
    assert last_release_problem(images[1:2], images[1], [], True) is None
    # the audit's newest release image
    assert images_to_check("api", images, [], None, patterns) == {
        "sha256:b": "newest release image"
    }


def test_the_tools_refuse_a_release_pattern_that_is_not_one(capsys):
    with pytest.raises(SystemExit) as exit_:
        quarantine_arguments(["--repository", "api", "--tag", "x", "--release-tag-pattern", "a b"])
    assert exit_.value.code == 2
    assert "argument --release-tag-pattern: 'a b' is not a tag pattern" in capsys.readouterr().err
    args = quarantine_arguments(["--repository", "api", "--tag", "x"])
    assert args.release_patterns == ("v*",)


# --- archive expiry and archived old releases -------------------------------------------------------


def test_archive_expiry_adds_the_rule_ecr_documents_and_expires_only_old_archives():
    settings = settings_of(archiveAfterDays=30, expireArchivedAfterDays=180)
    retention = settings.services[0].retention
    policy = lifecycle_policy(retention)
    assert policy["rules"][-1] == {
        "rulePriority": 4,
        "description": "Expire archived images 180 days after they were archived",
        "selection": {"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 180},
        "action": {"type": "expire"},
    }  # fmt: skip
    assert policy_problems(policy) == []
    assert unbounded_archive_warning("api", retention) is None
    images = [
        image("old-archive", ["v0.1"], 400, storage="archive", archived=200),
        image("new-archive", ["x"], 400, storage="archive", archived=100),
        image("unpulled", ["x"], 100, pulled=40),
        image("pulled", ["y"], 100, pulled=2),
    ]
    assert taken(policy, images) == {("old-archive", 4, "expire"), ("unpulled", 3, "transition")}


def test_an_archive_without_expiry_is_warned_about_in_the_plan():
    retention = settings_of(archiveAfterDays=30).services[0].retention
    assert "grows without bound" in unbounded_archive_warning("api", retention)
    run = run_program("dev", {"ecr:archiveAfterDays": "30"})
    warnings = [text for level, text in run.messages if level == "warning"]
    assert any("grows without bound" in w and "expireArchivedAfterDays" in w for w in warnings)
    assert not [t for _, t in run_program("dev").messages if "grows without bound" in t]


def test_old_releases_can_be_archived_instead_of_expired():
    settings = settings_of(
        archiveOldReleases=True, lifecyclePolicyMaxImageCount=2, expireArchivedAfterDays=365
    )
    policy = lifecycle_policy(settings.services[0].retention)
    release = policy["rules"][0]
    assert release["action"] == {"type": "transition", "targetStorageClass": "archive"}
    assert policy_problems(policy) == []
    images = [image(f"v{n}", [f"v{n}"], 10 - n) for n in range(1, 5)]
    images.append(image("v0", ["v0"], 900, storage="archive", archived=400))
    assert taken(policy, images) == {
        ("v1", 1, "transition"),
        ("v2", 1, "transition"),
        ("v0", 3, "expire"),
    }


# --- ECR's grammar: the documented examples pass, what ECR refuses is named -----------------------


def _doc_rule(priority, selection, action=None):
    return {"rulePriority": priority, "description": f"Rule {priority}", "selection": selection, "action": action or {"type": "expire"}}  # fmt: skip


ARCHIVE = {"type": "transition", "targetStorageClass": "archive"}
DOCUMENTED = {  # ECR User Guide, "Examples of lifecycle policies": policy, images, result
    "image age": (
        [_doc_rule(1, {"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14})],
        [image("old", ["prod-1"], 15), image("new", ["prod-2"], 13)],
        {("old", 1, "expire")},
    ),
    "last pulled": (
        [_doc_rule(1, {"tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 90}, ARCHIVE)],
        [image("stale", ["a"], 200, pulled=91), image("never", [], 95), image("fresh", ["b"], 200, pulled=3)],
        {("stale", 1, "transition"), ("never", 1, "transition")},
    ),
    "archive transition time": (
        [_doc_rule(1, {"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 365})],
        [image("a", [], 900, storage="archive", archived=366), image("b", [], 900, storage="archive", archived=100), image("c", [], 900)],
        {("a", 1, "expire")},
    ),
    "image count": (
        [_doc_rule(1, {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1})],
        [image("u1", [], 3), image("u2", [], 2), image("u3", [], 1)],
        {("u1", 1, "expire"), ("u2", 1, "expire")},
    ),
    "multiple rules B": (
        [_doc_rule(1, {"tagStatus": "tagged", "tagPatternList": ["beta*"], "countType": "imageCountMoreThan", "countNumber": 1}),
         _doc_rule(2, {"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "imageCountMoreThan", "countNumber": 1})],
        [image("A", ["beta-1", "prod-1"], 10), image("B", ["beta-2", "prod-2"], 9), image("C", ["beta-3"], 8)],
        {("A", 1, "expire"), ("B", 1, "expire")},
    ),
    "multiple tags A": (
        [_doc_rule(1, {"tagStatus": "tagged", "tagPatternList": ["alpha*", "beta*"], "countType": "sinceImagePushed", "countNumber": 5, "countUnit": "days"})],
        [image("A", ["alpha-1"], 12), image("B", ["beta-1"], 11), image("C", ["alpha-2", "beta-2"], 10),
         image("D", ["alpha-3"], 4), image("E", ["beta-3"], 3), image("F", ["alpha-4", "beta-4"], 2)],
        {("C", 1, "expire")},
    ),
    "multiple tags B": (
        [_doc_rule(1, {"tagStatus": "tagged", "tagPatternList": ["alpha*", "beta*"], "countType": "imageCountMoreThan", "countNumber": 1})],
        [image("A", ["alpha-1", "beta-1", "gamma-1"], 10), image("B", ["alpha-2", "beta-2"], 9), image("C", ["alpha-3", "beta-3", "gamma-2"], 8)],
        {("A", 1, "expire"), ("B", 1, "expire")},
    ),
    "all images A": (
        [_doc_rule(1, {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1})],
        [image("A", ["alpha-1"], 4), image("B", ["beta-1"], 3), image("C", [], 2), image("D", ["alpha-2"], 1)],
        {("A", 1, "expire"), ("B", 1, "expire"), ("C", 1, "expire")},
    ),
    "all images B": (
        [_doc_rule(1, {"tagStatus": "tagged", "tagPatternList": ["alpha*"], "countType": "imageCountMoreThan", "countNumber": 1}),
         _doc_rule(2, {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1}),
         _doc_rule(3, {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1})],
        [image("A", ["alpha-1", "beta-1"], 4), image("B", [], 3), image("C", ["alpha-2"], 2),
         image("D", ["git hash"], 1.01), image("E", [], 1)],
        {("A", 1, "expire"), ("B", 2, "expire"), ("D", 3, "expire")},
    ),
    "archive by age": (
        [_doc_rule(1, {"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 30}, ARCHIVE)],
        [image("p-old", ["prod-1"], 31), image("p-new", ["prod-2"], 29), image("other", ["x"], 99)],
        {("p-old", 1, "transition")},
    ),
    "archive and expire": (
        [_doc_rule(1, {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 30}, ARCHIVE),
         _doc_rule(2, {"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 365})],
        [image("young", [], 10), image("old", ["a"], 40), image("kept", [], 900, storage="archive", archived=200),
         image("gone", [], 900, storage="archive", archived=400)],
        {("old", 1, "transition"), ("gone", 2, "expire")},
    ),
}  # fmt: skip


@pytest.mark.parametrize("example", sorted(DOCUMENTED))
def test_the_documented_examples_are_accepted_and_evaluated_as_aws_describes(example):
    rules, images, expected = DOCUMENTED[example]
    assert policy_problems({"rules": rules}) == []
    assert taken({"rules": rules}, images) == expected


@pytest.mark.parametrize(
    ("selection", "action", "message"),
    [
        ({"tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 30}, {"type": "expire"},
         "rule 1 (Rule 1): action.type expire cannot go with sinceImagePulled"),
        ({"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 89}, {"type": "expire"},
         "rule 1 (Rule 1): selection.countNumber of sinceImageTransitioned is at least 90"),
        ({"tagStatus": "any", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 90}, {"type": "expire"},
         "rule 1 (Rule 1): selection.storageClass archive is required with sinceImageTransitioned"),
        ({"tagStatus": "any", "storageClass": "archive", "countType": "imageCountMoreThan", "countNumber": 3}, {"type": "expire"},
         "rule 1 (Rule 1): selection.storageClass must be standard with countType imageCountMoreThan"),
        ({"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 90}, ARCHIVE,
         "rule 1 (Rule 1): action.type transition cannot go with sinceImageTransitioned"),
        ({"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 9}, {"type": "transition"},
         "rule 1 (Rule 1): action.targetStorageClass must be archive with transition"),
        ({"tagStatus": "tagged", "tagPatternList": ["a*b*c*d*e*"], "countType": "imageCountMoreThan", "countNumber": 1}, {"type": "expire"},
         "rule 1 (Rule 1): selection.tagPatternList entry 'a*b*c*d*e*' has more than 4 `*`"),
        ({"tagStatus": "tagged", "countType": "imageCountMoreThan", "countNumber": 10001, "countUnit": "days"}, {"type": "expire"},
         "rule 1 (Rule 1): selection.countNumber of imageCountMoreThan is at most 10000"),
    ],
)  # fmt: skip
def test_what_ecr_refuses_is_named_by_rule_and_field(selection, action, message):
    problems = policy_problems({"rules": [_doc_rule(1, selection, action)]})
    assert any(p.startswith(message) for p in problems), problems


def test_an_any_rule_before_a_specific_one_and_repeated_untagged_rules_are_refused():
    age = {"countType": "sinceImagePushed", "countUnit": "days", "countNumber": 9}
    problems = policy_problems({"rules": [
        _doc_rule(1, {"tagStatus": "any", **age}),
        _doc_rule(2, {"tagStatus": "untagged", **age}),
        _doc_rule(3, {"tagStatus": "untagged", **age}),
    ]})  # fmt: skip
    assert problems == [
        "rule 1 (Rule 1): selection.tagStatus any must have the highest rulePriority (rule 3 comes "
        "after it)",
        "rule 3 (Rule 3): selects untagged images in standard storage as rule 2 (Rule 2) does",
    ]


# --- every generated policy: ECR accepts it, and it spares what it must -----------------------------

_tag = st.sampled_from(
    ["v1", "v2", "v3", "prod-1", "stable", "sha-1", "sha-2", "release-1", "1.2.3", "x"]
)
_retentions = st.builds(
    Retention,
    keep_release_images=st.integers(1, 4),
    untagged_expiry_days=st.integers(1, 60),
    protected_tags=st.lists(st.sampled_from(["prod-*", "stable"]), max_size=2, unique=True).map(
        tuple
    ),
    expire_tagged_after_days=st.one_of(st.none(), st.integers(1, 60)),
    expire_tagged_patterns=st.lists(st.sampled_from(["sha-*", "x"]), max_size=2, unique=True).map(
        tuple
    ),
    archive_after_days=st.one_of(st.none(), st.integers(1, 200)),
    expire_untagged=st.booleans(),
    release_patterns=st.lists(
        st.sampled_from(["v*", "release-*", "*.*.*"]), min_size=1, max_size=2, unique=True
    ).map(tuple),
    archive_old_releases=st.booleans(),
    expire_archived_after_days=st.one_of(st.none(), st.integers(90, 400)),
)
_images = st.lists(
    st.builds(
        lambda n, tags, pushed, pulled, archived: image(
            f"i{n}", tags, pushed, pulled, "archive" if archived is not None else "standard", archived
        ),
        st.integers(0, 10**6),
        st.lists(_tag, max_size=2, unique=True),
        st.integers(0, 900),
        st.one_of(st.none(), st.integers(0, 900)),
        st.one_of(st.none(), st.integers(0, 500)),
    ),
    max_size=12,
    unique_by=lambda i: i.digest,
)  # fmt: skip


@hypothesis_settings(max_examples=300, derandomize=True, deadline=None)
@given(_retentions, _images)
def test_every_generated_policy_is_valid_and_spares_protected_and_newest_releases(
    retention, images
):
    policy = lifecycle_policy(retention)
    assert policy_problems(policy) == []
    actions = evaluate(policy, images, NOW).actions
    for action in actions:
        tags = action.image.tags
        # never a protected image in standard storage (what the program's rules can see)
        if action.image.storage_class == "standard":
            assert not any(pattern_matches(p, t) for p in retention.protected_tags for t in tags)
        else:  # from the archive only the archive-expiry rule deletes, and only after its days
            assert action.type == "expire" and retention.expire_archived_after_days is not None
            assert action.image.archived_at < NOW - datetime.timedelta(
                days=retention.expire_archived_after_days
            )
    # the newest N of each release pattern stay in standard storage, untouched
    # (an image matching two release patterns is the first pattern's: its rule sees it first)
    taken_digests = {a.image.digest for a in actions}
    for index, pattern in enumerate(retention.release_patterns):

        def matches(i, patterns):
            return any(pattern_matches(p, t) for p in patterns for t in i.tags)

        releases = sorted(
            (i for i in images if i.storage_class == "standard" and matches(i, [pattern])),
            key=lambda i: (i.pushed_at, i.digest),
            reverse=True,
        )[: retention.keep_release_images]
        earlier = retention.release_patterns[:index]
        assert not taken_digests & {i.digest for i in releases if not matches(i, earlier)}
    if retention.archive_old_releases:
        assert not [
            a
            for a in actions
            if a.image.storage_class == "standard"
            and a.type == "expire"
            and a.rule <= len(retention.protected_tags) + len(retention.release_patterns)
        ]


# --- the retention check previews the new rules on snapshots with archived images ------------------


def _details(digest, tags, pushed, pulled=None, archived=None):
    found = {
        "imageDigest": digest,
        "imageTags": tags,
        "imagePushedAt": (NOW - datetime.timedelta(days=pushed)).isoformat(),
        "imageStatus": "ARCHIVED" if archived is not None else "ACTIVE",
    }
    if pulled is not None:
        found["lastRecordedPullTime"] = (NOW - datetime.timedelta(days=pulled)).isoformat()
    if archived is not None:
        found["lastArchivedAt"] = (NOW - datetime.timedelta(days=archived)).isoformat()
    return found


def test_the_retention_check_previews_archive_expiry_and_archived_releases():
    service = settings_of(
        archiveAfterDays=60,
        expireArchivedAfterDays=120,
        archiveOldReleases=True,
        lifecyclePolicyMaxImageCount=1,
        protectedTags=["stable"],
        releaseTagPatterns=["release-*"],
    ).services[0]
    details = [
        _details("sha256:r1", ["release-1"], 30),
        _details("sha256:r2", ["release-2"], 10),
        _details("sha256:idle", ["feature-x"], 90, pulled=70),
        _details("sha256:old-archive", ["feature-y"], 400, archived=200),
        _details("sha256:kept-archive", ["feature-z"], 400, archived=100),
        _details("sha256:stable-archive", ["stable"], 400, archived=300),  # archived by hand
    ]
    uses = [Use("api", "feature-y", None, None, None, "ecs:task-definition/api:3")]
    verdict = judge(service, details, uses, NOW)
    assert {e["digest"]: e["rule"] for e in verdict.archive} == {
        "sha256:r1": 2,  # the older release: archived, not deleted
        "sha256:idle": 4,  # not pulled for 70 days
    }
    assert {e["digest"] for e in verdict.expire} == {"sha256:old-archive", "sha256:stable-archive"}
    assert {e["digest"]: e["usedBy"] for e in verdict.blocked} == {
        "sha256:old-archive": ["ecs:task-definition/api:3"],
        "sha256:stable-archive": ["protected tag"],
    }
    assert verdict.failed


# --- the team's own rules ---------------------------------------------------------------------------

NIGHTLY = {"description": "nightly kept 3 days", "tagStatus": "tagged", "tagPatternList": ["nightly-*"], "countType": "sinceImagePushed", "countNumber": 3}  # fmt: skip


def test_an_extra_rule_joins_after_the_protect_and_release_rules_and_acts():
    settings = settings_of(protectedTags=["nightly-keep"], extraLifecycleRules=[NIGHTLY])
    policy = lifecycle_policy(settings.services[0].retention)
    assert [r["description"] for r in policy["rules"]] == [
        "Protect nightly-keep: never expired or archived",
        "Keep the last 30 v* images",
        "nightly kept 3 days",
        "Expire untagged images 7 days after push",
    ]
    assert policy["rules"][2]["selection"] == {
        "tagStatus": "tagged", "tagPatternList": ["nightly-*"], "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 3,
    }  # fmt: skip
    images = [
        image("n1", ["nightly-1"], 5),
        image("n2", ["nightly-2"], 1),
        image("keep", ["nightly-keep"], 9),
    ]
    images.append(image("rel", ["v1", "nightly-0"], 9))  # a release: its rule sees it first
    assert taken(policy, images) == {("n1", 3, "expire")}


def test_a_service_replaces_the_stacks_extra_rules():
    services = json.dumps({"api": {"extraLifecycleRules": []}, "web": None})
    api, web = settings_of(extraLifecycleRules=[NIGHTLY], services=services).services
    assert api.retention.extra_rules == () and len(web.retention.extra_rules) == 1


@pytest.mark.parametrize(
    ("rule", "keys", "message"),
    [
        ({"tagStatus": "tagged", "countType": "sinceImagePushed", "countNumber": 3}, {},
         "ecr:services.api.extraLifecycleRules[0] (r): selection.tagStatus tagged needs tagPatternList"),
        ({"tagStatus": "any", "countType": "sinceImagePulled", "countNumber": 3}, {},
         "ecr:services.api.extraLifecycleRules[0] (r): action.type expire cannot go with sinceImagePulled"),
        ({"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countNumber": 30}, {},
         "ecr:services.api.extraLifecycleRules[0] (r): selection.countNumber of sinceImageTransitioned is at least 90"),
        ({"tagStatus": "any", "countType": "sinceImagePushed", "countNumber": 300}, {"archiveAfterDays": 30},
         "ecr:services.api.extraLifecycleRules[0] (r): tagStatus any in standard storage could never act"),
        ({"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 3}, {},
         "ecr:services.api.extraLifecycleRules: rule 3 (Expire untagged images 7 days after push): selects untagged images in standard storage as rule 2 (r) does"),
        ({"tagStatus": "tagged", "tagPatternList": ["a"], "countType": "sinceImagePushed", "countNumber": 3, "colour": 1}, {},
         "ecr:extraLifecycleRules[0].colour = 1: unknown key"),
    ],
)  # fmt: skip
def test_extra_rules_ecr_would_refuse_are_named_by_rule_and_field(rule, keys, message):
    assert message in refusal(extraLifecycleRules=[{"description": "r", **rule}], **keys)


_extra_rules = st.lists(
    st.fixed_dictionaries(
        {"description": st.sampled_from(["a", "b"]),
         "tagStatus": st.sampled_from(["tagged", "untagged", "any"]),
         "countType": st.sampled_from(["imageCountMoreThan", "sinceImagePushed", "sinceImagePulled", "sinceImageTransitioned"]),
         "countNumber": st.integers(1, 400)},
        optional={"tagPatternList": st.lists(st.sampled_from(["sha-*", "v*", "prod-*", "x"]), min_size=1, max_size=2, unique=True),
                  "storageClass": st.sampled_from(["standard", "archive"]),
                  "action": st.sampled_from(["expire", "transition"])},
    ),
    max_size=3,
)  # fmt: skip


@hypothesis_settings(max_examples=200, derandomize=True, deadline=None)
@given(
    _extra_rules,
    st.fixed_dictionaries({}, optional={"archiveAfterDays": st.integers(1, 200), "expireArchivedAfterDays": st.integers(90, 400), "protectedTags": st.just(["prod-*"])}),
    _images,
)  # fmt: skip
def test_accepted_extra_rules_give_valid_policies_that_spare_protected_and_releases(
    rules, keys, images
):
    try:
        retention = settings_of(extraLifecycleRules=rules, **keys).services[0].retention
    except SettingsError:
        return
    policy = lifecycle_policy(retention)
    assert policy_problems(policy) == []
    newest = sorted((i for i in images if i.storage_class == "standard" and any(t.startswith("v") for t in i.tags)),
                    key=lambda i: (i.pushed_at, i.digest), reverse=True)[:30]  # fmt: skip
    for action in evaluate(policy, images, NOW).actions:
        if action.image.storage_class == "standard":
            assert not any(
                pattern_matches(p, t) for p in retention.protected_tags for t in action.image.tags
            )
            assert action.image not in newest


def test_the_audit_sees_a_release_pattern_rule_that_is_not_working():
    def details(tag, hours_ago):
        return {
            "imageDigest": "sha256:" + f"{hours_ago:064x}",
            "imageTags": [tag],
            "imagePushedAt": NOW - datetime.timedelta(hours=hours_ago),
        }

    retention = Retention(keep_release_images=2, release_patterns=("*.*.*",))
    policy = to_json(lifecycle_policy(retention))
    late = [details("1.0.0", 100), details("1.1.0", 30), details("1.2.0", 26), details("x", 1)]
    (problem,) = lifecycle_problems(policy, late, NOW)
    # ECR's evaluation (lifecycle_eval) a day ago: rule 1 keeps 1.2.0 and 1.1.0, expires 1.0.0.
    assert "rule 1 should have expired 1 images more than a day ago" in problem
    assert "1.0.0" in problem
    assert lifecycle_problems(policy, late[1:], NOW) == []
