"""Issue 29: replication to other accounts, from stack config to resources (the program under
mocks), and the settings that refuse what must not deploy."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.settings import SettingsError, load_settings
from tests.support.fakes import ACCOUNT_ID, KMS_KEY_ARN
from tools.preview.mock_engine import ProgramRun, run_program

REPLICATION = "aws:ecr/replicationConfiguration:ReplicationConfiguration"
REGISTRY_POLICY = "aws:ecr/registryPolicy:RegistryPolicy"
TEMPLATE = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"
PROVIDER = "pulumi:providers:aws"
PROD_ACCOUNT = "210987654321"
DR_ACCOUNT = "310987654321"
ROLE = f"arn:aws:iam::{PROD_ACCOUNT}:role/ecr-replication"
DEPLOYER = "arn:aws:iam::123456789012:role/deployer"
PROD_KEY = f"arn:aws:kms:eu-west-1:{PROD_ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
PARAMETER = "/shared/kms/ecs-secrets-key-arn"
CONFIG: dict[str, Any] = {
    "ecr:services": {"fileflow": {}, "team/billing": {}},
    "ecr:replicationRegions": ["us-west-2"],
    "ecr:replicationAccounts": [PROD_ACCOUNT, DR_ACCOUNT],
    "ecr:replicationDestinations": [
        {"region": "eu-west-1", "account": PROD_ACCOUNT, "roleArn": ROLE},
        {"region": "us-east-1", "account": DR_ACCOUNT},
    ],
}


def _run(stack: str = "staging", extra: dict[str, Any] | None = None) -> ProgramRun:
    return run_program(
        stack,
        CONFIG | (extra or {}),
        parameters={PARAMETER: KMS_KEY_ARN, f"{PROD_ACCOUNT}:eu-west-1:{PARAMETER}": PROD_KEY},
    )


@pytest.fixture(scope="module")
def run() -> ProgramRun:
    return _run(extra={"aws:assumeRoles": [{"roleArn": DEPLOYER, "sessionName": "ci"}]})


def test_one_rule_copies_to_the_own_regions_then_the_other_accounts(run):
    (configuration,) = run.of_type(REPLICATION)
    (rule,) = configuration.inputs["replicationConfiguration"]["rules"]
    assert rule["destinations"] == [
        {"region": "us-west-2", "registryId": ACCOUNT_ID},
        {"region": "eu-west-1", "registryId": PROD_ACCOUNT},
        {"region": "us-east-1", "registryId": DR_ACCOUNT},
    ]
    assert [f["filter"] for f in rule["repositoryFilters"]] == ["fileflow", "team/billing"]


def test_with_a_role_a_provider_in_that_account_assumes_it_after_the_stacks_role(run):
    (provider,) = run.of_type(PROVIDER)
    assert provider.inputs["region"] == "eu-west-1"
    assert json.loads(provider.inputs["allowedAccountIds"]) == [PROD_ACCOUNT]
    assert json.loads(provider.inputs["assumeRoles"]) == [
        {"roleArn": DEPLOYER, "sessionName": "ci"},
        {"roleArn": ROLE, "sessionName": "ecr-replication"},
    ]


def test_the_destination_registry_lets_the_source_replicate_the_stacks_repositories(run):
    (policy,) = run.of_type(REGISTRY_POLICY)
    (provider,) = run.of_type(PROVIDER)
    assert policy.provider.startswith(provider.urn + "::")
    assert json.loads(policy.inputs["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": f"ReplicationFrom{ACCOUNT_ID}",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
                "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
                "Resource": [
                    f"arn:aws:ecr:eu-west-1:{PROD_ACCOUNT}:repository/fileflow*",
                    f"arn:aws:ecr:eu-west-1:{PROD_ACCOUNT}:repository/team/billing*",
                ],
            }
        ],
    }
    # A registry's one policy: deleting the resource would delete it; it stays (retainOnDelete).
    assert policy.retain_on_delete and not policy.protect


def test_the_destination_gets_a_replication_template_with_its_own_key(run):
    (provider,) = run.of_type(PROVIDER)
    there = [t for t in run.of_type(TEMPLATE) if t.provider.startswith(provider.urn + "::")]
    (template,) = there
    assert template.inputs["appliedFors"] == ["REPLICATION"]
    assert template.inputs["prefix"] == "ROOT"
    assert "region" not in template.inputs  # the provider's: eu-west-1
    assert template.inputs["encryptionConfigurations"][0]["kmsKey"] == PROD_KEY
    assert template.inputs["customRoleArn"].startswith(f"arn:aws:iam::{PROD_ACCOUNT}:role/")
    # The key was read in the destination account, through its provider.
    assert any(r.subject == f"{PROD_ACCOUNT}:eu-west-1:{PARAMETER}" for r in run.reads)


def test_replication_waits_for_the_destinations_policy_and_template(run):
    (configuration,) = run.of_type(REPLICATION)
    component = "ecr:index:EcrReplicationDestination"
    (destination,) = [r for r in run.resources if r.type == component]
    # depends_on a component waits for everything in it: the policy and the template.
    (policy,) = run.of_type(REGISTRY_POLICY)
    (provider,) = run.of_type(PROVIDER)
    there = [t.urn for t in run.of_type(TEMPLATE) if t.provider.startswith(provider.urn + "::")]
    assert destination.name in policy.urn
    assert {policy.urn, *there} <= set(configuration.dependencies)


def test_the_destination_provider_is_configured_like_the_stacks():
    run = _run(
        extra={
            "aws:profile": "platform",
            "aws:endpoints": [{"ecr": "http://127.0.0.1:4566", "sts": "http://127.0.0.1:4566"}],
            "aws:useFipsEndpoint": "true",
            "aws:defaultTags": {"tags": {"Team": "platform"}},
            "aws:forbiddenAccountIds": ["999999999999"],
        }
    )
    (provider,) = run.of_type(PROVIDER)
    inputs = provider.inputs
    assert inputs["profile"] == "platform"
    assert json.loads(inputs["endpoints"]) == [
        {"ecr": "http://127.0.0.1:4566", "sts": "http://127.0.0.1:4566"}
    ]
    assert json.loads(inputs["useFipsEndpoint"]) is True
    assert json.loads(inputs["defaultTags"]) == {"tags": {"Team": "platform"}}
    assert json.loads(inputs["forbiddenAccountIds"]) == ["999999999999"]
    assert json.loads(inputs["allowedAccountIds"]) == [PROD_ACCOUNT]


def test_without_a_role_nothing_is_written_there_and_the_policy_is_an_output(run):
    assert len(run.of_type(REGISTRY_POLICY)) == 1  # only the destination with a role
    policies = run.outputs["replicationDestinationPolicies"]
    assert list(policies) == [f"{DR_ACCOUNT}/us-east-1"]
    document = json.loads(policies[f"{DR_ACCOUNT}/us-east-1"])
    assert document["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    assert document["Statement"][0]["Resource"][0].startswith(
        f"arn:aws:ecr:us-east-1:{DR_ACCOUNT}:repository/"
    )


def test_in_production_the_destination_policy_is_protected():
    run = _run("prod")
    (policy,) = run.of_type(REGISTRY_POLICY)
    assert policy.protect and policy.retain_on_delete


def test_a_destination_in_the_stacks_own_account_stops_the_run():
    own = {
        "ecr:replicationAccounts": [ACCOUNT_ID],
        "ecr:replicationDestinations": [{"region": "eu-west-1", "account": ACCOUNT_ID}],
    }
    with pytest.raises(Exception, match=r"replicationDestinations\[0\].account .*own account"):
        run_program("dev", {"ecr:replicationRegions": []} | own)


def test_a_stack_that_sets_no_destination_gets_no_provider_policy_or_output():
    run = run_program("dev", {"ecr:replicationRegions": ["us-west-2"]})
    assert not run.of_type(PROVIDER) and not run.of_type(REGISTRY_POLICY)
    assert "replicationDestinationPolicies" not in run.outputs


def _problems(**config: Any) -> str:
    raw = {"environment": "dev", "services": json.dumps({"fileflow": None})} | {
        k: json.dumps(v) for k, v in config.items()
    }
    with pytest.raises(SettingsError) as raised:
        load_settings(raw, region="ap-northeast-2")
    return str(raised.value)


def test_an_account_outside_the_allowlist_is_refused_naming_key_value_and_allowlist():
    message = _problems(
        replicationAccounts=[DR_ACCOUNT],
        replicationDestinations=[{"region": "eu-west-1", "account": PROD_ACCOUNT}],
    )
    assert (
        f'ecr:replicationDestinations[0].account = "{PROD_ACCOUNT}": not in '
        f'ecr:replicationAccounts ["{DR_ACCOUNT}"]'
    ) in message


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            {"replicationDestinations": [
                {"region": "eu-west-1", "account": PROD_ACCOUNT,
                 "roleArn": f"arn:aws:iam::{DR_ACCOUNT}:role/x"}]},
            "roleArn = \"arn:aws:iam::310987654321:role/x\": the role must be in the "
            "destination account 210987654321",
        ),
        (
            {"replicationDestinations": [{"region": "eu-west-1", "account": PROD_ACCOUNT}] * 2},
            "replicationDestinations[1] = {\"account\": \"210987654321\", \"region\": "
            "\"eu-west-1\"}: the same destination as ecr:replicationDestinations[0]",
        ),
        (
            {"replicationDestinations": [{"region": "cn-north-1", "account": PROD_ACCOUNT}]},
            "replicationDestinations[0].region = \"cn-north-1\": not in the stack's partition",
        ),
        (
            {"replicationRegions": ["us-west-2", "us-east-1"],
             "replicationDestinations": [
                 {"region": r, "account": PROD_ACCOUNT} for r in
                 ["eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1",
                  "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1",
                  "sa-east-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
                  "ap-northeast-1", "ap-northeast-3", "me-south-1", "af-south-1",
                  "eu-south-1", "ap-east-1", "ap-south-2", "eu-central-2", "il-central-1",
                  "ca-west-1"]]},
            "24 destinations and 2 replicationRegions make 26: replication destinations: at "
            "most 25",
        ),
        (
            {"registryOwner": False,
             "replicationDestinations": [{"region": "eu-west-1", "account": PROD_ACCOUNT}]},
            "must not set ecr:replicationDestinations",
        ),
        (
            {"replicationDestinations": [{"region": "eu-west-1", "account": "1234"}]},
            "replicationDestinations[0].account = \"1234\": must be a 12-digit AWS account id",
        ),
    ],
)  # fmt: skip
def test_what_aws_or_the_allowlist_refuses_is_refused_before_anything_is_created(config, expected):
    assert expected in _problems(replicationAccounts=[PROD_ACCOUNT], **config)


def test_the_stacks_settings_take_both_ways():
    raw = {
        "environment": "dev",
        "services": json.dumps({"fileflow": None}),
        "replicationAccounts": json.dumps([PROD_ACCOUNT]),
        "replicationDestinations": json.dumps(
            [{"region": "eu-west-1", "account": PROD_ACCOUNT, "roleArn": ROLE},
             {"region": "ap-northeast-2", "account": PROD_ACCOUNT}]
        ),
    }  # fmt: skip
    settings = load_settings(raw, region="ap-northeast-2")
    assert [(d.key, d.role_arn) for d in settings.replication_destinations] == [
        (f"{PROD_ACCOUNT}/eu-west-1", ROLE),
        (f"{PROD_ACCOUNT}/ap-northeast-2", None),  # the stack's region, another account: fine
    ]


def test_settings_only_an_aws_provider_takes_reach_the_destination_provider():
    from components.replication import destination_provider_args
    from components.settings import ReplicationDestination, provider_settings

    web = {"roleArn": DEPLOYER, "webIdentityTokenFile": "/var/run/token"}
    settings = provider_settings(
        {
            "region": "ap-northeast-2",
            "assumeRoleWithWebIdentity": json.dumps(web),
            "httpsProxy": "http://proxy.internal:3128",
            "ignoreTags": json.dumps({"keyPrefixes": ["kubernetes.io/"]}),
        }
    )
    args = destination_provider_args(
        settings, ReplicationDestination("eu-west-1", PROD_ACCOUNT, ROLE)
    )
    assert args["region"] == "eu-west-1" and args["allowed_account_ids"] == [PROD_ACCOUNT]
    assert args["https_proxy"] == "http://proxy.internal:3128"
    identity = args["assume_role_with_web_identity"]
    assert (identity.role_arn, identity.web_identity_token_file) == (DEPLOYER, "/var/run/token")
    assert args["ignore_tags"].key_prefixes == ["kubernetes.io/"]
    assert [r.role_arn for r in args["assume_roles"]] == [ROLE]
    assert "profile" not in args  # only what the stack sets
