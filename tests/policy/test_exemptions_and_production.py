"""Issue 24, exemption / production / unseen-creator classes, over gRPC as the CLI runs the pack:
exemption globs are judged by what they can match (ECR's name grammar), stack-policy exemptions
match the repository's name (never a CloudFormation stack's), production stack names take region
prefixes, suffixes and any separator, and resources running code the pack cannot read get an
advisory note naming them."""

import datetime
import json

import pytest

from policy.ecr_guardrails.policies import check_config
from tests.support.fakes import compliant_repository
from tests.support.pack_routes import COVERAGE, FORCE, IAM, LIFECYCLE, QUIET, mandatory, res

SOON = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
OPEN_PUSH = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "ecr:PutImage", "Resource": "*"}],
    }
)


@pytest.fixture
def pack(running):
    running.configure(QUIET)
    return running


def exemption(repository, stacks=("*",)):
    return {"repository": repository, "stacks": list(stacks), "reason": "r", "expires": SOON}


@pytest.mark.parametrize("glob", ["[!]/]*", "??*", "[a-z0-9]*", "*[a-z0-9]", "[!-]*"])
def test_an_exemption_glob_that_matches_every_name_is_refused(pack, glob):
    config = {IAM: {"exemptions": [exemption(glob)]}}
    (problem,) = check_config(config)
    assert "matches every repository" in problem and glob in problem
    pack.configure(QUIET | config)
    found = mandatory(pack.analyze(res("aws:iam/policy:Policy", {"policy": OPEN_PUSH})), IAM)
    assert any("matches every repository" in m for m in found), found


@pytest.mark.parametrize("glob", ["legacy/*", "team[12]/*", "app-?"])
def test_a_narrow_exemption_glob_is_accepted(glob):
    assert check_config({IAM: {"exemptions": [exemption(glob)]}}) == []


def test_a_stack_policy_exemption_matches_the_repository_not_the_cloudformation_stack(pack):
    template = {
        "Resources": {
            "R": {"Type": "AWS::ECR::Repository", "Properties": {"RepositoryName": "payments"}}
        }
    }
    stack = res(
        "aws:cloudformation/stack:Stack",
        {"name": "legacy-stack", "templateBody": json.dumps(template)},
        name="legacy-stack",
    )
    pack.configure(QUIET | {LIFECYCLE: {"exemptions": [exemption("legacy-*")]}})
    found = pack.analyze_stack([stack])
    assert [d for d in found if d.policy == LIFECYCLE and d.level == "mandatory"], found


def test_a_stack_policy_exemption_still_matches_a_repository_by_its_name(pack):
    repository = res(
        "aws:ecr/repository:Repository", dict(compliant_repository("legacy-app").props)
    )
    pack.configure(QUIET | {LIFECYCLE: {"exemptions": [exemption("legacy-*")]}})
    found = pack.analyze_stack([repository])
    assert not [d for d in found if d.policy == LIFECYCLE and d.level == "mandatory"]


@pytest.mark.parametrize("stack", ["prod.eu", "apne2-prod", "eu_west_1.production", "PRD.us"])
@pytest.mark.parametrize("provider", ["aws", "aws-native"])
def test_production_stack_names_take_regions_and_any_separator(pack, stack, provider):
    props = dict(compliant_repository("app").props) | {"forceDelete": True}
    props["tags"] = dict(props["tags"]) | {"Environment": "dev"}
    if provider == "aws":
        repository = res("aws:ecr/repository:Repository", props, stack=stack)
    else:
        native = {"repositoryName": "app", "emptyOnDelete": True}
        repository = res("aws-native:ecr:Repository", native, stack=stack)
    assert mandatory(pack.analyze(repository), FORCE), stack


@pytest.mark.parametrize("stack", ["preprod", "nonprod-eu", "dev.eu", "apne2-staging"])
def test_names_that_only_contain_prod_inside_a_word_are_not_production(pack, stack):
    props = dict(compliant_repository("app").props) | {"forceDelete": True}
    props["tags"] = dict(props["tags"]) | {"Environment": "dev"}
    repository = res("aws:ecr/repository:Repository", props, stack=stack)
    assert mandatory(pack.analyze(repository), FORCE) == []


@pytest.mark.parametrize(
    "resource_type",
    [
        "command:local:Command",
        "command:remote:Command",
        "pulumi-python:dynamic:Resource",
        "pulumi-nodejs:dynamic:Resource",
        "aws:lambda/invocation:Invocation",
    ],
)
def test_resources_running_code_the_pack_cannot_read_get_a_note(pack, resource_type):
    found = pack.analyze(res(resource_type, {"create": "aws ecr create-repository"}, name="mk"))
    (note,) = found
    assert (note.policy, note.level) == ("ecr-exemption-notes", "advisory")
    assert f"{resource_type} mk" in note.message
    assert "may create ECR resources the pack cannot judge" in note.message


# --- accounts the pack cannot tell ---------------------------------------------------------------


def _replication_to(account):
    return res(
        "aws:ecr/replicationConfiguration:ReplicationConfiguration",
        {
            "replicationConfiguration": {
                "rules": [{"destinations": [{"region": "eu-west-1", "registryId": account}]}]
            }
        },
        name="replication",
    )


def _replication_template(key_account):
    encryption = (
        {"encryptionType": "AES256"}
        if key_account is None
        else {
            "encryptionType": "KMS",
            "kmsKey": f"arn:aws:kms:eu-west-1:{key_account}:key/0b6b2a1e-1f0e-4c43-9a51-1a7f0e2d1c11",
        }
    )
    return res(
        "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate",
        {
            "prefix": "ROOT",
            "appliedFors": ["REPLICATION"],
            "region": "eu-west-1",
            "encryptionConfigurations": [encryption],
        },
        name="template",
    )


def test_a_template_in_an_account_the_pack_cannot_tell_covers_no_other_account(pack):
    found = pack.analyze_stack([_replication_to("999999999999"), _replication_template(None)])
    (message,) = [d.message for d in found if d.policy == COVERAGE and d.level == "mandatory"]
    assert "Replication to eu-west-1 in account 999999999999" in message
    assert "allowedAccountIds" in message


def test_a_template_known_to_be_in_the_destination_account_covers_it(pack):
    found = pack.analyze_stack(
        [_replication_to("999999999999"), _replication_template("999999999999")]
    )
    assert not [d for d in found if d.policy == COVERAGE and d.level == "mandatory"]
