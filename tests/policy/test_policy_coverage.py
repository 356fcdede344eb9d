"""Every way to make or open an ECR repository is judged: aws-native repositories, ECR Public,
IAM holes, the registry scanning configuration, the key allowlist, exemptions, hostile input."""

import datetime
import json

import pytest
from pulumi_policy import StackValidationArgs, StackValidationPolicy

from policy.ecr_guardrails.policies import PREFIX
from tests.support.policy_harness import policy, resource_args, stack_resource, violations

NATIVE = "aws-native:ecr:Repository"
REPO = "aws:ecr/repository:Repository"
KEY = "arn:aws:kms:ap-northeast-2:123456789012:key/abcd"
TAGS = [
    {"key": "Owner", "value": "team@example.com"},
    {"key": "CostCenter", "value": "eng"},
    {"key": "Environment", "value": "prod"},
    {"key": "Lifecycle", "value": "production"},
    {"key": "DataClass", "value": "internal"},
    {"key": "Service", "value": "legacy"},
]


def native(**changes):
    props = {
        "repositoryName": "legacy",
        "encryptionConfiguration": {"encryptionType": "KMS", "kmsKey": KEY},
        "imageScanningConfiguration": {"scanOnPush": True},
        "imageTagMutability": "IMMUTABLE",
        "tags": list(TAGS),
        "lifecyclePolicy": {"lifecyclePolicyText": '{"rules": []}'},
    }
    props.update(changes)
    return {k: v for k, v in props.items() if v is not None}


def check(name, resource_type, props, **kwargs):
    """The policy's violations for one resource in stack prod; a stack policy (scan on push,
    from issue 24) judges a stack of that one resource."""
    if isinstance(policy(PREFIX + name), StackValidationPolicy):
        return violations(
            PREFIX + name, StackValidationArgs([stack_resource(resource_type, props, "r")])
        )
    kwargs.setdefault("provider_props", {"allowedAccountIds": ["123456789012"]})
    return violations(PREFIX + name, resource_args(resource_type, props, stack="prod", **kwargs))


def test_a_compliant_native_repository_passes():
    for name in (
        "repository-require-kms-cmk",
        "repository-require-scan-on-push",
        "repository-immutable-tags-in-production",
        "repository-required-tags",
        "repository-no-force-delete-in-production",
        "repository-policy-least-privilege",
    ):
        assert check(name, NATIVE, native()) == [], name


@pytest.mark.parametrize(
    ("policy", "change", "expected"),
    [
        ("repository-require-kms-cmk", {"encryptionConfiguration": None}, "No encryptionConfigurations"),
        ("repository-require-kms-cmk", {"encryptionConfiguration": {"encryptionType": "AES256"}}, 'encryptionType is "AES256"'),
        ("repository-require-scan-on-push", {"imageScanningConfiguration": {"scanOnPush": False}}, "scanOnPush is false"),
        ("repository-immutable-tags-in-production", {"imageTagMutability": "MUTABLE"}, 'imageTagMutability is "MUTABLE" in production'),
        (
            "repository-immutable-tags-in-production",
            {"imageTagMutability": "IMMUTABLE_WITH_EXCLUSION", "imageTagMutabilityExclusionFilters": [
                {"imageTagMutabilityExclusionFilterType": "WILDCARD", "imageTagMutabilityExclusionFilterValue": "dev-*"}]},
            'filters ["dev-*"] are not in allowedExclusionFilters',
        ),
        ("repository-required-tags", {"tags": TAGS[:2]}, "Missing or empty tags Environment"),
        ("repository-no-force-delete-in-production", {"emptyOnDelete": True}, "forceDelete is true in production (aws-native: emptyOnDelete)"),
        (
            "repository-policy-least-privilege",
            {"repositoryPolicyText": {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}]}},
            "principal * is anyone",
        ),
    ],
)  # fmt: skip
def test_native_repositories_are_judged_by_the_same_rules(policy, change, expected):
    (message,) = check(policy, NATIVE, native(**change))
    assert expected in message


def test_native_repository_without_lifecycle_policy_is_flagged():
    from pulumi_policy import StackValidationArgs

    resources = [
        stack_resource(NATIVE, native(), "ok"),
        stack_resource(NATIVE, native(repositoryName="bare", lifecyclePolicy=None), "bare"),
    ]
    args = StackValidationArgs(resources, None)
    (message,) = violations(PREFIX + "stack-repositories-have-lifecycle-policy", args)
    assert message.startswith("Repository bare has no aws.ecr.LifecyclePolicy")


def test_public_repositories_are_reviewed_and_tagged():
    public = "aws:ecrpublic/repository:Repository"
    (message,) = check("public-repository", public, {"repositoryName": "site", "tags": {}})
    assert 'ECR Public repository "site"' in message
    (tags,) = check("repository-required-tags", public, {"repositoryName": "site"})
    assert tags.startswith("Missing or empty tags Owner")


# --- IAM ------------------------------------------------------------------------------------------


def iam_doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}, "NotAction leaves ECR write actions"),
        ({"Effect": "Allow", "Action": "ecr:PutImage", "NotResource": "arn:aws:ecr:r:1:repository/a"}, "(NotResource)"),
        ({"Effect": "Allow", "Action": "ecr:DeleteRepositoryPolicy", "Resource": "*"}, "ecr:DeleteRepositoryPolicy"),
        ({"Effect": "Allow", "Action": "ecr:PutRegistryPolicy", "Resource": "*"}, "ecr:PutRegistryPolicy"),
        ({"Effect": "Allow", "Action": "ecr:PutImageTagMutability", "Resource": "*"}, "ecr:PutImageTagMutability"),
        ({"Effect": "Allow", "Action": "ecr:PutReplicationConfiguration", "Resource": "*"}, "ecr:PutReplicationConfiguration"),
    ],
)  # fmt: skip
def test_iam_holes_are_closed(statement, expected):
    (message,) = check(
        "iam-least-privilege", "aws:iam/policy:Policy", {"policy": iam_doc(statement)}
    )
    assert expected in message


def test_read_only_and_scoped_iam_passes():
    doc = iam_doc(
        {"Effect": "Allow", "Action": ["ecr:Describe*", "ecr:List*", "ecr:BatchGet*", "ecr:Get*"], "Resource": "*"},
        {"Effect": "Allow", "Action": "ecr:*Image*", "Resource": "arn:aws:ecr:r:1:repository/app"},
        {"Effect": "Allow", "NotAction": ["ecr:*", "ECR-PUBLIC:*"], "Resource": "*"},
        {"Effect": "Deny", "Action": "ecr:*", "Resource": "*"},
    )  # fmt: skip
    assert check("iam-least-privilege", "aws:iam/policy:Policy", {"policy": doc}) == []
    # NotAction ecr:* still allows every ECR Public write
    public = iam_doc({"Effect": "Allow", "NotAction": "ecr:*", "Resource": "*"})
    (message,) = check("iam-least-privilege", "aws:iam/policy:Policy", {"policy": public})
    assert "NotAction leaves ECR write actions (ecr-public:BatchDeleteImage" in message


def test_inline_and_managed_policies_on_identities_are_judged():
    push_everywhere = iam_doc({"Effect": "Allow", "Action": "ecr:PutImage", "Resource": "*"})
    role = {"inlinePolicies": [{"name": "ci", "policy": push_everywhere}],
            "managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser"]}  # fmt: skip
    found = check("iam-least-privilege", "aws:iam/role:Role", role)
    assert found[0].startswith('inline policy "ci": Statement[0]: grants ECR write actions')
    assert "AmazonEC2ContainerRegistryPowerUser" in found[1]
    native_user = {"policies": [{"policyName": "p", "policyDocument": json.loads(push_everywhere)}]}
    assert check("iam-least-privilege", "aws-native:iam:User", native_user)
    attachment = {
        "role": "ci",
        "policyArn": "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryFullAccess",
    }
    (message,) = check(
        "iam-least-privilege", "aws:iam/rolePolicyAttachment:RolePolicyAttachment", attachment
    )
    assert message.startswith(
        "This attachment attaches the AWS managed policy AmazonEC2ContainerRegistryFullAccess"
    )
    read_only = {
        "role": "ci",
        "policyArn": "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
    }
    assert (
        check("iam-least-privilege", "aws:iam/policyAttachment:PolicyAttachment", read_only) == []
    )


def test_a_wildcard_account_principal_is_anyone():
    doc = iam_doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::*:root"},
            "Action": "ecr:BatchGetImage",
        }
    )
    (message,) = check(
        "repository-policy-least-privilege",
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
        {"policy": doc},
    )
    assert "principal AWS:arn:aws:iam::*:root is anyone" in message


# --- registry scanning, key allowlist --------------------------------------------------------------

SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"


def scanning_rule(frequency, *filters):
    return {
        "scanFrequency": frequency,
        "repositoryFilters": [{"filter": f, "filterType": "WILDCARD"} for f in filters],
    }


def test_registry_scanning_must_cover_every_repository():
    policy = "repository-require-scan-on-push"  # the scanning guarantee: mandatory
    assert (
        check(
            policy, SCANNING, {"scanType": "BASIC", "rules": [scanning_rule("SCAN_ON_PUSH", "*")]}
        )
        == []
    )
    assert (
        check(
            policy,
            SCANNING,
            {"scanType": "ENHANCED", "rules": [scanning_rule("CONTINUOUS_SCAN", "*")]},
        )
        == []
    )
    assert check(policy, SCANNING, {"scanType": "BASIC", "rules": [scanning_rule("MANUAL", "*")]})
    assert check(
        policy, SCANNING, {"scanType": "BASIC", "rules": [scanning_rule("SCAN_ON_PUSH", "team-*")]}
    )
    # BASIC without rules is ECR's default: the repositories' own scanOnPush applies
    # ("With basic scanning, you configure your repositories to scan on push", AWS user guide).
    assert check(policy, SCANNING, {"scanType": "BASIC"}) == []
    assert check(policy, SCANNING, {"scanType": "BASIC", "rules": []}) == []
    assert check(policy, SCANNING, {"scanType": "ENHANCED", "rules": []})


def test_allowed_kms_keys():
    props = {"encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": KEY}]}
    other = "arn:aws:kms:ap-northeast-2:123456789012:key/other"
    assert check("repository-require-kms-cmk", REPO, props, config={"allowedKmsKeys": [KEY]}) == []
    (message,) = check(
        "repository-require-kms-cmk", REPO, props, config={"allowedKmsKeys": [other]}
    )
    assert message.startswith(f"kmsKey {KEY} is not in allowedKmsKeys")
    (native_message,) = check(
        "repository-require-kms-cmk", NATIVE, native(), config={"allowedKmsKeys": [other]}
    )
    assert native_message == message


# --- exemptions ------------------------------------------------------------------------------------

AES = {"name": "legacy/api", "encryptionConfigurations": [{"encryptionType": "AES256"}]}


SOON = (datetime.date.today() + datetime.timedelta(days=90)).isoformat()


def exempt(**entry):
    entry = {"stacks": ["*"], **entry}
    return {"exemptions": [{"repository": "legacy/*", "reason": "migrating (TICKET-1)", **entry}]}


def test_an_active_exemption_waives_the_policy_with_a_note():
    from policy.ecr_guardrails.policies import _exemption_notes

    args = resource_args(REPO, AES, stack="prod", config=exempt(expires=SOON))
    assert violations(PREFIX + "repository-require-kms-cmk", args) == []
    notes = []
    _exemption_notes(args, lambda m, urn=None: notes.append(m))
    (note,) = notes
    assert note.startswith("ecr-repository-require-kms-cmk waived by the exemption for legacy/*")
    assert f"migrating (TICKET-1); expires {SOON}" in note and "AES256" in note


def test_expired_stack_limited_and_malformed_exemptions():
    policy = PREFIX + "repository-require-kms-cmk"
    (expired,) = violations(
        policy, resource_args(REPO, AES, stack="prod", config=exempt(expires="2020-01-01"))
    )
    assert expired.endswith(
        "(the exemption for legacy/* (migrating (TICKET-1); expires 2020-01-01) has expired)"
    )
    other_stack = exempt(expires=SOON, stacks=["dev*"])
    assert violations(policy, resource_args(REPO, AES, stack="prod", config=other_stack))
    assert not violations(policy, resource_args(REPO, AES, stack="dev-eu", config=other_stack))
    for bad, why in (
        ({"repository": "legacy/*"}, "is a required property"),
        ({"repository": "x", "reason": "r", "expires": "next week"}, "stacks"),
        ({"repository": "x", "stacks": ["*"], "reason": "r", "expires": "next week"}, "format"),
        ({"repository": "x", "stacks": ["*"], "reason": "r", "expires": "2027-02-30"}, "date"),
        ({"repository": "*", "stacks": ["*"], "reason": "r", "expires": SOON}, "every repository"),
        ({"repository": "?*", "stacks": ["*"], "reason": "r", "expires": SOON}, "every repository"),
        ({"repository": "[a-z]*", "stacks": ["*"], "reason": "r", "expires": SOON}, "every"),
        ({"repository": "x", "stacks": "prod", "reason": "r", "expires": SOON}, "wrong type"),
        ({"repository": "x", "stacks": [], "reason": "r", "expires": SOON}, "is empty"),
        ({"repository": "x", "stacks": ["*"], "reason": "r", "expires": "9999-12-31"}, "365 days"),
        ("legacy", "wrong type"),
    ):
        (message,) = violations(policy, resource_args(REPO, AES, config={"exemptions": [bad]}))
        assert message.startswith("policy config ") and why in message, message


# --- robustness ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        ("aws:iam/policy:Policy", {"policy": "[" * 50_000 + "]" * 50_000}),
        ("aws:iam/policy:Policy", {"policy": '{"Statement": ' + "[" * 900 + "]" * 900 + "}"}),
        ("aws:ecr/repositoryPolicy:RepositoryPolicy", {"policy": '{"Version": ' + "9" * 4301 + "}"}),
        (REPO, {"name": {"a": 1}, "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION", "tags": {"Environment": "prod"},
                "imageTagMutabilityExclusionFilters": [{"filter": {"nested": True}}]}),
        (REPO, {"encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": {"x": 1}}], "tags": []}),
    ],
)  # fmt: skip
def test_hostile_input_is_a_violation_never_a_crash(resource_type, props):
    from pulumi_policy import ResourceValidationPolicy

    from policy.ecr_guardrails.policies import POLICIES

    for each in POLICIES:
        if isinstance(each, ResourceValidationPolicy):
            for message in violations(each.name, resource_args(resource_type, props, stack="prod")):
                assert "object at 0x" not in message and "Proxy" not in message
