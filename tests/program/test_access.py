from components.access import (
    PULL_ACTIONS,
    PUSH_ACTIONS,
    pull_policy,
    push_policy,
    repository_policy,
)
from tests.support.ecr_rules import actions, statements


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


def test_cross_account_and_organisation_pulls_are_pull_only():
    document = repository_policy("123456789012", ["333333333333", "222222222222"], "o-a1b2c3d4e5")
    same, cross, org = statements(document)
    assert same["Sid"] == "SameAccountPullPush"
    assert cross["Principal"] == {
        "AWS": ["arn:aws:iam::222222222222:root", "arn:aws:iam::333333333333:root"]
    }
    assert set(actions(cross)) == set(actions(org)) == set(PULL_ACTIONS)
    assert org["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}


def test_push_policy_scopes_writes_to_the_repository():
    arn = "arn:aws:ecr:ap-northeast-2:123456789012:repository/fileflow"
    login, push = statements(push_policy(arn))
    assert (actions(login), login["Resource"]) == (["ecr:GetAuthorizationToken"], "*")
    assert push["Resource"] == arn
    assert set(PUSH_ACTIONS) <= set(actions(push))
    assert not any("*" in a for a in actions(push))


def test_pull_policy_reads_one_repository_and_decrypts_with_one_key():
    arn = "arn:aws:ecr:ap-northeast-2:123456789012:repository/fileflow"
    key = "arn:aws:kms:ap-northeast-2:123456789012:key/k"
    login, pull, decrypt = statements(pull_policy(arn, key))
    assert login["Resource"] == "*"
    assert (set(actions(pull)), pull["Resource"]) == (set(PULL_ACTIONS), arn)
    assert (actions(decrypt), decrypt["Resource"]) == (["kms:Decrypt"], key)
