"""A local stack with no AWS account: a moto server on 127.0.0.1, seeded with what the program
expects to exist (the KMS key and the SSM parameter holding its ARN), then `pulumi up -s local`.

    python -m tools.local up      # start + seed the emulator, then pulumi up (when the CLI exists)
    python -m tools.local down    # stop the emulator, forget the local stack's state
    python -m tools.local seed    # seed a running emulator only

The emulator's address comes from Pulumi.local.yaml (`aws:endpoints`), so the two cannot drift.
Everything the local stack writes (emulator log and pid, the Pulumi file backend) lives in .local/.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlparse

import yaml

ROOT = Path(__file__).resolve().parent.parent
# ECR_LOCAL_DIR moves it (the tests use a temporary directory).
STATE = Path(os.environ.get("ECR_LOCAL_DIR", ROOT / ".local"))
PID_FILE = STATE / "moto.pid"
LOG_FILE = STATE / "moto.log"
BACKEND = STATE / "pulumi-state"
STACK_FILE = ROOT / "Pulumi.local.yaml"
KMS_PARAMETER = "/shared/kms/ecs-secrets-key-arn"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def stack_endpoint() -> tuple[str, str]:
    """(endpoint URL, region) the local stack sends its AWS calls to."""
    config = yaml.safe_load(STACK_FILE.read_text())["config"]
    return config["aws:endpoints"][0]["ecr"], config["aws:region"]


def _url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def _healthy(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):
            return True
    except (urllib.error.URLError, OSError):
        return False


def start_emulator(port: int, timeout: float = 30.0) -> str:
    """Starts moto's server on 127.0.0.1:`port` in the background (once); returns its URL."""
    endpoint = _url(port)
    if _healthy(endpoint):
        return endpoint
    STATE.mkdir(exist_ok=True)
    with LOG_FILE.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # outlives this command, stopped by `down`
        )
    PID_FILE.write_text(str(process.pid))
    deadline = time.monotonic() + timeout
    while not _healthy(endpoint):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"local: the emulator did not start on {endpoint}; see {LOG_FILE}")
        time.sleep(0.2)
    return endpoint


def stop_emulator() -> bool:
    """Stops the emulator started by `start_emulator`; False when none was running."""
    if not PID_FILE.exists():
        return False
    pid = int(PID_FILE.read_text())
    PID_FILE.unlink()
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    return True


def seed(endpoint: str, region: str) -> str:
    """Creates the prerequisite the seed names: a KMS key whose ARN is in the SSM parameter
    /shared/kms/ecs-secrets-key-arn. Idempotent: an existing parameter naming a live key is kept.
    Returns the key ARN."""
    import boto3

    session = boto3.session.Session(region_name=region, **_boto_credentials())
    kms = session.client("kms", endpoint_url=endpoint)
    ssm = session.client("ssm", endpoint_url=endpoint)
    try:
        arn = str(ssm.get_parameter(Name=KMS_PARAMETER)["Parameter"]["Value"])
        kms.describe_key(KeyId=arn)
        return arn
    except (ssm.exceptions.ParameterNotFound, kms.exceptions.NotFoundException):
        pass
    key = kms.create_key(Description="Local ECR image encryption key (emulator)")["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"])  # the seed's checklist: automatic rotation on
    ssm.put_parameter(Name=KMS_PARAMETER, Value=key["Arn"], Type="String", Overwrite=True)
    return str(key["Arn"])


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }


def pulumi_environment() -> dict[str, str]:
    """The local stack's own backend and passphrase; AWS variables that could reach a real account
    are dropped."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return (
        env
        | CREDENTIALS
        | {
            "PULUMI_BACKEND_URL": BACKEND.resolve().as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": env.get("PULUMI_CONFIG_PASSPHRASE", "local"),
        }
    )


def up(port: int) -> int:
    endpoint = start_emulator(port)
    _, region = stack_endpoint()
    arn = seed(endpoint, region)
    print(f"local: emulator at {endpoint}, {KMS_PARAMETER} = {arn}")
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        print(
            "local: the Pulumi CLI is not installed, so the stack was not deployed. Install it "
            "(https://www.pulumi.com/docs/install/) and run `make local-up` again; the emulator "
            "keeps running until `make local-down`.",
            file=sys.stderr,
        )
        return 1
    BACKEND.mkdir(parents=True, exist_ok=True)
    env = pulumi_environment()
    subprocess.run([pulumi, "stack", "select", "--create", "local"], cwd=ROOT, env=env, check=True)
    command = [pulumi, "up", "-s", "local", "--policy-pack", "policy", "--yes"]
    return subprocess.run(command, cwd=ROOT, env=env).returncode


def down() -> int:
    stopped = stop_emulator()
    shutil.rmtree(BACKEND, ignore_errors=True)
    print("local: emulator stopped, local state removed" if stopped else "local: nothing running")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.local", description=__doc__)
    parser.add_argument("command", choices=("up", "down", "seed"))
    default_port = urlparse(stack_endpoint()[0]).port
    parser.add_argument(
        "--port",
        type=int,
        default=default_port,
        help=f"emulator port (default {default_port}, from Pulumi.local.yaml)",
    )
    args = parser.parse_args(argv)
    if args.command == "up":
        return up(args.port)
    if args.command == "down":
        return down()
    print(seed(_url(args.port), stack_endpoint()[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
