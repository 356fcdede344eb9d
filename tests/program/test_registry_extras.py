"""Issue 29: the registry owner's account settings, ECR-to-ECR pull-through cache, the floating
tags of cached repositories, and the dual-stack URL: the settings, the program under mocks, and
the pack over gRPC for what it judges (the creation templates' exclusion filters).

Sources: botocore's ecr model (PutAccountSetting: BLOB_MOUNTING ENABLED/DISABLED, registry policy
scope V2; CreatePullThroughCacheRule: customRoleArn "must be in the same account as the
registry", upstreamRepositoryPrefix "Used if the upstream registry is an ECR private
registry", upstreamRegistryUrl `<accountId>.dkr.ecr.<region>.amazonaws.com` for ECR); the ECR
User Guide ("Making requests to Amazon ECR registries": `<registry-id>.dkr-ecr.<region>.on.aws`).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.cache import template_mutability
from components.settings import SettingsError, load_settings
from tests.support.fakes import ACCOUNT_ID, REGION
from tests.support.pack_routes import IMMUTABLE, QUIET, mandatory
from tools.preview.conformance import problems
from tools.preview.mock_engine import run_program
from tools.preview.pack_runner import Resource

SETTING = "aws:ecr/accountSetting:AccountSetting"
CACHE = "aws:ecr/pullThroughCacheRule:PullThroughCacheRule"
TEMPLATE = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"
PARAMETER = "aws:ssm/parameter:Parameter"
OTHER = "210987654321"
UPSTREAM = f"{OTHER}.dkr.ecr.{REGION}.amazonaws.com"
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/ecr-ptc"
SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:ecr-pullthroughcache/x"
ECR_CACHE = {"central": {"upstream": UPSTREAM, "customRoleArn": ROLE}}


def _problems(region: str | None = REGION, environment: str = "dev", **stack: Any) -> list[str]:
    raw = {"environment": environment, "services": json.dumps({"fileflow": {}})}
    raw |= {k: v if isinstance(v, str) else json.dumps(v) for k, v in stack.items()}
    with pytest.raises(SettingsError) as error:
        load_settings(raw, region=region)
    return error.value.problems


# --- account settings ---------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_account_settings_are_registered_retained_and_protected_in_prod(stack):
    run = run_program(stack, {"ecr:blobMounting": "ENABLED", "ecr:registryPolicyScope": "V2"})
    found = {r.inputs["name"]: r for r in run.of_type(SETTING)}
    assert {n: r.inputs["value"] for n, r in found.items()} == {
        "BLOB_MOUNTING": "ENABLED",
        "REGISTRY_POLICY_SCOPE": "V2",
    }
    for resource in found.values():
        assert resource.options["retainOnDelete"] is True
        assert resource.protect is (stack == "prod")
    assert problems(run.resources) == []


def test_stacks_without_the_keys_register_no_account_setting():
    assert run_program("prod").of_type(SETTING) == []


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("registryPolicyScope", "V1", 'ecr:registryPolicyScope = "V1": must be one of V2'),
        ("blobMounting", "ON", 'ecr:blobMounting = "ON": must be one of ENABLED, DISABLED'),
    ],
)
def test_values_putaccountsetting_refuses_are_config_errors(key, value, expected):
    assert _problems(**{key: value}) == [expected]


def test_a_stack_that_does_not_own_the_registry_cannot_set_them():
    (problem,) = _problems(registryOwner=False, blobMounting="DISABLED")
    assert problem.startswith("ecr:registryOwner = false") and "ecr:blobMounting" in problem


# --- ECR-to-ECR pull-through cache ---------------------------------------------------------------


def test_an_ecr_upstream_sends_the_role_and_the_upstream_prefix():
    cache = {"central": ECR_CACHE["central"] | {"upstreamRepositoryPrefix": "base"}}
    run = run_program("dev", {"ecr:pullThroughCache": cache})
    (rule,) = run.of_type(CACHE)
    assert rule.inputs == {
        "ecrRepositoryPrefix": "central",
        "upstreamRegistryUrl": UPSTREAM,
        "customRoleArn": ROLE,
        "upstreamRepositoryPrefix": "base",
    }
    assert problems(run.resources) == []


def test_other_upstreams_send_what_they_sent_before():
    run = run_program("dev", {"ecr:pullThroughCache": {"qu": {"upstream": "quay.io"}}})
    (rule,) = run.of_type(CACHE)
    assert rule.inputs == {"ecrRepositoryPrefix": "qu", "upstreamRegistryUrl": "quay.io"}


def test_a_role_of_another_account_stops_the_run():
    cache = {"central": {"upstream": UPSTREAM, "customRoleArn": ROLE.replace(ACCOUNT_ID, OTHER)}}
    with pytest.raises(Exception, match=f"the role must be in this stack's account {ACCOUNT_ID}"):
        run_program("dev", {"ecr:pullThroughCache": cache})


@pytest.mark.parametrize(
    ("cache", "expected"),
    [
        (
            {"upstream": UPSTREAM},
            "ecr:pullThroughCache.c1.customRoleArn = null: is required for the ECR upstream",
        ),
        (
            {"upstream": UPSTREAM, "customRoleArn": ROLE, "credentialArn": SECRET},
            "ecr:pullThroughCache.c1.credentialArn = ",
        ),
        (
            {"upstream": "quay.io", "customRoleArn": ROLE},
            "ecr:pullThroughCache.c1.customRoleArn = ",
        ),
        (
            {"upstream": "public.ecr.aws", "upstreamRepositoryPrefix": "library"},
            'ecr:pullThroughCache.c1.upstreamRepositoryPrefix = "library": only for an ECR',
        ),
        (
            {"upstream": f"{OTHER}.dkr.ecr.cn-north-1.amazonaws.com", "customRoleArn": ROLE},
            "amazonaws.com.cn",
        ),
        (
            {"upstream": f"{OTHER}.dkr.ecr.us-gov-west-1.amazonaws.com", "customRoleArn": ROLE},
            "not in the stack's partition aws",
        ),
        (
            {"upstream": f"{OTHER}.dkr.ecr.{REGION}.example.com"},
            "or another private ECR registry <account>.dkr.ecr.<region>.amazonaws.com",
        ),
        (
            {"upstream": UPSTREAM, "customRoleArn": ROLE, "upstreamRepositoryPrefix": "A"},
            "must be ROOT or a repository-name prefix",
        ),
    ],
)
def test_cache_rules_aws_would_refuse_are_config_errors_naming_key_and_value(cache, expected):
    found = _problems(pullThroughCache={"c1": cache})
    assert any(expected in p for p in found), found


# --- floating tags of cached repositories ----------------------------------------------------------


def test_only_cache_templates_of_immutable_stacks_leave_the_floating_tags_mutable():
    cache = ("PULL_THROUGH_CACHE",)
    assert template_mutability(cache, "IMMUTABLE", ["stable", "latest"]) == (
        "IMMUTABLE_WITH_EXCLUSION",
        ["latest", "stable"],
    )
    # MUTABLE with exclusions would make the named tags immutable: the opposite.
    assert template_mutability(cache, "MUTABLE", ["latest"]) == ("MUTABLE", [])
    assert template_mutability(("CREATE_ON_PUSH",), "IMMUTABLE", ["latest"]) == ("IMMUTABLE", [])
    assert template_mutability(cache, "IMMUTABLE", []) == ("IMMUTABLE", [])


def _prod_cache_run(**overrides: Any):
    config = {
        "ecr:pullThroughCache": {"ecr-public": {"upstream": "public.ecr.aws"}},
        "ecr:createOnPushPrefixes": ["team-a/"],
    }
    return run_program("prod", config | overrides)


def test_prod_cache_templates_get_the_floating_tags_and_others_stay_immutable():
    run = _prod_cache_run(**{"ecr:cacheFloatingTags": ["latest"]})
    templates = {t.inputs["prefix"]: t.inputs for t in run.of_type(TEMPLATE)}
    assert templates["ecr-public"]["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert templates["ecr-public"]["imageTagMutabilityExclusionFilters"] == [
        {"filter": "latest", "filterType": "WILDCARD"}
    ]
    assert templates["team-a"]["imageTagMutability"] == "IMMUTABLE"
    assert "imageTagMutabilityExclusionFilters" not in templates["team-a"]
    assert problems(run.resources) == []


def test_without_the_key_cache_templates_are_plainly_immutable_as_before():
    for template in _prod_cache_run().of_type(TEMPLATE):
        assert template.inputs["imageTagMutability"] == "IMMUTABLE"
        assert "imageTagMutabilityExclusionFilters" not in template.inputs


def test_a_filter_matching_every_tag_or_without_a_cache_is_refused():
    (problem,) = _problems(
        pullThroughCache={"qu": {"upstream": "quay.io"}}, cacheFloatingTags=["latest", "*"]
    )
    assert problem.startswith('ecr:cacheFloatingTags = ["latest", "*"]: ["*"] matches every tag')
    (problem,) = _problems(cacheFloatingTags=["latest"])
    assert problem.startswith('ecr:cacheFloatingTags = ["latest"]: only with pullThroughCache')


def _resources(run) -> list[Resource]:
    return [
        Resource(r.type, r.name, r.inputs, r.urn, r.protect, r.parent, r.property_dependencies)
        for r in run.resources
    ]


def test_the_pack_accepts_the_floating_tags_it_allows_and_refuses_others(running):
    resources = _resources(_prod_cache_run(**{"ecr:cacheFloatingTags": ["latest", "stable"]}))
    running.configure(QUIET | {IMMUTABLE: {"allowedExclusionFilters": ["latest", "stable"]}})
    assert mandatory(running.preview(resources), IMMUTABLE) == []
    running.configure(QUIET | {IMMUTABLE: {"allowedExclusionFilters": ["latest"]}})
    (message,) = mandatory(running.preview(resources), IMMUTABLE)
    assert '["stable"] are not in allowedExclusionFilters' in message
    running.configure(QUIET)  # the pack's default: no exclusion filter in production
    assert len(mandatory(running.preview(resources), IMMUTABLE)) == 1


# --- dual-stack URL ------------------------------------------------------------------------------


def test_the_dual_stack_url_is_published_beside_the_url_when_asked():
    run = run_program("prod", {"ecr:dualStackUrlParameters": True})
    parameter = run.one(PARAMETER, "fileflow-dualstack-url")
    assert parameter.inputs["name"] == "/shared/ecr/fileflow-repository-dualstack-url"
    assert parameter.inputs["value"] == f"{ACCOUNT_ID}.dkr-ecr.{REGION}.on.aws/fileflow"
    assert parameter.protect is True  # other stacks read it, like the URL's
    assert problems(run.resources) == []
    assert [p.name for p in run_program("prod").of_type(PARAMETER)] == ["fileflow-url"]


@pytest.mark.parametrize("region", ["cn-north-1", "us-gov-west-1"])
def test_no_dual_stack_url_where_aws_documents_none(region):
    run = run_program("dev", {"aws:region": region}, parameters={})
    assert run.outputs["repositories"]["fileflow"]["dualStackRepositoryUrl"] is None
    (problem,) = _problems(region=region, dualStackUrlParameters=True)
    assert problem.startswith("ecr:dualStackUrlParameters = true: not in partition aws-")


def test_the_parameter_stops_the_run_when_the_partition_is_only_known_from_the_provider():
    with pytest.raises(Exception, match="has no dual-stack URL in this partition"):
        run_program(
            "dev", {"aws:region": None, "ecr:dualStackUrlParameters": True}, region="cn-north-1"
        )


# --- the pack's judgement of the new registry-wide resources, over gRPC ---------------------------

OWNER = "ecr-stack-registry-owner"
COVERAGE = "ecr-stack-created-repositories-covered-by-templates"


def _owners(*stacks: str) -> dict[str, Any]:
    return {OWNER: {"owners": [{"account": "*", "region": "*", "stacks": list(stacks)}]}}


def test_the_pack_refuses_account_settings_from_a_stack_that_does_not_own_the_registry(running):
    run = run_program("dev", {"ecr:blobMounting": "ENABLED", "ecr:registryPolicyScope": "V2"})
    resources = _resources(run)
    running.configure(QUIET | _owners("dev"))
    assert mandatory(running.preview(resources), OWNER) == []
    running.configure(QUIET | _owners("registry"))
    found = mandatory(running.preview(resources), OWNER)
    (message,) = found
    assert "Stack dev manages registry-wide ECR settings" in message
    assert "ecr-account-settings-blob-mounting (account setting)" in message
    assert "ecr-account-settings-registry-policy-scope (account setting)" in message


def test_the_pack_refuses_an_ecr_to_ecr_cache_rule_without_its_creation_template(running):
    run = run_program("prod", {"ecr:pullThroughCache": ECR_CACHE})
    running.configure(QUIET | _owners("*"))
    assert mandatory(running.preview(_resources(run)), COVERAGE) == []
    without = [r for r in _resources(run) if r.type != TEMPLATE]
    (message,) = mandatory(running.preview(without), COVERAGE)
    assert 'Pull-through cache prefix "central" has no repository creation template' in message
