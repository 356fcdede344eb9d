"""Stack config -> settings: defaults, overrides and every kind of bad input, reported at once."""

import contextlib
import json
import re

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from components.settings import (
    AWS_REGIONS,
    IAM_POLICY_NAME_MAX,
    SSM_MAX_LEVELS,
    RepositoryDefaults,
    ServiceConfig,
    SettingsError,
    StackConfig,
    iam_policy_name,
    kms_key_arn_problem,
    load_settings,
)


def settings(**raw):
    raw.setdefault("environment", "dev")
    raw.setdefault("services", '{"fileflow": {}}')
    return load_settings(raw)


def problems(**raw) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        settings(**raw)
    return caught.value.problems


def test_defaults_match_the_terraform_setup():
    s = settings(environment="prod")
    assert (s.owner, s.cost_center, s.data_class) == (
        "platform-team@ryuqqq.com",
        "engineering",
        "confidential",
    )
    assert s.kms_key_parameter == "/shared/kms/ecs-secrets-key-arn"
    assert s.url_parameter_name("fileflow") == "/shared/ecr/fileflow-repository-url"
    (repo,) = s.services
    assert (repo.name, repo.scan_on_push, repo.max_image_count, repo.untagged_expiry_days) == (
        "fileflow",
        True,
        30,
        7,
    )


@pytest.mark.parametrize(
    ("environment", "mutability", "stage", "production"),
    [
        ("prod", "IMMUTABLE", "production", True),
        ("staging", "MUTABLE", "staging", False),
        ("dev", "MUTABLE", "dev", False),
    ],
)
def test_environment_derived_defaults(environment, mutability, stage, production):
    s = settings(environment=environment)
    assert s.services[0].image_tag_mutability == mutability
    assert s.lifecycle_stage == stage
    assert s.is_production is production


def test_values_arrive_as_strings_from_the_engine_and_are_decoded_by_type():
    s = settings(
        costCenter="1234",  # a string key keeps digits as text
        scanOnPush="false",
        lifecyclePolicyMaxImageCount="100",
        untaggedImageExpiryDays="14",
    )
    assert s.cost_center == "1234"
    assert (s.services[0].scan_on_push, s.services[0].max_image_count) == (False, 100)
    assert s.services[0].untagged_expiry_days == 14


def test_service_overrides_win_over_stack_values():
    s = settings(
        environment="staging",
        lifecyclePolicyMaxImageCount="50",
        services='{"fileflow": {}, "api": {"imageTagMutability": "IMMUTABLE", "scanOnPush": false,'
        ' "lifecyclePolicyMaxImageCount": 5, "untaggedImageExpiryDays": 1}, "web": null}',
    )
    by_name = {r.name: r for r in s.services}
    assert by_name["fileflow"].max_image_count == 50
    assert by_name["fileflow"].image_tag_mutability == "MUTABLE"
    api = by_name["api"]
    assert (api.image_tag_mutability, api.scan_on_push, api.max_image_count) == (
        "IMMUTABLE",
        False,
        5,
    )
    assert api.untagged_expiry_days == 1
    assert by_name["web"].max_image_count == 50


def test_governance_tags_follow_the_seed():
    s = settings(environment="staging", owner="team@example.com")
    assert s.tags("fileflow") == {
        "Owner": "team@example.com",
        "CostCenter": "engineering",
        "Environment": "staging",
        "Lifecycle": "staging",
        "DataClass": "confidential",
        "Service": "fileflow",
        "Name": "ecr-fileflow",
        "Component": "container-registry",
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"environment": "qa"}, 'ecr:environment = "qa": must be one of dev, staging, prod'),
        ({"owner": "platform-team"}, 'ecr:owner = "platform-team": must be an e-mail address'),
        (
            {"costCenter": "  "},
            'ecr:costCenter = "  ": must be 1-256 letters, digits, spaces and _ . : / = + - @, not only spaces',
        ),
        (
            {"imageTagMutability": "MUTABL"},
            'ecr:imageTagMutability = "MUTABL": must be one of MUTABLE, IMMUTABLE',
        ),
        ({"scanOnPush": "yes"}, 'ecr:scanOnPush = "yes": must be a boolean'),
        (
            {"lifecyclePolicyMaxImageCount": "thirty"},
            'ecr:lifecyclePolicyMaxImageCount = "thirty": must be an integer',
        ),
        (
            {"lifecyclePolicyMaxImageCount": "0"},
            "ecr:lifecyclePolicyMaxImageCount = 0: must be an integer from 1 to 10000",
        ),
        (
            {"lifecyclePolicyMaxImageCount": "10001"},
            "ecr:lifecyclePolicyMaxImageCount = 10001: must be an integer from 1 to 10000",
        ),
        (
            {"lifecyclePolicyMaxImageCount": "true"},
            "ecr:lifecyclePolicyMaxImageCount = true: must be an integer",
        ),
        (
            {"untaggedImageExpiryDays": "-1"},
            "ecr:untaggedImageExpiryDays = -1: must be an integer from 1 to 3650",
        ),
        (
            {"kmsKeyParameter": "shared/kms"},
            'ecr:kmsKeyParameter = "shared/kms": must be an SSM parameter path',
        ),
        (
            {"ssmParameterPrefix": "/ecr/"},
            'ecr:ssmParameterPrefix = "/ecr/": must be an SSM parameter path',
        ),
        (
            {"ssmParameterPrefix": "/a b"},
            'ecr:ssmParameterPrefix = "/a b": must be an SSM parameter path',
        ),
        (
            {"scanOnPsh": "true"},
            'ecr:scanOnPsh = "true": unknown key; allowed keys are alerts, archiveAfterDays, archiveOldReleases, blobMounting, cacheFloatingTags',
        ),
        ({"services": "[1]"}, "ecr:services = [1]: must be an object (a map)"),
        ({"services": "{}"}, "ecr:services has no services"),
        (
            {"services": '{"FileFlow": {}}'},
            'ecr:services.FileFlow = "FileFlow": service names are ECR repository names',
        ),
        ({"services": '{"a": {}}'}, 'ecr:services.a = "a": service names are ECR repository names'),
        (
            {"services": '{"file_-flow": {}}'},  # `--` and `__` are allowed (issue 26), `_-` not
            'ecr:services.file_-flow = "file_-flow": service names',
        ),
        (
            {"services": '{"f": 3}'},
            "ecr:services.f = 3: must be an object (a map) of adopt, archiveAfterDays, archiveOldReleases",
        ),
        (
            {"services": '{"fileflow": {"scanOnPsh": true}}'},
            "ecr:services.fileflow.scanOnPsh = true: unknown key; allowed keys are adopt, archiveAfterDays, archiveOldReleases, expireArchivedAfterDays, expireTaggedAfterDays",
        ),
        (
            {"services": '{"fileflow": {"scanOnPush": "false"}}'},
            'ecr:services.fileflow.scanOnPush = "false": must be a boolean',
        ),
        (
            {"services": '{"fileflow": {"lifecyclePolicyMaxImageCount": 0}}'},
            "ecr:services.fileflow.lifecyclePolicyMaxImageCount = 0: must be an integer from 1 to 10000",
        ),
        (
            {"services": '{"fileflow": {"imageTagMutability": "mutable"}}'},
            'ecr:services.fileflow.imageTagMutability = "mutable": must be one of MUTABLE, IMMUTABLE',
        ),
    ],
)
def test_each_bad_value_is_named_with_what_is_allowed(raw, expected):
    found = problems(**raw)
    assert any(p.startswith(expected) for p in found), found


def test_missing_environment_and_services():
    with pytest.raises(SettingsError) as caught:
        load_settings({})
    assert caught.value.problems == [
        "ecr:environment is not set: must be one of dev, staging, prod",
        "ecr:services has no services: add at least one, e.g. `ecr:services: {fileflow: {}}`",
    ]


def test_every_problem_is_reported_at_once():
    found = problems(
        environment="qa",
        owner="nobody",
        services='{"fileflow": {"scanOnPsh": true, "untaggedImageExpiryDays": 0}, "Bad": {}}',
    )
    assert len(found) == 5, found
    message = str(SettingsError(found))
    assert message.startswith("invalid stack config (5 problem(s)):\n  - ")


def test_every_repository_key_can_be_overridden_per_service():
    repository_keys = set(RepositoryDefaults.model_fields)
    assert repository_keys == {
        "image_tag_mutability",
        "scan_on_push",
        "lifecycle_policy_max_image_count",
        "untagged_image_expiry_days",
        "protected_tags",
        "expire_tagged_after_days",
        "expire_tagged_patterns",
        "archive_after_days",
        "release_tag_patterns",
        "archive_old_releases",
        "expire_archived_after_days",
        "extra_lifecycle_rules",
    }
    assert repository_keys <= set(ServiceConfig.model_fields)


# --- per-service access, exclusions, adoption; per-stack alerts and registry settings ------------


def test_service_extras_parse():
    s = settings(
        services='{"fileflow": {"pullAccounts": ["210987654321"], "pullOrganizationId": "o-a1b2c3d4e5",'
        ' "imageTagMutabilityExclusions": ["latest", "cache-*"], "adopt": true}}'
    )
    (repo,) = s.services
    assert repo.pull_accounts == ("210987654321",)
    assert repo.pull_organization_id == "o-a1b2c3d4e5"
    assert repo.mutability_exclusions == ("latest", "cache-*")
    assert repo.image_tag_mutability == "MUTABLE_WITH_EXCLUSION"
    assert (repo.adopt, repo.force_delete) == (True, False)
    assert settings(services='{"fileflow": {"forceDelete": true}}').services[0].force_delete
    prod = settings(
        environment="prod", services='{"a1": {"imageTagMutabilityExclusions": ["latest"]}}'
    )
    assert prod.services[0].image_tag_mutability == "IMMUTABLE_WITH_EXCLUSION"


def test_stack_extras_parse():
    s = settings(
        alerts='{"minSeverity": "HIGH", "emails": ["sec@example.com"], "cloudTrailLogGroup": "/aws/cloudtrail/logs"}',
        registryScanning='{"type": "ENHANCED", "rules": [{"frequency": "CONTINUOUS_SCAN", "filters": ["prod-*"]}]}',
        replicationRegions='["ap-northeast-1"]',
        pullThroughCache='{"ecr-public": {"upstream": "public.ecr.aws"}}',
    )
    assert s.alerts.min_severity == "HIGH" and s.alerts.emails == ["sec@example.com"]
    assert s.registry_scanning.type == "ENHANCED"
    assert s.registry_scanning.rules[0].filters == ["prod-*"]
    assert s.replication_regions == ("ap-northeast-1",)
    assert s.pull_through_cache[0].upstream == "public.ecr.aws"
    defaults = settings(alerts="{}", registryScanning="{}")
    assert (defaults.alerts.min_severity, defaults.alerts.emails) == ("CRITICAL", [])
    assert defaults.registry_scanning.rules[0].frequency == "SCAN_ON_PUSH"
    assert settings().alerts is None and settings().registry_scanning is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"services": '{"fileflow": {"pullAccounts": ["1234"]}}'},
            'ecr:services.fileflow.pullAccounts[0] = "1234": must be a 12-digit AWS account id',
        ),
        (
            {"services": '{"fileflow": {"pullAccounts": "210987654321"}}'},
            'ecr:services.fileflow.pullAccounts = "210987654321": must be an array',
        ),
        (
            {"services": '{"fileflow": {"pullOrganizationId": "org-1"}}'},
            'ecr:services.fileflow.pullOrganizationId = "org-1": must be an AWS Organization id',
        ),
        (
            {
                "services": '{"fileflow": {"imageTagMutabilityExclusions": ["a", "b", "c", "d", "e", "f"]}}'
            },
            'ecr:services.fileflow.imageTagMutabilityExclusions = ["a", "b", "c", "d", "e", "f"]: must have at most 5 items',
        ),
        (
            {"services": '{"fileflow": {"imageTagMutabilityExclusions": ["bad tag"]}}'},
            'ecr:services.fileflow.imageTagMutabilityExclusions[0] = "bad tag": must be 1-128 of',
        ),
        (
            {"services": '{"fileflow": {"adopt": "yes"}}'},
            'ecr:services.fileflow.adopt = "yes": must be a boolean',
        ),
        (
            {"environment": "prod", "services": '{"fileflow": {"forceDelete": true}}'},
            "ecr:services.fileflow.forceDelete = true: not allowed in prod",
        ),
        (
            {"alerts": '{"minSeverity": "LOW"}'},
            'ecr:alerts.minSeverity = "LOW": must be one of CRITICAL, HIGH',
        ),
        (
            {"alerts": '{"emails": ["not-mail"]}'},
            'ecr:alerts.emails[0] = "not-mail": must be an e-mail address',
        ),
        (
            {"alerts": '{"email": []}'},
            "ecr:alerts.email = []: unknown key; allowed keys are cloudTrailLogGroup, emails, minSeverity",
        ),
        (
            {"alerts": "true"},
            "ecr:alerts = true: must be an object (a map) of cloudTrailLogGroup, emails, minSeverity",
        ),
        (
            {"registryScanning": '{"type": "BASIC", "rules": [{"frequency": "CONTINUOUS_SCAN"}]}'},
            'ecr:registryScanning.rules[0].frequency = "CONTINUOUS_SCAN": must be one of SCAN_ON_PUSH, MANUAL with type BASIC',
        ),
        (
            {"registryScanning": '{"type": "FULL"}'},
            'ecr:registryScanning.type = "FULL": must be one of BASIC, ENHANCED',
        ),
        (
            {"registryScanning": '{"rules": []}'},
            "ecr:registryScanning.rules = []: must have at least 1 item(s)",
        ),
        (
            {"registryScanning": '{"rules": [{"filters": ["Bad Filter"]}]}'},
            'ecr:registryScanning.rules[0].filters[0] = "Bad Filter": must be a repository-name wildcard',
        ),
        (
            {"replicationRegions": '["ap-northeast-9"]'},
            'ecr:replicationRegions[0] = "ap-northeast-9": must be one of af-south-1, ap-east-1',
        ),
        (
            {"pullThroughCache": '{"hub": {"upstream": "registry-1.docker.io"}}'},
            "ecr:pullThroughCache.hub.credentialArn = null: is required for registry-1.docker.io",
        ),
        (
            {"pullThroughCache": '{"x": {"upstream": "example.com"}}'},
            'ecr:pullThroughCache.x = "x": pull-through cache prefixes are 2-30',
        ),
        (
            {"pullThroughCache": '{"ex": {"upstream": "example.com"}}'},
            'ecr:pullThroughCache.ex.upstream = "example.com": must be an upstream ECR pull-through cache supports: public.ecr.aws',
        ),
        (
            {"pullThroughCache": '{"ex": {}}'},
            "ecr:pullThroughCache.ex.upstream is required",
        ),
    ],
)
def test_each_bad_extra_is_named(raw, expected):
    found = problems(**raw)
    assert any(p.startswith(expected) or expected in p for p in found), found


def test_replication_must_leave_the_stack_region():
    with pytest.raises(SettingsError) as caught:
        load_settings(
            {
                "environment": "dev",
                "services": '{"a1": {}}',
                "replicationRegions": '["ap-northeast-2"]',
            },
            region="ap-northeast-2",
        )
    assert caught.value.problems == [
        'ecr:replicationRegions = ["ap-northeast-2"]: must not include the stack\'s own region ap-northeast-2'
    ]


def test_replication_covers_at_most_100_services():
    many = json.dumps({f"svc-{i:03d}": {} for i in range(101)})
    (message,) = problems(services=many, replicationRegions='["us-east-1"]')
    assert "replication covers at most 100 services per stack (" in message
    assert message.endswith("this stack has 101")


# --- AWS and provider limits (issue: every accepted config is one AWS accepts) --------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"services": '{"fileflow": {"imageTagMutabilityExclusions": ["a*b*c*"]}}'},
            'ecr:services.fileflow.imageTagMutabilityExclusions[0] = "a*b*c*": must be 1-128 of 0-9 a-z A-Z . _ - with at most 2 `*`',
        ),
        (
            {"registryScanning": '{"rules": [{"filters": ["team-"]}]}'},
            'ecr:registryScanning.rules[0].filters[0] = "team-": must be a repository-name wildcard',
        ),
        (
            {"registryScanning": '{"rules": [{"filters": ["a--b"]}]}'},
            'ecr:registryScanning.rules[0].filters[0] = "a--b": must be a repository-name wildcard',
        ),
        (
            {"registryScanning": '{"rules": [{}, {}, {}]}'},
            "ecr:registryScanning.rules = [{}, {}, {}]: must have at most 2 items",
        ),
        (
            {"services": json.dumps({"a" * 120: {}})},
            f'ecr:services.{"a" * 120} = "{"a" * 116}...: service names are ECR repository names of 2-119 characters (the IAM policy `ecr-<service>-push` is limited to 128)',
        ),
        (
            {"services": '{"team/api": {}, "team-api": {}}'},
            'ecr:services.team/api = "team/api": its IAM policies would be named like those of team-api (ecr-team-api-push)',
        ),
        (
            {"services": '{"fileflow": {"adopt": true, "forceDelete": true}}'},
            "ecr:services.fileflow.forceDelete = true: not allowed with adopt: the import would fail",
        ),
        (
            {"services": '{"fileflow": {"pullAccounts": ["١٢٣٤٥٦٧٨٩٠١٢"]}}'},
            'ecr:services.fileflow.pullAccounts[0] = "\\u0661\\u0662',
        ),
        (
            {"alerts": '{"cloudTrailLogGroup": "logs\u00e9"}'},
            'ecr:alerts.cloudTrailLogGroup = "logs\\u00e9": must be a CloudWatch log group name',
        ),
        (
            {
                "pullThroughCache": '{"hub": {"upstream": "ghcr.io", "credentialArn": "arn:aws:secretsmanager:ap-northeast-2:١٢٣٤٥٦٧٨٩٠١٢:secret:ecr-pullthroughcache/x"}}'
            },
            "ecr:pullThroughCache.hub.credentialArn = ",
        ),
        (
            {"ssmParameterPrefix": "/" + "/".join("l" * 15)},
            'ecr:services.fileflow = "fileflow": its URL parameter /l/l/l/l/l/l/l/l/l/l/l/l/l/l/l/fileflow-repository-url exceeds SSM\'s 15 levels',
        ),
        (
            {"environment": "prod", "imageTagMutability": "MUTABLE"},
            'ecr:imageTagMutability = "MUTABLE": not allowed in prod',
        ),
        (
            {"environment": "prod", "services": '{"fileflow": {"imageTagMutability": "MUTABLE"}}'},
            'ecr:services.fileflow.imageTagMutability = "MUTABLE": not allowed in prod',
        ),
        (
            {"services": '{"fileflow": {"pullAccounts": ["210987654321", "210987654321"]}}'},
            'ecr:services.fileflow.pullAccounts = ["210987654321", "210987654321"]: lists "210987654321" more than once',
        ),
    ],
)
def test_each_aws_limit_is_refused_with_the_key_named(raw, expected):
    found = problems(**raw)
    assert any(p.startswith(expected) for p in found), found


@pytest.mark.parametrize(
    "raw",
    [
        {"lifecyclePolicyMaxImageCount": "9" * 4301},
        {"services": "[" * 100_000 + "]" * 100_000},
        {"alerts": '{"emails": ' + "[" * 5000 + "]" * 5000 + "}"},
        {"services": json.dumps({"a\nb": {"scan\nOnPush": True}})},
    ],
    ids=["4301-digit number", "deep JSON", "deep JSON inside", "newlines"],
)
def test_hostile_values_are_settings_errors_on_one_line_each(raw):
    found = problems(**raw)
    assert found and all(p.startswith("ecr:") and "\n" not in p and len(p) < 2000 for p in found)


def test_multi_region_and_partition_key_arns_are_accepted_others_named():
    arn = "arn:aws:kms:ap-northeast-2:123456789012:key/mrk-1234abcd"
    assert kms_key_arn_problem("/p", arn, "ap-northeast-2", "123456789012") is None
    china = "arn:aws-cn:kms:cn-north-1:123456789012:key/0b6b2a1e"
    assert kms_key_arn_problem("/p", china, "cn-north-1", "123456789012") is None
    problem = kms_key_arn_problem("/p", "alias/ecr", "ap-northeast-2", "123456789012")
    assert problem is not None and problem.startswith('SSM parameter /p holds "alias/ecr"')


# --- property-based: the whole config surface ------------------------------------------------------


_ASCII_TAG = re.compile(r"[0-9a-zA-Z._*-]{1,128}")
_SCAN_FILTER = re.compile(r"[a-z0-9*](?:[._/a-z0-9*-]?[a-z0-9*]+)*")
_REPOSITORY = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*")

_KEYS = [f.alias for f in StackConfig.model_fields.values()] + ["scanOnPsh", "ownr"]
_SERVICE_KEYS = [
    "imageTagMutability", "scanOnPush", "lifecyclePolicyMaxImageCount", "untaggedImageExpiryDays",
    "imageTagMutabilityExclusions", "pullAccounts", "pullOrganizationId", "adopt", "forceDelete",
    "scanOnPsh",
]  # fmt: skip
_words = st.sampled_from(
    ["fileflow", "api", "team/api", "team-api", "a", "A", "x" * 130, "a*b*c*", "latest", "*",
     "team-", "MUTABLE", "IMMUTABLE", "prod", "dev", "staging", "o-a1b2c3d4e5", "210987654321",
     "١٢٣٤٥٦٧٨٩٠١٢", "a\nb", "ap-northeast-1", "ap-northeast-2", "SCAN_ON_PUSH", "MANUAL",
     "CONTINUOUS_SCAN", "ENHANCED", "BASIC", "HIGH", "registry-1.docker.io", "public.ecr.aws",
     "/shared/ecr", "/" + "/".join("l" * 16), "a@b.co", ""]
)  # fmt: skip
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 20000), st.integers(10**20, 10**30), _words,
    st.text(max_size=12),
)  # fmt: skip
_json = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=6),
        st.dictionaries(
            st.one_of(st.sampled_from(_SERVICE_KEYS + _KEYS), _words), inner, max_size=6
        ),
    ),
    max_leaves=30,
)


def _engine_value(value):
    """As the engine passes it: strings as is, everything else JSON-encoded."""
    return value if isinstance(value, str) else json.dumps(value)


_raw_configs = st.dictionaries(
    st.sampled_from(_KEYS), _json.map(_engine_value), max_size=10
) | st.fixed_dictionaries(
    {"environment": st.sampled_from(["dev", "staging", "prod"]),
     "services": st.dictionaries(_words, st.one_of(st.none(), st.dictionaries(
         st.sampled_from(_SERVICE_KEYS), _json, max_size=4)), min_size=1, max_size=4).map(json.dumps)},
    optional={k: _json.map(_engine_value) for k in _KEYS if k not in ("environment", "services")},
)  # fmt: skip


# Mostly valid configs, so the invariants on accepted settings are exercised too.
_service_values = st.fixed_dictionaries(
    {},
    optional={
        "imageTagMutability": st.sampled_from(["MUTABLE", "IMMUTABLE"]),
        "scanOnPush": st.booleans(),
        "lifecyclePolicyMaxImageCount": st.integers(0, 10001),
        "imageTagMutabilityExclusions": st.lists(
            st.sampled_from(["latest", "a*b*", "a*b*c*", "*"]), max_size=6
        ),
        "pullAccounts": st.lists(st.sampled_from(["210987654321", "123456789012"]), max_size=2),
        "adopt": st.booleans(),
        "forceDelete": st.booleans(),
    },
)
_near_valid = st.fixed_dictionaries(
    {"environment": st.sampled_from(["dev", "staging", "prod"]),
     "services": st.dictionaries(st.sampled_from(["fileflow", "api", "team/api", "team-api", "x" * 119]),
                                 st.one_of(st.none(), _service_values), min_size=1, max_size=4).map(json.dumps)},
    optional={
        "imageTagMutability": st.sampled_from(["MUTABLE", "IMMUTABLE"]),
        "replicationRegions": st.lists(st.sampled_from(["ap-northeast-1", "ap-northeast-2"]), max_size=2).map(json.dumps),
        "registryScanning": st.fixed_dictionaries({"rules": st.lists(st.fixed_dictionaries(
            {"frequency": st.sampled_from(["SCAN_ON_PUSH", "MANUAL", "CONTINUOUS_SCAN"]),
             "filters": st.lists(st.sampled_from(["*", "team-*", "team-"]), min_size=1, max_size=2, unique=True)}),
            min_size=1, max_size=3)}).map(json.dumps),
        "ssmParameterPrefix": st.sampled_from(["/shared/ecr", "/" + "/".join("l" * 14)]),
    },
)  # fmt: skip


@hypothesis_settings(max_examples=250, derandomize=True, deadline=None)
@given(_raw_configs | _near_valid)
def test_any_config_gives_valid_settings_or_one_line_per_problem(raw):
    try:
        s = load_settings(raw, region="ap-northeast-2")
    except SettingsError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.startswith("ecr:") and "\n" not in problem, problem
        return
    policy_names = [iam_policy_name(r.name, "push") for r in s.services]
    assert len(set(policy_names)) == len(policy_names)
    assert s.environment in ("dev", "staging", "prod")
    assert "ap-northeast-2" not in s.replication_regions
    for repo in s.services:
        assert _REPOSITORY.fullmatch(repo.name) and len(repo.name) >= 2
        assert len(iam_policy_name(repo.name, "push")) <= IAM_POLICY_NAME_MAX
        assert len(s.tags(repo.name)["Name"]) <= 256
        assert s.url_parameter_name(repo.name).count("/") <= SSM_MAX_LEVELS
        assert len(repo.mutability_exclusions) <= 5
        assert all(
            _ASCII_TAG.fullmatch(f) and f.count("*") <= 2 for f in repo.mutability_exclusions
        )
        assert all(re.fullmatch(r"[0-9]{12}", a, re.ASCII) for a in repo.pull_accounts)
        assert 1 <= repo.max_image_count <= 10000 and 1 <= repo.untagged_expiry_days <= 3650
        assert not (repo.adopt and repo.force_delete)
        if s.is_production:
            assert repo.image_tag_mutability.startswith("IMMUTABLE") and not repo.force_delete
    if s.registry_scanning:
        assert 1 <= len(s.registry_scanning.rules) <= 2
        for rule in s.registry_scanning.rules:
            assert all(_SCAN_FILTER.fullmatch(f) for f in rule.filters)


@hypothesis_settings(max_examples=100, derandomize=True, deadline=None)
@given(st.dictionaries(st.text(max_size=8), st.text(max_size=40), max_size=8))
def test_any_strings_at_all_never_raise_anything_but_settings_errors(raw):
    with contextlib.suppress(SettingsError):
        load_settings(raw)


# --- retention (issue: lifecycle rules that never delete an image still deployed) ------------------


def test_retention_keys_are_inherited_and_overridden_per_service():
    s = settings(
        protectedTags='["prod-*"]',
        expireTaggedAfterDays="14",
        expireTaggedPatterns='["sha-*"]',
        archiveAfterDays="180",
        services='{"fileflow": {}, "api": {"protectedTags": [], "archiveAfterDays": 365}}',
    )
    by_name = {r.name: r.retention for r in s.services}
    assert by_name["fileflow"].protected_tags == ("prod-*",)
    assert (
        by_name["fileflow"].expire_tagged_after_days,
        by_name["fileflow"].expire_tagged_patterns,
    ) == (14, ("sha-*",))
    assert (by_name["api"].protected_tags, by_name["api"].archive_after_days) == ((), 365)
    assert by_name["fileflow"].archive_after_days == 180 and s.archives


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"protectedTags": '["a*b*c*d*e*"]'},
            'ecr:protectedTags[0] = "a*b*c*d*e*": must be an image tag pattern: 1-128 of A-Z a-z 0-9 _ . - with at most 4 `*` (ECR)',
        ),
        (
            {"protectedTags": '["bad tag"]'},
            'ecr:protectedTags[0] = "bad tag": must be an image tag pattern',
        ),
        (
            {"expireTaggedAfterDays": "14"},
            "ecr:services.fileflow.expireTaggedPatterns = []: expireTaggedAfterDays and expireTaggedPatterns go together",
        ),
        (
            {"expireTaggedPatterns": '["sha-*"]'},
            'ecr:services.fileflow.expireTaggedPatterns = ["sha-*"]: expireTaggedAfterDays and expireTaggedPatterns go together',
        ),
        (
            {
                "protectedTags": '["sha-*"]',
                "expireTaggedAfterDays": "3",
                "expireTaggedPatterns": '["sha-*"]',
            },
            'ecr:services.fileflow.expireTaggedPatterns = ["sha-*"]: ["sha-*"] also in protectedTags',
        ),
        ({"archiveAfterDays": "0"}, "ecr:archiveAfterDays = 0: must be an integer from 1 to 3650"),
        (
            {"expireTaggedPatterns": json.dumps([f"p{i}" for i in range(21)])},
            "ecr:expireTaggedPatterns = ",
        ),
        (
            {"pullTimeExclusions": '["arn:aws:iam::123456789012:group/x"]'},
            'ecr:pullTimeExclusions[0] = "arn:aws:iam::123456789012:group/x": must be the ARN of an IAM role or user',
        ),
    ],
)
def test_retention_that_ecr_would_reject_is_refused_with_the_key(raw, expected):
    found = problems(**raw)
    assert any(p.startswith(expected) for p in found), found


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"signing": '{"profileName": "ecr-prod"}'},
            'ecr:signing.profileName = "ecr-prod": must be 2-64 letters, digits or _',
        ),
        (
            {"signing": '{"validityYears": 12}'},
            "ecr:signing.validityYears = 12: must be an integer from 1 to 11",
        ),
        (
            {"signing": '{"profile": "x"}'},
            'ecr:signing.profile = "x": unknown key; allowed keys are mode, profileArn, '
            "profileName, repositoryFilters, validityYears",
        ),
        (
            {"createOnPushPrefixes": '["ROOT"]'},
            'ecr:createOnPushPrefixes[0] = "ROOT": must be a repository-name prefix',
        ),
        (
            {"replicationKmsKeyId": "mrk-123"},
            'ecr:replicationKmsKeyId = "mrk-123": must be a multi-Region KMS key id',
        ),
    ],
)
def test_signing_and_template_keys_are_validated(raw, expected):
    found = problems(**raw)
    assert any(p.startswith(expected) for p in found), found


CENTRAL_PROFILE = "arn:aws:signer:ap-northeast-2:123456789012:/signing-profiles/org_signing"


@pytest.mark.parametrize(
    ("signing", "expected"),
    [
        (
            {"mode": "client"},
            'ecr:signing.mode = "client": must be one of managed, notation',
        ),
        (
            {"repositoryFilters": ["Team/*"]},
            'ecr:signing.repositoryFilters[0] = "Team/*": must be a repository-name wildcard',
        ),
        (
            {"repositoryFilters": ["team-a//x"]},
            'ecr:signing.repositoryFilters[0] = "team-a//x": must be a repository-name wildcard',
        ),
        (
            {"profileArn": "arn:aws:signer:ap-northeast-2:123456789012:signing-profiles/x"},
            "ecr:signing.profileArn = ",
        ),
        (
            {"profileArn": CENTRAL_PROFILE, "profileName": "mine"},
            f'ecr:signing.profileArn = "{CENTRAL_PROFILE}": not with profileName',
        ),
        (
            {"profileArn": CENTRAL_PROFILE, "validityYears": 3},
            "ecr:signing.validityYears = 3: not with profileArn",
        ),
        (
            {"profileArn": CENTRAL_PROFILE, "repositoryFilters": ["team-a/*"]},
            'ecr:signing.repositoryFilters = ["team-a/*"]: only for the stack that writes',
        ),
        (
            {"mode": "notation", "repositoryFilters": ["team-a/*"]},
            'ecr:signing.repositoryFilters = ["team-a/*"]: only for the stack that writes',
        ),
    ],
)
def test_signing_modes_and_filters_are_validated(signing, expected):
    found = problems(signing=json.dumps(signing))
    assert any(p.startswith(expected) for p in found), found


def test_signing_filters_beyond_ten_rules_are_refused_naming_the_limit():
    filters = [f"team{i:04d}/*" for i in range(1000)]
    found = problems(signing=json.dumps({"repositoryFilters": filters}))
    (problem,) = [p for p in found if "signing rules" in p]
    assert "1001 repository filters" in problem
    assert "need 11 signing rules" in problem
    assert "signing rules per registry: at most 10 (botocore ecr PutSigningConfiguration" in problem
    fits = settings(registryOwner="true", signing=json.dumps({"repositoryFilters": filters[:999]}))
    assert [len(rule) for rule in fits.signing_rules] == [100] * 10


def test_managed_signing_is_the_default_and_names_its_rules():
    s = settings(registryOwner="true", signing="{}")
    assert s.signing_mode == "managed" and s.signing_profile_name == "ecr_dev"
    assert s.signing_rules == (("fileflow",),)
    central = settings(signing=json.dumps({"profileArn": CENTRAL_PROFILE}))
    assert central.signing_profile_name is None and central.signing_rules == ()
    assert central.signing_profile_arn == CENTRAL_PROFILE
    # ECR's managed signatures are untagged referrers too: no untagged expiry in any mode.
    for signed in (s, central, settings(signing='{"mode": "notation"}')):
        assert [r.retention.expire_untagged for r in signed.services] == [False]
        assert signed.stack_retention.expire_untagged is False


# --- issue 15: what AWS refuses is refused here, what AWS accepts stays accepted -------------------

_SECRET = "arn:aws:secretsmanager:{}:123456789012:secret:ecr-pullthroughcache/docker-hub"


def _problems_in(region: str | None = "ap-northeast-2", **raw) -> list[str]:
    raw.setdefault("environment", "dev")
    raw.setdefault("services", '{"fileflow": {}}')
    with pytest.raises(SettingsError) as caught:
        load_settings(raw, region=region)
    return caught.value.problems


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"costCenter": "R&D"}, 'ecr:costCenter = "R&D": must be 1-256 letters, digits, spaces'),
        ({"dataClass": "a\tb"}, 'ecr:dataClass = "a\\tb": must be 1-256 letters'),
        (
            {"owner": "o'brien@example.com"},
            'ecr:owner = "o\'brien@example.com": must be an e-mail address of letters, digits',
        ),
        (
            {"createOnPushPrefixes": '["a"]'},
            'ecr:createOnPushPrefixes[0] = "a": must be a repository-name prefix of 2-256',
        ),
        (
            {"createOnPushPrefixes": '["team-a", "team-a/"]'},
            'ecr:createOnPushPrefixes[1] = "team-a/": the same namespace as "team-a"',
        ),
        (
            {"pullThroughCache": '{"mcr": {"upstream": "mcr.microsoft.com"}}'},
            'ecr:pullThroughCache.mcr.upstream = "mcr.microsoft.com": must be an upstream ECR',
        ),
        (
            {
                "pullThroughCache": json.dumps(
                    {f"c{i:02d}": {"upstream": "quay.io"} for i in range(51)}
                )
            },
            "ecr:pullThroughCache = ",
        ),
        (
            {
                "pullThroughCache": json.dumps(
                    {
                        "dh": {
                            "upstream": "registry-1.docker.io",
                            "credentialArn": _SECRET.format("us-east-1"),
                        }
                    }
                )
            },
            'ecr:pullThroughCache.dh.credentialArn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/docker-hub": the secret must be in the stack\'s region ap-northeast-2',
        ),
        (
            {
                "pullThroughCache": json.dumps(
                    {
                        "dh": {
                            "upstream": "registry-1.docker.io",
                            "credentialArn": _SECRET.format("ap-northeast-2")[:-9] + "x" * 600,
                        }
                    }
                )
            },
            "ecr:pullThroughCache.dh.credentialArn = ",
        ),
        (
            {"pullThroughCache": json.dumps({"az": {"upstream": "myregistry.azurecr.io"}})},
            "ecr:pullThroughCache.az.credentialArn = null: is required for myregistry.azurecr.io",
        ),
        (
            {"ssmParameterPrefix": "/aws/ecr"},
            'ecr:ssmParameterPrefix = "/aws/ecr": must not begin with aws or ssm',
        ),
        (
            {"ssmParameterPrefix": "/SSM-shared/ecr"},
            'ecr:ssmParameterPrefix = "/SSM-shared/ecr": must not begin',
        ),
        (
            {"ssmParameterPrefix": "/" + "p" * 899, "services": json.dumps({"s" * 100: {}})},
            f'ecr:services.{"s" * 100} = "{"s" * 100}": its URL parameter /ppp',
        ),
        (
            {
                "registryScanning": json.dumps(
                    {"rules": [{"filters": ["a*", "*"]}, {"filters": ["*", "a*"]}]}
                )
            },
            'ecr:registryScanning.rules[1] = {"filters": ["*", "a*"], "frequency": "SCAN_ON_PUSH"}: repeats an earlier rule',
        ),
        (
            {"createOnPushPrefixes": '["team-a/"]', "expireTaggedPatterns": '["sha-*"]'},
            'ecr:expireTaggedPatterns = ["sha-*"]: expireTaggedAfterDays and expireTaggedPatterns go together',
        ),
        (
            {
                "services": json.dumps(
                    {"fileflow": {"pullAccounts": [f"{i:012d}" for i in range(300)]}}
                )
            },
            "ecr:services.fileflow.pullAccounts = ",
        ),
    ],
)
def test_what_aws_refuses_is_refused_with_the_key_and_the_rule(raw, expected):
    found = _problems_in(**raw)
    assert any(p.startswith(expected) for p in found), found


def test_size_refusals_name_the_aws_limit():
    (repository,) = _problems_in(
        services=json.dumps({"fileflow": {"pullAccounts": [f"{i:012d}" for i in range(300)]}})
    )
    assert "ECR repository policies: at most 10,240" in repository
    assert "pullOrganizationId" in repository


def test_replication_is_checked_against_the_region_the_provider_resolves(monkeypatch, tmp_path):
    from components.settings import provider_region

    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert provider_region(None) == "eu-west-1"
    assert provider_region("us-east-1") == "us-east-1"
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    assert provider_region(None) == "us-west-2"
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    config = tmp_path / "config"
    config.write_text("[default]\nregion = ap-south-1\n[profile ci]\nregion = sa-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    assert provider_region(None) == "ap-south-1"
    monkeypatch.setenv("AWS_PROFILE", "ci")
    assert provider_region(None) == "sa-east-1"
    found = _problems_in(region=provider_region(None), replicationRegions='["sa-east-1"]')
    assert found == [
        'ecr:replicationRegions = ["sa-east-1"]: must not include the stack\'s own region sa-east-1'
    ]


def test_field_and_cross_field_problems_are_reported_together():
    found = _problems_in(
        environment="prod",
        costCenter="R&D",
        imageTagMutability="MUTABLE",
        services=json.dumps({"fileflow": {"forceDelete": True, "scanOnPsh": True}}),
        replicationRegions='["ap-northeast-2"]',
    )
    assert [p.split(" = ")[0] for p in found] == [
        "ecr:costCenter",
        "ecr:services.fileflow.scanOnPsh",
        "ecr:imageTagMutability",
        "ecr:services.fileflow.forceDelete",
        "ecr:replicationRegions",
    ]


def test_edge_values_aws_accepts_stay_accepted():
    s = load_settings(
        {
            "environment": "dev",
            "services": '{"fileflow": {}}',
            "costCenter": "Ünïcødé 팀 R+D",
            "owner": "ü.o@exämple.com",
            "createOnPushPrefixes": '["ab", "cd/"]',
            "pullThroughCache": json.dumps(
                {f"c{i:02d}": {"upstream": "quay.io"} for i in range(49)}
                | {
                    "az": {
                        "upstream": "myregistry.azurecr.io",
                        "credentialArn": _SECRET.format("ap-northeast-2"),
                    }
                }
            ),
            "replicationRegions": json.dumps(
                [r for r in AWS_REGIONS if r != "ap-northeast-2"][:25]
            ),
            "ssmParameterPrefix": "/" + "/".join("l" * 14),
            "registryOwner": "true",
            "signing": json.dumps({"profileName": "p" * 64}),
        },
        region="ap-northeast-2",
    )
    assert len(s.pull_through_cache) == 50 and len(s.replication_regions) == 25
    assert s.url_parameter_name("fileflow").count("/") == SSM_MAX_LEVELS
    assert s.signing_profile_name == "p" * 64 and s.cost_center == "Ünïcødé 팀 R+D"


def test_a_combination_with_a_key_that_failed_on_its_own_is_not_reported_again():
    found = _problems_in(expireTaggedAfterDays="0", expireTaggedPatterns='["sha-*"]')
    assert found == ["ecr:expireTaggedAfterDays = 0: must be an integer from 1 to 3650"]
