"""Stack config -> settings: defaults, overrides and every kind of bad input, reported at once."""

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
            'ecr:scanOnPsh = "true": unknown key; allowed keys are costCenter, dataClass',
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
        ({"services": '{"f": 3}'}, "ecr:services.f = 3: must be a map of overrides"),
        (
            {"services": '{"fileflow": {"scanOnPsh": true}}'},
            "ecr:services.fileflow.scanOnPsh = true: unknown key; allowed keys are imageTagMutability, lifecyclePolicyMaxImageCount",
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
    assert {k.name for k in SERVICE_KEYS} < stack_names
    assert all(k.description for k in STACK_KEYS)
