"""Issue 29 over gRPC, as the CLI runs the pack: what the program registers for replication to
another account (the destination's provider, registry policy and creation template) is judged
like any grant and destination: the allowlist, the template coverage, the registry's owner."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.fakes import ACCOUNT_ID
from tests.support.pack_routes import COVERAGE, LEAST, PACK, QUIET, mandatory, policy_doc, res
from tools.preview.mock_engine import run_program
from tools.preview.pack_runner import Resource

PROD, DR = "210987654321", "310987654321"
OWNER = "ecr-stack-registry-owner"
CONFIG: dict[str, Any] = {
    "ecr:services": {"fileflow": {}},
    "ecr:replicationAccounts": [PROD, DR],
    "ecr:replicationDestinations": [
        {"region": "eu-west-1", "account": PROD, "roleArn": f"arn:aws:iam::{PROD}:role/replicate"},
    ],
}


@pytest.fixture
def pack(running):
    running.configure(QUIET)
    return running


@pytest.fixture(scope="module")
def registered() -> list[Resource]:
    return Resource.all_registered(run_program("staging", CONFIG).resources)


def _policy(resources: list[Resource]) -> Resource:
    (policy,) = [r for r in resources if r.type == "aws:ecr/registryPolicy:RegistryPolicy"]
    return policy


def test_the_destination_policy_and_template_pass_with_both_accounts_allowed(pack, registered):
    pack.configure(QUIET | {PACK: {"allowedAccounts": [ACCOUNT_ID, PROD]}})
    policy = _policy(registered)
    assert policy.provider is not None and policy.provider.type == "pulumi:providers:aws"
    assert mandatory(pack.analyze(policy), LEAST) == []
    found = pack.analyze_stack(registered)
    # The replicas in the other account are covered by the template written there: the pack
    # tells its account by the provider's allowedAccountIds.
    assert mandatory(found, COVERAGE) == []
    assert mandatory(found, LEAST) == []


def test_a_source_outside_the_allowlist_is_refused_in_the_destination_policy(pack, registered):
    pack.configure(QUIET | {PACK: {"allowedAccounts": [PROD]}})
    (message,) = mandatory(pack.analyze(_policy(registered)), LEAST)
    assert f"arn:aws:iam::{ACCOUNT_ID}:root" in message
    assert "not in ecr-pack-settings.allowedAccounts" in message


def test_the_unsafe_variants_of_the_grant_are_refused(pack):
    pack.configure(QUIET | {PACK: {"allowedAccounts": [ACCOUNT_ID, PROD]}})
    for statement in (
        {"Effect": "Allow", "Principal": "*", "Action": ["ecr:ReplicateImage"]},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
         "Action": ["ecr:ReplicateImage", "ecr:CreateRepository"]},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
         "Action": ["ecr:*"]},
    ):  # fmt: skip
        grant = res("aws:ecr/registryPolicy:RegistryPolicy", {"policy": policy_doc(statement)})
        assert mandatory(pack.analyze(grant), LEAST), statement


def test_without_a_role_the_replicas_template_is_the_destinations_stacks_business(pack):
    config = CONFIG | {"ecr:replicationDestinations": [{"region": "us-east-1", "account": DR}]}
    run = run_program("staging", config)
    assert "replicationDestinationPolicies" in run.outputs
    (message,) = mandatory(pack.analyze_stack(Resource.all_registered(run.resources)), COVERAGE)
    # The pack cannot see the other stack's template: taken at its worst, until the pack's
    # config names that registry as keeping its own (and only that registry).
    assert f"Replication to us-east-1 in account {DR} has no repository creation template" in (
        message
    )
    resources = Resource.all_registered(run.resources)
    vouched = {"externalReplicationTemplates": [{"account": DR, "region": "us-east-1"}]}
    pack.configure(QUIET | {COVERAGE: vouched})
    assert mandatory(pack.analyze_stack(resources), COVERAGE) == []
    elsewhere = {"externalReplicationTemplates": [{"account": DR, "region": "us-west-2"}]}
    pack.configure(QUIET | {COVERAGE: elsewhere})
    assert mandatory(pack.analyze_stack(resources), COVERAGE)


def test_the_external_templates_setting_is_checked(pack):
    problems = pack.config_problems(
        {COVERAGE: {"externalReplicationTemplates": [{"account": "1234", "region": "us-east-1"}]}}
    )
    assert any("externalReplicationTemplates.0.account" in p and "'1234'" in p for p in problems), (
        problems
    )
    # The pack's own check of its config says what is allowed.
    from policy.ecr_guardrails.config import policy_config_problems

    (problem,) = policy_config_problems(
        COVERAGE, {"externalReplicationTemplates": [{"account": DR, "region": "mars"}]}
    )
    assert "externalReplicationTemplates[0].region" in problem
    assert "a list of {account: 12 digits, region: a region name}" in problem


def test_the_destination_registry_needs_this_stack_named_as_its_owner(pack, registered):
    source = {"account": ACCOUNT_ID, "region": "*", "stacks": ["staging"]}
    both = {PACK: {"allowedAccounts": [ACCOUNT_ID, PROD]}}
    pack.configure(QUIET | both | {OWNER: {"owners": [source]}})
    messages = mandatory(pack.analyze_stack(registered), OWNER)
    assert messages and all("eu-west-1" in m or PROD in m for m in messages), messages
    there = {"account": PROD, "region": "eu-west-1", "stacks": ["staging"]}
    pack.configure(QUIET | both | {OWNER: {"owners": [source, there]}})
    assert mandatory(pack.analyze_stack(registered), OWNER) == []


def test_a_json_encoded_account_list_pins_the_providers_account(pack):
    """The SDKs send a provider's list inputs JSON-encoded: the pack still reads the account."""
    provider = Resource(
        "pulumi:providers:aws", "p", {"region": "eu-west-1",
                                      "allowedAccountIds": json.dumps([PROD])},
        "urn:pulumi:dev::p::pulumi:providers:aws::p",
    )  # fmt: skip
    template = res(
        "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate",
        {"prefix": "ROOT", "appliedFors": ["REPLICATION"], "lifecyclePolicy": "{}"},
        provider=provider,
    )
    replication = res(
        "aws:ecr/replicationConfiguration:ReplicationConfiguration",
        {"replicationConfiguration": {"rules": [
            {"destinations": [{"region": "eu-west-1", "registryId": PROD}]}]}},
    )  # fmt: skip
    assert mandatory(pack.analyze_stack([template, replication]), COVERAGE) == []
    other = res(
        "aws:ecr/replicationConfiguration:ReplicationConfiguration",
        {"replicationConfiguration": {"rules": [
            {"destinations": [{"region": "eu-west-1", "registryId": DR}]}]}},
    )  # fmt: skip
    assert mandatory(pack.analyze_stack([template, other]), COVERAGE)
