"""Issue 24, the rest: the pack settings reach every policy explicitly (whatever their order), one
allowlist in `ecr-pack-settings` for every policy that judges an account, the registry owner's
worst case, registry scanning that covers a repository's scanOnPush, SAML trust, and lifecycle
rules that could free release tags in production. Over gRPC as the CLI runs the pack, both
providers where they apply."""

import inspect
import json

import pulumi_policy.policy as sdk
import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi_policy import EnforcementLevel

from policy.ecr_guardrails.lifecycle_eval import release_problems
from policy.ecr_guardrails.policies import build_policies
from policy.ecr_guardrails.serving import SettingsSource, hand_configure_to
from tests.support.fakes import compliant_repository
from tests.support.pack_routes import (
    IAM,
    KMS,
    LEAST,
    OWN_ACCOUNT,
    PACK,
    QUIET,
    SCAN,
    SCOPED_PUSH,
    TAGS,
    allow,
    aws_role,
    cfn_role,
    mandatory,
    native_role,
    policy_doc,
    res,
)
from tools.preview.mock_engine import run_program
from tools.preview.pack_runner import Resource

FOREIGN = "999999999999"
OWNER = "ecr-stack-registry-owner"
RELEASES = "ecr-lifecycle-keeps-releases-in-production"
ROLE_TRUST = "ecr-stack-role-trust"


@pytest.fixture
def pack(running):
    running.configure(QUIET)
    return running


# --- the settings reach every policy, whatever their order ---------------------------------------


def _struct(values):
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


def _served_diagnostics(policies, source, config, resource):
    """Configure and Analyze on the SDK's own analyzer, as the CLI calls them over gRPC."""
    hand_configure_to(source)
    servicer = sdk._PolicyAnalyzerServicer("ecr-guardrails", "3.0.0", policies,
                                           EnforcementLevel.MANDATORY)  # fmt: skip
    request = pb.ConfigureAnalyzerRequest()
    for policy in policies:
        request.policyConfig[policy.name].enforcementLevel = pb.MANDATORY
    for name, values in config.items():
        request.policyConfig[name].properties.CopyFrom(_struct(values))
    servicer.Configure(request, None)
    response = servicer.Analyze(
        pb.AnalyzeRequest(
            type=resource.type, properties=_struct(resource.props), urn=resource.urn,
            name=resource.name,
        ),
        None,
    )  # fmt: skip
    return sorted((d.policyName, d.message) for d in response.diagnostics)


def test_the_result_does_not_depend_on_the_order_the_policies_run():
    source = SettingsSource()
    policies = build_policies(source)
    config = {PACK: {"productionStacks": ["live"], "allowedAccounts": [FOREIGN]}}
    # Production only by the configured stack glob; a grant to an account only the configured
    # allowlist allows.
    repository = res(
        "aws:ecr/repository:Repository",
        dict(compliant_repository("x").props) | {"imageTagMutability": "MUTABLE"},
        stack="live",
    )
    grant = res(
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
        {"repository": "x", "policy": policy_doc(allow({"AWS": f"arn:aws:iam::{FOREIGN}:root"}))},
        stack="live",
    )
    for resource in (repository, grant):
        first = _served_diagnostics(policies, source, config, resource)
        last = _served_diagnostics(list(reversed(policies)), source, config, resource)
        assert first == last
    # ...and the settings applied in both orders (not the defaults):
    found = _served_diagnostics(list(reversed(policies)), source, config, repository)
    assert any(p == "ecr-repository-immutable-tags-in-production" for p, _ in found), found
    assert _served_diagnostics(list(reversed(policies)), source, config, grant) == []


def test_the_sdk_internals_the_settings_hook_relies_on_are_still_there():
    # hand_configure_to replaces the analyzer class PolicyPack builds, and extends Configure.
    assert "servicer = _PolicyAnalyzerServicer(" in inspect.getsource(sdk.PolicyPack.__init__)
    original = next(c for c in sdk._PolicyAnalyzerServicer.__mro__ if c.__module__ == sdk.__name__)
    assert list(inspect.signature(original.Configure).parameters) == [
        "self",
        "request",
        "_context",
    ]


def test_a_refused_settings_config_is_reported_and_the_defaults_apply(pack):
    pack.configure(QUIET | {PACK: {"allowedAccounts": ["12"]}})
    grant = res(
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
        {"repository": "x", "policy": policy_doc(allow({"AWS": f"arn:aws:iam::{OWN_ACCOUNT}:root"}))},
    )  # fmt: skip
    found = pack.analyze(grant)
    assert any("ecr-pack-settings.allowedAccounts[0]" in m for m in mandatory(found, PACK))
    # the defaults: no allowed account the pack can tell
    assert mandatory(found, LEAST)


# --- one allowlist --------------------------------------------------------------------------------

FOREIGN_TRUST = policy_doc(
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{FOREIGN}:root"},
     "Action": "sts:AssumeRole"}
)  # fmt: skip


@pytest.mark.parametrize("role", [aws_role, native_role, cfn_role])
def test_with_every_allowlist_empty_a_role_trusting_another_account_with_push_fails(running, role):
    running.configure({k: v for k, v in QUIET.items() if k != PACK})  # the documented default
    (message,) = mandatory(running.preview([role(FOREIGN_TRUST)]), IAM)
    assert f"arn:aws:iam::{FOREIGN}:root is not in ecr-pack-settings.allowedAccounts" in message


@pytest.mark.parametrize("role", [aws_role, native_role, cfn_role])
def test_an_account_allowed_once_in_the_settings_is_allowed_by_role_trust_too(pack, role):
    pack.configure(QUIET | {PACK: {"allowedAccounts": [OWN_ACCOUNT, FOREIGN]}})
    assert mandatory(pack.preview([role(FOREIGN_TRUST)]), IAM) == []


def test_the_stack_role_trust_policy_reads_the_same_allowlist(pack):
    role = res("aws:iam/role:Role", {"name": "ci", "assumeRolePolicy": FOREIGN_TRUST})
    attach = res(
        "aws:iam/rolePolicy:RolePolicy", {"role": "ci", "policy": SCOPED_PUSH}, name="push"
    )
    assert mandatory(pack.analyze_stack([role, attach]), ROLE_TRUST)
    pack.configure(QUIET | {PACK: {"allowedAccounts": [OWN_ACCOUNT, FOREIGN]}})
    assert mandatory(pack.analyze_stack([role, attach]), ROLE_TRUST) == []


def test_the_providers_allowed_account_ids_tell_the_stacks_own_account(running):
    running.configure({k: v for k, v in QUIET.items() if k != PACK})
    grant = {"repository": "x", "policy": policy_doc(allow({"AWS": f"arn:aws:iam::{OWN_ACCOUNT}:root"}))}  # fmt: skip
    unpinned = res("aws:ecr/repositoryPolicy:RepositoryPolicy", grant)
    (message,) = mandatory(running.analyze(unpinned), LEAST)
    assert f"cannot tell whether {OWN_ACCOUNT} is this stack's own account" in message
    provider = Resource("pulumi:providers:aws", "p", {"allowedAccountIds": [OWN_ACCOUNT]}, "urn:p")
    pinned = res("aws:ecr/repositoryPolicy:RepositoryPolicy", grant, provider=provider)
    assert mandatory(running.analyze(pinned), LEAST) == []


@pytest.mark.parametrize(
    ("type_", "destinations"),
    [
        ("aws:ecr/replicationConfiguration:ReplicationConfiguration", "destinations"),
        ("aws-native:ecr:ReplicationConfiguration", "destinations"),
    ],
)
def test_replication_to_an_account_the_settings_do_not_allow_fails(pack, type_, destinations):
    config = {"rules": [{destinations: [{"region": "ap-northeast-1", "registryId": FOREIGN}]}]}
    replication = res(type_, {"replicationConfiguration": config})
    (message,) = mandatory(pack.analyze(replication), LEAST)
    assert f"Replication to account {FOREIGN}" in message
    pack.configure(QUIET | {PACK: {"allowedAccounts": [OWN_ACCOUNT, FOREIGN]}})
    assert mandatory(pack.analyze(replication), LEAST) == []


def test_old_per_policy_allowlists_are_refused_naming_the_new_key(pack):
    problems = pack.config_problems({LEAST: {"allowedAccounts": [OWN_ACCOUNT]}})
    pack.configure(QUIET | {LEAST: {"allowedAccounts": [OWN_ACCOUNT]}})
    grant = res(
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
        {"repository": "x", "policy": policy_doc(allow({"AWS": f"arn:aws:iam::{OWN_ACCOUNT}:root"}))},
    )  # fmt: skip
    (message,) = mandatory(pack.analyze(grant), LEAST)
    assert "it moved to ecr-pack-settings.allowedAccounts" in message, (message, problems)


# --- the registry owner: the worst case -----------------------------------------------------------


def _scanning(name, **kwargs):
    return res(
        "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
        {"scanType": "ENHANCED", "rules": EVERYTHING},
        name=name,
        **kwargs,
    )


def test_an_owner_that_cannot_be_told_is_a_mandatory_violation(pack):
    # The stack owns ap-northeast-2 registries; another stack owns the rest. The provider pins
    # no account or region: the pack cannot prove this stack owns where it writes.
    owners = [
        {"account": "*", "region": "ap-northeast-2", "stacks": ["dev"]},
        {"account": "*", "region": "*", "stacks": ["registry"]},
    ]
    pack.configure({k: v for k, v in QUIET.items() if k != PACK} | {OWNER: {"owners": owners}})
    (message,) = mandatory(pack.analyze_stack([_scanning("s")]), OWNER)
    assert "cannot prove it is the owner" in message and "aws:allowedAccountIds" in message


def test_registry_wide_settings_of_an_account_outside_the_allowlist_fail(pack):
    pack.configure(QUIET | {OWNER: {"owners": [{"account": "*", "region": "*", "stacks": ["*"]}]}})
    provider = Resource(
        "pulumi:providers:aws", "p", {"allowedAccountIds": [FOREIGN], "region": "us-east-1"},
        "urn:p",
    )  # fmt: skip
    (message,) = mandatory(pack.analyze_stack([_scanning("s", provider=provider)]), OWNER)
    assert f"account {FOREIGN}" in message and "not in ecr-pack-settings.allowedAccounts" in message


# --- registry scanning covers a repository's scanOnPush --------------------------------------------

EVERYTHING = [{"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}]  # fmt: skip
ON_PUSH = [{"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}]  # fmt: skip


def _unscanned(type_):
    if type_ == "aws:ecr/repository:Repository":
        props = dict(compliant_repository("x").props)
        return res(type_, props | {"imageScanningConfiguration": {"scanOnPush": False}})
    return res(
        type_,
        {"repositoryName": "x", "imageScanningConfiguration": {"scanOnPush": False}, "tags": [
            {"key": k, "value": v} for k, v in TAGS.items()]},
    )  # fmt: skip


REPOSITORY_TYPES = ["aws:ecr/repository:Repository", "aws-native:ecr:Repository"]
SCANNING_TYPES = [
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
    "aws-native:ecr:RegistryScanningConfiguration",
]


@pytest.mark.parametrize("scanning_type", SCANNING_TYPES)
@pytest.mark.parametrize("repository_type", REPOSITORY_TYPES)
@pytest.mark.parametrize(
    ("scan_type", "rules"),
    [("ENHANCED", EVERYTHING), ("ENHANCED", ON_PUSH), ("BASIC", ON_PUSH)],
)
def test_scan_on_push_false_passes_when_the_registry_scans_every_repository(
    pack, scanning_type, repository_type, scan_type, rules
):
    repository = _unscanned(repository_type)
    scanning = res(scanning_type, {"scanType": scan_type, "rules": rules}, name="scan")
    assert mandatory(pack.preview([repository, scanning]), SCAN) == []


@pytest.mark.parametrize("repository_type", REPOSITORY_TYPES)
def test_scan_on_push_false_fails_without_a_registry_configuration_that_covers_it(
    pack, repository_type
):
    repository = _unscanned(repository_type)
    (message,) = mandatory(pack.preview([repository]), SCAN)
    assert "scanOnPush is false" in message
    # A configuration in another region covers nothing here.
    tokyo = Resource("pulumi:providers:aws", "t", {"region": "ap-northeast-1"}, "urn:t")
    elsewhere = res(SCANNING_TYPES[0], {"scanType": "ENHANCED", "rules": EVERYTHING},
                    name="scan", provider=tokyo)  # fmt: skip
    assert mandatory(pack.preview([repository, elsewhere]), SCAN)


def test_registry_scanning_unknown_during_preview_covers_nothing(pack):
    repository = _unscanned(REPOSITORY_TYPES[0])
    unknown = res(SCANNING_TYPES[0], {"scanType": "ENHANCED", "rules": UNKNOWN}, name="scan")
    assert mandatory(pack.preview([repository, unknown]), SCAN)


UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown value


# --- SAML trust -----------------------------------------------------------------------------------

SAML = "arn:aws:iam::123456789012:saml-provider/corp"


def _saml_trust(operator="StringEquals", **conditions):
    statement = {"Effect": "Allow", "Principal": {"Federated": SAML},
                 "Action": "sts:AssumeRoleWithSAML"}  # fmt: skip
    if conditions:
        statement["Condition"] = {operator: conditions}
    return policy_doc(statement)


@pytest.mark.parametrize("role", [aws_role, native_role, cfn_role])
@pytest.mark.parametrize(
    "conditions",
    [
        {},
        {"SAML:aud": "https://signin.aws.amazon.com/saml"},  # AWS's example: every mapped user
        {"SAML:sub": "ci-bot"},
        {"operator": "StringLike", "SAML:aud": "https://signin.aws.amazon.com/saml",
         "SAML:sub": "*"},
        {"operator": "StringNotEquals", "SAML:aud": "https://signin.aws.amazon.com/saml",
         "SAML:sub": "ci-bot"},
    ],
)  # fmt: skip
def test_saml_trust_without_a_pinned_audience_and_subject_fails(pack, role, conditions):
    (message,) = mandatory(pack.preview([role(_saml_trust(**conditions))]), IAM)
    assert "saml-provider/corp without" in message


@pytest.mark.parametrize("role", [aws_role, native_role, cfn_role])
def test_saml_trust_pinned_to_one_subject_passes(pack, role):
    pinned = _saml_trust(**{"SAML:aud": "https://signin.aws.amazon.com/saml", "SAML:sub": "ci-bot"})
    assert mandatory(pack.preview([role(pinned)]), IAM) == []


# --- lifecycle rules in production ------------------------------------------------------------------


def _rules(*rules):
    return json.dumps({"rules": [
        {"rulePriority": i + 1, "selection": selection, "action": {"type": action}}
        for i, (selection, action) in enumerate(rules)
    ]})  # fmt: skip


def _tagged(patterns, count_type, number):
    unit = {} if count_type == "imageCountMoreThan" else {"countUnit": "days"}
    return {"tagStatus": "tagged", "tagPatternList": patterns, "countType": count_type,
            "countNumber": number, **unit}  # fmt: skip


def _any(count_type, number):
    unit = {} if count_type == "imageCountMoreThan" else {"countUnit": "days"}
    return {"tagStatus": "any", "countType": count_type, "countNumber": number, **unit}


UNTAGGED = {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
            "countNumber": 1}  # fmt: skip
PROGRAM = _rules((_tagged(["v*"], "imageCountMoreThan", 30), "expire"), (UNTAGGED, "expire"))

UNSAFE = {
    "expire v* after a day": _rules((_tagged(["v*"], "sinceImagePushed", 1), "expire")),
    "keep 2 releases": _rules((_tagged(["v*"], "imageCountMoreThan", 2), "expire")),
    "any after a day": _rules((UNTAGGED, "expire"), (_any("sinceImagePushed", 1), "expire")),
    "overlapping pattern": _rules((_tagged(["v1.*"], "sinceImagePushed", 3), "expire")),
    "other tag on a release image": _rules((_tagged(["build-*"], "sinceImagePushed", 1), "expire")),
    "archive after a day": _rules((_tagged(["v*"], "sinceImagePushed", 1), "transition")),
    "narrow keep, then any": _rules(
        (_tagged(["v1.*"], "imageCountMoreThan", 30), "expire"),
        (_any("sinceImagePushed", 1), "expire"),
    ),
}


def _lifecycle_routes(text, stack):
    native_repository = {
        "repositoryName": "x",
        "imageScanningConfiguration": {"scanOnPush": True},
        "lifecyclePolicy": {"lifecyclePolicyText": text},
    }
    return [
        res("aws:ecr/lifecyclePolicy:LifecyclePolicy", {"repository": "x", "policy": text},
            stack=stack),
        res("aws-native:ecr:Repository", native_repository, stack=stack),
        res("aws:cloudformation/stack:Stack", {"name": "s", "templateBody": json.dumps({
            "Resources": {"R": {"Type": "AWS::ECR::Repository", "Properties": {
                "RepositoryName": "x", "LifecyclePolicy": {"LifecyclePolicyText": text}}}}})},
            stack=stack),
    ]  # fmt: skip


@pytest.mark.parametrize("name", sorted(UNSAFE))
@pytest.mark.parametrize("route", [0, 1, 2])
def test_a_production_lifecycle_rule_that_can_free_release_tags_fails(pack, name, route):
    resource = _lifecycle_routes(UNSAFE[name], "prod")[route]
    assert mandatory(pack.analyze(resource), RELEASES), name


@pytest.mark.parametrize("route", [0, 1, 2])
def test_the_same_rules_pass_outside_production_and_the_programs_rules_pass_in_it(pack, route):
    for text in UNSAFE.values():
        assert mandatory(pack.analyze(_lifecycle_routes(text, "dev")[route]), RELEASES) == []
    assert mandatory(pack.analyze(_lifecycle_routes(PROGRAM, "prod")[route]), RELEASES) == []


def test_safe_forms_and_the_settings_that_tune_them(pack):
    safe = _rules(
        (_tagged(["v*"], "imageCountMoreThan", 10), "expire"),
        (_any("sinceImagePushed", 1), "expire"),  # v* images are taken by rule 1 first
    )
    assert mandatory(pack.analyze(_lifecycle_routes(safe, "prod")[0]), RELEASES) == []
    aged = _rules((_any("sinceImagePushed", 90), "expire"))
    assert mandatory(pack.analyze(_lifecycle_routes(aged, "prod")[0]), RELEASES) == []
    pack.configure(QUIET | {PACK: {"allowedAccounts": [OWN_ACCOUNT], "minReleaseImagesKept": 50,
                                   "protectedTags": ["stable"]}})  # fmt: skip
    assert mandatory(pack.analyze(_lifecycle_routes(PROGRAM, "prod")[0]), RELEASES)
    stable = _rules((_tagged(["v*"], "imageCountMoreThan", 60), "expire"),
                    (_tagged(["st*"], "sinceImagePushed", 5), "expire"))  # fmt: skip
    (message,) = mandatory(pack.analyze(_lifecycle_routes(stable, "prod")[0]), RELEASES)
    assert "stable" in message


def test_a_production_lifecycle_policy_unknown_during_preview_is_the_worst_case(pack):
    unknown = res("aws:ecr/lifecyclePolicy:LifecyclePolicy", {"repository": "x", "policy": UNKNOWN},
                  stack="prod")  # fmt: skip
    (message,) = mandatory(pack.analyze(unknown), RELEASES)
    assert "unknown during preview" in message


def test_release_problems_follow_ecr_evaluation_order():
    # A `*` keep rule first claims every image: a later aggressive rule cannot take releases.
    first = {"rules": [
        {"rulePriority": 1, "selection": _any("imageCountMoreThan", 100), "action": {"type": "expire"}},
        {"rulePriority": 2, "selection": _tagged(["v*"], "sinceImagePushed", 1), "action": {"type": "expire"}},
    ]}  # fmt: skip
    assert release_problems(first, ("v*",), 10, 90) == []
    # Archived images are judged by the archive-class rules on their own.
    archived = {"rules": [{"rulePriority": 1, "selection": {
        "tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned",
        "countUnit": "days", "countNumber": 30}, "action": {"type": "expire"}}]}  # fmt: skip
    assert release_problems(archived, ("v*",), 10, 90)


# --- the program's own prod stack passes the pack ----------------------------------------------------


def test_the_programs_prod_stack_passes_the_pack_with_the_org_config(running):
    from tools.preview.pack_runner import POLICY_DIR

    org = json.loads((POLICY_DIR / "config" / "org.example.json").read_text())
    org.pop(KMS)  # the placeholder key is not the org's allowlisted one (test_plan covers it)
    running.configure(org | {"ecr-stack-production-signing-profile": "disabled"})
    resources = [Resource.registered(r) for r in run_program("prod").resources]
    assert any(r.type == "aws:ecr/lifecyclePolicy:LifecyclePolicy" for r in resources)
    found = [d for d in running.preview(resources) if d.level == "mandatory"]
    assert found == [], found
