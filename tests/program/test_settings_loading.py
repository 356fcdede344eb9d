"""Loading the `ecr:` namespace (components/settings/loading.py): how values the engine passes as
strings are read, the registry owner and what only it may set, managed signing's ownership, and
the checks of values read at run time. tests/program/test_settings.py covers each key's own
limits; these pin the loading rules around them."""

import json

import pytest

from components.settings import SettingsError, load_settings
from components.settings.loading import (
    MAX_DEPTH,
    credential_account_problem,
    kms_key_arn_problem,
    signing_filters,
)
from components.settings.provider import ProviderSettings

ACCOUNT = "123456789012"
MRK = "mrk-" + "0123456789abcdef" * 2  # a multi-Region key id
PROFILE = f"arn:aws:signer:us-east-1:{ACCOUNT}:/signing-profiles/ecr_prod"


def settings(region=None, provider=None, **raw):
    raw.setdefault("environment", "dev")
    raw.setdefault("services", '{"fileflow": {}}')
    return load_settings(raw, region, provider)


def problems(region=None, provider=None, **raw):
    with pytest.raises(SettingsError) as caught:
        settings(region, provider, **raw)
    return caught.value.problems


# --- values as the engine passes them: strings ------------------------------------------------------


def test_numeric_looking_text_stays_text_in_string_keys():
    """Pulumi passes every config value as a string; a text key keeps `0042`, `1e3`, `true` and
    `null` as written (JSON-decoding them would make a number, a boolean or nothing)."""
    s = settings(
        owner="0042@example.com",
        costCenter="1e3",
        dataClass="true",
        lifecycleStage="null",
        kmsKeyParameter="/0042",
        ssmParameterPrefix="/007",
    )
    assert (s.owner, s.cost_center, s.data_class, s.lifecycle_stage) == (
        "0042@example.com",
        "1e3",
        "true",
        "null",
    )
    assert (s.kms_key_parameter, s.ssm_parameter_prefix) == ("/0042", "/007")
    assert settings(costCenter="0042").cost_center == "0042"
    assert settings(costCenter="12345").cost_center == "12345"


def test_structured_keys_are_json_decoded_and_must_be_whole_numbers():
    assert settings(lifecyclePolicyMaxImageCount="30").services[0].max_image_count == 30
    assert settings(lifecyclePolicyMaxImageCount=30).services[0].max_image_count == 30
    assert settings(scanOnPush="false").services[0].scan_on_push is False
    assert problems(lifecyclePolicyMaxImageCount="1e3") == [
        "ecr:lifecyclePolicyMaxImageCount = 1000.0: must be an integer"
    ]
    assert problems(lifecyclePolicyMaxImageCount="30.0") == [
        "ecr:lifecyclePolicyMaxImageCount = 30.0: must be an integer"
    ]
    # Inside a structured value the text is JSON's own: a quoted number is text.
    assert problems(services='{"fileflow": {"lifecyclePolicyMaxImageCount": "20"}}') == [
        'ecr:services.fileflow.lifecyclePolicyMaxImageCount = "20": must be an integer'
    ]


def test_values_that_are_not_json_are_named_as_written():
    assert problems(scanOnPush="yes") == ['ecr:scanOnPush = "yes": must be a boolean']
    assert problems(scanOnPush="[1") == ['ecr:scanOnPush = "[1": must be a boolean']
    assert problems(registryOwner="0") == ["ecr:registryOwner = 0: must be a boolean"]
    # A number too long for Python's int parser is text, and named as such.
    huge = "9" * 5000
    (problem,) = problems(lifecyclePolicyMaxImageCount=huge)
    assert problem.startswith('ecr:lifecyclePolicyMaxImageCount = "999')


def test_an_unknown_key_is_not_decoded_and_is_named_with_the_allowed_keys():
    (problem,) = problems(scanOnPsh="true")
    assert problem.startswith('ecr:scanOnPsh = "true": unknown key; allowed keys are alerts, ')
    assert "scanOnPush" in problem


def test_a_value_nested_too_deeply_is_refused_before_validation():
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    assert problems(protectedTags=deep) == [
        f"ecr:protectedTags nests lists and maps deeper than {MAX_DEPTH} levels: no key of the "
        "namespace goes deeper than 6 (docs/configuration.md)"
    ]
    fits = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert not any("deeper than" in p for p in problems(protectedTags=fits))
    maps = '{"a": ' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1)
    assert problems(services=maps) == [
        f"ecr:services nests lists and maps deeper than {MAX_DEPTH} levels: no key of the "
        "namespace goes deeper than 6 (docs/configuration.md)"
    ]


# --- the registry owner ----------------------------------------------------------------------------


def test_a_stack_owns_the_registry_unless_it_says_false():
    assert settings().registry_owner is True
    assert settings(registryOwner="true").registry_owner is True
    assert settings(registryOwner="false").registry_owner is False
    assert problems(registryOwner="maybe") == ['ecr:registryOwner = "maybe": must be a boolean']


def test_a_stack_that_is_not_the_owner_may_not_set_any_registry_wide_key():
    found = problems(
        registryOwner="false",
        replicationRegions='["eu-west-1"]',
        pullThroughCache='{"ecr-public": {"upstream": "public.ecr.aws"}}',
        createOnPushPrefixes='["team/"]',
        pullTimeExclusions=json.dumps([f"arn:aws:iam::{ACCOUNT}:role/x"]),
        registryScanning='{"type": "ENHANCED"}',
        replicationKmsKeyId=MRK,
        signing='{"mode": "managed"}',
    )
    assert found == [
        "ecr:registryOwner = false: this stack does not manage the registry-wide settings, so it "
        "must not set ecr:registryScanning, ecr:replicationRegions, ecr:replicationKmsKeyId, "
        "ecr:pullThroughCache, ecr:createOnPushPrefixes, ecr:pullTimeExclusions, ecr:signing "
        "(managed, without profileArn): set them in the stack that owns the account's registry "
        "(registryOwner: true), or make this stack the owner"
    ]


@pytest.mark.parametrize(
    "raw",
    [
        {"replicationRegions": "[]", "pullThroughCache": "{}", "createOnPushPrefixes": "[]"},
        {"signing": '{"mode": "notation"}'},
        {"signing": json.dumps({"mode": "managed", "profileArn": PROFILE})},
    ],
)
def test_a_stack_that_is_not_the_owner_may_set_empty_values_and_sign_with_the_owners_profile(raw):
    assert settings(registryOwner="false", **raw).registry_owner is False


def test_one_registry_wide_key_is_named_alone():
    assert problems(registryOwner="false", createOnPushPrefixes='["team/"]') == [
        "ecr:registryOwner = false: this stack does not manage the registry-wide settings, so it "
        "must not set ecr:createOnPushPrefixes: set them in the stack that owns the account's "
        "registry (registryOwner: true), or make this stack the owner"
    ]


def test_managed_signing_needs_the_owner_declared():
    """PutSigningConfiguration replaces the registry's one configuration: a stack that writes it
    must say it owns the registry, not be the owner by default."""
    assert problems(signing='{"mode": "managed"}') == [
        "ecr:signing = {}: managed signing writes the account's one registry signing "
        "configuration, so this stack must be declared its owner: set `ecr:registryOwner: true` "
        "here (and `false` in every other stack of the account and region), or sign with the "
        "owner's profile (signing.profileArn) or with mode notation"
    ]
    # The signing config is shown as written in the stack config (camelCase keys).
    (shown,) = problems(signing='{"mode": "managed", "validityYears": 3}')
    assert shown.startswith('ecr:signing = {"validityYears": 3}: managed signing writes')
    s = settings(registryOwner="true", signing='{"mode": "managed"}')
    assert s.signing_rules == (("fileflow",),)
    assert (s.signing_mode, s.signing_profile_name, s.signing_profile_arn) == (
        "managed",
        "ecr_dev",
        None,
    )
    notation = settings(signing='{"mode": "notation"}')
    assert notation.signing_rules == ()
    borrowed = settings(signing=json.dumps({"mode": "managed", "profileArn": PROFILE}))
    assert (borrowed.signing_rules, borrowed.signing_profile_name) == ((), None)
    assert borrowed.signing_profile_arn == PROFILE


def test_signing_settings_that_only_the_writer_may_give():
    assert problems(
        signing=json.dumps(
            {"mode": "managed", "profileArn": PROFILE, "profileName": "mine", "validityYears": 3,
             "repositoryFilters": ["team/*"]}
        )
    ) == [
        f'ecr:signing.profileArn = "{PROFILE}": not with profileName ("mine"): use the other '
        "stack's profile or create one here",
        "ecr:signing.validityYears = 3: not with profileArn: the profile's owner sets its validity",
        'ecr:signing.repositoryFilters = ["team/*"]: only for the stack that writes the '
        "registry's signing configuration (mode managed, no profileArn)",
    ]  # fmt: skip
    assert problems(signing='{"mode": "notation", "repositoryFilters": ["team/*"]}') == [
        'ecr:signing.repositoryFilters = ["team/*"]: only for the stack that writes the '
        "registry's signing configuration (mode managed, no profileArn)"
    ]


def test_a_service_a_signing_filter_cannot_name_gets_a_wildcard_suggestion():
    found = problems(
        registryOwner="true", signing='{"mode": "managed"}', services='{"a__b": {}, "c--d": {}}'
    )
    assert found == [
        f"ecr:services.{name}: managed signing names each service in a signing rule's repository "
        "filter, and ECR's filters (PutSigningConfiguration SigningRepositoryFilterValue) take "
        "only single . _ - between letters and digits, not __ or --: cover it with a wildcard in "
        f'signing.repositoryFilters (e.g. "{wildcard}"), or sign with mode notation'
        for name, wildcard in (("a__b", "a_*b"), ("c--d", "c-*d"))
    ]
    covered = settings(
        registryOwner="true",
        signing='{"mode": "managed", "repositoryFilters": ["a_*", "c-*"]}',
        services='{"a__b": {}, "c--d": {}, "ee": {}}',
    )
    assert covered.signing_rules == (("a_*", "c-*", "ee"),)


def test_more_signing_rules_than_ecr_takes_are_refused_showing_the_filters():
    filters = [f"team{i:04d}/*" for i in range(1000)]
    found = problems(registryOwner="true", signing=json.dumps({"repositoryFilters": filters}))
    (problem,) = [p for p in found if "signing rules" in p]
    assert problem.startswith(
        'ecr:signing.repositoryFilters = ["team0000/*", "team0001/*", "team0002/*", '
    )
    assert (
        ": 1001 repository filters (the wildcards and the services they do not match) need 11 "
        "signing rules; " in problem
    )


def test_signing_filters_are_the_wildcards_then_the_services_they_miss():
    assert signing_filters(["b", "team/x", "a"], ["team/*"]) == ["team/*", "a", "b"]
    assert signing_filters(["b", "a"], []) == ["a", "b"]
    assert signing_filters(["x"], ["x"]) == ["x"]


def test_the_provider_that_writes_the_signing_configuration_must_be_configurable():
    emulator = ProviderSettings(endpoints={"ecr": "http://localhost:4566"})
    own = {"registryOwner": "true", "signing": '{"mode": "managed"}'}
    assert problems(provider=emulator, **own) == [
        "aws:endpoints = ecr: this stack sends its AWS calls to other endpoints (an emulator) but "
        "names none for cloudcontrol, so the registry's signing configuration (ecr:signing, mode "
        "managed) would be written through real AWS Cloud Control; refused: sign with "
        "`ecr:signing.mode: notation` on this stack (the emulator has no Cloud Control), or add a "
        "cloudcontrol endpoint to aws:endpoints"
    ]
    broken = ProviderSettings(problems=("aws:assumeRoles: one role at most",))
    assert problems(provider=broken, **own) == ["aws:assumeRoles: one role at most"]
    # Nothing is written through aws-native without managed signing by this stack.
    assert settings(provider=broken).registry_owner is True
    assert settings(provider=broken, signing='{"mode": "notation"}').signing_rules == ()
    assert settings(provider=broken, registryOwner="false").registry_owner is False


# --- where the stack deploys -------------------------------------------------------------------------


def test_replication_stays_in_the_stacks_partition_and_leaves_its_region():
    assert problems("us-east-1", replicationRegions='["eu-west-1", "cn-north-1"]') == [
        'ecr:replicationRegions = ["eu-west-1", "cn-north-1"]: ["cn-north-1"] not in the '
        "stack's partition aws (region us-east-1): ECR replicates only between regions of one "
        "partition"
    ]
    assert problems("us-east-1", replicationRegions='["us-east-1"]') == [
        'ecr:replicationRegions = ["us-east-1"]: must not include the stack\'s own region us-east-1'
    ]
    assert settings("cn-north-1", replicationRegions='["cn-northwest-1"]').replication_regions == (
        "cn-northwest-1",
    )
    assert settings(None, replicationRegions='["cn-northwest-1"]').replication_regions == (
        "cn-northwest-1",
    )


# --- values read at run time ---------------------------------------------------------------------------


def test_a_pull_through_secret_must_be_in_the_stacks_account():
    secret = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:ecr-pullthroughcache/hub-AbCdEf"
    assert credential_account_problem("docker-hub", secret, ACCOUNT) is None
    assert credential_account_problem("docker-hub", secret, "210987654321") == (
        f'ecr:pullThroughCache.docker-hub.credentialArn = "{secret}": the secret must be in this '
        "stack's account 210987654321 (ECR reads it from the rule's own account and region); "
        "nothing was changed"
    )


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        (f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab", True),
        (f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{MRK}", True),
        (f"arn:aws:kms:us-west-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab", False),
        ("arn:aws:kms:us-east-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab", False),
        (f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/ecr", False),
        ("1234abcd-12ab-34cd-56ef-1234567890ab", False),
        (f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab ", False),
    ],
)
def test_the_kms_key_from_ssm_must_be_a_full_arn_here(value, accepted):
    problem = kms_key_arn_problem("/shared/kms/key", value, "us-east-1", ACCOUNT)
    if accepted:
        assert problem is None
    else:
        assert problem == (
            f'SSM parameter /shared/kms/key holds "{value}": it must hold the full ARN of a KMS '
            f"key in this stack's region and account (arn:aws:kms:us-east-1:{ACCOUNT}:key/<id>). "
            "An alias, key id or key elsewhere would replace every repository and delete its "
            "images; nothing was changed. Put the key's ARN in the parameter (rotate the key to "
            "change its material: the ARN stays)."
        )
