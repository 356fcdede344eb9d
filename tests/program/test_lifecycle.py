import json

import pytest

from components.lifecycle import Retention, lifecycle_policy
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
