"""Issue 26: every provider the program creates lands where the stack says, and one stack writes
the registry's signing configuration."""

import json

import pulumi
import pytest

from components.settings import SettingsError, load_settings, provider_settings
from tools.preview.mock_engine import run_program

NATIVE_PROVIDER = "pulumi:providers:aws-native"
SIGNING_CONFIGURATION = "aws-native:ecr:SigningConfiguration"
OWNER_SIGNING = {"ecr:registryOwner": True, "ecr:signing": {}}
ROLE = "arn:aws:iam::210987654321:role/deployer"


def test_the_aws_native_provider_gets_the_stacks_role_profile_endpoints_and_accounts():
    run = run_program(
        "prod",
        OWNER_SIGNING
        | {
            "aws:assumeRoles": [
                {
                    "roleArn": ROLE,
                    "sessionName": "ecr-deploy",
                    "externalId": "ext-1",
                    "duration": "1h30m",
                }
            ],
            "aws:profile": "platform",
            "aws:endpoints": [
                {"sts": "https://sts.internal", "cloudcontrolapi": "https://cc.internal"}
            ],
            "aws:allowedAccountIds": ["210987654321"],
        },
    )
    (provider,) = run.of_type(NATIVE_PROVIDER)
    inputs = provider.inputs
    assert inputs["region"] == "ap-northeast-2"
    assert inputs["profile"] == "platform"
    assert json.loads(inputs["assumeRole"]) == {
        "roleArn": ROLE,
        "sessionName": "ecr-deploy",
        "externalId": "ext-1",
        "durationSeconds": 5400,
    }
    assert json.loads(inputs["endpoints"]) == [
        {"cloudcontrol": "https://cc.internal", "sts": "https://sts.internal"}
    ]
    assert json.loads(inputs["allowedAccountIds"]) == ["210987654321"]
    # The signing configuration is written through that provider, not a default one.
    (configuration,) = run.of_type(SIGNING_CONFIGURATION)
    assert configuration.parent == provider.parent


def test_static_credentials_reach_the_created_provider_as_secrets():
    run = run_program(
        "prod",
        OWNER_SIGNING
        | {"aws:accessKey": "AKIAEXAMPLE", "aws:secretKey": "s3cret", "aws:token": "tok"},
    )
    (provider,) = run.of_type(NATIVE_PROVIDER)
    assert (provider.inputs["accessKey"], provider.inputs["secretKey"]) == ("AKIAEXAMPLE", "s3cret")
    assert {"accessKey", "secretKey", "token"} <= set(provider.secret_inputs)


def test_a_stack_that_sets_only_its_region_keeps_the_provider_it_had():
    # No new inputs: an existing stack's provider (and so its signing configuration) is unchanged.
    run = run_program("prod", OWNER_SIGNING)
    (provider,) = run.of_type(NATIVE_PROVIDER)
    assert provider.inputs == {  # as recorded before issue 26 (the SDK's defaults and region)
        "region": "ap-northeast-2",
        "skipCredentialsValidation": "true",
        "skipGetEc2Platforms": "true",
        "skipMetadataApiCheck": "true",
        "skipRegionValidation": "true",
    }


def test_the_local_stack_refuses_managed_signing_naming_why():
    run = None
    with pytest.raises(pulumi.RunError) as raised:
        run_program("local", OWNER_SIGNING)
    message = str(raised.value)
    assert "aws:endpoints = cloudwatch, ecr, events, iam, kms, logs, sns, ssm, sts" in message
    assert "names none for cloudcontrol" in message
    assert "real AWS Cloud Control; refused" in message
    assert "ecr:signing.mode: notation" in message
    # Notation signing (CI signs, no Cloud Control) stays open to the local stack.
    run = run_program("local", {"ecr:signing": {"mode": "notation"}})
    assert run.of_type(NATIVE_PROVIDER) == []


def test_a_role_chain_is_refused_only_when_a_provider_is_created():
    chain = {"aws:assumeRoles": [{"roleArn": ROLE}, {"roleArn": ROLE + "2"}]}
    with pytest.raises(pulumi.RunError) as raised:
        run_program("prod", OWNER_SIGNING | chain)
    assert f'aws:assumeRoles = ["{ROLE}", "{ROLE}2"]: a chain of 2 roles' in str(raised.value)
    # Without managed signing the aws provider alone follows the chain: nothing to refuse.
    assert run_program("prod", chain).of_type(NATIVE_PROVIDER) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"useFipsEndpoint": "true"}, "aws:useFipsEndpoint = true: the aws-native provider has"),
        (
            {"sharedCredentialsFiles": '["/a", "/b"]'},
            'aws:sharedCredentialsFiles = ["/a", "/b"]: the aws-native provider reads one',
        ),
        (
            {"assumeRoles": json.dumps([{"roleArn": ROLE, "sourceIdentity": "me"}])},
            "aws:assumeRoles[0] sets sourceIdentity: the aws-native provider's assumeRole",
        ),
        (
            {"assumeRoles": json.dumps([{"roleArn": ROLE, "duration": "1d"}])},
            "aws:assumeRoles[0].duration = 1d: give it as hours, minutes and seconds",
        ),
    ],
)
def test_what_aws_native_cannot_mirror_is_one_line_naming_the_key(raw, expected):
    provider = provider_settings(raw)
    with pytest.raises(SettingsError) as raised:
        load_settings(
            {"environment": "dev", "services": '{"fileflow": {}}', "registryOwner": "true",
             "signing": "{}"},
            provider=provider,
        )  # fmt: skip
    assert any(p.startswith(expected) for p in raised.value.problems), raised.value.problems
    # The same provider config is no problem for a stack that creates no provider.
    load_settings({"environment": "dev", "services": '{"fileflow": {}}'}, provider=provider)


# --- one writer of the registry's signing configuration ------------------------------------------


def test_managed_signing_needs_the_stack_declared_the_registry_owner():
    with pytest.raises(pulumi.RunError) as raised:
        run_program("prod", {"ecr:signing": {}})
    message = str(raised.value)
    assert "ecr:signing = {}: managed signing writes the account's one registry signing" in message
    assert "set `ecr:registryOwner: true` here" in message
    # Declared: written once, by this stack. Other stacks sign with its profile, or with notation.
    assert len(run_program("prod", OWNER_SIGNING).of_type(SIGNING_CONFIGURATION)) == 1
    for other in ({"mode": "notation"}, {"profileArn": _profile("central")}):
        assert run_program("prod", {"ecr:signing": other}).of_type(SIGNING_CONFIGURATION) == []


def test_registry_wide_resources_keep_their_default_owner():
    # Upgrading: stacks that relied on the default keep their registry-wide resources and URNs.
    run = run_program("dev", {"ecr:replicationRegions": ["eu-west-1"]})
    (registry,) = run.of_type("ecr:index:EcrRegistry")
    assert registry.urn.endswith("::ecr:index:EcrRegistry::ecr-registry")


def _profile(name: str) -> str:
    return f"arn:aws:signer:ap-northeast-2:123456789012:/signing-profiles/{name}"


def test_credentials_stay_out_of_the_settings_repr():
    provider = provider_settings(
        {"accessKey": "AKIAEXAMPLE", "secretKey": "s3cret", "token": "t0k"}
    )
    assert provider.secret_key == "s3cret"
    assert not {"AKIAEXAMPLE", "s3cret", "t0k"} & set(repr(provider).replace("'", " ").split())
