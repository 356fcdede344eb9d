"""Issue 30: the KMS key ARN read from SSM is not a secret, nor is any document that names it.

pulumi-aws 7 answers `aws:ssm/getParameter` with `value` marked secret and `insecureValue` not
(the mock engine answers the same way). The SDK marks an output-form invoke's whole result
secret when any field of it is (pulumi.runtime.invoke), so `insecure_value` alone is not enough:
components/keys.py unsecrets it. Were the ARN secret, `pulumi preview --diff` would show every
pull policy, encryption setting and the SNS key as [secret], and reviewers could not see them.
"""

import json
from pathlib import Path

from tests.support.fakes import EVERYTHING
from tools.preview.mock_engine import run_program

TOPIC = "aws:sns/topic:Topic"
# pulumi_aws/ssm/parameter.py wraps a Parameter's `value` in Output.secret whatever it holds (the
# repository URL here): the SDK's doing, not the key read's.
SECRET_BY_SCHEMA = {("aws:ssm/parameter:Parameter", "value")}


def test_no_registered_input_is_secret_and_the_key_arn_is_in_the_documents():
    run = run_program("prod", EVERYTHING)
    keys = {read.value for read in run.reads if read.token.endswith("getParameter")}
    assert len(keys) == 2  # the stack's region and the replication region
    naming = {
        r.type
        for r in run.resources
        if r.custom and any(key in json.dumps(r.inputs) for key in keys)
    }
    # The documents and settings that carry the key ARN (so the check below is not vacuous).
    assert {
        "aws:ecr/repository:Repository",
        "aws:iam/policy:Policy",
        "aws:sns/topic:Topic",
        "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate",
        "aws:iam/rolePolicy:RolePolicy",
    } <= naming
    secret = {
        (r.urn, key)
        for r in run.resources
        for key in r.secret_inputs
        if (r.type, key) not in SECRET_BY_SCHEMA
    }
    assert secret == set()


PROBE = """
import pulumi
import pulumi_aws as aws

read = aws.ssm.get_parameter_output(name="/shared/kms/ecs-secrets-key-arn")
aws.sns.Topic("value", kms_master_key_id=read.value)
aws.sns.Topic("insecure", kms_master_key_id=read.insecure_value)
aws.sns.Topic("unsecret", kms_master_key_id=pulumi.Output.unsecret(read.insecure_value))
"""


def test_the_sdk_marks_the_whole_read_secret_and_only_unsecret_clears_it(tmp_path: Path):
    """Why keys.py unsecrets `insecure_value`: with `value` secret on the wire, the twin read
    through the same invoke is secret too."""
    program = tmp_path / "__main__.py"
    program.write_text(PROBE)
    run = run_program("dev", program=program)
    secret = {r.name: r.secret_inputs for r in run.of_type(TOPIC)}
    assert secret == {
        "value": ("kmsMasterKeyId",),
        "insecure": ("kmsMasterKeyId",),
        "unsecret": (),
    }
