"""Access, alerts, registry settings and adoption: the program under mocks."""

import json

import pytest

from tests.support.fakes import ACCOUNT_ID, KMS_KEY_ARN
from tools.preview.mock_engine import ProgramRun, run_program

REPOSITORY = "aws:ecr/repository:Repository"
REPOSITORY_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
IAM_POLICY = "aws:iam/policy:Policy"
TOPIC = "aws:sns/topic:Topic"
RULE = "aws:cloudwatch/eventRule:EventRule"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
SERVICES = {"fileflow": {}, "billing": {}, "batch-jobs": {}}
ALERTS = {
    "minSeverity": "HIGH",
    "emails": ["sec@example.com", "ops@example.com"],
    "cloudTrailLogGroup": "/aws/cloudtrail/logs",
}


@pytest.fixture(scope="module")
def full():
    return run_program(
        "staging",
        {
            "ecr:services": SERVICES,
            "ecr:alerts": ALERTS,
            "ecr:registryScanning": {
                "type": "ENHANCED",
                "rules": [{"frequency": "CONTINUOUS_SCAN", "filters": ["*"]}],
            },
            "ecr:replicationRegions": ["ap-northeast-1", "us-west-2"],
            "ecr:pullThroughCache": {"ecr-public": {"upstream": "public.ecr.aws"}},
        },
    )


def test_alerts_are_created_once_per_stack(full):
    counts = {t: len(full.of_type(t)) for t in (TOPIC, RULE)}
    assert counts == {TOPIC: 1, RULE: 2}  # one rule per scanning type for a few services
    assert len(full.of_type("aws:sns/topicSubscription:TopicSubscription")) == 2
    assert len(full.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")) == 1
    assert len(full.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")) == 1
    assert len(full.of_type("aws:cloudwatch/eventTarget:EventTarget")) == 2
    assert len(full.of_type("aws:sns/topicPolicy:TopicPolicy")) == 1


def test_topic_is_kms_encrypted_and_the_rule_watches_this_stacks_repositories(full):
    (topic,) = full.of_type(TOPIC)
    assert topic.inputs["kmsMasterKeyId"] == KMS_KEY_ARN
    basic = json.loads(full.one(RULE, "ecr-alerts-scan-findings").inputs["eventPattern"])
    assert basic["detail"]["repository-name"] == sorted(SERVICES)
    assert len(basic["detail"]["$or"]) == 2  # CRITICAL or HIGH
    enhanced = json.loads(full.one(RULE, "ecr-alerts-inspector-findings").inputs["eventPattern"])
    assert enhanced["source"] == ["aws.inspector2"]
    assert enhanced["detail"]["resources"]["details"]["awsEcrContainerImage"][
        "repositoryName"
    ] == sorted(SERVICES)
    topic_arn = f"arn:aws:mock:ap-northeast-2:{ACCOUNT_ID}:ecr-alerts-topic"
    assert [t.inputs["arn"] for t in full.of_type("aws:cloudwatch/eventTarget:EventTarget")] == [
        topic_arn
    ] * 2
    emails = sorted(
        s.inputs["endpoint"] for s in full.of_type("aws:sns/topicSubscription:TopicSubscription")
    )
    assert emails == ["ops@example.com", "sec@example.com"]


def test_access_denied_alarm_uses_the_seeds_numbers(full):
    (metric,) = full.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")
    assert metric.inputs["logGroupName"] == "/aws/cloudtrail/logs"
    assert (
        metric.inputs["pattern"]
        == "{ ($.eventSource = ecr.amazonaws.com) && ($.errorCode = AccessDenied) }"
    )
    (alarm,) = full.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert (
        alarm.inputs["threshold"],
        alarm.inputs["period"],
        alarm.inputs["evaluationPeriods"],
    ) == (5, 300, 1)
    assert alarm.inputs["comparisonOperator"] == "GreaterThanThreshold"
    assert alarm.inputs["alarmActions"] == [
        f"arn:aws:mock:ap-northeast-2:{ACCOUNT_ID}:ecr-alerts-topic"
    ]


def test_registry_settings_are_created_once_per_stack(full):
    (scanning,) = full.of_type(
        "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
    )
    assert scanning.inputs["scanType"] == "ENHANCED"
    assert scanning.inputs["rules"] == [
        {
            "scanFrequency": "CONTINUOUS_SCAN",
            "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}],
        }
    ]
    (replication,) = full.of_type("aws:ecr/replicationConfiguration:ReplicationConfiguration")
    (rule,) = replication.inputs["replicationConfiguration"]["rules"]
    assert rule["destinations"] == [
        {"region": "ap-northeast-1", "registryId": ACCOUNT_ID},
        {"region": "us-west-2", "registryId": ACCOUNT_ID},
    ]
    assert [f["filter"] for f in rule["repositoryFilters"]] == sorted(SERVICES)
    (cache,) = full.of_type("aws:ecr/pullThroughCacheRule:PullThroughCacheRule")
    assert (cache.inputs["ecrRepositoryPrefix"], cache.inputs["upstreamRegistryUrl"]) == (
        "ecr-public",
        "public.ecr.aws",
    )


def test_only_the_dashboard_per_stack_without_config():
    run = run_program("dev", {"ecr:dashboard": False})
    assert {r.type for r in run.resources} == {
        "ecr:index:EcrRepository",
        REPOSITORY,
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        REPOSITORY_POLICY,
        "aws:ssm/parameter:Parameter",
        IAM_POLICY,
    }
    assert "alertTopicArn" not in run.outputs
    (dashboard,) = run_program("dev").of_type(DASHBOARD)
    assert dashboard.inputs["dashboardName"] == "ecr-dev"


def test_dashboard_shows_pulls_per_repository_and_access_denied_with_alerts(full):
    (dashboard,) = full.of_type(DASHBOARD)
    assert dashboard.inputs["dashboardName"] == "ecr-staging"
    pulls, denied = json.loads(dashboard.inputs["dashboardBody"])["widgets"]
    assert pulls["properties"]["region"] == "ap-northeast-2"
    assert pulls["properties"]["metrics"] == [
        ["AWS/ECR", "RepositoryPullCount", "RepositoryName", name] for name in sorted(SERVICES)
    ]
    assert denied["properties"]["metrics"] == [["ECR/Security", "ECRUnauthorizedAttempts"]]


def test_dashboard_region_comes_from_the_provider_when_config_has_none():
    run = run_program("dev", {"aws:region": None})
    assert len(run.invoked("aws:index/getRegion:getRegion")) == 1
    (dashboard,) = run.of_type(DASHBOARD)
    widget = json.loads(dashboard.inputs["dashboardBody"])["widgets"][0]
    assert widget["properties"]["region"] == "ap-northeast-2"


def test_per_service_iam_policies_are_scoped_to_the_repository(full):
    assert len(full.of_type(IAM_POLICY)) == 2 * len(SERVICES)
    push = full.one(IAM_POLICY, "billing-push")
    assert push.inputs["name"] == "ecr-billing-push"
    document = json.loads(push.inputs["policy"])
    assert (
        document["Statement"][1]["Resource"]
        == f"arn:aws:ecr:ap-northeast-2:{ACCOUNT_ID}:repository/billing"
    )
    pull = json.loads(full.one(IAM_POLICY, "billing-pull").inputs["policy"])
    assert pull["Statement"][2] == {
        "Sid": "DecryptImages",
        "Effect": "Allow",
        "Action": ["kms:Decrypt"],
        "Resource": KMS_KEY_ARN,
    }
    assert (
        full.outputs["repositories"]["billing"]["pullPolicyArn"]
        == f"arn:aws:iam::{ACCOUNT_ID}:policy/ecr-billing-pull"
    )
    assert full.outputs["alertTopicArn"].endswith("ecr-alerts-topic")


def test_cross_account_and_exclusions_reach_the_resources():
    run = run_program(
        "prod",
        {
            "ecr:services": {
                "fileflow": {
                    "pullAccounts": ["210987654321"],
                    "pullOrganizationId": "o-a1b2c3d4e5",
                    "imageTagMutabilityExclusions": ["latest"],
                }
            }
        },
    )
    repo = run.one(REPOSITORY, "fileflow")
    assert repo.inputs["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert repo.inputs["imageTagMutabilityExclusionFilters"] == [
        {"filter": "latest", "filterType": "WILDCARD"}
    ]
    sids = [
        s["Sid"]
        for s in json.loads(run.one(REPOSITORY_POLICY, "fileflow-policy").inputs["policy"])[
            "Statement"
        ]
    ]
    assert sids == ["SameAccountPullPush", "CrossAccountPull", "OrganizationPull"]


def test_force_delete_outside_prod_only():
    run = run_program("dev", {"ecr:services": {"scratch": {"forceDelete": True}}})
    assert run.one(REPOSITORY, "scratch").inputs["forceDelete"] is True
    with pytest.raises(Exception, match="forceDelete = true: not allowed in prod"):
        run_program("prod", {"ecr:services": {"fileflow": {"forceDelete": True}}})


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_adopt_imports_everything_terraform_made_and_protects_it(stack):
    run = run_program(stack, {"ecr:services": {"fileflow": {"adopt": True}, "billing": {}}})
    imports = {(r.type, r.name): r.import_id for r in run.resources if r.import_id}
    assert imports == {
        (REPOSITORY, "fileflow"): "fileflow",
        ("aws:ecr/lifecyclePolicy:LifecyclePolicy", "fileflow-lifecycle"): "fileflow",
        (REPOSITORY_POLICY, "fileflow-policy"): "fileflow",
        ("aws:ssm/parameter:Parameter", "fileflow-url"): "/shared/ecr/fileflow-repository-url",
    }
    protected = sorted(r.name for r in run.resources if r.protect)
    expected = ["fileflow", "fileflow-url"] + (
        ["billing", "billing-url"] if stack == "prod" else []
    )
    assert protected == sorted(expected)


def test_archiving_registers_the_pull_time_exclusions_and_the_archive_rule():
    scanner = "arn:aws:iam::123456789012:role/ci-trivy"
    run = run_program(
        "dev",
        {
            "ecr:pullTimeExclusions": [scanner],
            "ecr:services": {"fileflow": {"archiveAfterDays": 120, "protectedTags": ["stable"]}},
        },
    )
    (exclusion,) = run.of_type("aws:ecr/pullTimeUpdateExclusion:PullTimeUpdateExclusion")
    assert exclusion.inputs["principalArn"] == scanner
    policy = json.loads(
        run.one("aws:ecr/lifecyclePolicy:LifecyclePolicy", "fileflow-lifecycle").inputs["policy"]
    )
    assert policy["rules"][0]["selection"]["tagPatternList"] == ["stable"]
    assert policy["rules"][-1]["action"] == {"targetStorageClass": "archive", "type": "transition"}
    # Without archiving, pull times decide nothing: no exclusion is registered.
    quiet = run_program("dev", {"ecr:pullTimeExclusions": [scanner]})
    assert quiet.of_type("aws:ecr/pullTimeUpdateExclusion:PullTimeUpdateExclusion") == []


def test_managed_scanning_selects_the_aws_native_basic_engine(full):
    (setting,) = full.of_type("aws:ecr/accountSetting:AccountSetting")
    assert (setting.inputs["name"], setting.inputs["value"]) == (
        "BASIC_SCAN_TYPE_VERSION",
        "AWS_NATIVE",
    )
    assert run_program("dev").of_type("aws:ecr/accountSetting:AccountSetting") == []


# --- repository creation templates ----------------------------------------------------------------

TEMPLATE = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"
GET_PARAMETER = "aws:ssm/getParameter:getParameter"


def test_repositories_ecr_creates_get_the_stacks_rules(full):
    templates = {
        (t.inputs["prefix"], t.inputs.get("region")): t.inputs for t in full.of_type(TEMPLATE)
    }
    assert set(templates) == {
        ("ecr-public", None),
        ("ROOT", "ap-northeast-1"),
        ("ROOT", "us-west-2"),
    }
    cache = templates[("ecr-public", None)]
    assert cache["appliedFors"] == ["PULL_THROUGH_CACHE"]
    assert cache["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": KMS_KEY_ARN}]
    replica = templates[("ROOT", "us-west-2")]
    assert replica["appliedFors"] == ["REPLICATION"]
    # Replicas are encrypted with the key the same SSM parameter names in their own region.
    assert replica["encryptionConfigurations"][0]["kmsKey"] == KMS_KEY_ARN.replace(
        "ap-northeast-2", "us-west-2"
    )
    for template in templates.values():
        assert template["imageTagMutability"] == "MUTABLE"  # staging; prod is IMMUTABLE
        assert json.loads(template["lifecyclePolicy"])["rules"][0]["selection"][
            "tagPrefixList"
        ] == ["v"]
        assert json.loads(template["repositoryPolicy"])["Statement"][0]["Principal"] == {
            "AWS": [f"arn:aws:iam::{ACCOUNT_ID}:root"]
        }
        assert template["resourceTags"]["Environment"] == "staging" and template["customRoleArn"]
    regions = sorted(str(call.get("region")) for call in full.invoked(GET_PARAMETER))
    assert regions == ["None", "ap-northeast-1", "us-west-2"]  # one read per region


def test_the_creation_role_is_scoped_to_the_templates_repositories_and_keys(full):
    (role,) = full.of_type("aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "ecr.amazonaws.com"}
    (policy,) = full.of_type("aws:iam/rolePolicy:RolePolicy")
    create, keys = json.loads(policy.inputs["policy"])["Statement"]
    assert create["Action"] == ["ecr:CreateRepository", "ecr:ReplicateImage", "ecr:TagResource"]
    assert create["Resource"] == sorted(
        f"arn:aws:ecr:*:{ACCOUNT_ID}:repository/{p}*" for p in [*SERVICES, "ecr-public"]
    )
    assert sorted(keys["Resource"]) == sorted(
        KMS_KEY_ARN.replace("ap-northeast-2", r)
        for r in ("ap-northeast-2", "ap-northeast-1", "us-west-2")
    )


def test_create_on_push_and_a_multi_region_key():
    mrk = "mrk-" + "0123456789abcdef" * 2
    run = run_program(
        "prod",
        {
            "ecr:createOnPushPrefixes": ["team-a/", "ecr-public"],
            "ecr:pullThroughCache": {"ecr-public": {"upstream": "public.ecr.aws"}},
            "ecr:replicationRegions": ["ap-northeast-1"],
            "ecr:replicationKmsKeyId": mrk,
        },
    )
    templates = {t.inputs["prefix"]: t.inputs for t in run.of_type(TEMPLATE)}
    assert templates["ecr-public"]["appliedFors"] == ["CREATE_ON_PUSH", "PULL_THROUGH_CACHE"]
    # Sent as ECR stores it (issue 30): `team-a`, ECR assumes the trailing `/`.
    assert templates["team-a"]["appliedFors"] == ["CREATE_ON_PUSH"]
    assert (
        templates["ROOT"]["encryptionConfigurations"][0]["kmsKey"]
        == f"arn:aws:kms:ap-northeast-1:{ACCOUNT_ID}:key/{mrk}"
    )
    assert {t["imageTagMutability"] for t in templates.values()} == {"IMMUTABLE"}
    assert len(run.invoked(GET_PARAMETER)) == 1  # the multi-Region key needs no per-region read


def test_a_bad_key_in_a_replication_region_stops_the_run():
    parameters = {
        "/shared/kms/ecs-secrets-key-arn": KMS_KEY_ARN,
        "us-west-2:/shared/kms/ecs-secrets-key-arn": "alias/ecr",
    }
    with pytest.raises(Exception, match='holds "alias/ecr"'):
        run_program("dev", {"ecr:replicationRegions": ["us-west-2"]}, parameters=parameters)


# --- image signing (AWS Signer, Notation) ----------------------------------------------------------


def test_signing_is_one_key_and_ci_may_sign_with_the_profile():
    run = run_program("prod", {"ecr:registryOwner": True, "ecr:signing": {}})
    (profile,) = run.of_type("aws:signer/signingProfile:SigningProfile")
    assert profile.inputs["name"] == "ecr_prod"
    assert profile.inputs["platformId"] == "Notation-OCI-SHA384-ECDSA"
    assert profile.inputs["signatureValidityPeriod"] == {"type": "YEARS", "value": 5}
    profile_arn = f"arn:aws:signer:ap-northeast-2:{ACCOUNT_ID}:/signing-profiles/ecr_prod"
    assert run.outputs["signingProfileArn"] == profile_arn
    push = json.loads(run.one(IAM_POLICY, "fileflow-push").inputs["policy"])
    assert push["Statement"][-1] == {
        "Sid": "SignWithTheProfile", "Effect": "Allow", "Action": ["signer:SignPayload"],
        "Resource": profile_arn,
    }  # fmt: skip
    # Signatures are untagged artifacts: no untagged-expiry rule may delete a live image's.
    lifecycle = json.loads(
        run.one("aws:ecr/lifecyclePolicy:LifecyclePolicy", "fileflow-lifecycle").inputs["policy"]
    )
    assert [r["selection"]["tagStatus"] for r in lifecycle["rules"]] == ["tagged"]
    unsigned = run_program("prod")
    assert unsigned.of_type("aws:signer/signingProfile:SigningProfile") == []
    assert (
        len(json.loads(unsigned.one(IAM_POLICY, "fileflow-push").inputs["policy"])["Statement"])
        == 2
    )


SIGNING_CONFIGURATION = "aws-native:ecr:SigningConfiguration"


def _signing_filters(run) -> list[list[str]]:
    (configuration,) = run.of_type(SIGNING_CONFIGURATION)
    return [
        [f["filter"] for f in rule["repositoryFilters"]] for rule in configuration.inputs["rules"]
    ]


def test_managed_signing_writes_the_registry_configuration_in_the_stack_region():
    services = {"fileflow": {}, "team/billing": {}}
    run = run_program(
        "prod",
        {"ecr:registryOwner": True, "ecr:signing": {}, "ecr:services": services},
        region="eu-west-1",
    )
    (configuration,) = run.of_type(SIGNING_CONFIGURATION)
    profile_arn = run.outputs["signingProfileArn"]
    assert configuration.inputs["rules"] == [
        {
            "signingProfileArn": profile_arn,
            "repositoryFilters": [
                {"filter": "fileflow", "filterType": "WILDCARD_MATCH"},
                {"filter": "team/billing", "filterType": "WILDCARD_MATCH"},
            ],
        }
    ]
    # Through an explicit aws-native provider in the stack's region (the shipped stacks set it).
    (provider,) = run.of_type("pulumi:providers:aws-native")
    assert provider.inputs["region"] == run.region == "ap-northeast-2"
    assert configuration.parent.endswith("EcrSigningConfiguration::ecr-signing")
    # Pushes must be able to sign: ECR signs as the pushing principal.
    pushes = [p for p in run.of_type(IAM_POLICY) if p.name.endswith("-push")]
    assert len(pushes) == 2
    for policy in pushes:
        assert json.loads(policy.inputs["policy"])["Statement"][-1] == {
                "Sid": "SignWithTheProfile", "Effect": "Allow", "Action": ["signer:SignPayload"],
                "Resource": profile_arn,
            }  # fmt: skip


def test_the_provider_region_follows_the_environment_when_the_stack_sets_none():
    run = run_program(
        "dev",
        {"ecr:registryOwner": True, "ecr:signing": {}, "aws:region": None},
        region="eu-west-1",
    )
    (provider,) = run.of_type("pulumi:providers:aws-native")
    assert provider.inputs["region"] == "eu-west-1"


def test_signing_filters_are_split_into_rules_of_at_most_100():
    services = {f"svc{i:03d}": {} for i in range(230)}
    run = run_program(
        "dev",
        {
            "ecr:registryOwner": True,
            "ecr:signing": {"repositoryFilters": ["team-a/*"]},
            "ecr:services": services,
        },
    )
    rules = _signing_filters(run)
    assert [len(rule) for rule in rules] == [100, 100, 31]
    assert rules[0][0] == "team-a/*" and rules[2][-1] == "svc229"


def test_services_a_wildcard_covers_need_no_filter_of_their_own():
    services = {"team-a/api": {}, "team-a/web": {}, "fileflow": {}}
    run = run_program(
        "dev",
        {
            "ecr:registryOwner": True,
            "ecr:signing": {"repositoryFilters": ["team-a/*"]},
            "ecr:services": services,
        },
    )
    assert _signing_filters(run) == [["team-a/*", "fileflow"]]


def test_notation_mode_and_central_signing_write_no_registry_configuration():
    notation = run_program("prod", {"ecr:signing": {"mode": "notation"}})
    assert notation.of_type(SIGNING_CONFIGURATION) == []
    assert len(notation.of_type("aws:signer/signingProfile:SigningProfile")) == 1
    central_arn = f"arn:aws:signer:ap-northeast-2:{ACCOUNT_ID}:/signing-profiles/org_signing"
    central = run_program("prod", {"ecr:signing": {"profileArn": central_arn}})
    assert central.of_type(SIGNING_CONFIGURATION) == []
    assert central.of_type("aws:signer/signingProfile:SigningProfile") == []
    assert central.outputs["signingProfileArn"] == central_arn
    push = json.loads(central.one(IAM_POLICY, "fileflow-push").inputs["policy"])
    assert push["Statement"][-1]["Resource"] == central_arn


def test_a_cache_credential_of_another_account_stops_the_run():
    secret = "arn:aws:secretsmanager:ap-northeast-2:{}:secret:ecr-pullthroughcache/docker-hub"
    cache = {"dh": {"upstream": "registry-1.docker.io", "credentialArn": secret.format(ACCOUNT_ID)}}
    (rule,) = run_program("dev", {"ecr:pullThroughCache": cache}).of_type(
        "aws:ecr/pullThroughCacheRule:PullThroughCacheRule"
    )
    assert rule.inputs["credentialArn"] == secret.format(ACCOUNT_ID)
    cache["dh"]["credentialArn"] = secret.format("210987654321")
    with pytest.raises(Exception, match="secret must be in this stack's account 123456789012"):
        run_program("dev", {"ecr:pullThroughCache": cache})


def test_a_creation_role_scope_beyond_the_inline_limit_goes_to_managed_policies():
    """IAM allows 10,240 characters of inline policy per role and 6,144 per managed policy: 50
    long create-on-push prefixes need three managed policies, each attached to the role."""
    prefixes = [f"p{i}{'q' * 200}/" for i in range(50)]
    run = run_program("dev", {"ecr:createOnPushPrefixes": prefixes})
    (inline,) = run.of_type("aws:iam/rolePolicy:RolePolicy")
    assert [s["Sid"] for s in json.loads(inline.inputs["policy"])["Statement"]] == ["UseTheKeys"]
    scopes = [r for r in run.of_type(IAM_POLICY) if r.name.startswith("ecr-templates-scope-")]
    attachments = run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert len(scopes) == len(attachments) == 3
    granted = [
        arn
        for scope in scopes
        for arn in json.loads(scope.inputs["policy"])["Statement"][0]["Resource"]
    ]
    assert sorted(granted) == sorted(
        f"arn:aws:ecr:*:{ACCOUNT_ID}:repository/{p.rstrip('/')}*" for p in prefixes
    )
    assert all(
        len(json.dumps(json.loads(s.inputs["policy"]), separators=(",", ":"))) <= 6144
        for s in scopes
    )


def test_a_small_creation_role_scope_stays_one_inline_policy():
    run = run_program("dev", {"ecr:createOnPushPrefixes": ["team", "team-a/"]})
    (inline,) = run.of_type("aws:iam/rolePolicy:RolePolicy")
    create, _ = json.loads(inline.inputs["policy"])["Statement"]
    assert create["Resource"] == [f"arn:aws:ecr:*:{ACCOUNT_ID}:repository/team*"]  # covers team-a
    assert run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") == []


# --- registry-wide settings have one owner (issue 17) ----------------------------------------------

REGISTRY_KEYS = {
    "ecr:registryScanning": {"type": "BASIC"},
    "ecr:replicationRegions": ["ap-northeast-1"],
    "ecr:pullThroughCache": {"ecr-public": {"upstream": "public.ecr.aws"}},
    "ecr:createOnPushPrefixes": ["team-a/"],
    "ecr:services": {"fileflow": {"archiveAfterDays": 90}},
    "ecr:pullTimeExclusions": ["arn:aws:iam::123456789012:role/scanner"],
}


def _registry_wide(run):
    """The registered resources the pack counts as registry-wide (its own model decides)."""
    from policy.ecr_guardrails.model import registry_wide, views

    return sorted(
        {r.type for r in run.resources for v in views(r.type, r.inputs) if registry_wide(v)}
    )


def test_the_registry_owner_manages_the_registry_wide_resources_by_default():
    run = run_program("dev", REGISTRY_KEYS)
    assert _registry_wide(run) == [
        "aws:ecr/accountSetting:AccountSetting",
        "aws:ecr/pullThroughCacheRule:PullThroughCacheRule",
        "aws:ecr/pullTimeUpdateExclusion:PullTimeUpdateExclusion",
        "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
        "aws:ecr/replicationConfiguration:ReplicationConfiguration",
        "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate",
    ]


def test_a_stack_that_is_not_the_owner_makes_no_registry_wide_resource():
    run = run_program("dev", {"ecr:registryOwner": False, "ecr:services": SERVICES})
    assert _registry_wide(run) == []
    assert len(run.of_type(REPOSITORY)) == len(SERVICES)
    assert run.duplicate_urns() == []


def test_a_stack_that_is_not_the_owner_is_refused_the_registry_wide_keys():
    run = ProgramRun()
    with pytest.raises(Exception) as raised:
        run_program("dev", REGISTRY_KEYS | {"ecr:registryOwner": False}, run=run)
    message = str(raised.value)
    assert "ecr:registryOwner = false" in message
    for key in (
        "registryScanning",
        "replicationRegions",
        "pullThroughCache",
        "createOnPushPrefixes",
        "pullTimeExclusions",
    ):
        assert f"ecr:{key}" in message, key
    assert [r for r in run.resources if r.type.startswith("aws:")] == []  # refused before any


def test_managed_signing_is_the_owners_and_other_stacks_sign_with_its_profile():
    # The signing configuration is registry-wide: the owner writes it (and the pack's model counts
    # it so); a non-owner signs with the owner's profile, or is refused.
    owner = run_program(
        "dev", {"ecr:registryOwner": True, "ecr:signing": {}, "ecr:services": SERVICES}
    )
    assert "aws-native:ecr:SigningConfiguration" in _registry_wide(owner)
    with pytest.raises(Exception) as raised:
        run_program(
            "dev", {"ecr:registryOwner": False, "ecr:signing": {}, "ecr:services": SERVICES}
        )
    assert "ecr:signing (managed, without profileArn)" in str(raised.value)
    profile = "arn:aws:signer:ap-northeast-2:123456789012:/signing-profiles/central"
    other = run_program(
        "dev",
        {
            "ecr:registryOwner": False,
            "ecr:signing": {"profileArn": profile},
            "ecr:services": SERVICES,
        },
    )
    assert _registry_wide(other) == []
    assert other.outputs["signingProfileArn"] == profile
