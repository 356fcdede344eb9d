"""The policy pack served over gRPC exactly as the CLI runs it, alone and against the program."""

import copy
import json

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policy.ecr_guardrails.policies import POLICIES
from tests.support.fakes import ACCOUNT_ID, compliant_repository
from tools.preview.mock_engine import run_program
from tools.preview.pack_runner import Resource

REPO = "aws:ecr/repository:Repository"
GOOD = compliant_repository("r1")
URN = GOOD.urn


SIGNING = "ecr-stack-production-signing-profile"
# The production-signing advisory notes every prod stack without a signing profile, the program's
# own prod stack included; tests of the other policies switch it off (its own tests do not).
# The program's stacks here are each their account's registry owner (without `owners`, the owner
# policy notes every stack with registry-wide settings; its own tests are
# tests/policy/test_policy_registry_owner.py).
# The program's repository policy grants its own account (the mocks' placeholder account): the
# organisation's allowlist names it, as org.example.json does (with it empty and the provider's
# aws:allowedAccountIds unset, the pack cannot tell it is the stack's own account and refuses it).
QUIET = {
    SIGNING: {"enforcementLevel": "disabled"},
    "ecr-stack-registry-owner": {"owners": [{"account": "*", "region": "*", "stacks": ["*"]}]},
    "ecr-pack-settings": {"allowedAccounts": [ACCOUNT_ID]},
}


@pytest.fixture
def pack(running):
    running.configure(QUIET)  # every test starts from the pack's defaults, the note aside
    return running


def repository(**changes):
    props = copy.deepcopy(dict(GOOD.props)) | changes
    return Resource(REPO, "r", props, URN, protect=True)


def test_analyzer_info_lists_every_policy_with_its_level_and_schema(pack):
    info = pack.info()
    assert info.name == "ecr-guardrails"
    assert info.supportsConfig
    by_name = {p.name: p for p in info.policies}
    assert set(by_name) == {p.name for p in POLICIES}
    assert by_name["ecr-repository-protected-in-production"].enforcementLevel == 0  # advisory
    assert by_name["ecr-repository-require-kms-cmk"].enforcementLevel == 1  # mandatory
    schema = by_name["ecr-repository-immutable-tags-in-production"].configSchema
    assert set(schema.properties) == {"allowedExclusionFilters", "exemptions"}
    settings = by_name["ecr-pack-settings"].configSchema
    assert list(settings.properties["productionEnvironments"]["default"]) == [
        "prod",
        "production",
        "prd",
    ]
    assert settings.properties["productionStacks"]["minItems"] == 1


def test_a_compliant_repository_has_no_diagnostics(pack):
    assert pack.analyze(repository()) == []


def test_violation_is_reported_mandatory(pack):
    # Scan on push is a stack policy (issue 24: the stack's registry scanning may cover it).
    broken = repository(imageScanningConfiguration={"scanOnPush": False})
    (diagnostic,) = [d for d in pack.preview([broken]) if "scanOnPush" in d.message]
    assert diagnostic.policy == "ecr-repository-require-scan-on-push"
    assert diagnostic.level == "mandatory"
    assert "set it to true" in diagnostic.message


def test_enforcement_level_and_properties_come_from_policy_config(pack):
    broken = repository(imageScanningConfiguration={"scanOnPush": False})
    pack.configure({"ecr-repository-require-scan-on-push": {"enforcementLevel": "advisory"}})
    assert [d.level for d in pack.analyze_stack([broken]) if "scanOnPush" in d.message] == [
        "advisory"
    ]
    pack.configure({"ecr-repository-require-scan-on-push": {"enforcementLevel": "disabled"}})
    assert [d for d in pack.analyze_stack([broken]) if "scanOnPush" in d.message] == []

    live = repository(
        imageTagMutability="MUTABLE", tags={**GOOD.props["tags"], "Environment": "live"}
    )
    live = Resource(REPO, "r", live.props, URN.replace(":prod:", ":web:"), protect=True)
    pack.configure({})
    assert [d.policy for d in pack.analyze(live)] == ["ecr-repository-required-tags"]
    pack.configure(
        {
            "ecr-pack-settings": {"productionEnvironments": ["live"]},
            "ecr-repository-required-tags": {"allowedEnvironments": ["live"]},
        }
    )
    assert [d.policy for d in pack.analyze(live)] == ["ecr-repository-immutable-tags-in-production"]


def test_unknown_values_in_preview_are_not_violations(pack):
    unknown = repository(
        encryptionConfigurations=[{"encryptionType": "KMS", "kmsKey": UNKNOWN_STRING_VALUE}]
    )
    found = pack.analyze(unknown)
    assert [d.level for d in found] == ["advisory"]
    assert "can't be known during preview" in found[0].message


def test_malformed_properties_are_violations_not_crashes(pack):
    policy = Resource("aws:ecr/repositoryPolicy:RepositoryPolicy", "p", {"policy": "{oops"}, URN)
    (diagnostic,) = pack.analyze(policy)
    assert diagnostic.policy == "ecr-repository-policy-least-privilege"
    assert "not valid JSON" in diagnostic.message


def test_analyze_stack_flags_repositories_without_lifecycle(pack):
    (diagnostic,) = pack.analyze_stack([repository()])
    assert diagnostic.policy == "ecr-stack-repositories-have-lifecycle-policy"
    assert diagnostic.urn == URN
    lifecycle = Resource(
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "l",
        {"repository": "r1", "policy": "{}"},
        URN + "-l",
    )
    assert pack.analyze_stack([repository(), lifecycle]) == []


# --- program x pack ------------------------------------------------------------------------------


def program_resources(stack, overrides=None):
    """What the engine would hand the pack for the program's resources in `stack`."""
    return [
        Resource(r.type, r.name, r.inputs, r.urn, r.protect, r.parent, r.property_dependencies)
        for r in run_program(stack, overrides).resources
    ]


@pytest.fixture(scope="module", params=["dev", "staging", "prod"])
def program(request):
    return request.param, program_resources(request.param)


def test_the_program_passes_the_pack(pack, program):
    _, resources = program
    assert pack.preview(resources) == []


def _change(resources, type_, change):
    out = []
    for r in resources:
        if r.type == type_:
            props = copy.deepcopy(dict(r.props))
            protect = r.protect
            result = change(props)
            if result == "drop":
                continue
            if result == "unprotect":
                protect = False
            r = Resource(r.type, r.name, props, r.urn, protect, r.parent, r.property_dependencies)
        out.append(r)
    return out


def _open_policy(props):
    document = json.loads(props["policy"])
    document["Statement"][0]["Principal"] = "*"
    props["policy"] = json.dumps(document)


def _push_everywhere(props):
    document = json.loads(props["policy"])
    for statement in document["Statement"]:
        statement["Resource"] = "*"
    props["policy"] = json.dumps(document)


BREAKS = {
    "push-everywhere": ("aws:iam/policy:Policy", _push_everywhere, "ecr-iam-least-privilege", True),
    "no-encryption": (
        REPO,
        lambda p: p.pop("encryptionConfigurations"),
        "ecr-repository-require-kms-cmk",
        True,
    ),
    "no-scan": (
        REPO,
        lambda p: p.update(imageScanningConfiguration={"scanOnPush": False}),
        "ecr-repository-require-scan-on-push",
        True,
    ),
    "mutable": (
        REPO,
        lambda p: p.update(imageTagMutability="MUTABLE"),
        "ecr-repository-immutable-tags-in-production",
        False,
    ),
    "no-owner": (REPO, lambda p: p["tags"].pop("Owner"), "ecr-repository-required-tags", True),
    "open-policy": (
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
        _open_policy,
        "ecr-repository-policy-least-privilege",
        True,
    ),
    "force-delete": (
        REPO,
        lambda p: p.update(forceDelete=True),
        "ecr-repository-no-force-delete-in-production",
        False,
    ),
    "no-lifecycle": (
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        lambda p: "drop",
        "ecr-stack-repositories-have-lifecycle-policy",
        True,
    ),
    "unprotected": (REPO, lambda p: "unprotect", "ecr-repository-protected-in-production", False),
}


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_each_break_is_flagged_by_its_policy_only(pack, program, name):
    stack, resources = program
    type_, change, expected, everywhere = BREAKS[name]
    found = {d.policy for d in pack.preview(_change(resources, type_, change))}
    # mutability, forceDelete and protection are production rules: elsewhere they pass.
    assert found == ({expected} if everywhere or stack == "prod" else set())


# --- shipped config files ------------------------------------------------------------------------


def _config_file(name):
    from tools.preview.pack_runner import POLICY_DIR

    return json.loads((POLICY_DIR / "config" / name).read_text())


def test_advisory_rollout_config_downgrades_every_policy(pack, program):
    config = _config_file("advisory.json")
    assert set(config) == {p.name for p in POLICIES}
    pack.configure(config | QUIET)
    _, resources = program
    broken = _change(resources, REPO, lambda p: p.update(imageScanningConfiguration={}, tags={}))
    found = pack.preview(broken)
    assert {d.policy for d in found} >= {
        "ecr-repository-require-scan-on-push",
        "ecr-repository-required-tags",
    }
    assert {d.level for d in found} == {"advisory"}


def test_org_example_config_is_accepted_and_applied(pack):
    pack.configure(QUIET | _config_file("org.example.json"))
    latest = repository(
        imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[{"filter": "latest", "filterType": "WILDCARD"}],
    )
    assert pack.analyze(latest) == []
    (diagnostic,) = pack.analyze(Resource(REPO, "r", latest.props, URN, protect=False))
    assert (diagnostic.policy, diagnostic.level) == (
        "ecr-repository-protected-in-production",
        "mandatory",
    )


# --- issue 4 surface: exclusions, cross-account and organisation grants --------------------------


def test_program_grants_and_exclusions_are_judged_against_the_allowlists(pack):
    extras = {
        "fileflow": {
            "pullAccounts": ["210987654321"],
            "pullOrganizationId": "o-a1b2c3d4e5",
            "imageTagMutabilityExclusions": ["latest"],
        }
    }
    resources = program_resources("prod", {"ecr:services": extras})
    found = pack.preview(resources)
    assert {d.policy for d in found} == {
        "ecr-repository-immutable-tags-in-production",
        "ecr-repository-policy-least-privilege",
    }
    assert any("o-a1b2c3d4e5 is not in allowedOrganizations" in d.message for d in found)
    pack.configure(
        QUIET
        | {
            "ecr-repository-immutable-tags-in-production": {"allowedExclusionFilters": ["latest"]},
            "ecr-pack-settings": {
                "allowedOrganizations": ["o-a1b2c3d4e5"],
                "allowedAccounts": ["123456789012"],
            },
        }
    )
    (diagnostic,) = pack.preview(resources)
    assert (
        "arn:aws:iam::210987654321:root is not in ecr-pack-settings.allowedAccounts"
        in diagnostic.message
    )
    pack.configure(
        QUIET
        | {
            "ecr-repository-immutable-tags-in-production": {"allowedExclusionFilters": ["latest"]},
            "ecr-pack-settings": {
                "allowedOrganizations": ["o-a1b2c3d4e5"],
                "allowedAccounts": ["123456789012", "210987654321"],
            },
        }
    )
    assert pack.preview(resources) == []


# --- repository creation templates (issue 11) -------------------------------------------------------

TEMPLATE = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"
CREATING = {
    "ecr:pullThroughCache": {"ecr-public": {"upstream": "public.ecr.aws"}},
    "ecr:replicationRegions": ["ap-northeast-1"],
    "ecr:createOnPushPrefixes": ["team-a/"],
}


@pytest.fixture(scope="module")
def creating():
    return program_resources("prod", CREATING)


def test_the_programs_templates_and_creation_role_pass_the_pack(pack, creating):
    assert len([r for r in creating if r.type == TEMPLATE]) == 3
    assert pack.preview(creating) == []


@pytest.mark.parametrize(
    ("change", "policy"),
    [
        (
            lambda p: "drop" if p.get("region") == "ap-northeast-1" else None,
            "ecr-stack-created-repositories-covered-by-templates",
        ),
        (
            lambda p: "drop" if p["prefix"] == "ecr-public" else None,
            "ecr-stack-created-repositories-covered-by-templates",
        ),
        (
            # Issue 24: without its KMS key's ARN the pack cannot tell the template's account,
            # so it no longer counts as covering replication to an explicit account.
            lambda p: p.update(encryptionConfigurations=[{"encryptionType": "AES256"}]),
            (
                "ecr-repository-require-kms-cmk",
                "ecr-stack-created-repositories-covered-by-templates",
            ),
        ),
        (
            lambda p: p.update(imageTagMutability="MUTABLE"),
            "ecr-repository-immutable-tags-in-production",
        ),
        (lambda p: p.pop("lifecyclePolicy"), "ecr-creation-template-has-lifecycle-policy"),
        (lambda p: p.update(resourceTags={"Owner": "a@b.io"}), "ecr-repository-required-tags"),
    ],
)
def test_each_template_break_is_flagged(pack, creating, change, policy):
    found = pack.preview(_change(creating, TEMPLATE, change))
    expected = set(policy) if isinstance(policy, tuple) else {policy}
    assert found and {d.policy for d in found} == expected, found


def test_production_stacks_without_a_signing_profile_get_an_advisory_note(running):
    # Owners named: signing's registry-wide configuration would otherwise get the owner note.
    running.configure({k: v for k, v in QUIET.items() if k != SIGNING})
    (note,) = running.preview(program_resources("prod"))
    assert (note.policy, note.level) == (SIGNING, "advisory")
    assert "nor an AWS Signer profile on the Notation-OCI-SHA384-ECDSA platform" in note.message
    assert (
        running.preview(program_resources("prod", {"ecr:registryOwner": True, "ecr:signing": {}}))
        == []
    )
    assert running.preview(program_resources("staging")) == []  # not production
