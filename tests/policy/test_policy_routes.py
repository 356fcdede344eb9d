"""Every route to a repository, a grant or an identity meets its policy, over gRPC as the CLI
runs the pack: both providers, CloudFormation templates (JSON, YAML, stack sets), Cloud Control,
and the IAM, trust, scanning, production, unknown-value and tag corner cases an adversarial stack
author would try."""

import json

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from tests.support.fakes import compliant_repository
from tests.support.pack_routes import (
    COVERAGE,
    EMBEDDED,
    FORCE,
    GITHUB,
    IAM,
    IMMUTABLE,
    KEY,
    KMS,
    LEAST,
    LIFECYCLE,
    QUIET,
    SCAN,
    SCOPED_PUSH,
    TAGGED,
    TAGS,
    TEMPLATE_LIFECYCLE,
    allow,
    aws_role,
    cfn,
    cfn_role,
    mandatory,
    native_role,
    policy_doc,
    push_on,
    res,
    trust,
)


@pytest.fixture
def pack(running):
    running.configure(QUIET)
    return running


ANYONE_PUSH = policy_doc(allow("*"))
SAME_ACCOUNT_PULL = policy_doc(
    allow({"AWS": "arn:aws:iam::123456789012:root"}, ["ecr:BatchGetImage"])
)


# --- grants --------------------------------------------------------------------------------------

TEMPLATE_PROPS = {
    "prefix": "ROOT",
    "appliedFors": ["PULL_THROUGH_CACHE"],
    "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": KEY}],
    "imageTagMutability": "IMMUTABLE",
    "resourceTags": TAGS,
    "lifecyclePolicy": '{"rules": []}',
}
NATIVE_TEMPLATE_PROPS = {
    "prefix": "ROOT",
    "appliedFor": ["PULL_THROUGH_CACHE"],
    "encryptionConfiguration": {"encryptionType": "KMS", "kmsKey": KEY},
    "imageTagMutability": "IMMUTABLE",
    "resourceTags": [{"key": k, "value": v} for k, v in TAGS.items()],
    "lifecyclePolicy": '{"rules": []}',
}


GRANTS = {
    "aws creation template": res(
        "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate",
        TEMPLATE_PROPS | {"repositoryPolicy": ANYONE_PUSH},
    ),
    "aws-native creation template": res(
        "aws-native:ecr:RepositoryCreationTemplate",
        NATIVE_TEMPLATE_PROPS | {"repositoryPolicy": ANYONE_PUSH},
    ),
    "aws-native registry policy": res(
        "aws-native:ecr:RegistryPolicy", {"policyText": json.loads(ANYONE_PUSH)}
    ),
    "cloud control registry policy": res(
        "aws:cloudcontrol/resource:Resource",
        {
            "typeName": "AWS::ECR::RegistryPolicy",
            "desiredState": json.dumps({"PolicyText": json.loads(ANYONE_PUSH)}),
        },
    ),
    "cloudformation registry policy": res(
        "aws:cloudformation/stack:Stack",
        {
            "name": "s",
            "templateBody": cfn(
                ("AWS::ECR::RegistryPolicy", {"PolicyText": json.loads(ANYONE_PUSH)})
            ),
        },
    ),
    "cloudformation creation template": res(
        "aws:cloudformation/stack:Stack",
        {
            "name": "s",
            "templateBody": cfn(
                (
                    "AWS::ECR::RepositoryCreationTemplate",
                    {
                        "Prefix": "ROOT",
                        "AppliedFor": ["REPLICATION"],
                        "RepositoryPolicy": ANYONE_PUSH,
                    },
                )
            ),
        },
    ),
    "cloud control public repository": res(
        "aws:cloudcontrol/resource:Resource",
        {
            "typeName": "AWS::ECR::PublicRepository",
            "desiredState": json.dumps({"RepositoryPolicyText": json.loads(ANYONE_PUSH)}),
        },
    ),
    "ecr public policy": res(
        "aws:ecrpublic/repositoryPolicy:RepositoryPolicy",
        {"repositoryName": "pub", "policy": ANYONE_PUSH},
    ),
    "aws-native public repository policy": res(
        "aws-native:ecr:PublicRepository",
        {"repositoryName": "pub", "repositoryPolicyText": json.loads(ANYONE_PUSH)},
    ),
    "service principal without source": res(
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
        {"repository": "r", "policy": policy_doc(allow({"Service": "codebuild.amazonaws.com"}))},
    ),
    "ecr:?* action": res(
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
        {
            "repository": "r",
            "policy": policy_doc(allow({"AWS": "arn:aws:iam::123456789012:root"}, ["ecr:?*"])),
        },
    ),
    "ECR:** action": res(
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
        {
            "repository": "r",
            "policy": policy_doc(allow({"AWS": "arn:aws:iam::123456789012:root"}, ["ECR:**"])),
        },
    ),
}


@pytest.mark.parametrize("route", sorted(GRANTS))
def test_every_grant_route_is_judged(pack, route):
    found = pack.analyze(GRANTS[route])
    assert mandatory(found, LEAST), (route, found)


def test_a_service_principal_pinned_to_its_source_passes(pack):
    pinned = allow(
        {"Service": "codebuild.amazonaws.com"},
        Condition={"StringEquals": {"aws:SourceAccount": "123456789012"}},
    )
    policy = res(
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
        {"repository": "r", "policy": policy_doc(pinned)},
    )
    assert pack.analyze(policy) == []


def test_grants_to_accounts_outside_the_allowlist_fail_on_every_route(pack):
    pack.configure(QUIET | {"ecr-pack-settings": {"allowedAccounts": ["123456789012"]}})
    other = policy_doc(allow({"AWS": "arn:aws:iam::999999999999:root"}, ["ecr:BatchGetImage"]))
    template = res(
        "aws-native:ecr:RepositoryCreationTemplate",
        NATIVE_TEMPLATE_PROPS | {"repositoryPolicy": other},
    )
    (message,) = mandatory(pack.analyze(template), LEAST)
    assert "999999999999:root is not in ecr-pack-settings.allowedAccounts" in message


# --- replication across accounts ---------------------------------------------------------------


def replication(type_, account, region="ap-northeast-1"):
    config = {"rules": [{"destinations": [{"region": region, "registryId": account}]}]}
    return res(type_, {"replicationConfiguration": config}, name=f"replication-{account}")


def root_template(region, key=KEY, native=False):
    if native:
        props = NATIVE_TEMPLATE_PROPS | {
            "appliedFor": ["REPLICATION"],
            "encryptionConfiguration": {"encryptionType": "KMS", "kmsKey": key},
        }
        type_ = "aws-native:ecr:RepositoryCreationTemplate"
    else:
        props = TEMPLATE_PROPS | {
            "appliedFors": ["REPLICATION"],
            "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": key}],
        }
        type_ = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"
    return res(type_, props | {"region": region}, name=f"template-{region}")


@pytest.mark.parametrize(
    "type_", ["aws:ecr/replicationConfiguration:ReplicationConfiguration",
              "aws-native:ecr:ReplicationConfiguration"],
)  # fmt: skip
def test_replication_to_another_account_is_judged_against_the_allowlist(pack, type_):
    pack.configure(QUIET | {"ecr-pack-settings": {"allowedAccounts": ["123456789012"]}})
    (message,) = mandatory(pack.analyze(replication(type_, "999999999999")), LEAST)
    assert "Replication to account 999999999999" in message
    assert mandatory(pack.analyze(replication(type_, "123456789012")), LEAST) == []


def test_replication_inside_a_template_is_judged_against_the_allowlist(pack):
    pack.configure(QUIET | {"ecr-pack-settings": {"allowedAccounts": ["123456789012"]}})
    rules = {"Rules": [{"Destinations": [{"Region": "eu-west-1", "RegistryId": "999999999999"}]}]}
    stack = res(
        "aws:cloudformation/stack:Stack",
        {
            "name": "s",
            "templateBody": cfn(
                ("AWS::ECR::ReplicationConfiguration", {"ReplicationConfiguration": rules})
            ),
        },
    )
    (message,) = mandatory(pack.analyze(stack), LEAST)
    assert "template resource R0 (AWS::ECR::ReplicationConfiguration): Replication" in message
    assert mandatory(pack.analyze_stack([stack]), COVERAGE)


@pytest.mark.parametrize("native", [False, True])
def test_a_template_in_this_account_does_not_cover_another_accounts_replicas(pack, native):
    template = root_template("ap-northeast-1", native=native)
    same = replication("aws-native:ecr:ReplicationConfiguration", "123456789012")
    assert mandatory(pack.analyze_stack([template, same]), COVERAGE) == []
    other = replication("aws-native:ecr:ReplicationConfiguration", "999999999999")
    (message,) = mandatory(pack.analyze_stack([template, other]), COVERAGE)
    assert "in account 999999999999" in message
    assert mandatory(pack.analyze_stack([other]), COVERAGE)  # nor does nothing


def test_an_inbound_replication_grant_needs_a_replication_template(pack):
    inbound = policy_doc(
        allow(
            {"AWS": "arn:aws:iam::210987654321:root"},
            ["ecr:CreateRepository", "ecr:ReplicateImage"],
        )
    )
    grant = res(
        "aws:ecr/registryPolicy:RegistryPolicy", {"policy": inbound, "region": "ap-northeast-2"}
    )
    (message,) = mandatory(pack.analyze_stack([grant]), COVERAGE)
    assert "lets other accounts replicate into this registry" in message
    assert mandatory(pack.analyze_stack([grant, root_template("ap-northeast-2")]), COVERAGE) == []


# --- identities: IAM matching, attachments, trust ----------------------------------------------


def iam_policy(*statements):
    return res("aws:iam/policy:Policy", {"policy": policy_doc(*statements)}, name="p")


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:ecr:ap-northeast-2:123456789012:*",
        "arn:aws:ecr:ap-northeast-2:*",
        "arn:aws:ecr:*",
        "arn:aws:ecr:ap-northeast-2:123456789012:repo*",
        "arn:aws:ecr:ap-northeast-2:123456789012:repository/?*",
        "arn:aws:ecr:*:*:repository/*",
        "*",
    ],
)
def test_resource_arns_iam_matches_against_every_repository_fail(pack, resource):
    assert mandatory(pack.analyze(iam_policy(push_on(resource))), IAM), resource


@pytest.mark.parametrize("action", ["ECR:PUTIMAGE", "ecr:Put*", "ecr:?utImage", "ecr:*Layer*"])
def test_actions_match_case_insensitively_with_wildcards(pack, action):
    assert mandatory(pack.analyze(iam_policy(push_on("*", action))), IAM), action


def test_scoped_writes_pass(pack):
    scoped = push_on("arn:aws:ecr:ap-northeast-2:123456789012:repository/team-a/*")
    assert pack.analyze(iam_policy(scoped)) == []


FULL = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryFullAccess"
PUSH_EVERYWHERE = json.loads(policy_doc(push_on("*")))
IDENTITY_ROUTES = {
    "lowercased managed arn": res(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        {"role": "ci", "policyArn": FULL.lower()},
    ),
    "role attachments exclusive": res(
        "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
        {"roleName": "ci", "policyArns": [FULL]},
    ),
    "user attachments exclusive": res(
        "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
        {"userName": "ci", "policyArns": [FULL]},
    ),
    "sso managed attachment": res(
        "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment",
        {"instanceArn": "i", "permissionSetArn": "p", "managedPolicyArn": FULL},
    ),
    "sso inline policy": res(
        "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy",
        {"instanceArn": "i", "permissionSetArn": "p", "inlinePolicy": json.dumps(PUSH_EVERYWHERE)},
    ),
    "aws-native permission set (managed)": res(
        "aws-native:sso:PermissionSet", {"name": "ps", "managedPolicies": [FULL]}
    ),
    "aws-native permission set (inline)": res(
        "aws-native:sso:PermissionSet", {"name": "ps", "inlinePolicy": PUSH_EVERYWHERE}
    ),
    "aws-native managed policy": res(
        "aws-native:iam:ManagedPolicy", {"policyDocument": PUSH_EVERYWHERE}
    ),
    "aws-native role policy": res(
        "aws-native:iam:RolePolicy",
        {"roleName": "ci", "policyName": "p", "policyDocument": PUSH_EVERYWHERE},
    ),
    "inline ecr-public:*": iam_policy(push_on("*", "ecr-public:*")),
    "cloudformation managed policy": res(
        "aws:cloudformation/stack:Stack",
        {
            "name": "s",
            "templateBody": cfn(("AWS::IAM::ManagedPolicy", {"PolicyDocument": PUSH_EVERYWHERE})),
        },
    ),
}


@pytest.mark.parametrize("route", sorted(IDENTITY_ROUTES))
def test_every_identity_route_is_judged(pack, route):
    assert mandatory(pack.analyze(IDENTITY_ROUTES[route]), IAM), route


@pytest.mark.parametrize("name", ["AdministratorAccess", "PowerUserAccess"])
def test_admin_and_power_user_attachments_get_an_advisory_note(pack, name):
    attachment = res(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        {"role": "ci", "policyArn": f"arn:aws:iam::aws:policy/{name}"},
    )
    (note,) = pack.analyze(attachment)
    assert (note.policy, note.level) == ("ecr-iam-broad-managed-policy", "advisory")
    assert f"{name}, which includes every ECR write (ecr:PutImage" in note.message


@pytest.mark.parametrize("make", [aws_role, native_role, cfn_role])
def test_who_can_assume_a_role_with_ecr_write_is_judged(pack, make):
    audience = {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}
    pinned = {"token.actions.githubusercontent.com:sub": "repo:org/app:ref:refs/heads/main"}
    assert mandatory(pack.analyze(make(trust({"AWS": "*"}))), IAM)
    assert mandatory(pack.analyze(make(trust({"Federated": GITHUB}, StringEquals=audience))), IAM)
    wildcard = {"token.actions.githubusercontent.com:sub": "repo:*"}
    assert mandatory(pack.analyze(make(trust({"Federated": GITHUB}, StringLike=wildcard))), IAM)
    assert pack.analyze(make(trust({"Federated": GITHUB}, StringEquals=audience | pinned))) == []
    other = trust({"AWS": "arn:aws:iam::999999999999:root"})
    (message,) = mandatory(pack.analyze(make(other)), IAM)
    assert "999999999999:root is not in ecr-pack-settings.allowedAccounts" in message
    assert "ECR write" in message
    allowed = ["123456789012", "999999999999"]
    pack.configure(QUIET | {"ecr-pack-settings": {"allowedAccounts": allowed}})
    assert pack.analyze(make(other)) == []


def test_a_role_trusting_an_organisation_needs_it_allowlisted(pack):
    org = {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": "sts:AssumeRole",
        "Condition": org,
    }
    role = aws_role(policy_doc(statement))
    (message,) = mandatory(pack.analyze(role), IAM)
    assert "organisation o-a1b2c3d4e5 can assume this role" in message
    pack.configure(
        QUIET
        | {
            "ecr-pack-settings": {
                "allowedAccounts": ["123456789012"],
                "allowedOrganizations": ["o-a1b2c3d4e5"],
            }
        }
    )
    assert pack.analyze(role) == []


def test_a_role_without_ecr_write_may_trust_anyone_as_far_as_this_pack_goes(pack):
    role = res("aws:iam/role:Role", {"assumeRolePolicy": trust({"AWS": "*"})})
    assert pack.analyze(role) == []


# --- repositories by other routes ----------------------------------------------------------------

BAD_CFN_REPOSITORY = {
    "RepositoryName": "sneaky",
    "EncryptionConfiguration": {"EncryptionType": "AES256"},
    "ImageTagMutability": "MUTABLE",
    "ImageScanningConfiguration": {"ScanOnPush": False},
}
YAML_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Name: {Type: String}
Resources:
  Repo:
    Type: AWS::ECR::Repository
    Properties:
      RepositoryName: !Ref Name
      EncryptionConfiguration:
        EncryptionType: AES256
      ImageTagMutability: MUTABLE
      Tags:
        - Key: Owner
          Value: !Sub "${AWS::AccountId}"
"""
REPOSITORY_ROUTES = {
    "cloudformation json": res(
        "aws:cloudformation/stack:Stack",
        {"name": "s", "templateBody": cfn(("AWS::ECR::Repository", BAD_CFN_REPOSITORY))},
        stack="prod",
    ),
    "cloudformation yaml": res(
        "aws:cloudformation/stack:Stack", {"name": "s", "templateBody": YAML_TEMPLATE}, stack="prod"
    ),
    "cloudformation stack set": res(
        "aws:cloudformation/stackSet:StackSet",
        {"name": "s", "templateBody": cfn(("AWS::ECR::Repository", BAD_CFN_REPOSITORY))},
        stack="prod",
    ),
    "cloud control": res(
        "aws:cloudcontrol/resource:Resource",
        {"typeName": "AWS::ECR::Repository", "desiredState": json.dumps(BAD_CFN_REPOSITORY)},
        stack="prod",
    ),
    "nested stack in a template": res(
        "aws:cloudformation/stack:Stack",
        {
            "name": "s",
            "templateBody": cfn(
                (
                    "AWS::CloudFormation::Stack",
                    {"TemplateBody": cfn(("AWS::ECR::Repository", BAD_CFN_REPOSITORY))},
                )
            ),
        },
        stack="prod",
    ),
}


@pytest.mark.parametrize("route", sorted(REPOSITORY_ROUTES))
def test_repositories_inside_templates_meet_every_repository_policy(pack, route):
    found = pack.analyze(REPOSITORY_ROUTES[route])
    for policy in (KMS, IMMUTABLE, TAGGED):
        assert mandatory(found, policy), (route, policy, found)
    assert all("resource " in m or "Cloud Control" in m for m in mandatory(found, KMS))
    if route != "cloudformation yaml":
        # scan on push is a stack policy (issue 24)
        assert mandatory(pack.analyze_stack([REPOSITORY_ROUTES[route]]), SCAN), route


def test_repositories_inside_templates_need_a_lifecycle_policy(pack):
    stack = REPOSITORY_ROUTES["cloudformation json"]
    assert mandatory(pack.analyze_stack([stack]), LIFECYCLE)
    with_lifecycle = dict(BAD_CFN_REPOSITORY) | {"LifecyclePolicy": {"LifecyclePolicyText": "{}"}}
    covered = res(
        "aws:cloudformation/stack:Stack",
        {"name": "s", "templateBody": cfn(("AWS::ECR::Repository", with_lifecycle))},
    )
    assert mandatory(pack.analyze_stack([covered]), LIFECYCLE) == []


@pytest.mark.parametrize(
    "props",
    [
        {"name": "s", "templateUrl": "https://bucket.s3.amazonaws.com/t.json"},
        {"name": "s", "templateBody": "{not: [json, or: yaml"},
        {"name": "s", "templateBody": "just text"},
    ],
)
def test_templates_the_pack_cannot_read_are_violations(pack, props):
    (message,) = mandatory(pack.analyze(res("aws:cloudformation/stack:Stack", props)), EMBEDDED)
    assert "cannot pass it" in message


def test_cloud_control_state_that_is_not_json_is_a_violation(pack):
    resource = res(
        "aws:cloudcontrol/resource:Resource",
        {"typeName": "AWS::ECR::Repository", "desiredState": "{oops"},
    )
    assert mandatory(pack.analyze(resource), EMBEDDED)


def test_a_compliant_template_repository_passes(pack):
    good = {
        "RepositoryName": "fine",
        "EncryptionConfiguration": {"EncryptionType": "KMS", "KmsKey": KEY},
        "ImageTagMutability": "IMMUTABLE",
        "ImageScanningConfiguration": {"ScanOnPush": True},
        "Tags": [{"Key": k, "Value": v} for k, v in TAGS.items()],
        "LifecyclePolicy": {"LifecyclePolicyText": "{}"},
    }
    stack = res(
        "aws:cloudformation/stack:Stack",
        {"name": "s", "templateBody": cfn(("AWS::ECR::Repository", good), ("AWS::SNS::Topic", {}))},
        stack="prod",
    )
    assert pack.preview([stack]) == []


def test_aws_native_creation_templates_are_judged_as_the_repositories_they_create(pack):
    bare = res(
        "aws-native:ecr:RepositoryCreationTemplate",
        {
            "prefix": "ROOT",
            "appliedFor": ["PULL_THROUGH_CACHE"],
            "encryptionConfiguration": {"encryptionType": "AES256"},
            "imageTagMutability": "MUTABLE",
        },
        stack="prod",
    )
    found = pack.analyze(bare)
    for policy in (KMS, IMMUTABLE, TAGGED, TEMPLATE_LIFECYCLE):
        assert mandatory(found, policy), policy
    good = res("aws-native:ecr:RepositoryCreationTemplate", NATIVE_TEMPLATE_PROPS, stack="prod")
    assert pack.analyze(good) == []


@pytest.mark.parametrize(
    "resource",
    [
        res("aws-native:ecr:PullThroughCacheRule", {"ecrRepositoryPrefix": "hub"}),
        replication("aws-native:ecr:ReplicationConfiguration", None),
        res(
            "aws:cloudformation/stack:Stack",
            {"name": "s", "templateBody": cfn(("AWS::ECR::PullThroughCacheRule", {"EcrRepositoryPrefix": "hub"}))},
        ),
    ],
)  # fmt: skip
def test_repositories_ecr_creates_by_other_routes_need_templates(pack, resource):
    assert mandatory(pack.analyze_stack([resource]), COVERAGE)


def test_aws_native_public_repositories_meet_the_public_repository_policy(pack):
    public = res("aws-native:ecr:PublicRepository", {"repositoryName": "pub"})
    pack.configure(QUIET | {"ecr-public-repository": {"enforcementLevel": "mandatory"}})
    assert mandatory(pack.analyze(public), "ecr-public-repository")


# --- registry scanning ---------------------------------------------------------------------------

NOTHING = [{"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "no-such-*", "filterType": "WILDCARD"}]}]  # fmt: skip


@pytest.mark.parametrize(
    "resource",
    [
        res("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
            {"scanType": "ENHANCED", "rules": NOTHING}),
        res("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
            {"scanType": "BASIC", "rules": NOTHING}),
        res("aws-native:ecr:RegistryScanningConfiguration", {"scanType": "ENHANCED", "rules": NOTHING}),
        res("aws:cloudformation/stack:Stack", {"name": "s", "templateBody": cfn((
            "AWS::ECR::RegistryScanningConfiguration",
            {"ScanType": "BASIC", "Rules": [{"ScanFrequency": "SCAN_ON_PUSH",
                                              "RepositoryFilters": [{"Filter": "x", "FilterType": "WILDCARD"}]}]},
        ))}),
    ],
)  # fmt: skip
def test_scanning_switched_off_around_the_rule_is_a_mandatory_violation(pack, resource):
    (message,) = mandatory(pack.analyze_stack([resource]), SCAN)
    assert "whatever each repository's scanOnPush says" in message


def test_registry_scanning_of_everything_passes(pack):
    everything = [{"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}]  # fmt: skip
    resource = res(
        "aws-native:ecr:RegistryScanningConfiguration",
        {"scanType": "ENHANCED", "rules": everything},
    )
    assert [d for d in pack.preview([resource]) if d.level == "mandatory"] == []


# --- production, unknowns, regions, tags ----------------------------------------------------------


@pytest.mark.parametrize("stack", ["prod-eu", "production-apne2", "prod"])
def test_production_by_any_name_pattern(pack, stack):
    props = dict(compliant_repository("x").props) | {
        "imageTagMutability": "MUTABLE",
        "forceDelete": True,
        "tags": TAGS | {"Environment": "staging"},
    }
    found = pack.analyze(res("aws:ecr/repository:Repository", props, stack=stack))
    assert mandatory(found, IMMUTABLE) and mandatory(found, FORCE), stack


def test_production_is_configured_once_for_every_policy(pack):
    props = dict(compliant_repository("x").props) | {
        "forceDelete": True,
        "imageTagMutability": "MUTABLE",
        "tags": TAGS | {"Environment": "staging"},
    }
    repository = res("aws:ecr/repository:Repository", props, stack="live")
    assert mandatory(pack.analyze(repository), FORCE) == []
    pack.configure(QUIET | {"ecr-pack-settings": {"productionStacks": ["live"]}})
    found = pack.analyze(repository)
    assert mandatory(found, FORCE) and mandatory(found, IMMUTABLE)


def test_an_unknown_template_prefix_hides_no_other_coverage_finding(pack):
    unknown = res(
        "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate",
        TEMPLATE_PROPS | {"prefix": UNKNOWN_STRING_VALUE, "region": "ap-northeast-2"},
    )
    far = res(
        "aws:ecr/pullThroughCacheRule:PullThroughCacheRule",
        {"ecrRepositoryPrefix": "hub", "region": "eu-west-1"},
    )
    near = res(
        "aws:ecr/pullThroughCacheRule:PullThroughCacheRule",
        {"ecrRepositoryPrefix": "q", "region": "ap-northeast-2"},
        name="near",
    )
    found = pack.analyze_stack([unknown, far, near])
    (violation,) = [d for d in found if d.policy == COVERAGE]
    assert violation.level == "mandatory" and "hub" in violation.message
    notes = [d for d in found if d.policy == "ecr-stack-exemption-notes"]
    assert notes and "could not judge" in notes[0].message


def test_an_unknown_lifecycle_repository_hides_no_other_lifecycle_finding(pack):
    def repository(name, region):
        props = dict(compliant_repository(name).props) | {"region": region}
        return res("aws:ecr/repository:Repository", props, name=name)

    lifecycle = res(
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        {"repository": UNKNOWN_STRING_VALUE, "policy": "{}", "region": "ap-northeast-2"},
        name="l",
    )
    found = pack.analyze_stack(
        [repository("a", "ap-northeast-2"), repository("b", "eu-west-1"), lifecycle]
    )
    (violation,) = [d for d in found if d.policy == LIFECYCLE]
    assert "Repository b in eu-west-1" in violation.message
    assert any(
        d.policy == "ecr-stack-exemption-notes" and "repository a" in d.message for d in found
    )


def test_lifecycle_policies_cover_repositories_of_their_own_region_only(pack):
    repository = res(
        "aws:ecr/repository:Repository",
        dict(compliant_repository("app").props) | {"region": "ap-northeast-2"},
        name="app",
    )
    elsewhere = res(
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        {"repository": "app", "policy": "{}", "region": "us-east-1"},
        name="l",
    )
    assert mandatory(pack.analyze_stack([repository, elsewhere]), LIFECYCLE)
    here = res(
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        {"repository": "app", "policy": "{}", "region": "ap-northeast-2"},
        name="l2",
    )
    assert mandatory(pack.analyze_stack([repository, here]), LIFECYCLE) == []


@pytest.mark.parametrize("value", ["\u3164", "\u200b", " \u2800 ", "\ufeff"])
def test_invisible_tag_values_count_as_empty(pack, value):
    props = dict(compliant_repository("x").props) | {"tags": TAGS | {"CostCenter": value}}
    (message,) = mandatory(pack.analyze(res("aws:ecr/repository:Repository", props)), TAGGED)
    assert "CostCenter" in message


def test_a_role_given_ecr_write_by_another_resource_is_judged_with_its_trust(pack):
    role = res(
        "aws:iam/role:Role", {"name": "ci", "assumeRolePolicy": trust({"AWS": "*"})}, name="ci"
    )
    push = res("aws:iam/rolePolicy:RolePolicy", {"role": "ci", "policy": SCOPED_PUSH}, name="push")
    found = pack.analyze_stack([role, push])
    (message,) = mandatory(found, "ecr-stack-role-trust")
    assert "anyone" in message and [d.urn for d in found if d.policy == "ecr-stack-role-trust"] == [
        role.urn
    ]
    # by dependency (the role's name unknown in preview), and through an attached policy of the stack
    standalone = res("aws:iam/policy:Policy", {"policy": SCOPED_PUSH}, name="standalone")
    attachment = res(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        {"role": UNKNOWN_STRING_VALUE, "policyArn": UNKNOWN_STRING_VALUE},
        name="attach",
        property_dependencies={"role": [role.urn], "policyArn": [standalone.urn]},
    )
    assert mandatory(pack.analyze_stack([role, standalone, attachment]), "ecr-stack-role-trust")
    exclusive = res(
        "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
        {"roleName": "ci", "policyArns": [FULL]},
        name="exclusive",
    )
    assert mandatory(pack.analyze_stack([role, exclusive]), "ecr-stack-role-trust")
    pinned = res(
        "aws:iam/role:Role",
        {
            "name": "ci",
            "assumeRolePolicy": trust({"AWS": "arn:aws:iam::123456789012:role/deployer"}),
        },
        name="ci",
    )
    assert pack.analyze_stack([pinned, push]) == []
    native = res(
        "aws-native:iam:Role",
        {"roleName": "ci", "assumeRolePolicyDocument": json.loads(trust({"Federated": GITHUB}))},
        name="native",
    )
    native_push = res(
        "aws-native:iam:RolePolicy",
        {"roleName": "ci", "policyName": "p", "policyDocument": json.loads(SCOPED_PUSH)},
        name="native-push",
    )
    assert mandatory(pack.analyze_stack([native, native_push]), "ecr-stack-role-trust")


def test_a_refused_pack_settings_config_blocks_the_update_and_the_defaults_apply(pack):
    # The CLI's schema check refuses this first (minItems); the pack refuses it too.
    pack.configure(QUIET | {"ecr-pack-settings": {"productionStacks": [], "extra": 1}})
    props = dict(compliant_repository("x").props) | {
        "forceDelete": True,
        "tags": TAGS | {"Environment": "dev"},
    }
    found = pack.analyze(res("aws:ecr/repository:Repository", props, stack="prod-eu"))
    (refused,) = mandatory(found, "ecr-pack-settings")
    assert "productionStacks = []: is empty" in refused and "extra is not a setting" in refused
    assert mandatory(found, FORCE)  # prod-eu is production by the default definition
