"""Each policy of the pack, called directly with ResourceValidationArgs / StackValidationArgs."""

import json

import pytest
from pulumi_policy import ResourceValidationPolicy, StackValidationArgs
from pulumi_policy.policy import UnknownValueError
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE

from policy.ecr_guardrails.policies import DEFAULTS, POLICIES, PREFIX, stack_name
from tests.support.policy_harness import (
    pack_settings,
    policy,
    resource_args,
    stack_resource,
    violations,
)

REPO = "aws:ecr/repository:Repository"
KEY = "arn:aws:kms:ap-northeast-2:123456789012:key/abcd"
TAGS = {
    "Owner": "team@example.com",
    "CostCenter": "engineering",
    "Environment": "prod",
    "Lifecycle": "production",
    "DataClass": "confidential",
    "Service": "fileflow",
}


def repo(**overrides):
    props = {
        "name": "fileflow",
        "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": KEY}],
        "imageScanningConfiguration": {"scanOnPush": True},
        "imageTagMutability": "IMMUTABLE",
        "tags": dict(TAGS),
    }
    for key, value in overrides.items():
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value
    return props


OWN_ACCOUNT = "123456789012"


def check(name, props, resource_type=REPO, **kwargs):
    """The policy's violations for one resource, whose provider pins the stack's own account
    (aws:allowedAccountIds) unless the test gives other provider props."""
    kwargs.setdefault("provider_props", {"allowedAccountIds": [OWN_ACCOUNT]})
    return violations(PREFIX + name, resource_args(resource_type, props, **kwargs))


def test_pack_metadata():
    names = [p.name for p in POLICIES]
    assert len(names) == len(set(names))
    assert all(n.startswith("ecr-") and n == n.lower() for n in names)
    assert all(p.description and p.severity and p.enforcement_level for p in POLICIES)
    levels = {p.name: p.enforcement_level.value for p in POLICIES}
    advisory = {n for n, level in levels.items() if level == "advisory"}
    assert advisory == {
        "ecr-repository-protected-in-production",
        "ecr-public-repository",
        "ecr-iam-broad-managed-policy",
        "ecr-stack-production-signing-profile",
        "ecr-stack-signing-push-permission",
        "ecr-exemption-notes",
        "ecr-stack-exemption-notes",
    }
    assert {levels[n] for n in set(levels) - advisory} == {"mandatory"}
    # The notes policies run last, after the policies whose waivers they report.
    assert names[-2:] == ["ecr-exemption-notes", "ecr-stack-exemption-notes"]


def test_a_compliant_repository_passes_every_policy():
    for each in POLICIES:
        if isinstance(each, ResourceValidationPolicy):
            args = resource_args(REPO, repo(), stack="prod", protect=True)
            assert violations(each.name, args) == [], each.name


def test_other_resource_types_are_ignored():
    for each in POLICIES:
        if isinstance(each, ResourceValidationPolicy):
            assert violations(each.name, resource_args("aws:s3/bucket:Bucket", {"x": 1})) == []


# 1. KMS CMK -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encryption", "expected"),
    [
        (None, "No encryptionConfigurations"),
        ([], "No encryptionConfigurations"),
        ([{"encryptionType": "AES256"}], 'encryptionType is "AES256"'),
        ([{"encryptionType": "KMS"}], "without kmsKey uses the AWS-managed key"),
        ([{"encryptionType": "KMS", "kmsKey": ""}], "without kmsKey"),
        ([{"encryptionType": "KMS", "kmsKey": "alias/aws/ecr"}], "is the AWS-managed key"),
        (
            [{"encryptionType": "KMS", "kmsKey": "arn:aws:kms:ap-northeast-2:1:alias/aws/ecr"}],
            "is the AWS-managed key",
        ),
        ("KMS", "encryptionConfigurations must be a list"),
        (["KMS"], "encryptionConfigurations[0] must be an object"),
    ],
)
def test_kms_violations(encryption, expected):
    (message,) = check("repository-require-kms-cmk", repo(encryptionConfigurations=encryption))
    assert expected in message


def test_kms_key_unknown_during_preview_is_not_a_violation():
    unknown = repo(
        encryptionConfigurations=[{"encryptionType": "KMS", "kmsKey": UNKNOWN_STRING_VALUE}]
    )
    found = []
    with pytest.raises(UnknownValueError):  # the SDK reports "can't run during preview" instead
        policy("ecr-repository-require-kms-cmk").validate(
            resource_args(REPO, unknown), lambda m, u=None: found.append(m)
        )
    assert found == []


# 2. scan on push --------------------------------------------------------------------------------


SCAN = PREFIX + "repository-require-scan-on-push"


def scan_check(*props):
    """The scan-on-push stack policy (issue 24: a stack policy, so a registry scanning
    configuration of the same stack can cover a repository) over repositories with `props`."""
    resources = [stack_resource(REPO, p, f"r{i}") for i, p in enumerate(props)]
    return violations(SCAN, StackValidationArgs(resources))


@pytest.mark.parametrize("scanning", [None, {}, {"scanOnPush": False}, {"scanOnPush": "true"}])
def test_scan_on_push_violations(scanning):
    (message,) = scan_check(repo(imageScanningConfiguration=scanning))
    assert "scanOnPush" in message


def test_scan_malformed():
    (message,) = scan_check(repo(imageScanningConfiguration=[1]))
    assert message == "imageScanningConfiguration must be an object, got [1]"


def test_scan_on_push_unknown_during_preview_is_a_note_not_a_violation():
    assert scan_check(repo(imageScanningConfiguration={"scanOnPush": UNKNOWN_BOOLEAN_VALUE})) == []


# 3. immutable tags in production ----------------------------------------------------------------

IMMUTABLE = "repository-immutable-tags-in-production"


@pytest.mark.parametrize("mutability", ["MUTABLE", "MUTABLE_WITH_EXCLUSION", None])
def test_mutable_in_production_by_tag(mutability):
    (message,) = check(IMMUTABLE, repo(imageTagMutability=mutability))
    assert "set it to IMMUTABLE" in message


def test_production_by_stack_name_when_the_tag_says_otherwise():
    tags = {**TAGS, "Environment": "dev"}
    assert check(IMMUTABLE, repo(imageTagMutability="MUTABLE", tags=tags), stack="dev") == []
    assert (
        len(check(IMMUTABLE, repo(imageTagMutability="MUTABLE", tags=tags), stack="production"))
        == 1
    )


def test_prod_environments_is_configurable_and_case_insensitive():
    props = repo(imageTagMutability="MUTABLE", tags={**TAGS, "Environment": "Live"})
    assert check(IMMUTABLE, props) == []
    with pack_settings({"productionEnvironments": ["live"]}) as refused:
        assert refused == []
        assert len(check(IMMUTABLE, props)) == 1
        assert len(check(FORCE, repo(forceDelete=True, tags={**TAGS, "Environment": "live"}))) == 1


def test_exclusions_only_from_the_allowlist():
    props = repo(
        imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[
            {"filter": "latest", "filterType": "WILDCARD"},
            {"filter": "cache-*", "filterType": "WILDCARD"},
        ],
    )
    (message,) = check(IMMUTABLE, props)
    assert '["latest", "cache-*"] are not in allowedExclusionFilters []' in message
    (message,) = check(IMMUTABLE, props, config={"allowedExclusionFilters": ["latest"]})
    assert '["cache-*"]' in message
    assert check(IMMUTABLE, props, config={"allowedExclusionFilters": ["latest", "cache-*"]}) == []


def test_bad_policy_config_is_a_violation_not_a_crash():
    (message,) = check(IMMUTABLE, repo(), config={"prodEnvironments": ["prod"]})
    assert message.startswith(
        "policy config refused: ecr-repository-immutable-tags-in-production.prodEnvironments is "
        "not a setting of this policy (it takes allowedExclusionFilters, exemptions); it moved to "
        "ecr-pack-settings.productionEnvironments"
    )
    (message,) = check(IMMUTABLE, repo(), config={"allowedExclusionFilters": "latest"})
    assert message == (
        "policy config refused: ecr-repository-immutable-tags-in-production."
        'allowedExclusionFilters = "latest": wrong type; must be a list of unique non-empty strings'
    )


def test_a_misspelled_key_is_refused_not_ignored():
    open_grant = doc({**SAME_ACCOUNT, "Principal": {"AWS": "arn:aws:iam::999999999999:root"}})
    (message,) = check(LEAST, open_grant, REPO_POLICY, config={"allowedAcounts": ["123456789012"]})
    assert "allowedAcounts is not a setting of this policy" in message
    assert "it takes exemptions" in message


def test_a_per_policy_allowlist_is_refused_naming_the_one_in_the_pack_settings():
    (message,) = check(LEAST, doc(SAME_ACCOUNT), REPO_POLICY, config={"allowedAccounts": []})
    assert "least-privilege.allowedAccounts is not a setting of this policy" in message
    assert "it moved to ecr-pack-settings.allowedAccounts" in message


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"productionStacks": []}, "ecr-pack-settings.productionStacks = []: is empty"),
        ({"productionEnvironments": []}, "productionEnvironments = []: is empty"),
        ({"prodEnvironments": ["prd"]}, "prodEnvironments is not a setting of this policy"),
        ({"maxExemptionDays": 5000}, "maxExemptionDays = 5000: too large"),
    ],
)
def test_production_is_never_silently_empty(config, expected):
    with pack_settings(config) as refused:
        assert len(refused) == 1 and expected in refused[0], refused
        assert refused[0].endswith("the defaults apply until it is fixed")
        # the other policies judge with the default definition meanwhile, never with none
        assert check(FORCE, repo(forceDelete=True), stack="prod-eu")


@pytest.mark.parametrize(
    ("stack", "tags", "production"),
    [
        ("prod", {}, True),
        ("prod-eu", {"Environment": "staging"}, True),
        ("production-apne2", {"Environment": "staging"}, True),
        ("PRD", {}, True),
        ("staging", {"Environment": "Prod"}, True),
        ("staging", {"Environment": "staging"}, False),
        ("product-catalog", {"Environment": "dev"}, False),
    ],
)
def test_one_definition_of_production_for_every_policy(stack, tags, production):
    props = repo(imageTagMutability="MUTABLE", forceDelete=True, tags={**TAGS, **tags})
    for name in (IMMUTABLE, FORCE):
        assert bool(check(name, props, stack=stack)) is production, (name, stack)


def test_stack_name_from_urn():
    assert stack_name("urn:pulumi:prod::ecr::aws:ecr/repository:Repository::x") == "prod"
    assert stack_name("garbage") == ""


# 4. tags ----------------------------------------------------------------------------------------

TAGS_POLICY = "repository-required-tags"


def test_missing_and_empty_tags():
    tags = {k: v for k, v in TAGS.items() if k != "Service"} | {"CostCenter": " "}
    (message,) = check(TAGS_POLICY, repo(tags=tags))
    assert message == "Missing or empty tags CostCenter, Service: add them."
    (message,) = check(TAGS_POLICY, repo(tags=None))
    assert message.startswith("Missing or empty tags Owner, CostCenter, Environment")


def test_owner_and_environment_values():
    found = check(TAGS_POLICY, repo(tags={**TAGS, "Owner": "platform", "Environment": "qa"}))
    assert found == [
        'Tag Owner "platform" is not an e-mail address.',
        'Tag Environment "qa" is not one of dev, staging, prod.',
    ]
    config = {"allowedEnvironments": ["qa"], "requiredTags": ["Owner"]}
    assert (
        check(TAGS_POLICY, repo(tags={"Owner": "a@b.io", "Environment": "qa"}), config=config) == []
    )


def test_provider_default_tags_count():
    provider = {"defaultTags": {"tags": {k: v for k, v in TAGS.items() if k != "Owner"}}}
    assert check(TAGS_POLICY, repo(tags={"Owner": "a@b.io"}), provider_props=provider) == []


def test_tags_malformed():
    (message,) = check(TAGS_POLICY, repo(tags="Owner=x"))
    assert message == 'tags must be an object (aws-native: a list of {key, value}), got "Owner=x"'


# 5. least privilege -----------------------------------------------------------------------------

LEAST = "repository-policy-least-privilege"
REPO_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"


def doc(*statements):
    return {
        "repository": "fileflow",
        "policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)}),
    }


def allow(principal, action=("ecr:BatchGetImage",), **extra):
    return {"Effect": "Allow", "Principal": principal, "Action": list(action), **extra}


SAME_ACCOUNT = allow({"AWS": ["arn:aws:iam::123456789012:root"]})


def test_same_account_policy_passes():
    assert check(LEAST, doc(SAME_ACCOUNT), REPO_POLICY) == []
    assert check(LEAST, doc(SAME_ACCOUNT), "aws:ecr/registryPolicy:RegistryPolicy") == []


def test_an_account_the_pack_cannot_tell_fails_closed_with_the_allowlist_empty():
    # No aws:allowedAccountIds, no allowedAccounts: the pack cannot tell 123456789012 is the
    # stack's own account, so it is not allowed.
    (message,) = check(LEAST, doc(SAME_ACCOUNT), REPO_POLICY, provider_props=None)
    assert "cannot tell whether 123456789012 is this stack's own account" in message
    assert "ecr-pack-settings.allowedAccounts" in message and "aws:allowedAccountIds" in message
    with pack_settings({"allowedAccounts": [OWN_ACCOUNT]}):
        assert check(LEAST, doc(SAME_ACCOUNT), REPO_POLICY, provider_props=None) == []


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (allow("*"), "principal * is anyone"),
        (allow({"AWS": "*"}), "principal AWS:* is anyone"),
        (allow({"AWS": ["arn:aws:iam::1:root", "*"]}), "principal AWS:* is anyone"),
        (allow({"AWS": "arn:aws:iam::123456789012:root"}, ("ecr:*",)), "action ecr:*"),
        (allow({"AWS": "arn:aws:iam::123456789012:root"}, ("*",)), "action *"),
        (
            {"Effect": "Allow", "NotPrincipal": {"AWS": "x"}, "Action": "ecr:BatchGetImage"},
            "NotPrincipal",
        ),
        ({"Effect": "Allow", "Principal": {"AWS": "x"}, "NotAction": "ecr:PutImage"}, "NotAction"),
    ],
)
def test_least_privilege_violations(statement, expected):
    messages = check(LEAST, doc(statement), REPO_POLICY)
    assert any(expected in m for m in messages), messages


def test_deny_statements_may_use_wildcards():
    deny = {"Effect": "Deny", "Principal": "*", "Action": "ecr:*"}
    assert check(LEAST, doc(SAME_ACCOUNT, deny), REPO_POLICY) == []


def test_account_allowlist():
    other = allow({"AWS": ["arn:aws:iam::210987654321:role/ci", "123456789012"]})
    # No allowlist: the stack's own account only; a foreign account fails closed.
    (message,) = check(LEAST, doc(other), REPO_POLICY)
    assert (
        "arn:aws:iam::210987654321:role/ci is not in ecr-pack-settings.allowedAccounts" in message
    )
    with pack_settings({"allowedAccounts": ["210987654321"]}):
        assert check(LEAST, doc(other), REPO_POLICY) == []


def test_organisation_grants_need_the_organisation_allowlisted():
    org = allow("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}})
    (message,) = check(LEAST, doc(org), REPO_POLICY)
    assert "organisation grant to o-abcdefghij is not in allowedOrganizations []" in message
    with pack_settings({"allowedOrganizations": ["o-abcdefghij"]}):
        assert check(LEAST, doc(org), REPO_POLICY) == []


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("{not json", "policy is not valid JSON"),
        (None, "policy is missing or not a JSON policy document"),
        ('["a"]', "the policy document must be a JSON object"),
        ('{"Statement": 3}', "Statement must be a list"),
    ],
)
def test_malformed_policies(policy, expected):
    props = {"repository": "fileflow"} | ({"policy": policy} if policy is not None else {})
    (message,) = check(LEAST, props, REPO_POLICY)
    assert expected in message


def test_bad_allowlist_config():
    with pack_settings({"allowedAccounts": ["12"]}) as refused:
        (message,) = refused
        # The refused settings fall back to the defaults: only the stack's own account.
        assert check(LEAST, doc(SAME_ACCOUNT), REPO_POLICY) == []
    assert message == (
        "policy config refused: ecr-pack-settings.allowedAccounts[0] = "
        '"12": wrong format; must be a list of unique strings matching ^[0-9]{12}$; the '
        "defaults apply until it is fixed"
    )


# 6. forceDelete ---------------------------------------------------------------------------------

FORCE = "repository-no-force-delete-in-production"


def test_force_delete_only_matters_in_production():
    (message,) = check(FORCE, repo(forceDelete=True))
    assert "forceDelete is true in production" in message
    dev = repo(forceDelete=True, tags={**TAGS, "Environment": "dev"})
    assert check(FORCE, dev) == []
    assert len(check(FORCE, dev, stack="prod")) == 1
    assert check(FORCE, repo(forceDelete=False)) == []


# 7. lifecycle policies (stack) ------------------------------------------------------------------

STACK = PREFIX + "stack-repositories-have-lifecycle-policy"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"


def stack_violations(*resources):
    return violations(STACK, StackValidationArgs(list(resources)))


def test_each_repository_needs_a_lifecycle_policy_by_name():
    a = stack_resource(REPO, {"name": "a"}, "a")
    b = stack_resource(REPO, {"name": "b"}, "b")
    lifecycle = stack_resource(LIFECYCLE, {"repository": "a", "policy": "{}"}, "a-lifecycle")
    (message,) = stack_violations(a, b, lifecycle)
    assert message.startswith("Repository b has no aws.ecr.LifecyclePolicy")
    assert stack_violations(a, lifecycle) == []
    assert stack_violations() == []


def test_lifecycle_matched_by_dependency_when_the_name_is_unknown_in_preview():
    repository = stack_resource(REPO, {"name": "a"}, "a")
    lifecycle = stack_resource(
        LIFECYCLE, {"repository": UNKNOWN_STRING_VALUE}, "a-lifecycle", {"repository": [repository]}
    )
    assert stack_violations(repository, lifecycle) == []


def test_unknown_names_without_dependencies_are_not_false_violations():
    repository = stack_resource(REPO, {"name": UNKNOWN_STRING_VALUE}, "a")
    assert stack_violations(repository) == []
    known = stack_resource(REPO, {"name": "b"}, "b")
    untraceable = stack_resource(LIFECYCLE, {"repository": UNKNOWN_STRING_VALUE}, "x")
    assert stack_violations(known, untraceable) == []


# 8. protect -------------------------------------------------------------------------------------


def test_production_repositories_should_be_protected():
    (message,) = check("repository-protected-in-production", repo(), protect=False)
    assert "protect" in message
    assert check("repository-protected-in-production", repo(), protect=True) == []
    dev = repo(tags={**TAGS, "Environment": "dev"})
    assert check("repository-protected-in-production", dev, protect=False) == []


def test_unknown_force_delete_is_not_a_violation():
    with pytest.raises(UnknownValueError):
        check(FORCE, repo(forceDelete=UNKNOWN_BOOLEAN_VALUE))


# 9. IAM -----------------------------------------------------------------------------------------

IAM = "iam-least-privilege"


def iam(*statements):
    return {"policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})}


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (
            {"Effect": "Allow", "Action": "ecr:*", "Resource": "arn:aws:ecr:r:1:repository/a"},
            "grants ecr:*",
        ),
        (
            {"Effect": "Allow", "Action": ["ecr:PutImage"], "Resource": "*"},
            "grants ECR write actions (ecr:PutImage) on *",
        ),
        (
            {"Effect": "Allow", "Action": "ecr:Put*", "Resource": "arn:aws:ecr:r:1:repository/*"},
            "ecr:PutImage",
        ),
        ({"Effect": "Allow", "Action": "*", "Resource": "*"}, "ecr:CompleteLayerUpload"),
    ],
)
def test_iam_violations(statement, expected):
    (message,) = check(IAM, iam(statement), "aws:iam/policy:Policy")
    assert expected in message


def test_iam_scoped_push_and_token_on_star_pass():
    ok = iam(
        {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {"Effect": "Allow", "Action": ["ecr:PutImage"], "Resource": "arn:aws:ecr:r:1:repository/a"},
    )
    assert check(IAM, ok, "aws:iam/rolePolicy:RolePolicy") == []


def test_defaults_are_the_documented_governance_set():
    assert DEFAULTS["requiredTags"] == [
        "Owner",
        "CostCenter",
        "Environment",
        "Lifecycle",
        "DataClass",
        "Service",
    ]


@pytest.mark.parametrize(
    ("name", "resource_type", "props"),
    [
        ("repository-require-kms-cmk", REPO, repo(encryptionConfigurations=UNKNOWN_ARRAY_VALUE)),
        (IMMUTABLE, REPO, repo(imageTagMutability=UNKNOWN_STRING_VALUE)),
        (TAGS_POLICY, REPO, repo(tags={**TAGS, "Owner": UNKNOWN_STRING_VALUE})),
        (LEAST, REPO_POLICY, {"repository": "r", "policy": UNKNOWN_STRING_VALUE}),
        (FORCE, REPO, repo(forceDelete=UNKNOWN_BOOLEAN_VALUE)),
        (
            "repository-protected-in-production",
            REPO,
            repo(tags={**TAGS, "Environment": UNKNOWN_STRING_VALUE}),
        ),
        (IAM, "aws:iam/policy:Policy", {"policy": UNKNOWN_STRING_VALUE}),
    ],
)
def test_unknown_values_are_never_violations(name, resource_type, props):
    """The SDK turns the UnknownValueError into a "can't run during preview" note."""
    found = []
    with pytest.raises(UnknownValueError):
        policy(PREFIX + name).validate(
            resource_args(resource_type, props, stack="dev"), lambda m, u=None: found.append(m)
        )
    assert found == []


def test_the_stacks_own_environment_tag_makes_it_production():
    from pulumi_policy import ResourceValidationArgs

    plain = resource_args(REPO, repo(forceDelete=True, tags={**TAGS, "Environment": "staging"}))
    assert violations(PREFIX + FORCE, plain) == []
    tagged = ResourceValidationArgs(
        plain.resource_type, plain.props, plain.urn, plain.name, plain.opts, None, None,
        {"Environment": "Production"},
    )  # fmt: skip
    assert violations(PREFIX + FORCE, tagged)
