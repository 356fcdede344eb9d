"""What the pack-over-gRPC tests share: the policy names they assert on, the pack config that
quiets unrelated production policies, and small builders for resources and diagnostics."""

import json

from tests.support.fakes import compliant_repository
from tools.preview.pack_runner import Resource

KEY = "arn:aws:kms:ap-northeast-2:123456789012:key/0b6b2a1e-1f0e-4c43-9a51-1a7f0e2d1c11"
TAGS = dict(compliant_repository("x").props["tags"])
LEAST = "ecr-repository-policy-least-privilege"
IAM = "ecr-iam-least-privilege"
KMS = "ecr-repository-require-kms-cmk"
SCAN = "ecr-repository-require-scan-on-push"
IMMUTABLE = "ecr-repository-immutable-tags-in-production"
TAGGED = "ecr-repository-required-tags"
FORCE = "ecr-repository-no-force-delete-in-production"
COVERAGE = "ecr-stack-created-repositories-covered-by-templates"
LIFECYCLE = "ecr-stack-repositories-have-lifecycle-policy"
TEMPLATE_LIFECYCLE = "ecr-creation-template-has-lifecycle-policy"
EMBEDDED = "ecr-embedded-templates-judged"
PACK = "ecr-pack-settings"
OWN_ACCOUNT = "123456789012"
# The organisation's allowlist names the account the test stacks live in (as org.example.json
# does); without it, and without the provider's aws:allowedAccountIds, the pack cannot tell
# that account is the stack's own and refuses every grant naming it.
QUIET = {
    "ecr-stack-production-signing-profile": {"enforcementLevel": "disabled"},
    "ecr-repository-protected-in-production": {"enforcementLevel": "disabled"},
    PACK: {"allowedAccounts": [OWN_ACCOUNT]},
}


def res(type_, props, name="r", stack="dev", **kwargs):
    return Resource(type_, name, props, f"urn:pulumi:{stack}::p::{type_}::{name}", **kwargs)


def mandatory(diagnostics, policy):
    return [d.message for d in diagnostics if d.policy == policy and d.level == "mandatory"]


def policy_doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal, actions=("ecr:PutImage",), **extra):
    return {"Effect": "Allow", "Principal": principal, "Action": list(actions), **extra}


def cfn(*resources, yaml_body=None):
    if yaml_body is not None:
        return yaml_body
    return json.dumps(
        {"Resources": {f"R{i}": {"Type": t, "Properties": p} for i, (t, p) in enumerate(resources)}}
    )


def push_on(resource, action="ecr:PutImage"):
    return {"Effect": "Allow", "Action": action, "Resource": resource}


SCOPED_PUSH = policy_doc(push_on("arn:aws:ecr:ap-northeast-2:123456789012:repository/app"))
GITHUB = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"


def trust(principal, **condition):
    statement = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "sts:AssumeRoleWithWebIdentity",
    }
    if condition:
        statement["Condition"] = condition
    return policy_doc(statement)


def aws_role(trust_policy):
    return res(
        "aws:iam/role:Role",
        {
            "assumeRolePolicy": trust_policy,
            "inlinePolicies": [{"name": "push", "policy": SCOPED_PUSH}],
        },
    )


def native_role(trust_policy):
    return res(
        "aws-native:iam:Role",
        {
            "assumeRolePolicyDocument": json.loads(trust_policy),
            "policies": [{"policyName": "push", "policyDocument": json.loads(SCOPED_PUSH)}],
        },
    )


def cfn_role(trust_policy):
    role = {
        "AssumeRolePolicyDocument": json.loads(trust_policy),
        "Policies": [{"PolicyName": "push", "PolicyDocument": json.loads(SCOPED_PUSH)}],
    }
    return res(
        "aws:cloudformation/stack:Stack",
        {"name": "s", "templateBody": cfn(("AWS::IAM::Role", role))},
    )
