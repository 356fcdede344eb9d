"""Issue 29: Lambda pulls and the team's own repository-policy statements, per service.

The expected statements are written out from AWS's documents, never taken from the builder:
the Lambda Developer Guide's container-image permissions ("Amazon ECR permissions": the service
principal `lambda.amazonaws.com` with `ecr:BatchGetImage` and `ecr:GetDownloadUrlForLayer`,
`StringLike aws:sourceArn` the functions; cross-account, also the function account's root with
the same two actions). The pack judges what the program writes over gRPC, as the CLI runs it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.access import repository_policy
from components.settings import SettingsError, load_settings
from tests.support.fakes import ACCOUNT_ID, REGION
from tests.support.pack_routes import LEAST, PACK, QUIET, mandatory, policy_doc, res
from tools.preview.mock_engine import run_program
from tools.preview.pack_runner import Resource

OTHER = "210987654321"
OWN_FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:resize"
OTHER_FUNCTIONS = f"arn:aws:lambda:{REGION}:{OTHER}:function:app-*"
LAMBDA_ACTIONS = {"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}
POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"


def _settings(service: dict[str, Any], region: str | None = REGION, **stack: Any):
    raw = {"environment": "dev", "services": json.dumps({"fileflow": service})}
    raw |= {k: json.dumps(v) for k, v in stack.items()}
    return load_settings(raw, region=region)


def _problems(service: dict[str, Any], region: str | None = REGION) -> list[str]:
    with pytest.raises(SettingsError) as error:
        _settings(service, region)
    return error.value.problems


def _statements(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in document["Statement"]}


# --- the documents ----------------------------------------------------------------------------


def test_no_function_and_no_statement_leave_the_policy_as_it_was():
    before = repository_policy(ACCOUNT_ID, [OTHER], "o-abcdefghij")
    assert repository_policy(ACCOUNT_ID, [OTHER], "o-abcdefghij", "aws", (), ()) == before


def test_same_account_functions_get_the_service_principal_pinned_by_source_arn():
    found = _statements(repository_policy(ACCOUNT_ID, lambda_functions=[OWN_FUNCTION]))
    assert set(found) == {"SameAccountPullPush", "LambdaPull"}
    pull = found["LambdaPull"]
    assert pull["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert set(pull["Action"]) == LAMBDA_ACTIONS
    assert pull["Condition"] == {"StringLike": {"aws:sourceArn": [OWN_FUNCTION]}}


def test_other_account_functions_also_get_that_accounts_root_with_the_two_actions():
    document = repository_policy(ACCOUNT_ID, lambda_functions=[OTHER_FUNCTIONS, OWN_FUNCTION])
    found = _statements(document)
    assert found["LambdaAccountsPull"]["Principal"] == {"AWS": [f"arn:aws:iam::{OTHER}:root"]}
    assert set(found["LambdaAccountsPull"]["Action"]) == LAMBDA_ACTIONS
    assert "Condition" not in found["LambdaAccountsPull"]
    assert found["LambdaPull"]["Condition"]["StringLike"]["aws:sourceArn"] == sorted(
        [OTHER_FUNCTIONS, OWN_FUNCTION]
    )


def test_extra_statements_come_last_as_given():
    extra = {"Sid": "Audit", "Effect": "Deny", "Principal": "*", "Action": "ecr:PutImage"}
    document = repository_policy(ACCOUNT_ID, [OTHER], extra_statements=[extra])
    assert document["Statement"][-1] == extra


# --- the settings -------------------------------------------------------------------------------


def test_functions_in_another_region_or_partition_are_refused_by_index():
    (problem,) = _problems(
        {"lambdaPullFunctions": [OWN_FUNCTION, "arn:aws:lambda:us-east-1:1:function:x"]}
    )
    assert problem.startswith("ecr:services.fileflow.lambdaPullFunctions[1] = ")
    assert "12-digit" not in problem  # the type names what an ARN must be
    (problem,) = _problems(
        {"lambdaPullFunctions": [f"arn:aws:lambda:us-east-1:{OTHER}:function:x"]}
    )
    assert problem.startswith("ecr:services.fileflow.lambdaPullFunctions[0] = ")
    assert "only from a repository in the function's own region" in problem
    assert f"stack's region {REGION}" in problem


@pytest.mark.parametrize(
    "pattern",
    [
        f"arn:aws:lambda:*:{OTHER}:function:x",  # wildcard region
        "arn:aws:lambda:ap-northeast-2:*:function:x",  # any account
        f"arn:aws:lambda:{REGION}:{OTHER}:*",  # any Lambda resource
        f"arn:aws:lambda:{REGION}:{OTHER}:function:a/b",
    ],
)
def test_patterns_must_name_partition_region_and_account(pattern):
    (problem,) = _problems({"lambdaPullFunctions": [pattern]})
    assert problem.startswith("ecr:services.fileflow.lambdaPullFunctions[0] = ")
    assert "partition, region and account are named" in problem


def test_accepted_functions_reach_the_settings():
    service = _settings({"lambdaPullFunctions": [OTHER_FUNCTIONS]}).services[0]
    assert service.lambda_pull_functions == (OTHER_FUNCTIONS,)


def test_a_statement_the_pack_would_refuse_is_a_config_error_naming_service_index_and_reason():
    anyone = {"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "ecr:*"}
    problems = _problems({"extraPolicyStatements": [{"Sid": "Fine", **_ci_pull()}, anyone]})
    assert problems == [
        "ecr:services.fileflow.extraPolicyStatements[1]: the policy pack would refuse it "
        "(ecr-repository-policy-least-privilege): Everyone: action ecr:* together match every "
        "ECR write action: list the ECR actions needed",
        "ecr:services.fileflow.extraPolicyStatements[1]: the policy pack would refuse it "
        "(ecr-repository-policy-least-privilege): Everyone: principal * is anyone: name "
        "accounts or roles",
    ]


def _ci_pull() -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{OTHER}:role/ci"},
        "Action": ["ecr:BatchGetImage"],
    }


def test_lambda_without_source_arn_in_extra_statements_is_refused_as_the_confused_deputy():
    unpinned = {
        "Sid": "Lambda",
        "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": ["ecr:BatchGetImage"],
    }
    (problem,) = _problems({"extraPolicyStatements": [unpinned]})
    assert "extraPolicyStatements[0]" in problem and "confused deputy" in problem


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ({"Effect": "Permit", "Principal": "*", "Action": "x"}, "Effect must be Allow or Deny"),
        ({"Effect": "Allow", "Action": "ecr:BatchGetImage"}, "names a Principal"),
        ({"Effect": "Allow", "Principal": {"AWS": OTHER}}, "needs Action"),
        ({"Sid": "has space", **_ci_pull()}, "Sid must be letters and digits"),
        ({"Sid": "LambdaPull", **_ci_pull()}, "already used by the program's own statement"),
    ],
)
def test_statements_ecr_would_refuse_are_refused_by_index(statement, expected):
    (problem,) = _problems({"extraPolicyStatements": [statement]})
    assert problem.startswith("ecr:services.fileflow.extraPolicyStatements[0]")
    assert expected in problem


def test_a_sid_twice_is_refused_at_the_second():
    (problem,) = _problems(
        {"extraPolicyStatements": [{"Sid": "A", **_ci_pull()}, {"Sid": "A", **_ci_pull()}]}
    )
    assert problem.startswith('ecr:services.fileflow.extraPolicyStatements[1].Sid = "A"')


def test_an_organisation_statement_passes_for_the_services_own_organisation_only():
    org = {
        "Sid": "Org",
        "Effect": "Allow",
        "Principal": "*",
        "Action": ["ecr:BatchGetImage"],
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}},
    }
    assert _settings({"extraPolicyStatements": [org], "pullOrganizationId": "o-abcdefghij"})
    (problem,) = _problems({"extraPolicyStatements": [org]})
    assert "not in allowedOrganizations" in problem


def test_the_policy_with_extras_is_measured_as_sent():
    big = [{"Sid": f"S{i}", **_ci_pull(), "Action": ["ecr:BatchGetImage"] * 60} for i in range(20)]
    problems = _problems({"extraPolicyStatements": big})
    assert any("extraPolicyStatements count too" in p for p in problems)


# --- the program under mocks, judged by the pack over gRPC ---------------------------------------


@pytest.fixture
def pack(running):
    running.configure(QUIET)
    return running


def _program(service: dict[str, Any], stack: str = "prod") -> list[Resource]:
    run = run_program(stack, {"ecr:services": {"fileflow": service}})
    return [
        Resource(r.type, r.name, r.inputs, r.urn, r.protect, r.parent, r.property_dependencies)
        for r in run.resources
    ]


def _judged(pack, resources, **config) -> list[str]:
    pack.configure(QUIET | ({PACK: config} if config else {}))
    return mandatory(pack.preview(resources), LEAST)


def test_the_pack_accepts_the_programs_lambda_statements(pack):
    resources = _program(
        {
            "lambdaPullFunctions": [OWN_FUNCTION, OTHER_FUNCTIONS],
            "extraPolicyStatements": [{"Sid": "CiPull", **_ci_pull()}],
        }
    )
    (policy,) = [r for r in resources if r.type == POLICY]
    sids = [s["Sid"] for s in json.loads(policy.props["policy"])["Statement"]]
    assert sids == ["SameAccountPullPush", "LambdaAccountsPull", "LambdaPull", "CiPull"]
    assert _judged(pack, resources, allowedAccounts=[ACCOUNT_ID, OTHER]) == []


def test_the_pack_refuses_a_function_account_outside_allowed_accounts(pack):
    resources = _program({"lambdaPullFunctions": [OTHER_FUNCTIONS]})
    found = _judged(pack, resources, allowedAccounts=[ACCOUNT_ID])
    # Both the account's root and the source ARN's account are judged against the allowlist.
    assert any(
        f"arn:aws:iam::{OTHER}:root is not in ecr-pack-settings.allowedAccounts" in m for m in found
    )
    assert any("service principal lambda.amazonaws.com" in m for m in found)


LAMBDA_PULL = {
    "Sid": "LambdaPull",
    "Effect": "Allow",
    "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
}


@pytest.mark.parametrize(
    "condition",
    [
        None,  # the documented same-account statement without a condition: anyone's function
        {"StringNotLike": {"aws:sourceArn": OTHER_FUNCTIONS}},  # negated: narrows nothing
        {"StringLike": {"aws:sourceArn": "arn:aws:lambda:*:*:function:*"}},  # any account
    ],
)
def test_the_pack_refuses_the_lambda_statement_without_a_pinning_source_arn(pack, condition):
    statement = LAMBDA_PULL | ({"Condition": condition} if condition else {})
    resource = res(POLICY, {"repository": "fileflow", "policy": policy_doc(statement)})
    (message,) = mandatory(pack.analyze(resource), LEAST)
    assert "service principal lambda.amazonaws.com" in message and "confused deputy" in message


def test_the_pack_accepts_the_pinned_lambda_statement(pack):
    pack.configure(QUIET | {PACK: {"allowedAccounts": [ACCOUNT_ID, OTHER]}})
    statement = LAMBDA_PULL | {"Condition": {"StringLike": {"aws:sourceArn": OTHER_FUNCTIONS}}}
    resource = res(POLICY, {"repository": "fileflow", "policy": policy_doc(statement)})
    assert mandatory(pack.analyze(resource), LEAST) == []


# Statements over the pack rule's surface: the settings refuse exactly what the pack refuses
# (with the same config: every account the statements name allowed, since the settings cannot
# read the organisation's allowlist; no organisation but the service's own).
_principal = st.sampled_from(
    [
        "*",
        {"AWS": f"arn:aws:iam::{OTHER}:root"},
        {"AWS": "arn:aws:iam::*:root"},
        {"AWS": [OTHER, f"arn:aws:iam::{ACCOUNT_ID}:role/r"]},
        {"Service": "lambda.amazonaws.com"},
        {"Service": "codebuild.amazonaws.com"},
    ]
)
_action = st.sampled_from(
    ["ecr:BatchGetImage", "ecr:*", "ecr:Put*", "*", ["ecr:BatchGetImage", "ecr:PutImage"]]
)
_condition = st.sampled_from(
    [
        None,
        {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}},
        {"StringEquals": {"aws:SourceAccount": OTHER}},
        {"StringLike": {"aws:SourceArn": OTHER_FUNCTIONS}},
        {"StringNotEquals": {"aws:SourceAccount": OTHER}},
    ]
)
_statement = st.builds(
    lambda principal, action, condition, deny: {
        "Effect": "Deny" if deny else "Allow",
        "Principal": principal,
        "Action": action,
        **({"Condition": condition} if condition else {}),
    },
    _principal,
    _action,
    _condition,
    st.booleans(),
)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(statement=_statement)
def test_the_settings_refuse_a_statement_exactly_when_the_pack_does(running, statement):
    everyone = {"allowedAccounts": [ACCOUNT_ID, OTHER], "allowedOrganizations": ["o-abcdefghij"]}
    running.configure(QUIET | {PACK: everyone})
    resource = res(POLICY, {"repository": "fileflow", "policy": policy_doc(statement)})
    pack_refuses = bool(mandatory(running.analyze(resource), LEAST))
    service = {"extraPolicyStatements": [statement], "pullOrganizationId": "o-abcdefghij"}
    try:
        _settings(service)
        settings_refuse = False
    except SettingsError:
        settings_refuse = True
    assert settings_refuse == pack_refuses, statement


# --- ECR's own check, emulated: moto's SetRepositoryPolicy (IAM's policy grammar) -----------------


def test_ecr_emulated_takes_the_programs_policy_and_refuses_what_the_settings_refuse(env):
    import boto3
    from botocore.exceptions import ClientError

    resources = _program(
        {
            "lambdaPullFunctions": [OWN_FUNCTION, OTHER_FUNCTIONS],
            "extraPolicyStatements": [{"Sid": "CiPull", **_ci_pull()}],
        },
        stack="dev",
    )
    (policy,) = [r for r in resources if r.type == POLICY]
    ecr = boto3.client("ecr")
    ecr.create_repository(repositoryName="fileflow")
    ecr.set_repository_policy(repositoryName="fileflow", policyText=policy.props["policy"])
    stored = ecr.get_repository_policy(repositoryName="fileflow")["policyText"]
    assert json.loads(stored) == json.loads(policy.props["policy"])
    # A statement without Effect: the emulated ECR refuses the policy, the settings the key.
    no_effect = {"Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": "ecr:BatchGetImage"}
    document = json.loads(policy.props["policy"])
    document["Statement"].append(no_effect)
    with pytest.raises(ClientError, match="Invalid repository policy"):
        ecr.set_repository_policy(repositoryName="fileflow", policyText=json.dumps(document))
    (problem,) = _problems({"extraPolicyStatements": [no_effect]})
    assert "extraPolicyStatements[0]" in problem and "Effect must be Allow or Deny" in problem
