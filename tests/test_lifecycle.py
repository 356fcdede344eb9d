import pytest

from components.lifecycle import lifecycle_policy
from tests.ecr_rules import lifecycle_problems


def test_seed_rules_keep_30_release_images_and_expire_untagged_after_7_days():
    rules = lifecycle_policy(30, 7)["rules"]
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


@pytest.mark.parametrize(("count", "days"), [(1, 1), (30, 7), (10000, 3650)])
def test_documents_are_valid_for_ecr_across_the_allowed_range(count, days):
    assert lifecycle_problems(lifecycle_policy(count, days)) == []


def test_the_rule_checker_catches_what_ecr_rejects():
    bad = lifecycle_policy(30, 7)
    bad["rules"][1]["rulePriority"] = 1
    bad["rules"][1]["selection"]["tagPrefixList"] = ["v"]
    bad["rules"][0]["selection"]["countNumber"] = 0
    assert len(lifecycle_problems(bad)) == 3
