"""The whole program under Pulumi's mocks, with each stack file's config as the engine passes it."""

import json

import pulumi
import pytest

from components.access import PULL_ACTIONS, PUSH_ACTIONS
from tests.support.ecr_rules import lifecycle_problems
from tests.support.fakes import ACCOUNT_ID, KMS_KEY_ARN, REGION
from tools.preview.mock_engine import ProgramRun, run_program
from tools.preview.stack_file import engine_config

REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
REPOSITORY_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
PARAMETER = "aws:ssm/parameter:Parameter"
COMPONENT = "ecr:index:EcrRepository"
IAM_POLICY = "aws:iam/policy:Policy"
PER_SERVICE = 7  # the component and its six children
PER_STACK = 1  # the dashboard
GET_PARAMETER = "aws:ssm/getParameter:getParameter"
CALLER_IDENTITY = "aws:index/getCallerIdentity:getCallerIdentity"
STACKS = ("dev", "staging", "prod")


@pytest.fixture(scope="module", params=STACKS)
def stack_run(request):
    return request.param, run_program(request.param)


def test_one_component_with_six_children_per_service(stack_run):
    _, run = stack_run
    (component,) = run.of_type(COMPONENT)
    assert component.name == "fileflow"
    children = [r for r in run.resources if r.parent == component.urn]
    assert sorted((r.type, r.name) for r in children) == [
        (LIFECYCLE, "fileflow-lifecycle"),
        (REPOSITORY, "fileflow"),
        (REPOSITORY_POLICY, "fileflow-policy"),
        (IAM_POLICY, "fileflow-pull"),
        (IAM_POLICY, "fileflow-push"),
        (PARAMETER, "fileflow-url"),
    ]
    assert len(run.resources) == PER_SERVICE + PER_STACK
    assert not any(r.import_id for r in run.resources)


def test_repository_is_kms_encrypted_scanned_and_tagged(stack_run):
    stack, run = stack_run
    repo = run.one(REPOSITORY, "fileflow")
    assert repo.inputs["name"] == "fileflow"
    assert repo.inputs["encryptionConfigurations"] == [
        {"encryptionType": "KMS", "kmsKey": KMS_KEY_ARN}
    ]
    assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo.inputs["imageTagMutability"] == ("IMMUTABLE" if stack == "prod" else "MUTABLE")
    assert "forceDelete" not in repo.inputs
    assert repo.inputs["tags"] == {
        "Owner": "platform-team@ryuqqq.com",
        "CostCenter": "engineering",
        "Environment": stack,
        "Lifecycle": "production" if stack == "prod" else stack,
        "DataClass": "confidential",
        "Service": "fileflow",
        "Name": "ecr-fileflow",
        "Component": "container-registry",
    }


def test_prod_protects_the_repository_and_its_parameter_only(stack_run):
    stack, run = stack_run
    protected = sorted(r.name for r in run.resources if r.protect)
    assert protected == (["fileflow", "fileflow-url"] if stack == "prod" else [])


def test_lifecycle_policy_is_the_seeds_and_valid_for_ecr(stack_run):
    _, run = stack_run
    lifecycle = run.one(LIFECYCLE, "fileflow-lifecycle")
    assert lifecycle.inputs["repository"] == "fileflow"
    document = json.loads(lifecycle.inputs["policy"])
    assert lifecycle_problems(document) == []
    counts = [
        (r["selection"]["tagStatus"], r["selection"]["countNumber"]) for r in document["rules"]
    ]
    assert counts == [("tagged", 30), ("untagged", 7)]


def test_repository_policy_is_same_account_least_privilege(stack_run):
    _, run = stack_run
    policy = run.one(REPOSITORY_POLICY, "fileflow-policy")
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    assert statement["Principal"] == {"AWS": [f"arn:aws:iam::{ACCOUNT_ID}:root"]}
    assert set(statement["Action"]) == set(PULL_ACTIONS) | set(PUSH_ACTIONS)


def test_url_is_published_in_ssm(stack_run):
    stack, run = stack_run
    parameter = run.one(PARAMETER, "fileflow-url")
    assert parameter.inputs["name"] == "/shared/ecr/fileflow-repository-url"
    assert parameter.inputs["type"] == "String"
    assert parameter.inputs["value"] == f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/fileflow"
    assert parameter.inputs["tags"]["Environment"] == stack


def test_stack_outputs_map_every_service(stack_run):
    _, run = stack_run
    assert run.outputs == {
        "repositories": {
            "fileflow": {
                "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/fileflow",
                "repositoryArn": f"arn:aws:ecr:{REGION}:{ACCOUNT_ID}:repository/fileflow",
                "repositoryName": "fileflow",
                "registryId": ACCOUNT_ID,
                "urlParameterName": "/shared/ecr/fileflow-repository-url",
                # ECR User Guide, "Making requests to Amazon ECR registries" (IPv6).
                "dualStackRepositoryUrl": f"{ACCOUNT_ID}.dkr-ecr.{REGION}.on.aws/fileflow",
                "pushPolicyArn": f"arn:aws:iam::{ACCOUNT_ID}:policy/ecr-fileflow-push",
                "pullPolicyArn": f"arn:aws:iam::{ACCOUNT_ID}:policy/ecr-fileflow-pull",
            }
        }
    }


def test_kms_key_arn_is_read_from_the_configured_parameter(stack_run):
    _, run = stack_run
    assert run.invoked(GET_PARAMETER) == [{"name": "/shared/kms/ecs-secrets-key-arn"}]


@pytest.mark.parametrize("count", [1, 50])
def test_kms_parameter_and_account_are_read_once_per_stack(count):
    services = {f"svc-{i:02d}": {} for i in range(count)}
    run = run_program("dev", {"ecr:services": services})
    assert len(run.of_type(REPOSITORY)) == count
    assert len(run.resources) == PER_SERVICE * count + PER_STACK
    assert len(run.invoked(GET_PARAMETER)) == 1
    assert len(run.invoked(CALLER_IDENTITY)) == 1
    assert sorted(run.outputs["repositories"]) == sorted(services)


def test_config_overrides_reach_the_resources():
    run = run_program(
        "prod",
        {
            "ecr:kmsKeyParameter": "/team/kms/ecr",
            "ecr:ssmParameterPrefix": "/team/ecr",
            "ecr:services": {
                "fileflow": {},
                "api": {"imageTagMutabilityExclusions": ["latest"], "scanOnPush": False},
            },
        },
        parameters={"/team/kms/ecr": KMS_KEY_ARN},
    )
    api = run.one(REPOSITORY, "api")
    assert api.inputs["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert api.inputs["imageScanningConfiguration"] == {"scanOnPush": False}
    assert run.one(REPOSITORY, "fileflow").inputs["imageTagMutability"] == "IMMUTABLE"
    assert run.one(PARAMETER, "api-url").inputs["name"] == "/team/ecr/api-repository-url"
    assert run.invoked(GET_PARAMETER) == [{"name": "/team/kms/ecr"}]


def test_bad_config_stops_before_anything_is_registered():
    run_error = None
    try:
        run_program(
            "prod", {"ecr:owner": "nobody", "ecr:services": {"fileflow": {"scanOnPsh": True}}}
        )
    except pulumi.RunError as error:
        run_error = str(error)
    assert run_error is not None
    assert 'ecr:owner = "nobody": must be an e-mail address' in run_error
    assert "ecr:services.fileflow.scanOnPsh = true: unknown key" in run_error


def test_stack_files_set_region_and_environment():
    for stack in STACKS:
        config = engine_config(stack)
        assert config["aws:region"] == "ap-northeast-2"
        assert config["ecr:environment"] == stack
        assert "fileflow" in json.loads(config["ecr:services"])


@pytest.mark.parametrize(
    "value",
    [
        "alias/ecr",
        "0b6b2a1e-1f0e-4c43-9a51-1a7f0e2d1c11",
        f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/0b6b2a1e-1f0e-4c43-9a51-1a7f0e2d1c11",
        "arn:aws:kms:ap-northeast-2:210987654321:key/0b6b2a1e-1f0e-4c43-9a51-1a7f0e2d1c11",
        f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:alias/ecr",
    ],
)
def test_a_key_parameter_that_would_replace_repositories_stops_the_run(value):
    """The encryption block is ForceNew: anything but the key's full ARN in this region and account
    would plan to replace every repository. Nothing that uses the key may be registered."""
    run = ProgramRun()
    with pytest.raises(Exception, match="SSM parameter /shared/kms/ecs-secrets-key-arn holds"):
        run_program(
            "prod",
            {"ecr:alerts": {}},
            parameters={"/shared/kms/ecs-secrets-key-arn": value},
            run=run,
        )
    registered = {r.type for r in run.resources}
    assert not registered & {REPOSITORY, "aws:sns/topic:Topic"}, registered
    assert not [r for r in run.of_type(IAM_POLICY) if r.name.endswith("-pull")]


def test_iam_policy_descriptions_never_change():
    """`description` is ForceNew on aws.iam.Policy and the name is fixed, so a reworded description
    deletes the policy that CI and ECS roles have attached (which fails). Pinned on purpose."""
    run = run_program("dev")
    assert run.one(IAM_POLICY, "fileflow-push").inputs["description"] == (
        "Log in to ECR and push to fileflow"
    )
    assert run.one(IAM_POLICY, "fileflow-pull").inputs["description"] == (
        "Log in to ECR, pull from fileflow and decrypt its images"
    )
