"""`ecr-stack-registry-owner` over gRPC, as the CLI runs the pack: registry-wide settings (every
route: both providers, CloudFormation, Cloud Control) belong to the stacks the config names as
owners of their account and region; advisory notes while it names none."""

import json

import pytest

from policy.ecr_guardrails.policies import check_config
from tools.preview.pack_runner import Resource

OWNER = "ecr-stack-registry-owner"
NOTES = "ecr-stack-exemption-notes"
ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
QUIET = {
    "ecr-stack-production-signing-profile": {"enforcementLevel": "disabled"},
    "ecr-repository-protected-in-production": {"enforcementLevel": "disabled"},
}
OWNERS = {
    OWNER: {"owners": [{"account": ACCOUNT, "region": "ap-northeast-2", "stacks": ["registry"]}]}
}
SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"


@pytest.fixture(scope="module")
def pack(running):
    return running


def provider(stack, region="ap-northeast-2", account=ACCOUNT):
    props = {"region": region} | ({"allowedAccountIds": [account]} if account else {})
    return Resource(
        "pulumi:providers:aws", "default", props, f"urn:pulumi:{stack}::p::pulumi:providers:aws::d"
    )


def res(type_, props, stack, name="r", **kwargs):
    kwargs.setdefault("provider", provider(stack))
    return Resource(type_, name, props, f"urn:pulumi:{stack}::p::{type_}::{name}", **kwargs)


def scanning(stack, **kwargs):
    rules = [
        {
            "scanFrequency": "SCAN_ON_PUSH",
            "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}],
        }
    ]
    return res(SCANNING, {"scanType": "BASIC", "rules": rules}, stack, "scanning", **kwargs)


def found(diagnostics, policy=OWNER, level="mandatory"):
    return [d.message for d in diagnostics if d.policy == policy and d.level == level]


def test_a_second_stack_managing_registry_settings_in_the_account_is_refused(pack):
    pack.configure(QUIET | OWNERS)
    (message,) = found(pack.analyze_stack([scanning("service-a")]))
    assert "service-a" in message and f"account {ACCOUNT}, region ap-northeast-2" in message
    assert "its owners are registry" in message and "ecr:registryOwner: false" in message


def test_the_owner_passes(pack):
    pack.configure(QUIET | OWNERS)
    diagnostics = pack.analyze_stack([scanning("registry")])
    assert found(diagnostics) == [] and found(diagnostics, NOTES, "advisory") == []


def test_without_owners_each_stack_gets_a_note_of_what_it_manages(pack):
    pack.configure(QUIET)
    replication = res(
        "aws:ecr/replicationConfiguration:ReplicationConfiguration",
        {"replicationConfiguration": {"rules": []}},
        "service-a",
        "replication",
    )
    diagnostics = pack.analyze_stack([scanning("service-a"), replication])
    assert found(diagnostics) == []
    (note,) = [m for m in found(diagnostics, NOTES, "advisory") if OWNER in m]
    assert "scanning (registry scanning configuration)" in note
    assert "replication (replication configuration)" in note and "No owner is configured" in note


def test_another_account_or_region_has_its_own_owner(pack):
    config = {
        OWNER: {
            "owners": [
                {"account": "*", "region": "*", "stacks": ["registry-*"]},
                {"account": ACCOUNT, "region": "ap-northeast-2", "stacks": ["registry-seoul"]},
            ]
        }
    }
    pack.configure(QUIET | config)
    # The account's own entry beats `*`: registry-tokyo may not own Seoul's settings.
    assert found(pack.analyze_stack([scanning("registry-tokyo")]))
    assert not found(pack.analyze_stack([scanning("registry-seoul")]))
    tokyo = provider("registry-tokyo", "ap-northeast-1")
    assert not found(pack.analyze_stack([scanning("registry-tokyo", provider=tokyo)]))
    elsewhere = provider("registry-x", account=OTHER_ACCOUNT)
    assert not found(pack.analyze_stack([scanning("registry-x", provider=elsewhere)]))
    assert found(pack.analyze_stack([scanning("service-x", provider=elsewhere)]))


def test_a_configured_owner_list_that_names_no_one_here_refuses(pack):
    pack.configure(QUIET | OWNERS)
    other = provider("registry", account=OTHER_ACCOUNT)
    (message,) = found(pack.analyze_stack([scanning("registry", provider=other)]))
    assert "names no owner" in message and OTHER_ACCOUNT in message


def test_the_resource_region_property_wins_over_the_provider(pack):
    pack.configure(QUIET | {OWNER: {"owners": [
        {"account": ACCOUNT, "region": "ap-northeast-1", "stacks": ["tokyo"]},
        {"account": ACCOUNT, "region": "ap-northeast-2", "stacks": ["seoul"]},
    ]}})  # fmt: skip
    policy = res(
        "aws:ecr/registryPolicy:RegistryPolicy",
        {
            "policy": json.dumps({"Version": "2012-10-17", "Statement": []}),
            "region": "ap-northeast-1",
        },
        "tokyo",
    )
    assert not found(pack.analyze_stack([policy]))
    (message,) = found(pack.analyze_stack([res(policy.type, dict(policy.props), "seoul")]))
    assert "region ap-northeast-1" in message and "registry policy" in message


REGISTRY_WIDE = {
    "aws pull-through cache rule": (
        "aws:ecr/pullThroughCacheRule:PullThroughCacheRule",
        {"ecrRepositoryPrefix": "hub", "upstreamRegistryUrl": "registry-1.docker.io"},
    ),
    "aws creation template": (
        "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate",
        {"prefix": "ROOT", "appliedFors": ["REPLICATION"]},
    ),
    "aws pull-time exclusion": (
        "aws:ecr/pullTimeUpdateExclusion:PullTimeUpdateExclusion",
        {"principalArn": f"arn:aws:iam::{ACCOUNT}:role/ci"},
    ),
    "aws account setting": (
        "aws:ecr/accountSetting:AccountSetting",
        {"name": "BASIC_SCAN_TYPE_VERSION", "value": "AWS_NATIVE"},
    ),
    "aws-native scanning": (
        "aws-native:ecr:RegistryScanningConfiguration",
        {"scanType": "BASIC", "rules": []},
    ),
    "aws-native signing configuration": ("aws-native:ecr:SigningConfiguration", {"rules": []}),
    "cloudformation replication": (
        "aws:cloudformation/stack:Stack",
        {
            "name": "s",
            "templateBody": json.dumps(
                {
                    "Resources": {
                        "R": {
                            "Type": "AWS::ECR::ReplicationConfiguration",
                            "Properties": {"ReplicationConfiguration": {"Rules": []}},
                        }
                    }
                }
            ),
        },
    ),
    "cloud control pull-time exclusion": (
        "aws:cloudcontrol/resource:Resource",
        {
            "typeName": "AWS::ECR::PullTimeUpdateExclusion",
            "desiredState": json.dumps({"PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/ci"}),
        },
    ),
}


@pytest.mark.parametrize("route", sorted(REGISTRY_WIDE))
def test_every_route_to_a_registry_wide_setting_needs_the_owner(pack, route):
    pack.configure(QUIET | OWNERS)
    type_, props = REGISTRY_WIDE[route]
    assert found(pack.analyze_stack([res(type_, props, "service-a")])), route
    assert not found(pack.analyze_stack([res(type_, props, "registry")])), route


def test_repositories_are_not_registry_wide(pack):
    pack.configure(QUIET | OWNERS)
    repository = res("aws:ecr/repository:Repository", {"name": "app"}, "service-a")
    grant = res(
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
        {"repository": "app", "policy": json.dumps({"Version": "2012-10-17", "Statement": []})},
        "service-a",
    )
    assert found(pack.analyze_stack([repository, grant])) == []


def test_an_unknown_account_is_the_worst_case_even_for_an_owner_of_some_registries(pack):
    # Issue 24: no note that passes. The registry it cannot tell may be another stack's.
    pack.configure(QUIET | {OWNER: {"owners": [
        {"account": ACCOUNT, "region": "*", "stacks": ["registry"]},
        {"account": OTHER_ACCOUNT, "region": "*", "stacks": ["other-registry"]},
    ]}})  # fmt: skip
    unpinned = provider("registry", account=None)
    (message,) = found(pack.analyze_stack([scanning("registry", provider=unpinned)]))
    assert "cannot prove it is the owner" in message and "aws:allowedAccountIds" in message
    assert found(pack.analyze_stack([scanning("service-a", provider=unpinned)]))
    # Owning every registry it may be in, it passes whatever the account.
    pack.configure(QUIET | {OWNER: {"owners": [
        {"account": "*", "region": "*", "stacks": ["registry"]},
    ]}})  # fmt: skip
    assert found(pack.analyze_stack([scanning("registry", provider=unpinned)])) == []


@pytest.mark.parametrize(
    "owners, problem",
    [
        ([{"account": "123", "region": "*", "stacks": ["a"]}], "wrong format"),
        ([{"account": "*", "region": "Seoul", "stacks": ["a"]}], "wrong format"),
        ([{"account": "*", "region": "*", "stacks": []}], "is empty"),
        ([{"account": "*", "region": "*", "stack": ["a"]}], "stacks is a required property"),
        (
            [
                {"account": "*", "region": "*", "stacks": ["a"]},
                {"account": "*", "region": "*", "stacks": ["b"]},
            ],
            "one entry per account and region",
        ),
    ],
)
def test_a_bad_owner_list_is_refused(pack, owners, problem):
    problems = check_config({OWNER: {"owners": owners}})
    assert len(problems) == 1 and problem in problems[0] and "one entry per" in problems[0]
    # The pack refuses it too, whatever the CLI's schema check let through.
    pack.configure(QUIET | {OWNER: {"owners": owners}})
    (message,) = found(pack.analyze_stack([scanning("a")]))
    assert "policy config refused" in message and problem in message


def test_a_stack_set_deploys_anywhere_so_only_its_accounts_owner_may_hold_one(pack):
    pack.configure(QUIET | {OWNER: {"owners": [
        {"account": ACCOUNT, "region": "*", "stacks": ["registry"]},
        {"account": OTHER_ACCOUNT, "region": "*", "stacks": ["other-registry"]},
    ]}})  # fmt: skip
    body = json.dumps(
        {"Resources": {"S": {"Type": "AWS::ECR::RegistryScanningConfiguration",
                             "Properties": {"ScanType": "BASIC", "Rules": []}}}}
    )  # fmt: skip
    stack_set = ("aws:cloudformation/stackSet:StackSet", {"name": "s", "templateBody": body})
    # The provider pins the account, but the stack set's instances may be in any account.
    # Issue 24: the worst case, a mandatory violation (no longer a note that passes).
    (message,) = found(pack.analyze_stack([res(*stack_set, "registry")]))
    assert "an unknown account, an unknown region" in message
    assert "manage registry-wide settings outside stack sets" in message
    assert found(pack.analyze_stack([res(*stack_set, "service-a")]))
