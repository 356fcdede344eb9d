"""Property: no argument, input file or environment makes a tool print a traceback or exit with a
code its help does not document; exit 2 is one line on stderr (argparse's usage block aside), and
no failure is an unanticipated one (the top-level handler's "unexpected error" line).

The tools run in-process (`main(argv)`), against the session's moto server where they call AWS."""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.support.aws_fixtures import client, kms_key, push, repository
from tests.support.moto_server import REGION, reset
from tools import quarantine, replication, retention, scan_gate
from tools.audit import command
from tools.dev import local
from tools.preview.mock_engine import ROOT

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def call(main, argv, env, documented=(0, 1, 2)):
    """Runs a tool's main; returns (code, stdout, stderr) after checking the contract."""
    out, err = io.StringIO(), io.StringIO()
    with environment(env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit:  # argparse: usage block, exit 2; a blank value: one line
            code = exit.code
            assert code in (0, 2), code
            text = err.getvalue()
            one_line = text.count("\n") == 1 and "error: argument " in text
            assert code == 0 or "usage:" in text or one_line, text
            return code, out.getvalue(), err.getvalue()
    stderr = err.getvalue()
    event(f"exit {code}: {stderr.splitlines()[-1][:30] if stderr else ''}")
    assert code in documented, (code, stderr)
    assert "Traceback" not in stderr and "unexpected error" not in stderr, stderr
    if code == 2:
        last = stderr.splitlines()[-1] if stderr else ""
        assert last and stderr.endswith(last + "\n"), stderr  # the error is the last, one line
    return code, out.getvalue(), stderr


def aws_env(endpoint: str, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_EC2_METADATA_DISABLED": "true",
    } | extra


# --- input files ----------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
times = st.one_of(
    st.datetimes(timezones=st.just(datetime.timezone.utc)).map(lambda d: d.isoformat()),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    st.text(max_size=20),
    st.sampled_from(["0001-01-01", "9999-12-31T23:59:59", "2026-01-01T00:00:00Z", 1e300]),
)
details = st.fixed_dictionaries(
    {"imageDigest": st.one_of(st.just("sha256:" + "a" * 64), st.text(max_size=10), st.integers())},
    optional={
        "imageTags": st.lists(st.one_of(st.text(max_size=8), st.integers()), max_size=3),
        "imagePushedAt": times,
        "lastRecordedPullTime": times,
        "imageStatus": st.sampled_from(["ACTIVE", "ARCHIVED", "gone"]),
        "repositoryName": st.sampled_from(["api", "web", "Bad"]),
        "subjectManifestDigest": st.just("sha256:" + "b" * 64),
    },
)
snapshots = st.one_of(
    json_values,
    st.dictionaries(st.sampled_from(["api", "web", "imageDetails"]), st.lists(details, max_size=3)),
    st.fixed_dictionaries({"imageDetails": st.lists(details, max_size=3)}),
    st.lists(st.fixed_dictionaries({"imageDetails": st.lists(details, max_size=2)}), max_size=2),
)


def project(directory: Path) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", directory / "Pulumi.yaml")
    config = {"aws:region": REGION, "ecr:environment": "dev", "ecr:services": {"api": {}}}
    (directory / "Pulumi.test.yaml").write_text(yaml.safe_dump({"config": config}))
    return directory


@FUZZ
@given(
    snapshot=snapshots,
    raw=st.one_of(st.none(), st.binary(max_size=40)),
    in_use=st.one_of(
        st.none(), st.binary(max_size=40), st.just(b"api:v1\napi@sha256:" + b"c" * 64)
    ),
    at=st.one_of(st.none(), times.map(str)),
    flags=st.lists(st.sampled_from(["--json", "--service", "api", "--service", "x"]), max_size=3),
)
def test_retention_offline_never_breaks_its_contract(snapshot, raw, in_use, at, flags):
    with tempfile.TemporaryDirectory() as name:
        directory = project(Path(name))
        images = directory / "images.json"
        images.write_bytes(raw if raw is not None else json.dumps(snapshot).encode())
        argv = ["--stack", "test", "--project-dir", str(directory), "--images", str(images)]
        if in_use is not None:
            (directory / "in-use.txt").write_bytes(in_use)
            argv += ["--in-use", str(directory / "in-use.txt")]
        if at is not None:
            argv += ["--at", at]
        call(retention.main, argv + flags, {"PATH": "/usr/bin:/bin"})


stack_files = st.one_of(
    st.binary(max_size=60),
    json_values.map(lambda v: yaml.safe_dump(v).encode()),
    st.dictionaries(
        st.sampled_from(["config", "x"]),
        st.one_of(
            json_values,
            st.dictionaries(
                st.sampled_from(["ecr:services", "aws:region", "ecr:environment"]), json_values
            ),
        ),
    ).map(lambda v: yaml.safe_dump(v).encode()),
)


@FUZZ
@given(content=stack_files)
def test_retention_takes_any_stack_file_without_a_traceback(content):
    with tempfile.TemporaryDirectory() as name:
        directory = project(Path(name))
        (directory / "Pulumi.test.yaml").write_bytes(content)
        (directory / "images.json").write_text("{}")
        argv = [
            "--stack",
            "test",
            "--project-dir",
            str(directory),
            "--images",
            str(directory / "images.json"),
        ]
        call(retention.main, argv, {"PATH": "/usr/bin:/bin"})


# --- arguments and environments against AWS ------------------------------------------------------

words = st.one_of(
    st.sampled_from(
        [
            "fileflow",
            "v1.0.0",
            "high",
            "HIGH",
            "low",
            "sha256:" + "0" * 64,
            "0",
            "-1",
            "nan",
            "1e9",
            "ap-northeast-2",
            "mars",
            "",
            "Bad Name",
        ]
    ),
    st.text(max_size=10),
)
environments = st.fixed_dictionaries(
    {},
    optional={
        "AWS_ENDPOINT_URL": st.sampled_from(
            ["not-a-url", "http://127.0.0.1:99999", "ftp://x", "http://"]
        ),
        "AWS_MAX_ATTEMPTS": st.sampled_from(["0", "x", "3", ""]),
        "AWS_REGION": st.sampled_from(["us-east-1", "mars", ""]),
        "GITHUB_STEP_SUMMARY": st.sampled_from(["/nonexistent/dir/summary.md", "/dev/full"]),
    },
)


SCAN_GATE = ["--repository", "--tag", "--digest", "--fail-on", "--timeout", "--poll", "--region"]
QUARANTINE = ["--repository", "--tag", "--digest", "--fail-on", "--region", "--notify", "--in-use"]
AUDIT = ["--region", "--fail-on"]
REPLICATION = ["--region", "--repository", "--destination", "--timeout", "--poll", "--concurrency"]


@pytest.mark.parametrize(
    ("main", "base", "flags", "switches", "documented"),
    [
        (scan_gate.main, ["--repository", "fileflow", "--tag", "v1.0.0", "--poll", "0.01"],
         SCAN_GATE, ["--json", "--require-signature"], (0, 1, 2)),
        (quarantine.main, ["--repository", "fileflow", "--tag", "v1.0.0"], QUARANTINE,
         ["--json", "--dry-run", "--all-tags", "--force", "--delete", "--yes"], (0, 1, 2, 3)),
        (command.main, [], AUDIT, ["--json", "--markdown", "--require-signature"], (0, 1, 2)),
        (replication.main, ["--poll", "0.01"], REPLICATION, ["--json", "--backfill"], (0, 1, 2)),
    ],
    ids=["scan_gate", "quarantine", "audit", "replication"],
)  # fmt: skip
def test_aws_tools_never_break_their_contract(
    moto_endpoint, main, base, flags, switches, documented
):
    """Against a registry with a repository and two tagged images (the quarantine may take them
    apart: later examples then meet a repository without them)."""
    reset(moto_endpoint)
    repository(moto_endpoint, "fileflow", kms_key(moto_endpoint))
    push(moto_endpoint, "fileflow", "v1.0.0", "a")
    push(moto_endpoint, "fileflow", "latest", "b")
    if main is replication.main:
        # Rules to read; moto has no DescribeImageReplicationStatus: the tool meets AWS errors.
        client(moto_endpoint, "ecr").put_replication_configuration(
            replicationConfiguration={
                "rules": [{"destinations": [{"region": "us-west-2", "registryId": "210987654321"}]}]
            }
        )

    @FUZZ
    @given(
        pairs=st.lists(st.tuples(st.sampled_from(flags), words), max_size=4),
        chosen=st.lists(st.sampled_from(switches), max_size=3),
        env=environments,
    )
    def check(pairs, chosen, env):
        argv = base + [x for pair in pairs for x in pair] + chosen
        call(main, argv, aws_env(moto_endpoint, **env), documented)

    check()


@FUZZ
@given(port=words, command=st.sampled_from(["down", "seed"]))
def test_local_never_breaks_its_contract(port, command):
    with tempfile.TemporaryDirectory() as name:
        env = {"PATH": "/usr/bin:/bin", "ECR_LOCAL_DIR": name, "AWS_MAX_ATTEMPTS": "1"}
        original = local.STATE, local.PID_FILE, local.BACKEND
        local.STATE, local.PID_FILE, local.BACKEND = (
            Path(name),
            Path(name) / "pid",
            Path(name) / "state",
        )
        try:
            call(local.main, [command, "--port", port], env)
        finally:
            local.STATE, local.PID_FILE, local.BACKEND = original
