"""The local stack: its config, and the emulator start/seed/stop against a live moto server."""

import json
import os
import subprocess
import sys
import urllib.request

import boto3

from tests.support.moto_server import REGION, free_port
from tools.dev.local import KMS_PARAMETER, seed, stack_endpoint
from tools.preview.mock_engine import ROOT, run_program
from tools.preview.stack_file import engine_config

# Which endpoint key of the AWS provider serves each resource module / invoke the program uses.
ENDPOINT_OF = {
    "ecr": "ecr",
    "ssm": "ssm",
    "iam": "iam",
    "sns": "sns",
    "cloudwatch/eventRule": "events",
    "cloudwatch/eventTarget": "events",
    "cloudwatch/logMetricFilter": "logs",
    "cloudwatch/metricAlarm": "cloudwatch",
    "cloudwatch/dashboard": "cloudwatch",
    "index/getCallerIdentity": "sts",
}


def test_local_stack_points_every_service_the_program_uses_at_the_emulator():
    config = engine_config("local")
    (endpoints,) = json.loads(config["aws:endpoints"])
    assert set(endpoints.values()) == {stack_endpoint()[0]}
    assert stack_endpoint()[0].startswith("http://127.0.0.1:")
    assert config["aws:skipCredentialsValidation"] == "true"
    assert config["aws:skipRequestingAccountId"] == "true"
    assert config["aws:skipMetadataApiCheck"] == "true"

    run = run_program("local", {"ecr:alerts": {"cloudTrailLogGroup": "/aws/cloudtrail/logs"}})
    tokens = [r.type for r in run.resources if r.type.startswith("aws:")] + [
        t for t, _ in run.invokes
    ]
    used = set()
    for token in tokens:
        member = token.split(":")[1]  # "cloudwatch/eventRule", "index/getCallerIdentity"
        if member == "index/getPartition":
            continue  # the provider answers it from its region: no call, no endpoint
        used.add(ENDPOINT_OF.get(member) or ENDPOINT_OF[member.split("/")[0]])
    assert used == {"ecr", "ssm", "iam", "sns", "events", "logs", "cloudwatch", "sts"}
    assert used <= set(endpoints), used - set(endpoints)
    assert run.one("aws:ecr/repository:Repository", "fileflow").inputs["forceDelete"] is True


def test_seed_creates_the_key_and_parameter_once(aws):
    endpoint, _ = aws
    arn = seed(endpoint, REGION)
    session = boto3.session.Session(
        region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t"
    )
    ssm = session.client("ssm", endpoint_url=endpoint)
    kms = session.client("kms", endpoint_url=endpoint)
    assert ssm.get_parameter(Name=KMS_PARAMETER)["Parameter"]["Value"] == arn
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["Enabled"] is True
    assert kms.get_key_rotation_status(KeyId=arn)["KeyRotationEnabled"] is True
    assert seed(endpoint, REGION) == arn
    assert len(kms.list_keys()["Keys"]) == 1


def _healthy(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1):
            return True
    except OSError:
        return False


def test_up_without_the_pulumi_cli_starts_and_seeds_then_says_so(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {"ECR_LOCAL_DIR": str(tmp_path), "PATH": os.path.dirname(sys.executable)}

    def local(*args):
        return subprocess.run(
            [sys.executable, "-m", "tools.local", *args, "--port", str(port)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    try:
        result = local("up")
        assert result.returncode == 1
        assert "the Pulumi CLI is not installed, so the stack was not deployed" in result.stderr
        assert f"emulator at http://127.0.0.1:{port}" in result.stdout
        assert _healthy(port)
        ssm = boto3.client(
            "ssm",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name=REGION,
            aws_access_key_id="t",
            aws_secret_access_key="t",
        )
        assert ssm.get_parameter(Name=KMS_PARAMETER)["Parameter"]["Value"].startswith(
            "arn:aws:kms:"
        )
    finally:
        down = local("down")
    assert down.returncode == 0 and "emulator stopped" in down.stdout
    assert not _healthy(port)
    assert local("down").stdout.strip() == "local: nothing running; local state removed"


def test_up_refuses_an_emulator_it_did_not_start_and_down_leaves_it_alone(aws, tmp_path):
    endpoint, _ = aws  # a moto server this command did not start
    port = endpoint.rsplit(":", 1)[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {"ECR_LOCAL_DIR": str(tmp_path), "PATH": os.path.dirname(sys.executable)}

    def local(*args):
        return subprocess.run(
            [sys.executable, "-m", "tools.local", *args, "--port", port],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    refused = local("up")
    assert refused.returncode == 2
    assert refused.stderr == (
        f"local: an emulator this command did not start already answers on {endpoint}: stop it, "
        "choose another --port, or pass --reuse to seed and deploy into it\n"
    )
    ssm = boto3.client("ssm", endpoint_url=endpoint, region_name=REGION,
                       aws_access_key_id="t", aws_secret_access_key="t")  # fmt: skip
    assert ssm.describe_parameters()["Parameters"] == []  # not seeded
    down = local("down")
    assert down.returncode == 0
    assert f"something else answers on {endpoint} and was left alone" in down.stdout
    assert _healthy(port)
    reused = local("up", "--reuse")
    assert reused.returncode == 1 and f"emulator at {endpoint}" in reused.stdout  # no Pulumi CLI
    assert ssm.get_parameter(Name=KMS_PARAMETER)["Parameter"]["Value"].startswith("arn:aws:kms:")


def test_a_port_that_is_no_port_is_a_usage_error():
    result = subprocess.run(
        [sys.executable, "-m", "tools.local", "up", "--port", "99999"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2 and "'99999' is not a TCP port (1-65535)" in result.stderr
    assert "Traceback" not in result.stderr
