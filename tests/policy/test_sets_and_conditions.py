"""Issue 24, first two classes, over gRPC as the CLI runs the pack, for both providers: action and
resource patterns judged as the sets they match (split wildcards, `????*`), and conditions judged
by what IAM makes of them (operator and value), with the false positives that reading fixes."""

import json
import string

import pytest

from tests.support.pack_routes import (
    GITHUB,
    IAM,
    LEAST,
    QUIET,
    allow,
    aws_role,
    cfn_role,
    mandatory,
    native_role,
    policy_doc,
    res,
    trust,
)

ACCOUNT = "123456789012"
ORG = "o-abcdefghij"
REPO_ARN = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/"
SPLIT_ACTIONS = [f"ecr:{c}*" for c in string.ascii_uppercase]
FIRST_CHARACTERS = string.ascii_lowercase + string.digits


@pytest.fixture
def pack(running):
    running.configure(QUIET)
    return running


def repository_policy(document, provider):
    if provider == "aws":
        return res(
            "aws:ecr/repositoryPolicy:RepositoryPolicy", {"repository": "app", "policy": document}
        )
    return res(
        "aws-native:ecr:Repository",
        {"repositoryName": "app", "repositoryPolicyText": json.loads(document)},
    )


def identity_policy(document, provider):
    if provider == "aws":
        return res("aws:iam/policy:Policy", {"policy": document})
    return res("aws-native:iam:ManagedPolicy", {"policyDocument": json.loads(document)})


def statement(actions, resources, **extra):
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


PUSH = ["ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"]
PROVIDERS = ["aws", "aws-native"]


# --- actions as sets -------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_split_action_wildcards_in_a_repository_policy_are_every_write(pack, provider):
    grant = allow({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, SPLIT_ACTIONS)
    (message,) = mandatory(pack.analyze(repository_policy(policy_doc(grant), provider)), LEAST)
    assert "together match every ECR write action" in message
    assert "ecr:P*" in message


@pytest.mark.parametrize("provider", PROVIDERS)
def test_split_action_wildcards_on_one_repository_are_every_write(pack, provider):
    document = policy_doc(statement(SPLIT_ACTIONS, REPO_ARN + "app"))
    (message,) = mandatory(pack.analyze(identity_policy(document, provider)), IAM)
    assert "together match every ECR write action" in message


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_few_of_the_split_action_wildcards_pass(pack, provider):
    grant = allow({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, ["ecr:B*", "ecr:G*", "ecr:Desc*"])
    assert mandatory(pack.analyze(repository_policy(policy_doc(grant), provider)), LEAST) == []


# --- repositories as sets ----------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_one_prefix_per_first_character_is_every_repository(pack, provider):
    prefixes = [f"{REPO_ARN}{c}*" for c in FIRST_CHARACTERS]
    (message,) = mandatory(pack.analyze(identity_policy(policy_doc(statement(PUSH, prefixes)), provider)), IAM)  # fmt: skip
    assert "ecr:PutImage" in message and "scope writes to repository ARNs" in message


@pytest.mark.parametrize("provider", PROVIDERS)
def test_prefixes_split_across_statements_are_every_repository(pack, provider):
    statements = [statement(PUSH, f"{REPO_ARN}{c}*") for c in FIRST_CHARACTERS]
    (message,) = mandatory(pack.analyze(identity_policy(policy_doc(*statements), provider)), IAM)
    assert "statements together grant ECR write actions" in message
    assert "which together match every repository" in message


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    "pattern",
    [
        "repository/????*",  # every name of 4 characters or more: all but finitely many
        "repository/?*",
        "repository/*",
        "*",
        "arn:aws:ecr:*",
        "arn:aws:ecr:us-east-1:123456789012:repo*",
        "*/*",
        "repository/${aws:username}",  # a policy variable is whatever the requester's value is
    ],
)
def test_patterns_that_match_every_repository_name_are_refused(pack, provider, pattern):
    resource = pattern if pattern.startswith(("arn:", "*")) else REPO_ARN + pattern.split("/", 1)[1]
    found = pack.analyze(identity_policy(policy_doc(statement(PUSH, resource)), provider))
    assert mandatory(found, IAM), pattern


@pytest.mark.parametrize("provider", PROVIDERS)
def test_prefixes_that_leave_a_first_character_out_pass(pack, provider):
    prefixes = [f"{REPO_ARN}{c}*" for c in FIRST_CHARACTERS[:-1]]  # no name starting with 9
    assert pack.analyze(identity_policy(policy_doc(statement(PUSH, prefixes)), provider)) == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_team_namespace_passes(pack, provider):
    document = policy_doc(statement(PUSH, [REPO_ARN + "payments/*", REPO_ARN + "payments-api"]))
    assert pack.analyze(identity_policy(document, provider)) == []


# --- conditions by meaning: service principals ---------------------------------------------------

CODEBUILD = {"Service": "codebuild.amazonaws.com"}


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    "condition",
    [
        {"StringLike": {"aws:SourceArn": "*"}},
        {"ArnLike": {"aws:SourceArn": "arn:aws:codebuild:*:*:project/*"}},
        {"StringNotEquals": {"aws:SourceAccount": ACCOUNT}},
        {"Null": {"aws:SourceAccount": "false"}},
        {"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}},
        {"StringLike": {"aws:SourceAccount": "1234*"}},
        {"StringEquals": {"aws:SourceAccount": "999999999999"}},  # outside the allowlist
        {"StringLike": {"aws:SourceOrgID": "o-*"}},
    ],
    ids=lambda c: json.dumps(c),
)
def test_service_principal_conditions_that_do_not_pin_the_source_fail(pack, provider, condition):
    pack.configure(QUIET | {"ecr-pack-settings": {"allowedAccounts": [ACCOUNT]}})
    grant = allow(CODEBUILD, ["ecr:BatchGetImage"], Condition=condition)
    (message,) = mandatory(pack.analyze(repository_policy(policy_doc(grant), provider)), LEAST)
    assert "confused deputy" in message


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        {"ArnLike": {"aws:SourceArn": f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/*"}},
        {"StringEquals": {"aws:SourceOrgID": ORG}},
        {"ForAnyValue:StringLike": {"aws:SourceOrgPaths": f"{ORG}/r-ab12/ou-ab12-11111111/*"}},
        # a second, negated condition does not undo the first (IAM ANDs them)
        {"StringEquals": {"aws:SourceAccount": ACCOUNT}, "Null": {"aws:SourceArn": "false"}},
    ],
    ids=lambda c: json.dumps(c),
)
def test_service_principal_conditions_that_pin_the_source_pass(pack, provider, condition):
    pack.configure(
        QUIET | {"ecr-pack-settings": {"allowedAccounts": [ACCOUNT], "allowedOrganizations": [ORG]}}
    )
    grant = allow(CODEBUILD, ["ecr:BatchGetImage"], Condition=condition)
    assert mandatory(pack.analyze(repository_policy(policy_doc(grant), provider)), LEAST) == []


# --- anyone, narrowed by organisation --------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_anyone_in_one_ou_of_an_allowed_organisation_passes(pack, provider):
    pack.configure(
        QUIET
        | {
            "ecr-pack-settings": {
                "allowedAccounts": ["123456789012"],
                "allowedOrganizations": [ORG],
            }
        }
    )
    paths = {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [f"{ORG}/r-ab12/ou-ab12-1/*"]}}
    grant = allow("*", ["ecr:BatchGetImage"], Condition=paths)
    assert mandatory(pack.analyze(repository_policy(policy_doc(grant), provider)), LEAST) == []


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    "condition",
    [
        {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": ["o-*/r-ab12/*"]}},
        {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": ["o-zzzzzzzzzz/r-ab12/*"]}},
        {"StringNotEquals": {"aws:PrincipalOrgID": ORG}},
        {"StringLike": {"aws:PrincipalOrgID": "o-*"}},
    ],
    ids=lambda c: json.dumps(c),
)
def test_anyone_narrowed_by_nothing_allowed_fails(pack, provider, condition):
    pack.configure(
        QUIET
        | {
            "ecr-pack-settings": {
                "allowedAccounts": ["123456789012"],
                "allowedOrganizations": [ORG],
            }
        }
    )
    grant = allow("*", ["ecr:BatchGetImage"], Condition=condition)
    assert mandatory(pack.analyze(repository_policy(policy_doc(grant), provider)), LEAST)


# --- ABAC -------------------------------------------------------------------------------------------

ABAC = {"StringEquals": {"aws:ResourceTag/Team": "${aws:PrincipalTag/Team}"}}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_tag_based_push_passes(pack, provider):
    document = policy_doc(statement(PUSH, REPO_ARN + "*", Condition=ABAC))
    assert pack.analyze(identity_policy(document, provider)) == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_tag_based_push_that_may_also_tag_fails(pack, provider):
    document = policy_doc(statement([*PUSH, "ecr:TagResource"], REPO_ARN + "*", Condition=ABAC))
    assert mandatory(pack.analyze(identity_policy(document, provider)), IAM)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_negated_tag_condition_does_not_narrow(pack, provider):
    negated = {"StringNotEquals": {"aws:ResourceTag/Team": "other"}}
    document = policy_doc(statement(PUSH, REPO_ARN + "*", Condition=negated))
    assert mandatory(pack.analyze(identity_policy(document, provider)), IAM)


# --- role trust by identity provider -------------------------------------------------------------

GITLAB = f"arn:aws:iam::{ACCOUNT}:oidc-provider/gitlab.com"
COGNITO = "cognito-identity.amazonaws.com"
GOOGLE = "accounts.google.com"
GH = "token.actions.githubusercontent.com"
POOL = {f"{COGNITO}:aud": "us-east-1:11111111-2222-3333-4444-555555555555"}

OPEN_TRUST = {
    "github repo:*/*": ({"Federated": GITHUB}, {"StringLike": {f"{GH}:sub": "repo:*/*"}}),
    "github *:*": ({"Federated": GITHUB}, {"StringLike": {f"{GH}:sub": "*:*"}}),
    "github org/*": ({"Federated": GITHUB}, {"StringLike": {f"{GH}:sub": "repo:org/*"}}),
    "github negated sub": (
        {"Federated": GITHUB},
        {"StringNotEquals": {f"{GH}:sub": "repo:org/app:ref:refs/heads/main"}},
    ),
    "gitlab project_path:*": (
        {"Federated": GITLAB},
        {"StringLike": {"gitlab.com:sub": "project_path:*"}},
    ),
    "google without sub": ({"Federated": GOOGLE}, {"StringEquals": {f"{GOOGLE}:aud": "client"}}),
    "cognito unauthenticated": (
        {"Federated": COGNITO},
        {"StringEquals": POOL, "ForAnyValue:StringLike": {f"{COGNITO}:amr": "unauthenticated"}},
    ),
    "cognito without pool": (
        {"Federated": COGNITO},
        {"ForAnyValue:StringLike": {f"{COGNITO}:amr": "authenticated"}},
    ),
}
PINNED_TRUST = {
    "github one repository": (
        {"Federated": GITHUB},
        {"StringLike": {f"{GH}:sub": "repo:org/app:ref:refs/heads/*"}},
    ),
    "gitlab one project": (
        {"Federated": GITLAB},
        {"StringEquals": {"gitlab.com:sub": "project_path:group/app:ref_type:branch:ref:main"}},
    ),
    "google one subject": ({"Federated": GOOGLE}, {"StringEquals": {f"{GOOGLE}:sub": "1234567"}}),
    "cognito authenticated in one pool": (
        {"Federated": COGNITO},
        {"StringEquals": POOL, "ForAnyValue:StringLike": {f"{COGNITO}:amr": "authenticated"}},
    ),
}


@pytest.mark.parametrize("make", [aws_role, native_role, cfn_role])
@pytest.mark.parametrize("case", sorted(OPEN_TRUST))
def test_trust_that_admits_more_than_one_workload_fails(pack, make, case):
    principal, condition = OPEN_TRUST[case]
    found = pack.analyze(make(trust(principal, **condition)))
    assert mandatory(found, IAM), (case, found)


@pytest.mark.parametrize("make", [aws_role, native_role, cfn_role])
@pytest.mark.parametrize("case", sorted(PINNED_TRUST))
def test_trust_pinned_to_one_workload_passes(pack, make, case):
    principal, condition = PINNED_TRUST[case]
    assert pack.analyze(make(trust(principal, **condition))) == [], case


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("sub", ["*:*", "repo:*/*", "repo:org/*"])
def test_the_stack_level_trust_rule_reads_sub_by_meaning(pack, provider, sub):
    condition = {"StringLike": {f"{GH}:sub": sub}}
    push_policy = policy_doc(statement(PUSH, REPO_ARN + "app"))
    if provider == "aws":
        role = res(
            "aws:iam/role:Role",
            {"name": "ci", "assumeRolePolicy": trust({"Federated": GITHUB}, **condition)},
            name="ci",
        )
        push = res("aws:iam/rolePolicy:RolePolicy", {"role": "ci", "policy": push_policy}, name="p")
    else:
        document = json.loads(trust({"Federated": GITHUB}, **condition))
        role = res(
            "aws-native:iam:Role",
            {"roleName": "ci", "assumeRolePolicyDocument": document},
            name="ci",
        )
        push = res(
            "aws-native:iam:RolePolicy",
            {"roleName": "ci", "policyName": "p", "policyDocument": json.loads(push_policy)},
            name="p",
        )
    (message,) = mandatory(pack.analyze_stack([role, push]), "ecr-stack-role-trust")
    assert "repo:<org>/<repo>" in message
