"""Issue 26: what AWS accepts is not refused; where one generated input is stricter, the message
names it."""

import json

import botocore.session
import pytest
import regex

from components.settings import SettingsError, load_settings
from tools.preview.conformance import problems
from tools.preview.mock_engine import run_program

ECR = botocore.session.get_session().get_service_model("ecr")


def _accepts(shape: str, value: str) -> bool:
    meta = ECR.shape_for(shape).metadata
    return (
        bool(regex.fullmatch(meta["pattern"], value)) and meta["min"] <= len(value) <= meta["max"]
    )


def _conform(run) -> bool:
    found = [str(p) for p in problems(run.resources)]
    assert found == []
    return True


def _settings(**raw):
    raw.setdefault("environment", "dev")
    return load_settings(raw)


@pytest.mark.parametrize("name", ["team__svc", "my--svc", "a---b", "team/x__y--z"])
def test_service_names_botocore_accepts_are_accepted_and_conform(name):
    assert _accepts("RepositoryName", name)
    s = _settings(services=json.dumps({name: {}}))
    assert [service.name for service in s.services] == [name]
    assert [
        str(p) for p in problems(run_program("dev", {"ecr:services": {name: {}}}).resources)
    ] == []


@pytest.mark.parametrize("prefix", ["team/hub", "a__b", "x--y", "ns/sub/leaf"])
def test_pull_through_prefixes_botocore_accepts_are_accepted_and_conform(prefix):
    assert _accepts("PullThroughCacheRuleRepositoryPrefix", prefix)
    cache = {prefix: {"upstream": "public.ecr.aws"}}
    s = _settings(services='{"fileflow": {}}', pullThroughCache=json.dumps(cache))
    assert [rule.prefix for rule in s.pull_through_cache] == [prefix]
    assert _conform(run_program("dev", {"ecr:pullThroughCache": cache}))


def test_a_name_no_signing_filter_takes_is_refused_naming_the_filter_and_a_way_out():
    with pytest.raises(SettingsError) as raised:
        _settings(services='{"team__svc": {}}', registryOwner="true", signing="{}")
    (problem,) = raised.value.problems
    assert problem.startswith("ecr:services.team__svc: managed signing names each service")
    assert "SigningRepositoryFilterValue" in problem
    assert '"team_*svc"' in problem
    # The suggested wildcard covers it, and then nothing names the service itself.
    covered = _settings(
        services='{"team__svc": {}}',
        registryOwner="true",
        signing=json.dumps({"repositoryFilters": ["team_*svc"]}),
    )
    assert covered.signing_rules == (("team_*svc",),)
    assert _accepts("SigningRepositoryFilterValue", "team_*svc")


def test_a_repository_policy_is_measured_as_the_provider_sends_it():
    accounts = [f"{100000000000 + i}" for i in range(295)]
    services = {"fileflow": {"pullAccounts": accounts}}
    s = _settings(services=json.dumps(services))
    assert s.services[0].pull_accounts == tuple(accounts)
    run = run_program("dev", {"ecr:services": services})
    (policy,) = run.of_type("aws:ecr/repositoryPolicy:RepositoryPolicy")
    sent = json.dumps(json.loads(policy.inputs["policy"]), separators=(",", ":"))
    assert len(policy.inputs["policy"]) > 10240 >= len(sent)  # spaced over, as sent within
    assert _conform(run)
    # Beyond what fits even without whitespace, the refusal still comes first.
    many = {"fileflow": {"pullAccounts": [f"{100000000000 + i}" for i in range(300)]}}
    with pytest.raises(SettingsError) as raised:
        _settings(services=json.dumps(many))
    assert "the repository policy would be 10,3" in str(raised.value)


@pytest.mark.parametrize("depth", [21, 400, 900])
def test_a_deeply_nested_value_is_one_line_not_a_recursion_error(depth):
    services = {"fileflow": {}}
    node = services["fileflow"]
    for _ in range(depth):
        node["x"] = {}
        node = node["x"]
    with pytest.raises(SettingsError) as raised:
        _settings(services=json.dumps(services), protectedTags="[" * depth + "]" * depth)
    assert raised.value.problems == [
        f"ecr:{key} nests lists and maps deeper than 20 levels: no key of the namespace goes "
        "deeper than 6 (docs/configuration.md)"
        for key in ("services", "protectedTags")
    ]


def test_the_deepest_keys_are_within_the_limit():
    scanning = {"rules": [{"frequency": "SCAN_ON_PUSH", "filters": ["team-*"]}]}
    s = _settings(services='{"fileflow": {}}', registryScanning=json.dumps(scanning))
    assert s.registry_scanning is not None
