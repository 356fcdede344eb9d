"""Every config the settings accept deploys: the program under mocks, every registered resource's
inputs checked against the botocore model of the call that creates it and the limits table
(tools/preview/conformance.py), for each shipped stack and for generated configs over the whole surface.

CONFORMANCE_EXAMPLES sets how many generated configs (default 200; set it to thousands for a deeper run).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pulumi
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from components.settings import AWS_REGIONS, SettingsError, load_settings
from tests.support.fakes import KMS_KEY_ARN, REGION
from tools.preview.api_calls import CALLS, Component
from tools.preview.conformance import Problem, problems
from tools.preview.mock_engine import ROOT, run_program
from tools.preview.stack_file import engine_config

STACKS = sorted(p.name.split(".")[1] for p in Path(ROOT).glob("Pulumi.*.yaml"))
EXAMPLES = int(os.environ.get("CONFORMANCE_EXAMPLES", "200"))


def _accepted(stack: str, overrides: dict[str, Any]) -> bool:
    """Whether the settings accept this config, as the program would read it."""
    config = engine_config(stack, overrides)
    raw = {k[len("ecr:") :]: v for k, v in config.items() if k.startswith("ecr:")}
    try:
        load_settings(raw, region=config.get("aws:region"))
    except SettingsError:
        return False
    return True


def _run(stack: str, overrides: dict[str, Any] | None = None) -> list[Problem]:
    parameter = (overrides or {}).get("ecr:kmsKeyParameter", "/shared/kms/ecs-secrets-key-arn")
    run = run_program(stack, overrides, parameters={parameter: KMS_KEY_ARN})
    return problems(run.resources)


@pytest.mark.parametrize("stack", STACKS)
def test_each_shipped_stack_conforms(stack):
    assert [str(p) for p in _run(stack)] == []


EVERYTHING = {
    "ecr:services": {
        "fileflow": {
            "imageTagMutabilityExclusions": ["latest", "cache-*"],
            "pullAccounts": ["210987654321"],
            "pullOrganizationId": "o-abcdefghij",
            "protectedTags": ["prod-*"],
            "expireTaggedAfterDays": 14,
            "expireTaggedPatterns": ["sha-*"],
            "lambdaPullFunctions": [f"arn:aws:lambda:{REGION}:210987654321:function:app-*"],
            "extraPolicyStatements": [
                {
                    "Sid": "CiPull",
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::210987654321:role/ci"},
                    "Action": ["ecr:BatchGetImage"],
                }
            ],
        },
        "team/billing": {"forceDelete": True, "scanOnPush": False},
    },
    "ecr:alerts": {"minSeverity": "HIGH", "emails": ["a@example.com"], "cloudTrailLogGroup": "/ct"},
    "ecr:registryScanning": {
        "type": "ENHANCED",
        "rules": [
            {"frequency": "CONTINUOUS_SCAN", "filters": ["team*"]},
            {"frequency": "SCAN_ON_PUSH", "filters": ["*"]},
        ],
    },
    "ecr:replicationRegions": ["us-west-2", "eu-west-1"],
    # Another account's registry: through its role (provider, registry policy, template), and
    # one without a role (its policy is an output).
    "ecr:replicationAccounts": ["210987654321", "310987654321"],
    "ecr:replicationDestinations": [
        {
            "region": "eu-west-1",
            "account": "210987654321",
            "roleArn": "arn:aws:iam::210987654321:role/ecr-replication",
        },
        {"region": "us-west-2", "account": "310987654321"},
    ],
    "ecr:pullThroughCache": {
        "ecr-public": {"upstream": "public.ecr.aws"},
        "docker-hub": {
            "upstream": "registry-1.docker.io",
            "credentialArn": f"arn:aws:secretsmanager:{REGION}:123456789012:secret:"
            "ecr-pullthroughcache/docker-hub",
        },
        "central": {
            "upstream": f"210987654321.dkr.ecr.{REGION}.amazonaws.com",
            "customRoleArn": "arn:aws:iam::123456789012:role/ecr-ptc",
            "upstreamRepositoryPrefix": "base",
        },
    },
    "ecr:cacheFloatingTags": ["latest"],
    "ecr:dualStackUrlParameters": True,
    "ecr:blobMounting": "ENABLED",
    "ecr:registryPolicyScope": "V2",
    "ecr:createOnPushPrefixes": ["team-a/", "ecr-public"],
    "ecr:registryOwner": True,
    "ecr:signing": {"profileName": "p" * 64},
    "ecr:archiveAfterDays": 90,
    "ecr:pullTimeExclusions": ["arn:aws:iam::123456789012:role/scanner"],
}


# 50 long create-on-push prefixes: the creation role's scope outgrows one inline policy.
MANY_PREFIXES = {"ecr:createOnPushPrefixes": [f"p{i}{'q' * 200}/" for i in range(50)]}


def test_configs_using_every_key_conform_and_cover_every_mapped_type():
    registered: set[str] = set()
    for config in (EVERYTHING, MANY_PREFIXES):
        run = run_program("staging", config)
        assert [str(p) for p in problems(run.resources)] == []
        registered |= {r.type for r in run.resources}
    assert registered == set(CALLS)


def _resource(type_: str, name: str = "x", **inputs: Any) -> SimpleNamespace:
    return SimpleNamespace(type=type_, name=name, urn=f"urn:{type_}::{name}", inputs=inputs)


def test_an_unmapped_type_or_property_is_a_problem():
    found = problems(
        [
            _resource("aws:ecr/newThing:NewThing"),
            _resource("aws:ecr/accountSetting:AccountSetting", name="x", value="v", extra=1),
        ]
    )
    assert [(p.property, p.rule.split(" (")[0]) for p in found] == [
        ("", "no API call is mapped for this resource type"),
        ("extra", "no API member is mapped for it"),
        ("name", "is required"),
    ]


def test_problems_name_the_resource_the_property_and_the_rule_with_its_source():
    policy = _resource(
        "aws:iam/policy:Policy",
        name="p",
        policy=json.dumps({"Statement": [{"Resource": "x" * 7000}]}),
        tags={"Owner": "o'brien@example.com", "Unicode": "Ünïcødé 팀"},
    )
    found = {p.property: str(p) for p in problems([policy])}
    assert sorted(found) == ["policy", "tags.Owner"]
    assert found["tags.Owner"].startswith("urn:aws:iam/policy:Policy::p: tags.Owner: ")
    assert "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]" in found["tags.Owner"]
    assert "o'brien@example.com" in found["tags.Owner"]
    assert "at most 6,144 (without whitespace) (IAM User Guide" in found["policy"]


def test_duplicate_urns_and_two_templates_for_one_namespace_are_problems():
    template = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"
    found = problems(
        [
            _resource("aws:ecr/accountSetting:AccountSetting", name="a", name_="n", value="v"),
            _resource(template, name="t1", prefix="team-a", appliedFors=["CREATE_ON_PUSH"]),
            _resource(template, name="t2", prefix="team-a/", appliedFors=["CREATE_ON_PUSH"]),
            _resource(template, name="t2", prefix="team-b", appliedFors=["CREATE_ON_PUSH"]),
        ]
    )
    rules = [p.rule for p in found if p.property in ("", "prefix")]
    assert any("share this URN" in r for r in rules)
    assert any("2 creation templates (team-a, team-a/) for one namespace" in r for r in rules)


def test_components_have_no_inputs_of_their_own():
    assert all(isinstance(CALLS[t], Component) for t in CALLS if t.startswith("ecr:index:"))


# --- generated configs ----------------------------------------------------------------------------

_name_part = st.from_regex(r"[a-z0-9]{1,12}(?:[._-][a-z0-9]{1,8}){0,2}", fullmatch=True)
_service = st.one_of(
    _name_part,
    st.builds(lambda a, b: f"{a}/{b}", _name_part, _name_part),
    st.integers(2, 119).map(lambda n: "s" * n),
)
_tag_text = st.text(
    st.sampled_from("aZ09 _.:/=+-@\tÜé팀&'\"ǅ٣"), min_size=1, max_size=20
) | st.integers(250, 260).map(lambda n: "t" * n)
_email = st.sampled_from(
    ["platform@example.com", "o'brien@example.com", "a+b@example.co", "ü@exämple.com"]
)
_account = st.from_regex(r"[0-9]{12}", fullmatch=True)
_tag_pattern = st.sampled_from(["prod-*", "stable", "sha-*", "pr-*", "*-rc*", "release"])
_template_prefix = st.one_of(
    _name_part.map(lambda p: p + st_slash(p)),
    st.sampled_from(["a", "ab", "team-a", "team-a/", "team/a", "ecr-public"]),
    st.integers(2, 256).map(lambda n: "p" * n),
)
_cache_prefix = st.one_of(
    st.from_regex(r"[a-z0-9]{2,10}(?:-[a-z0-9]{1,8})?", fullmatch=True),
    st.sampled_from(["team-a", "ecr-public", "p" * 30]),
)
_secret = st.builds(
    lambda region, account, name: (
        f"arn:aws:secretsmanager:{region}:{account}:secret:ecr-pullthroughcache/{name}"
    ),
    st.sampled_from([REGION, REGION, "us-east-1"]),
    # The secret's account is checked at run time, when the account is known (another account
    # stops the run: tests/program/test_program_extras.py); settings cannot refuse it.
    st.just("123456789012"),
    st.sampled_from(["dh", "docker-hub-credentials", "x" * 600]),
)
_upstream = st.sampled_from(
    [
        "public.ecr.aws",
        "registry.k8s.io",
        "quay.io",
        "registry-1.docker.io",
        "ghcr.io",
        "registry.gitlab.com",
        "mcr.microsoft.com",
        "myregistry.azurecr.io",
        "cgr.dev",
        f"210987654321.dkr.ecr.{REGION}.amazonaws.com",
        "210987654321.dkr.ecr.us-east-1.amazonaws.com",
    ]
)


# Other accounts than the stack's (a destination in its own account stops the run: it is only
# known then, tests/program/test_replication.py).
_destination_account = st.sampled_from(["210987654321", "310987654321"])
_destination = st.builds(
    lambda region, account, role: (
        {"region": region, "account": account}
        | ({"roleArn": f"arn:aws:iam::{account}:role/{role}"} if role else {})
    ),
    st.sampled_from(AWS_REGIONS),
    _destination_account,
    st.sampled_from([None, "ecr-replication", "r" * 64]),
)


def st_slash(prefix: str) -> str:
    return "/" if len(prefix) % 2 else ""


_service_config = st.fixed_dictionaries(
    {},
    optional={
        "imageTagMutability": st.sampled_from(["MUTABLE", "IMMUTABLE"]),
        "scanOnPush": st.booleans(),
        "imageTagMutabilityExclusions": st.lists(
            st.sampled_from(["latest", "cache-*", "a*b*", "dev"]), max_size=5, unique=True
        ),
        "pullAccounts": st.one_of(
            st.lists(_account, max_size=3, unique=True),
            st.integers(250, 320).map(lambda n: [f"{i:012d}" for i in range(n)]),
        ),
        "pullOrganizationId": st.just("o-abcdefghij"),
        "protectedTags": st.lists(_tag_pattern, max_size=3, unique=True),
        "expireTaggedAfterDays": st.integers(1, 3650),
        "expireTaggedPatterns": st.lists(_tag_pattern, max_size=3, unique=True),
        "archiveAfterDays": st.integers(1, 3650),
        "lifecyclePolicyMaxImageCount": st.integers(1, 10000),
        "forceDelete": st.booleans(),
        "adopt": st.booleans(),
        "lambdaPullFunctions": st.lists(
            st.sampled_from(
                [
                    f"arn:aws:lambda:{REGION}:123456789012:function:resize",
                    f"arn:aws:lambda:{REGION}:210987654321:function:app-*",
                    f"arn:aws:lambda:{REGION}:210987654321:function:{'f' * 64}:$LATEST",
                ]
            ),
            max_size=3,
            unique=True,
        ),
        "extraPolicyStatements": st.lists(
            st.fixed_dictionaries(
                {
                    "Effect": st.sampled_from(["Allow", "Deny"]),
                    "Principal": st.sampled_from(
                        ["*", {"AWS": "arn:aws:iam::210987654321:role/ci"}]
                    ),
                    "Action": st.sampled_from(["ecr:BatchGetImage", ["ecr:PutImage"]]),
                },
                optional={"Sid": st.sampled_from(["A", "B", "LambdaPull"])},
            ),
            max_size=3,
        ),
    },
)
_configs = st.fixed_dictionaries(
    {
        "stack": st.sampled_from(["dev", "staging", "prod"]),
        "ecr:services": st.dictionaries(
            _service, st.one_of(st.just({}), _service_config), min_size=1, max_size=4
        ),
    },
    optional={
        "ecr:owner": _email,
        "ecr:costCenter": _tag_text,
        "ecr:dataClass": _tag_text,
        "ecr:lifecycleStage": _tag_text,
        "ecr:ssmParameterPrefix": st.one_of(
            st.lists(
                st.from_regex(r"[A-Za-z0-9_.-]{1,12}", fullmatch=True), min_size=1, max_size=15
            ).map(lambda parts: "/" + "/".join(parts)),
            st.sampled_from(["/aws/ecr", "/AWS/ecr", "/ssm-shared/ecr", "/shared/ecr"]),
            st.integers(850, 900).map(lambda n: "/" + "p" * n),
        ),
        "ecr:kmsKeyParameter": st.sampled_from(["/shared/kms/ecs-secrets-key-arn", "/team/kms"]),
        "ecr:imageTagMutability": st.sampled_from(["MUTABLE", "IMMUTABLE"]),
        "ecr:protectedTags": st.lists(_tag_pattern, max_size=3, unique=True),
        "ecr:expireTaggedAfterDays": st.integers(1, 3650),
        "ecr:expireTaggedPatterns": st.lists(_tag_pattern, max_size=3, unique=True),
        "ecr:archiveAfterDays": st.integers(1, 3650),
        "ecr:dashboard": st.booleans(),
        "ecr:alerts": st.fixed_dictionaries(
            {},
            optional={
                "minSeverity": st.sampled_from(["CRITICAL", "HIGH"]),
                "emails": st.lists(_email, max_size=3, unique=True),
                "cloudTrailLogGroup": st.from_regex(r"[A-Za-z0-9_/.#-]{1,40}", fullmatch=True),
            },
        ),
        "ecr:registryScanning": st.fixed_dictionaries(
            {"type": st.sampled_from(["BASIC", "ENHANCED"])},
            optional={
                "rules": st.lists(
                    st.fixed_dictionaries(
                        {
                            "frequency": st.sampled_from(
                                ["SCAN_ON_PUSH", "CONTINUOUS_SCAN", "MANUAL"]
                            ),
                            "filters": st.lists(
                                st.sampled_from(["*", "team-*", "a*b", "prod"]),
                                min_size=1,
                                max_size=3,
                                unique=True,
                            ),
                        }
                    ),
                    min_size=1,
                    max_size=2,
                )
            },
        ),
        "ecr:replicationRegions": st.one_of(
            st.lists(st.sampled_from(AWS_REGIONS), max_size=3, unique=True),
            st.lists(st.sampled_from(AWS_REGIONS), min_size=24, max_size=25, unique=True),
        ),
        "ecr:replicationDestinations": st.lists(_destination, max_size=3),
        "ecr:replicationAccounts": st.lists(_destination_account, max_size=2, unique=True),
        "ecr:createOnPushPrefixes": st.one_of(
            st.lists(_template_prefix, max_size=4, unique=True),
            st.integers(45, 50).map(lambda n: [f"{'q' * 200}{i}/" for i in range(n)]),
        ),
        "ecr:pullThroughCache": st.one_of(
            st.dictionaries(
                _cache_prefix,
                st.fixed_dictionaries(
                    {"upstream": _upstream},
                    optional={
                        "credentialArn": _secret,
                        "customRoleArn": st.sampled_from(
                            [
                                "arn:aws:iam::123456789012:role/ecr-ptc",
                                "arn:aws:iam::123456789012:role/" + "r" * 60,
                            ]
                        ),
                        "upstreamRepositoryPrefix": st.sampled_from(["ROOT", "base", "b" * 30]),
                    },
                ),
                max_size=3,
            ),
            st.integers(49, 51).map(
                lambda n: {f"cache-{i}": {"upstream": "quay.io"} for i in range(n)}
            ),
        ),
        "ecr:cacheFloatingTags": st.lists(
            st.sampled_from(["latest", "stable", "*", "v*-rc"]), max_size=3, unique=True
        ),
        "ecr:dualStackUrlParameters": st.booleans(),
        "ecr:blobMounting": st.sampled_from(["ENABLED", "DISABLED"]),
        "ecr:registryPolicyScope": st.just("V2"),
        "ecr:pullTimeExclusions": st.lists(
            st.sampled_from(
                ["arn:aws:iam::123456789012:role/scanner", "arn:aws:iam::123456789012:user/ci"]
            ),
            max_size=2,
            unique=True,
        ),
        "ecr:replicationKmsKeyId": st.just("mrk-" + "0" * 32),
        "ecr:signing": st.fixed_dictionaries(
            {},
            optional={
                "profileName": st.from_regex(r"[A-Za-z0-9_]{2,64}", fullmatch=True),
                "validityYears": st.integers(1, 11),
                "mode": st.sampled_from(["managed", "notation"]),
                "repositoryFilters": st.one_of(
                    st.lists(
                        st.sampled_from(["team-a/*", "*", "*prod*", "a*b", "x" * 256, "s" * 257]),
                        max_size=4,
                        unique=True,
                    ),
                    st.integers(990, 1000).map(lambda n: [f"t{i}/*" for i in range(n)]),
                ),
                "profileArn": st.sampled_from(
                    [
                        f"arn:aws:signer:{REGION}:123456789012:/signing-profiles/org_signing",
                        "arn:aws:signer:us-east-1:123456789012:/signing-profiles/" + "p" * 64,
                    ]
                ),
            },
        ),
    },
)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(_configs)
def test_every_config_the_settings_accept_conforms(config):
    stack = config.pop("stack")
    config["ecr:environment"] = stack
    # The declared owner: a stack with managed signing must say so (issue 26).
    config["ecr:registryOwner"] = True
    assume(_accepted(stack, config))
    try:
        found = _run(stack, config)
    except pulumi.RunError as error:  # accepted settings must not fail the run
        pytest.fail(f"the program refused an accepted config: {error}")
    assert [str(p) for p in found] == []


EDGES = {
    "ecr:costCenter": "Ünïcødé 팀 R+D",
    "ecr:services": {"s" * 119: {}, "ab": {}},
    "ecr:createOnPushPrefixes": ["ab", "team/a", "team-a/", "p" * 256],
    "ecr:pullThroughCache": {f"c{i:02d}": {"upstream": "quay.io"} for i in range(48)}
    | {"team-a": {"upstream": "public.ecr.aws"}, "p" * 30: {"upstream": "registry.k8s.io"}},
    "ecr:replicationRegions": [r for r in AWS_REGIONS if r != REGION][:25],
    "ecr:ssmParameterPrefix": "/" + "/".join("l" * 14),
    "ecr:registryOwner": True,
    "ecr:signing": {"profileName": "p" * 64},
}


def test_a_hundred_long_named_replicated_services_conform():
    """Too slow for every generated config: the alert rules and the creation role's scope outgrow
    one document each (split rules, managed policies)."""
    services = {f"s{i:03d}{'x' * 115}": {} for i in range(100)}
    config = {
        "ecr:services": services,
        "ecr:replicationRegions": ["us-west-2", "eu-west-1"],
        "ecr:alerts": {"emails": ["a@example.com"]},
        "ecr:createOnPushPrefixes": [f"p{i}{'q' * 200}/" for i in range(50)],
    }
    assert _accepted("dev", config)
    assert [str(p) for p in _run("dev", config)] == []


def test_edge_values_aws_accepts_deploy():
    """2-character and 256-character prefixes, 50 cache rules, 25 replication regions, Unicode
    tag values, 15-level SSM names, 64-character signing profiles: accepted and conforming."""
    assert _accepted("dev", EDGES)
    assert [str(p) for p in _run("dev", EDGES)] == []


def test_quotas_across_resources_are_problems():
    """51 cache rules in one registry; a role whose inline policies together exceed IAM's 10,240
    characters; 11 managed policies attached to one role."""
    cache = [
        _resource(
            "aws:ecr/pullThroughCacheRule:PullThroughCacheRule",
            name=f"c{i}",
            ecrRepositoryPrefix=f"c{i:02d}",
            upstreamRegistryUrl="quay.io",
        )
        for i in range(51)
    ]
    document = json.dumps({"Statement": [{"Resource": "x" * 6000}]})
    inline = [
        _resource("aws:iam/rolePolicy:RolePolicy", name=f"p{i}", role="r", policy=document)
        for i in range(2)
    ]
    attached = [
        _resource(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            name=f"a{i}",
            role="r",
            policyArn=f"arn:aws:iam::123456789012:policy/p{i}",
        )
        for i in range(11)
    ]
    rules = [p.rule for p in problems([*cache, *inline, *attached])]
    assert any(
        r.startswith("51 in one registry; pull-through cache rules per registry") for r in rules
    )
    assert any(
        r.startswith("12,0") and "role policies (all of a role's together)" in r for r in rules
    )
    assert any(r.startswith("11 attached; managed policies attached to an IAM role") for r in rules)
    assert len(rules) == 3, rules


def test_nested_members_are_checked_against_the_model():
    scanning = _resource(
        "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
        scanType="FULL",
        rules=[{"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "A*"}]}],
    )
    found = {p.property: p.rule for p in problems([scanning])}
    assert found["scanType"].startswith("must be one of BASIC, ENHANCED")
    assert found["rules[0].repositoryFilters[0].filter"].startswith("must match ")
    assert found["rules[0].repositoryFilters[0].filterType"].startswith("is required")
