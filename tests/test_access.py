from components.access import PULL_ACTIONS, PUSH_ACTIONS, repository_policy
from tests.ecr_rules import actions, statements


def test_repository_policy_grants_pull_and_push_to_the_same_account_only():
    (statement,) = statements(repository_policy("123456789012"))
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"AWS": ["arn:aws:iam::123456789012:root"]}
    assert set(actions(statement)) == set(PULL_ACTIONS) | set(PUSH_ACTIONS)


def test_no_wildcards_anywhere():
    (statement,) = statements(repository_policy("123456789012"))
    assert not any("*" in a for a in actions(statement))
    assert "*" not in str(statement["Principal"])
    assert "ecr:GetAuthorizationToken" not in actions(statement)  # not a repository-level action
