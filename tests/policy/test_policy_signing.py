"""The signing policies over gRPC, as the CLI runs the pack: ECR managed signing through either
route (aws-native, CloudFormation / Cloud Control), central signing, bad signing configurations,
push grants without signer:SignPayload (pulumi-aws and aws-native IAM)."""

from __future__ import annotations

import copy
import json

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from tools.preview.mock_engine import run_program
from tools.preview.pack_runner import Resource

PRODUCTION = "ecr-stack-production-signing-profile"
CONFIGURATION = "ecr-stack-signing-configuration"
PUSH = "ecr-stack-signing-push-permission"
NATIVE = "aws-native:ecr:SigningConfiguration"
PROFILE_ARN = "arn:aws:signer:ap-northeast-2:123456789012:/signing-profiles/ecr_prod"


# The program's repository policy names its own account: the org's allowlist names it too.
ALLOWED = {"ecr-pack-settings": {"allowedAccounts": ["123456789012"]}}


@pytest.fixture
def pack(running):
    running.configure(ALLOWED)
    return running


def resources(stack="prod", overrides=None):
    return [Resource.registered(r) for r in run_program(stack, overrides).resources]


@pytest.fixture(scope="module")
def managed():
    return resources("prod", {"ecr:registryOwner": True, "ecr:signing": {}})


def signing_of(found, *policies):
    return [d for d in found if d.policy in policies]


def replaced(items, type_, change):
    out = []
    for r in items:
        if r.type == type_:
            props = copy.deepcopy(dict(r.props))
            if change(props) == "drop":
                continue
            r = Resource(r.type, r.name, props, r.urn, r.protect, r.parent, r.property_dependencies)
        out.append(r)
    return out


def native_configuration(*filters, arn=PROFILE_ARN, filter_type="WILDCARD_MATCH", urn_stack="prod"):
    rules = [
        {
            "signingProfileArn": arn,
            "repositoryFilters": [{"filter": f, "filterType": filter_type} for f in filters],
        }
    ]
    urn = f"urn:pulumi:{urn_stack}::org::{NATIVE}::signing"
    return Resource(NATIVE, "signing", {"rules": rules}, urn)


def test_the_programs_managed_signing_passes_every_signing_policy(pack, managed):
    assert {r.type for r in managed} >= {NATIVE, "pulumi:providers:aws-native"}
    assert signing_of(pack.preview(managed), PRODUCTION, CONFIGURATION, PUSH) == []


def test_during_preview_the_unknown_profile_arn_is_judged_by_dependency(pack, managed):
    def unknown_arn(props):
        for rule in props["rules"]:
            rule["signingProfileArn"] = UNKNOWN_STRING_VALUE

    previewed = replaced(managed, NATIVE, unknown_arn)
    assert signing_of(pack.analyze_stack(previewed), PRODUCTION, CONFIGURATION, PUSH) == []
    # ... and a profile it depends on that is not on the Notation platform is still caught.
    lambda_profile = replaced(
        previewed,
        "aws:signer/signingProfile:SigningProfile",
        lambda p: p.update(platformId="AWSLambda-SHA384-ECDSA"),
    )
    (found,) = signing_of(pack.analyze_stack(lambda_profile), CONFIGURATION)
    assert found.level == "mandatory"
    assert 'on platform "AWSLambda-SHA384-ECDSA"' in found.message
    assert "Notation-OCI-SHA384-ECDSA" in found.message


def test_a_configuration_that_misses_a_production_repository_is_flagged(pack):
    stack = resources("prod", {"ecr:services": {"fileflow": {}, "billing": {}}})
    found = pack.analyze_stack([*stack, native_configuration("fileflow")])
    (note,) = signing_of(found, PRODUCTION)
    assert note.level == "advisory" and note.urn.endswith("::signing")
    assert "Production repositories billing are not covered" in note.message
    covered = pack.analyze_stack([*stack, native_configuration("fileflow", "bill*")])
    assert signing_of(covered, PRODUCTION) == []


def test_a_configuration_inside_a_cloudformation_template_or_cloud_control_counts(pack):
    stack = resources("prod")
    template = {
        "Resources": {
            "Signing": {
                "Type": "AWS::ECR::SigningConfiguration",
                "Properties": {
                    "Rules": [
                        {
                            "SigningProfileArn": PROFILE_ARN,
                            "RepositoryFilters": [{"Filter": "*", "FilterType": "WILDCARD_MATCH"}],
                        }
                    ]
                },
            }
        }
    }
    cfn = Resource(
        "aws:cloudformation/stack:Stack",
        "org-signing",
        {"name": "org-signing", "templateBody": json.dumps(template)},
        "urn:pulumi:prod::org::aws:cloudformation/stack:Stack::org-signing",
    )
    assert signing_of(pack.analyze_stack([*stack, cfn]), PRODUCTION) == []
    control = Resource(
        "aws:cloudcontrol/resource:Resource",
        "org-signing",
        {
            "typeName": "AWS::ECR::SigningConfiguration",
            "desiredState": json.dumps(template["Resources"]["Signing"]["Properties"]),
        },
        "urn:pulumi:prod::org::aws:cloudcontrol/resource:Resource::org-signing",
    )
    found = pack.analyze_stack([*stack, control])
    assert signing_of(found, PRODUCTION) == []
    # The profile is another stack's: its platform cannot be checked here, which is said.
    assert any("not in this stack: its platform was not checked" in d.message for d in found)


def test_central_signing_raises_no_production_signing_diagnostic(pack):
    unsigned = resources("prod")
    assert [d.policy for d in pack.preview(unsigned)] == [PRODUCTION]
    pack.configure(ALLOWED | {PRODUCTION: {"centralSigning": True}})
    assert pack.preview(unsigned) == []


@pytest.mark.parametrize(
    ("configuration", "expected"),
    [
        (native_configuration("fileflow", filter_type="PREFIX_MATCH"), "must be WILDCARD_MATCH"),
        (native_configuration("Team/*"), 'filter = "Team/*": must be a repository-name wildcard'),
        (native_configuration("a//b"), "must be a repository-name wildcard"),
        (native_configuration(), "has 0 filters; ECR allows 1-100"),
        (native_configuration(*[f"r{i}" for i in range(101)]), "has 101 filters"),
        (native_configuration("fileflow", arn="arn:aws:iam::1:role/x"), "Signer profile ARN"),
    ],
)
def test_bad_signing_configurations_are_mandatory_violations(pack, configuration, expected):
    stack = resources("prod")
    found = signing_of(pack.analyze_stack([*stack, configuration]), CONFIGURATION)
    assert found and all(d.level == "mandatory" for d in found), found
    assert any(expected in d.message for d in found), found


def test_more_than_ten_rules_are_a_violation(pack):
    configuration = native_configuration("fileflow")
    rules = configuration.props["rules"] * 11
    eleven = Resource(NATIVE, "signing", {"rules": rules}, configuration.urn)
    (found,) = signing_of(pack.analyze_stack([eleven]), CONFIGURATION)
    assert "has 11 rules; ECR allows at most 10 per registry" in found.message


def test_a_push_policy_without_sign_payload_is_flagged_under_managed_signing(pack, managed):
    def without_signing(props):
        document = json.loads(props["policy"])
        document["Statement"] = [
            s for s in document["Statement"] if "signer:SignPayload" not in s["Action"]
        ]
        props["policy"] = json.dumps(document)

    found = signing_of(
        pack.analyze_stack(replaced(managed, "aws:iam/policy:Policy", without_signing)), PUSH
    )
    (push,) = found
    assert push.level == "advisory" and push.urn.endswith("::fileflow-push")
    assert "Grants ecr:PutImage on fileflow under ECR managed signing" in push.message
    assert "Allow signer:SignPayload on the signing profile" in push.message


def _native_push(*actions):
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": list(actions),
                "Resource": "arn:aws:ecr:ap-northeast-2:123456789012:repository/team-a/*",
            }
        ],
    }
    return Resource(
        "aws-native:iam:ManagedPolicy",
        "ci-push",
        {"policyDocument": document},
        "urn:pulumi:prod::org::aws-native:iam:ManagedPolicy::ci-push",
    )


def test_aws_native_push_grants_need_sign_payload_where_signing_applies(pack):
    configuration = native_configuration("team-a/*")
    (found,) = signing_of(pack.analyze_stack([configuration, _native_push("ecr:PutImage")]), PUSH)
    assert "team-a/*" in found.message and found.urn.endswith("::ci-push")
    signs = _native_push("ecr:PutImage", "signer:SignPayload")
    assert signing_of(pack.analyze_stack([configuration, signs]), PUSH) == []
    # Pushes outside the signed repositories need nothing.
    other = native_configuration("team-b/*")
    assert signing_of(pack.analyze_stack([other, _native_push("ecr:PutImage")]), PUSH) == []
    # Central signing: every push is signed, so every push grant needs the permission.
    pack.configure(ALLOWED | {PUSH: {"centralSigning": True}})
    assert len(signing_of(pack.analyze_stack([_native_push("ecr:PutImage")]), PUSH)) == 1


def test_central_signing_config_is_validated(pack):
    problems = pack.config_problems({PRODUCTION: {"centralSigning": "yes"}})
    assert any("centralSigning" in p and "boolean" in p for p in problems), problems
