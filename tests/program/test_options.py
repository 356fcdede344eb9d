"""Issue 30: what the real engine does on update and delete, decided in the program.

The mock runtime never updates or deletes, so these tests check the options, names and inputs
the engine would act on: every registered type has a row in components/options.py and carries
that row's options; per-item resources keep their URN when another item goes; the signing
profile's name follows its validity.
"""

import json

import pytest

from components.options import OPTIONS
from tests.support.fakes import AUDIT, BACKUP, EVERYTHING
from tools.preview.mock_engine import ProgramRun, run_program

EXCLUSION = "aws:ecr/pullTimeUpdateExclusion:PullTimeUpdateExclusion"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
TEMPLATE = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"
PROFILE = "aws:signer/signingProfile:SigningProfile"


@pytest.fixture(scope="module")
def prod() -> ProgramRun:
    return run_program("prod", EVERYTHING)


@pytest.fixture(scope="module")
def staging() -> ProgramRun:
    return run_program("staging", EVERYTHING)


def _custom(run: ProgramRun) -> list:
    return [r for r in run.resources if r.custom]


def test_every_registered_type_has_a_row_and_carries_its_options(prod, staging):
    for run, production in ((prod, True), (staging, False)):
        for r in _custom(run):
            assert r.type in OPTIONS, f"{r.type} has no row in components/options.py"
            row = OPTIONS[r.type]
            where = f"{run.config['ecr:environment']}: {r.type} {r.name}"
            assert r.retain_on_delete == row.registry_wide, where
            assert r.delete_before_replace == row.delete_before_replace, where
            if row.protect_in_production:
                # Adoption protects too; nothing here adopts, so protect is production's.
                assert r.protect == production, where


def test_the_registry_wide_settings_are_retained_everywhere_and_protected_in_prod(prod, staging):
    registry_wide = {t for t, row in OPTIONS.items() if row.registry_wide}
    found = {r.type for r in _custom(prod) if r.type in registry_wide}
    assert found == {
        "aws:ecr/replicationConfiguration:ReplicationConfiguration",
        "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
        "aws:ecr/accountSetting:AccountSetting",
        "aws-native:ecr:SigningConfiguration",
    }
    for r in _custom(prod):
        if r.type in registry_wide:
            assert r.options["retainOnDelete"] is True and r.options["protect"] is True
    for r in _custom(staging):
        if r.type in registry_wide:
            assert r.options["retainOnDelete"] is True and "protect" not in r.options


def test_same_key_replacements_delete_first_and_repositories_never_do(prod):
    cache = prod.one(
        "aws:ecr/pullThroughCacheRule:PullThroughCacheRule", "ecr-registry-cache-ecr-public"
    )
    assert cache.options["deleteBeforeReplace"] is True
    assert all(t.options["deleteBeforeReplace"] for t in prod.of_type(TEMPLATE))
    for repository in prod.of_type("aws:ecr/repository:Repository"):
        assert "deleteBeforeReplace" not in repository.options  # that would delete the images


def test_ecr_creates_repositories_only_after_the_templates_and_the_role_can_be_used(prod):
    templates = {t.urn for t in prod.of_type(TEMPLATE)}
    assert len(templates) == 3  # ecr-public, team-a, the replication region's ROOT
    waiting = [
        *prod.of_type("aws:ecr/pullThroughCacheRule:PullThroughCacheRule"),
        *prod.of_type("aws:ecr/replicationConfiguration:ReplicationConfiguration"),
    ]
    assert len(waiting) == 2
    for r in waiting:
        assert templates <= set(r.dependencies), r.name
    (grant,) = prod.of_type("aws:iam/rolePolicy:RolePolicy")
    for template in prod.of_type(TEMPLATE):
        assert grant.urn in template.dependencies


def test_exclusion_filters_are_sent_sorted(prod):
    repository = prod.one("aws:ecr/repository:Repository", "fileflow")
    filters = [f["filter"] for f in repository.inputs["imageTagMutabilityExclusionFilters"]]
    assert filters == ["a-*", "z-*"]


def _by_item(run: ProgramRun, type_: str, field: str) -> dict[str, str]:
    return {r.inputs[field]: r.urn for r in run.of_type(type_)}


def test_removing_a_list_item_leaves_the_others_urns_unchanged(prod):
    fewer = dict(EVERYTHING)
    fewer["ecr:pullTimeExclusions"] = [BACKUP, AUDIT]  # the first one goes
    fewer["ecr:alerts"] = {**EVERYTHING["ecr:alerts"], "emails": ["ops@example.com"]}
    after = run_program("prod", fewer)
    before_exclusions = _by_item(prod, EXCLUSION, "principalArn")
    after_exclusions = _by_item(after, EXCLUSION, "principalArn")
    assert set(after_exclusions) == {BACKUP, AUDIT}
    assert all(after_exclusions[p] == before_exclusions[p] for p in (BACKUP, AUDIT))
    before_emails = _by_item(prod, SUBSCRIPTION, "endpoint")
    after_emails = _by_item(after, SUBSCRIPTION, "endpoint")
    assert after_emails == {"ops@example.com": before_emails["ops@example.com"]}


def test_an_unchanged_config_upgrades_from_index_names_through_aliases(prod):
    """Before issue 30 the items were named by position (`-0`, `-1`, ...). For the same config,
    each item's alias is the URN its position gave it, so `pulumi up` renames in place."""
    principals = EVERYTHING["ecr:pullTimeExclusions"]
    for index, principal in enumerate(principals):
        (r,) = [e for e in prod.of_type(EXCLUSION) if e.inputs["principalArn"] == principal]
        old = r.urn.rsplit("::", 1)[0] + f"::ecr-registry-pull-time-exclusion-{index}"
        assert r.aliases == (old,)
    for index, email in enumerate(EVERYTHING["ecr:alerts"]["emails"]):
        (r,) = [s for s in prod.of_type(SUBSCRIPTION) if s.inputs["endpoint"] == email]
        assert r.aliases == (r.urn.rsplit("::", 1)[0] + f"::ecr-alerts-email-{index}",)


def _profile(validity: int | None) -> tuple[str, str]:
    signing = {} if validity is None else {"validityYears": validity}
    run = run_program("prod", {"ecr:signing": signing, "ecr:registryOwner": True})
    (profile,) = run.of_type(PROFILE)
    (configuration,) = run.of_type("aws-native:ecr:SigningConfiguration")
    arns = {rule["signingProfileArn"] for rule in configuration.inputs["rules"]}
    push = json.loads(run.one("aws:iam/policy:Policy", "fileflow-push").inputs["policy"])
    assert arns == {run.outputs["signingProfileArn"]}
    assert run.outputs["signingProfileArn"].endswith(f"/{profile.inputs['name']}")
    assert run.outputs["signingProfileArn"] in json.dumps(push)
    return profile.inputs["name"], profile.urn


def test_two_signing_validities_give_two_profile_names_and_the_default_keeps_its_name():
    default_name, default_urn = _profile(None)
    three_name, three_urn = _profile(3)
    assert default_name == "ecr_prod"  # the name every existing stack has: no replacement
    assert three_name == "ecr_prod_3y"
    # Same resource, new name: the engine replaces it, creating the new profile and moving the
    # signing configuration and push policies to it before it cancels the old one.
    assert default_urn == three_urn
    assert OPTIONS[PROFILE].delete_before_replace is False


def test_every_row_names_the_source_it_was_checked_against():
    """A row is a claim about the provider: it names the file (at the commit read) or the
    generated module it comes from, so the next reviewer can check it."""
    for type_, row in OPTIONS.items():
        if type_.startswith("aws:"):
            file, _, commit = row.source.partition("@")
            assert file.startswith("terraform-provider-aws internal/service/"), type_
            assert file.endswith(".go") and len(commit.split()[0]) == 8, (type_, row.source)
        else:
            assert "pulumi-aws-native" in row.source, type_
        if type_.startswith("aws:") and not type_.startswith("aws:iam/"):
            # terraform-provider-aws v6: `region` is ForceNew on every Region-aware resource.
            assert "region" in row.force_new, type_
