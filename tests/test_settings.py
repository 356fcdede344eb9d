"""Stack config -> settings: defaults, overrides and every kind of bad input, reported at once."""

import json

import pytest

from components.settings import SERVICE_KEYS, STACK_KEYS, SettingsError, load_settings


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
        environment="prod",
        lifecyclePolicyMaxImageCount="50",
        services='{"fileflow": {}, "api": {"imageTagMutability": "MUTABLE", "scanOnPush": false,'
        ' "lifecyclePolicyMaxImageCount": 5, "untaggedImageExpiryDays": 1}, "web": null}',
    )
    by_name = {r.name: r for r in s.services}
    assert by_name["fileflow"].max_image_count == 50
    assert by_name["fileflow"].image_tag_mutability == "IMMUTABLE"
    api = by_name["api"]
    assert (api.image_tag_mutability, api.scan_on_push, api.max_image_count) == (
        "MUTABLE",
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
        ({"costCenter": "  "}, 'ecr:costCenter = "  ": must be a non-empty string'),
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
            'ecr:scanOnPsh = "true": unknown key; allowed keys are alerts, costCenter, dashboard, dataClass',
        ),
        ({"services": "[1]"}, "ecr:services = [1]: must be an object"),
        ({"services": "{}"}, "ecr:services has no services"),
        (
            {"services": '{"FileFlow": {}}'},
            'ecr:services.FileFlow = "FileFlow": service names are ECR repository names',
        ),
        ({"services": '{"a": {}}'}, 'ecr:services.a = "a": service names are ECR repository names'),
        (
            {"services": '{"file--flow": {}}'},
            'ecr:services.file--flow = "file--flow": service names',
        ),
        (
            {"services": '{"f": 3}'},
            "ecr:services.f = 3: must be a map of imageTagMutability, scanOnPush",
        ),
        (
            {"services": '{"fileflow": {"scanOnPsh": true}}'},
            "ecr:services.fileflow.scanOnPsh = true: unknown key; allowed keys are adopt, forceDelete, imageTagMutability",
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


def test_declarations_cover_every_settings_field():
    stack_names = {k.name for k in STACK_KEYS}
    overridable = {k.name for k in SERVICE_KEYS} & stack_names
    assert overridable == {
        "imageTagMutability",
        "scanOnPush",
        "lifecyclePolicyMaxImageCount",
        "untaggedImageExpiryDays",
    }
    assert all(k.description for k in STACK_KEYS)


# --- per-service access, exclusions, adoption; per-stack alerts and registry settings ------------


def test_service_extras_parse():
    s = settings(
        services='{"fileflow": {"pullAccounts": ["210987654321"], "pullOrganizationId": "o-a1b2c3d4e5",'
        ' "imageTagMutabilityExclusions": ["latest", "cache-*"], "adopt": true, "forceDelete": true}}'
    )
    (repo,) = s.services
    assert repo.pull_accounts == ("210987654321",)
    assert repo.pull_organization_id == "o-a1b2c3d4e5"
    assert repo.mutability_exclusions == ("latest", "cache-*")
    assert repo.image_tag_mutability == "MUTABLE_WITH_EXCLUSION"
    assert (repo.adopt, repo.force_delete) == (True, True)
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
    assert s.alerts.min_severity == "HIGH" and s.alerts.emails == ("sec@example.com",)
    assert s.registry_scanning.type == "ENHANCED"
    assert s.registry_scanning.rules[0].filters == ("prod-*",)
    assert s.replication_regions == ("ap-northeast-1",)
    assert s.pull_through_cache[0].upstream == "public.ecr.aws"
    defaults = settings(alerts="{}", registryScanning="{}")
    assert (defaults.alerts.min_severity, defaults.alerts.emails) == ("CRITICAL", ())
    assert defaults.registry_scanning.rules[0].frequency == "SCAN_ON_PUSH"
    assert settings().alerts is None and settings().registry_scanning is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"services": '{"fileflow": {"pullAccounts": ["1234"]}}'},
            'ecr:services.fileflow.pullAccounts = ["1234"]: must be a list of unique 12-digit account ids',
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
            "must be a list of unique tag filters of 0-9 a-z A-Z . _ * -, at most 5",
        ),
        (
            {"services": '{"fileflow": {"imageTagMutabilityExclusions": ["bad tag"]}}'},
            'ecr:services.fileflow.imageTagMutabilityExclusions = ["bad tag"]',
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
            'ecr:alerts.emails = ["not-mail"]: must be a list of unique e-mail addresses',
        ),
        (
            {"alerts": '{"email": []}'},
            "ecr:alerts.email = []: unknown key; allowed keys are cloudTrailLogGroup, emails, minSeverity",
        ),
        ({"alerts": "true"}, "ecr:alerts = true: must be an object"),
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
            "ecr:registryScanning.rules = []: must list at least one rule",
        ),
        (
            {"registryScanning": '{"rules": [{"filters": ["Bad Filter"]}]}'},
            'ecr:registryScanning.rules[0].filters = ["Bad Filter"]',
        ),
        (
            {"replicationRegions": '["ap-northeast-9"]'},
            'ecr:replicationRegions = ["ap-northeast-9"]: must be a list of at most 25 unique AWS regions',
        ),
        (
            {"pullThroughCache": '{"hub": {"upstream": "registry-1.docker.io"}}'},
            "ecr:pullThroughCache.hub.credentialArn = null: is required for registry-1.docker.io",
        ),
        (
            {"pullThroughCache": '{"x": {"upstream": "example.com"}}'},
            'ecr:pullThroughCache.x = "x": prefixes are 2-30',
        ),
        (
            {"pullThroughCache": '{"ex": {"upstream": "example.com"}}'},
            'ecr:pullThroughCache.ex.upstream = "example.com": must be one of public.ecr.aws',
        ),
        (
            {"pullThroughCache": '{"ex": {}}'},
            "ecr:pullThroughCache.ex.upstream = null: is required",
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
    assert "replication covers at most 100 services per stack; this stack has 101" in message
