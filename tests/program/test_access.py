"""The policy documents grant what AWS documents for `docker pull`, `docker push`, KMS-encrypted
repositories and repository creation templates.

The expected action lists are written out here from the AWS docs, never taken from
`components.access`'s constants: a test that compares the module with itself cannot notice an action
dropped from both.
"""

import json

from components.access import (
    pull_policy,
    push_policy,
    repository_policy,
    template_key_policy,
    template_role_policy,
    template_scope_policy,
    template_scopes,
    template_trust_policy,
)
from tests.support.ecr_rules import actions, statements

REPOSITORY = "arn:aws:ecr:ap-northeast-2:123456789012:repository/fileflow"
KEY = "arn:aws:kms:ap-northeast-2:123456789012:key/k"

# `docker login`: ECR User Guide, "Private registry authentication" — GetAuthorizationToken is not
# defined on a resource (Service Authorization Reference, Amazon ECR: no resource type), so it is
# granted on "*".
LOGIN = "ecr:GetAuthorizationToken"

# `docker pull`: ECR User Guide, "Private repository policy examples" (allow pull) and the
# AmazonEC2ContainerRegistryPullOnly managed policy: the image manifest, its layers' download URLs,
# and the layer check.
DOCKER_PULL = {
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
}

# `docker push`: ECR User Guide, "Pushing a Docker image" (required IAM permissions): the layer check,
# the three layer-upload calls and PutImage for the manifest.
DOCKER_PUSH = {
    "ecr:BatchCheckLayerAvailability",
    "ecr:CompleteLayerUpload",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
}

# ECR User Guide, "Encryption at rest": on pull ECR sends Decrypt for the image's data key; the
# caller's role needs kms:Decrypt on the repository's key (the module's ECS task-role policy).
KMS_PULL = {"kms:Decrypt"}

# ECR User Guide, "Create a custom policy for repository creation templates": the creation role's
# policy, ECR side and KMS side. "Encryption at rest" (required IAM permissions) says why the KMS
# side is needed: creating a KMS-encrypted repository calls DescribeKey and CreateGrant, and
# deleting it retires the grants.
TEMPLATE_ROLE_ECR = {"ecr:CreateRepository", "ecr:ReplicateImage", "ecr:TagResource"}
TEMPLATE_ROLE_KMS = {"kms:CreateGrant", "kms:DescribeKey", "kms:RetireGrant"}


def test_repository_policy_grants_docker_pull_and_push_to_the_same_account_only():
    (statement,) = statements(repository_policy("123456789012"))
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"AWS": ["arn:aws:iam::123456789012:root"]}
    assert set(actions(statement)) == DOCKER_PULL | DOCKER_PUSH
    assert "Condition" not in statement


def test_no_wildcards_anywhere():
    (statement,) = statements(repository_policy("123456789012"))
    assert not any("*" in a for a in actions(statement))
    assert "*" not in str(statement["Principal"])
    assert LOGIN not in actions(statement)  # not a repository-level action


def test_cross_account_and_organisation_pulls_are_docker_pull_only():
    document = repository_policy("123456789012", ["333333333333", "222222222222"], "o-a1b2c3d4e5")
    assert document["Version"] == "2012-10-17"
    same, cross, org = statements(document)
    assert same["Sid"] == "SameAccountPullPush"
    assert (cross["Sid"], cross["Effect"]) == ("CrossAccountPull", "Allow")
    assert cross["Principal"] == {
        "AWS": ["arn:aws:iam::222222222222:root", "arn:aws:iam::333333333333:root"]
    }
    assert set(actions(cross)) == set(actions(org)) == DOCKER_PULL
    assert (org["Sid"], org["Effect"], org["Principal"]) == ("OrganizationPull", "Allow", "*")
    assert org["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}


def test_without_other_accounts_or_an_organisation_only_the_owner_is_named():
    assert len(statements(repository_policy("123456789012", [], None))) == 1
    (_, org) = statements(repository_policy("123456789012", [], "o-a1b2c3d4e5"))
    assert org["Sid"] == "OrganizationPull"


def test_push_policy_is_login_on_star_and_docker_push_and_pull_on_the_repository():
    login, push = statements(push_policy(REPOSITORY))
    assert login == {"Sid": "Login", "Effect": "Allow", "Action": [LOGIN], "Resource": "*"}
    assert push["Sid"] == "PushThisRepository"
    assert (push["Effect"], push["Resource"]) == ("Allow", REPOSITORY)
    # A push first checks which layers exist, and CI pulls to build on cached layers.
    assert set(actions(push)) == DOCKER_PUSH | DOCKER_PULL


def test_push_policy_grants_no_kms_action():
    # ECR User Guide, "Encryption at rest": on push ECR itself sends GenerateDataKey under the
    # grant it created on the key with the repository, so the pushing role needs no KMS action.
    document = push_policy(REPOSITORY)
    assert not any(a.startswith("kms:") for s in statements(document) for a in actions(s))


def test_push_policy_with_signing_signs_with_the_profile_only():
    profile = "arn:aws:signer:ap-northeast-2:123456789012:/signing-profiles/ci"
    *_, sign = statements(push_policy(REPOSITORY, profile))
    # AWS Signer Developer Guide, "Signing container images": the Notation plugin calls
    # signer:SignPayload on the signing profile.
    assert sign == {
        "Sid": "SignWithTheProfile",
        "Effect": "Allow",
        "Action": ["signer:SignPayload"],
        "Resource": profile,
    }


def test_pull_policy_is_login_docker_pull_and_decrypt_with_one_key():
    document = pull_policy(REPOSITORY, KEY)
    assert document["Version"] == "2012-10-17"
    login, pull, decrypt = statements(document)
    assert login == {"Sid": "Login", "Effect": "Allow", "Action": [LOGIN], "Resource": "*"}
    assert (pull["Sid"], pull["Effect"], pull["Resource"]) == (
        "PullThisRepository",
        "Allow",
        REPOSITORY,
    )
    assert set(actions(pull)) == DOCKER_PULL
    assert (decrypt["Sid"], decrypt["Effect"], decrypt["Resource"]) == (
        "DecryptImages",
        "Allow",
        KEY,
    )
    assert set(actions(decrypt)) == KMS_PULL


def test_ecr_may_assume_the_creation_role():
    # ECR User Guide, "Repository creation templates" (IAM role for the template): the role's
    # trust policy lets the ecr.amazonaws.com service principal call sts:AssumeRole.
    (trust,) = statements(template_trust_policy())
    assert trust == {
        "Effect": "Allow",
        "Principal": {"Service": "ecr.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }


def test_creation_role_creates_replicates_and_tags_under_its_prefixes_and_grants_the_keys():
    document = template_role_policy("123456789012", ["team-a/", "base"], [KEY, KEY])
    create, keys = statements(document)
    assert (create["Sid"], create["Effect"]) == ("CreateFromTemplates", "Allow")
    assert set(actions(create)) == TEMPLATE_ROLE_ECR
    assert create["Resource"] == [
        "arn:aws:ecr:*:123456789012:repository/base*",
        "arn:aws:ecr:*:123456789012:repository/team-a*",
    ]
    assert (keys["Sid"], keys["Effect"], keys["Resource"]) == ("UseTheKeys", "Allow", [KEY])
    assert set(actions(keys)) == TEMPLATE_ROLE_KMS


def test_creation_role_split_policies_keep_the_documented_actions():
    (keys,) = statements(template_key_policy([KEY]))
    assert set(actions(keys)) == TEMPLATE_ROLE_KMS
    scope_document = template_scope_policy("123456789012", ["base"], partition="aws-cn")
    assert scope_document["Version"] == "2012-10-17"
    (scope,) = statements(scope_document)
    assert set(actions(scope)) == TEMPLATE_ROLE_ECR
    assert scope["Resource"] == ["arn:aws-cn:ecr:*:123456789012:repository/base*"]
    # Without a partition, the commercial one: arn:aws:...
    (commercial,) = statements(template_scope_policy("123456789012", ["base"]))
    assert commercial["Resource"] == ["arn:aws:ecr:*:123456789012:repository/base*"]


def _iam_size(document: dict[str, object]) -> int:
    # IAM counts a policy's characters without whitespace (IAM User Guide, "IAM and AWS STS quotas").
    return len(json.dumps(document, separators=(",", ":")))


def test_creation_role_scope_is_one_group_while_the_inline_policy_fits():
    # A prefix inside another is covered by the wider one's ARN and left out.
    assert template_scopes(["team/", "team-a", "base", "base"], key_count=2) == [("base", "team")]


def test_creation_role_scope_splits_into_groups_that_each_fit_a_managed_policy():
    prefixes = [f"{i:03d}-" + "p" * 200 for i in range(60)]
    groups = template_scopes(prefixes, key_count=1)
    assert len(groups) > 1
    assert [p for g in groups for p in g] == sorted(prefixes)
    for group in groups:
        # 6,144 characters per managed policy (IAM and AWS STS quotas), with a real account id.
        assert _iam_size(template_scope_policy("123456789012", group)) <= 6144
    # Each group but the last is full: one more prefix would not fit.
    first, second, *_ = groups
    assert _iam_size(template_scope_policy("123456789012", [*first, second[0]])) > 6144


def test_principals_are_account_roots_of_the_stacks_partition():
    from components.access import account_root

    assert account_root("123456789012") == "arn:aws:iam::123456789012:root"
    policy = repository_policy("123456789012", ["210987654321"], partition="aws-cn")
    assert [s["Principal"] for s in policy["Statement"]] == [
        {"AWS": ["arn:aws-cn:iam::123456789012:root"]},
        {"AWS": ["arn:aws-cn:iam::210987654321:root"]},
    ]
