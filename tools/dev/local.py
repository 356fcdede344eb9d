"""A local stack with no AWS account: a moto server on 127.0.0.1, seeded with what the program
expects to exist (the KMS key and the SSM parameter holding its ARN), then `pulumi up -s local`.

    python -m tools.local up      # start + seed the emulator, then pulumi up (when the CLI exists)
    python -m tools.local down    # stop the emulator, forget the local stack's state
    python -m tools.local seed    # seed a running emulator only

The emulator's address comes from Pulumi.local.yaml (`aws:endpoints`), so the two cannot drift.
Everything the local stack writes (emulator log and pid, the Pulumi file backend) lives in .local/.
`up` only uses an emulator it started itself (recorded in .local/moto.pid): when something else
already answers on the port, it refuses rather than seed and deploy into it (`--reuse` does so on
purpose); `down` stops only what `up` started and says what else it found.

Exit status: 0 done; 1 the emulator runs and is seeded but the Pulumi CLI is missing (or
`pulumi up`'s own status); 2 an error, with one line on stderr.
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
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import yaml

from tools.cli import ToolError, run

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_ssm import SSMClient

ROOT = Path(__file__).resolve().parents[2]
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
    try:
        config = yaml.safe_load(STACK_FILE.read_text(encoding="utf-8"))["config"]
        return str(config["aws:endpoints"][0]["ecr"]), str(config["aws:region"])
    except (OSError, ValueError, yaml.YAMLError, LookupError, TypeError) as error:
        raise ToolError(
            f"{STACK_FILE.name}: needs config aws:region and aws:endpoints[0].ecr ({error})"
        ) from None


def _url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def _healthy(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):
            return True
    except (urllib.error.URLError, OSError, ValueError):
        return False


def started() -> tuple[int, int] | None:
    """(pid, port) of the emulator `up` started, when it still runs; a stale record is removed."""
    try:
        pid_text, _, port_text = PID_FILE.read_text().partition(" ")
        pid, port = int(pid_text), int(port_text or 0)
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
        cmdline = Path(f"/proc/{pid}/cmdline")
        alive = not cmdline.exists() or b"moto.server" in cmdline.read_bytes()
    except (ProcessLookupError, PermissionError, OSError):
        alive = False
    if not alive:
        PID_FILE.unlink(missing_ok=True)
        return None
    return pid, port


def start_emulator(port: int, reuse: bool = False, timeout: float = 30.0) -> str:
    """Starts moto's server on 127.0.0.1:`port` in the background (once); returns its URL. An
    emulator this command did not start is used only with `reuse`."""
    endpoint = _url(port)
    ours = started()
    if ours and ours[1] == port and _healthy(endpoint):
        return endpoint
    if ours:
        raise ToolError(
            f"the emulator started earlier (pid {ours[0]}) listens on port {ours[1]}, not {port}: "
            "run `make local-down` first"
        )
    if _healthy(endpoint):
        if reuse:
            return endpoint
        raise ToolError(
            f"an emulator this command did not start already answers on {endpoint}: stop it, "
            "choose another --port, or pass --reuse to seed and deploy into it"
        )
    STATE.mkdir(parents=True, exist_ok=True)
    with LOG_FILE.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # outlives this command, stopped by `down`
        )
    PID_FILE.write_text(f"{process.pid} {port}")
    deadline = time.monotonic() + timeout
    while not _healthy(endpoint):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_emulator()
            raise ToolError(
                f"the emulator did not start on {endpoint} (is the port taken?); see {LOG_FILE}"
            )
        time.sleep(0.2)
    return endpoint


def stop_emulator() -> bool:
    """Stops the emulator started by `start_emulator`; False when none of ours was running."""
    ours = started()
    PID_FILE.unlink(missing_ok=True)
    if ours is None:
        return False
    pid = ours[0]
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
    kms: KMSClient = session.client("kms", endpoint_url=endpoint)
    ssm: SSMClient = session.client("ssm", endpoint_url=endpoint)
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


def up(port: int, reuse: bool = False) -> int:
    endpoint = start_emulator(port, reuse)
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


def down(port: int) -> int:
    stopped = stop_emulator()
    shutil.rmtree(BACKEND, ignore_errors=True)
    if stopped:
        print("local: emulator stopped, local state removed")
    elif _healthy(_url(port)):
        print(
            f"local: no emulator started by `make local-up` is running; something else answers "
            f"on {_url(port)} and was left alone; local state removed"
        )
    else:
        print("local: nothing running; local state removed")
    return 0


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port (1-65535)")
    return int(text)


def main(argv: Sequence[str] | None = None) -> int:
    def body() -> int:
        parser = argparse.ArgumentParser(
            prog="python -m tools.local",
            description=__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        parser.add_argument("command", choices=("up", "down", "seed"))
        default_port = urlparse(stack_endpoint()[0]).port
        parser.add_argument(
            "--port",
            type=_port,
            default=default_port,
            help=f"emulator port (default {default_port}, from Pulumi.local.yaml)",
        )
        parser.add_argument(
            "--reuse",
            action="store_true",
            help="up: seed and deploy into an emulator this command did not start",
        )
        args = parser.parse_args(argv)
        if args.command == "up":
            return up(args.port, args.reuse)
        if args.command == "down":
            return down(args.port)
        print(seed(_url(args.port), stack_endpoint()[1]))
        return 0

    return run("local", body)


if __name__ == "__main__":
    sys.exit(main())
