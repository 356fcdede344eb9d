"""The tools against moto behind a fault-injecting proxy (tests/support/fault_proxy.py): AssumeRole
refused, a region denied, the endpoint dying mid-run, latency; and SIGINT/SIGTERM to a run against a
slow endpoint. Each case checks the truthful answer: failures isolated and reported, exit 2 only
when nothing could be done, nothing changed that was not reported, Security Hub left with exactly
the current findings ACTIVE, and an interrupt that ends within about two seconds saying what it
completed.

Named moto gaps: moto does not archive images (no ARCHIVED/ACTIVATING status, no
UpdateImageStorageClass), so the scan gate's archived path is tested with a client whose answers
we control; moto enforces no IAM, so refusals are the proxy's, shaped as AWS sends them.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from tests.support.aws_fixtures import ACCOUNT, client, push, repository
from tests.support.fault_proxy import fault_proxy
from tests.support.moto_server import REGION
from tools.preview.mock_engine import ROOT

OTHER = "us-east-1"
THIRD = "eu-west-1"
SIGNAL_BOUND = 2.5  # seconds from the signal to the exit, process teardown included


@pytest.fixture
def proxy(aws, monkeypatch):
    """A fresh moto behind the proxy; the process environment points at the proxy (in-process
    runs) and `proxy.env` is the same for subprocesses. One attempt per call: a refused or dead
    endpoint is not retried for seconds."""
    endpoint, environment = aws
    with fault_proxy(endpoint) as found:
        env = environment | {"AWS_ENDPOINT_URL": found.url, "AWS_MAX_ATTEMPTS": "1"}
        for name in [n for n in os.environ if n.startswith("AWS_")]:
            monkeypatch.delenv(name)
        for name, value in env.items():
            if name.startswith("AWS_"):
                monkeypatch.setenv(name, value)
        found.env = env  # type: ignore[attr-defined]
        found.moto = endpoint  # type: ignore[attr-defined]
        yield found


def audit(capsys, *args):
    from tools.audit import command

    code = command.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def by_hand(endpoint, name, region=REGION):
    """A repository made by hand: AES256, no Component tag (mandatory and info findings)."""
    import boto3

    ecr = boto3.client(
        "ecr",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    ecr.create_repository(repositoryName=name)


# --- the audit ------------------------------------------------------------------------------------


def test_a_denied_region_is_reported_and_the_other_region_is_audited(proxy, capsys):
    by_hand(proxy.moto, "svc")
    by_hand(proxy.moto, "svc-east", OTHER)
    proxy.faults.deny_regions = {OTHER}
    code, out, err = audit(capsys, "--region", REGION, "--region", OTHER, "--json")
    findings = json.loads(out)["findings"]
    assert code == 1, err
    unreadable = [f for f in findings if f["check"] == "ecr-live-unreadable"]
    assert unreadable and {f["region"] for f in unreadable} == {OTHER}
    assert "AccessDeniedException" in unreadable[0]["message"]
    assert {f["repository"] for f in findings if f["region"] == REGION} >= {"svc"}
    assert not [f for f in findings if f["repository"] == "svc-east"]  # never claimed as read


@pytest.mark.parametrize(
    "mode",
    [
        ["--region", OTHER, "--region", THIRD],
        ["--regions", f"{OTHER},{THIRD}"],
        ["--organization", "--role-name", "OrganizationAccountAccessRole", "--regions", OTHER],
    ],
    ids=["repeated --region", "--regions", "--organization"],
)
def test_nothing_audited_through_the_proxy_exits_2_in_every_mode(proxy, capsys, mode):
    """Every audited region denied (the home region, where STS is called, is not)."""
    from tests.support.org_fixtures import organization

    if "--organization" in mode:
        organization(proxy.moto, ["dev"])
        proxy.faults.deny_regions = {OTHER}  # every account entered, no region readable
    else:
        proxy.faults.deny_regions = {OTHER, THIRD}
    code, out, err = audit(capsys, *mode)
    assert (code, out) == (2, ""), err
    assert err.splitlines()[-1].startswith("audit: nothing could be"), err


def test_assume_role_refused_is_isolated_and_security_hub_ends_with_only_current_findings(
    proxy, capsys
):
    """An organisation of three accounts in two regions: dev refuses AssumeRole and OTHER is
    denied everywhere. The report names both and audits the rest; the export to OTHER's hub is
    refused (exit 2, named, after the report). Then the faults go: a second run closes every
    finding the first one opened that is no longer true."""
    from tests.support.org_fixtures import ROLE, member_client, member_repository, organization
    from tools.audit import security_hub
    from tools.audit.report import Finding

    accounts = organization(proxy.moto, ["dev", "prod"])
    for name in ("dev", "prod"):
        member_repository(proxy.moto, accounts[name], REGION, f"svc-{name}")
        member_repository(proxy.moto, accounts[name], OTHER, f"east-{name}")
    args = ["--organization", "--role-name", ROLE, "--regions", f"{REGION},{OTHER}"]
    args += ["--security-hub-account", ACCOUNT, "--json"]

    def active():
        found = set()
        for region in (REGION, OTHER):
            hub = member_client(proxy.moto, ACCOUNT, "securityhub", region)
            for page in hub.get_paginator("get_findings").paginate():
                found |= {
                    f["Id"]
                    for f in page["Findings"]
                    if f["Id"].startswith("ecr-guardrails-audit/") and f["RecordState"] == "ACTIVE"
                }
        return found

    proxy.faults.refuse_assume_role = {accounts["dev"]}
    proxy.faults.deny_regions = {OTHER}
    code, out, err = audit(capsys, *args)
    assert code == 2 and err.splitlines()[-1].startswith("audit: Security Hub:"), err
    findings = json.loads(out)["findings"]
    not_entered = [f for f in findings if f["check"] == "ecr-live-account-not-entered"]
    assert [f["account"] for f in not_entered] == [accounts["dev"]]
    prod = {(f["region"], f["repository"]) for f in findings if f["account"] == accounts["prod"]}
    assert (REGION, "svc-prod") in prod and (OTHER, "(region)") in prod
    assert not [f for f in findings if f["repository"].startswith("east-")]
    opened = active()
    assert (
        security_hub.finding_id(
            accounts["dev"], REGION, "(account)", "ecr-live-account-not-entered"
        )
        in opened
    )

    proxy.faults.refuse_assume_role, proxy.faults.deny_regions = set(), set()
    code, out, err = audit(capsys, *args)
    assert code == 1, err
    now = [
        Finding(**{k: f[k] for k in Finding.__dataclass_fields__})
        for f in json.loads(out)["findings"]
    ]
    expected = {security_hub.finding_id(*key) for key in security_hub.grouped(now, REGION)}
    assert active() == expected  # nothing stale: not entered, region unreadable: archived
    assert {f.repository for f in now} >= {"svc-dev", "east-dev", "east-prod"}


def test_an_endpoint_that_dies_mid_run_is_never_an_all_clear(proxy, capsys):
    for name in ("a-svc", "b-svc", "c-svc", "d-svc"):
        by_hand(proxy.moto, name)
        by_hand(proxy.moto, name, OTHER)
    code, out, err = audit(capsys, "--regions", f"{REGION},{OTHER}", "--json")
    assert code == 1, err
    requests = len(proxy.operations)
    proxy.operations.clear()
    proxy.faults.die_after = requests // 2
    code, out, err = audit(capsys, "--regions", f"{REGION},{OTHER}", "--json")
    assert code == 1, err
    unreadable = [f for f in json.loads(out)["findings"] if f["check"] == "ecr-live-unreadable"]
    assert unreadable and all("closed" in f["message"] for f in unreadable), unreadable


def test_an_organization_audit_whose_endpoint_dies_accounts_for_every_target(proxy, capsys):
    """Every account-region is either audited or reported as a failure; none is silently
    missing, and the exit is never 0."""
    from tests.support.org_fixtures import ROLE, member_repository, organization

    accounts = organization(proxy.moto, ["dev", "prod"])
    for name in ("dev", "prod"):
        member_repository(proxy.moto, accounts[name], REGION, f"svc-{name}")
    args = ["--organization", "--role-name", ROLE, "--regions", REGION, "--max-workers", "1"]
    code, out, err = audit(capsys, *args, "--json")
    assert code == 1, err
    requests = len(proxy.operations)
    proxy.operations.clear()
    proxy.faults.die_after = requests // 2
    code, out, err = audit(capsys, *args, "--json")
    assert code in (1, 2), err
    if code == 2:  # died before any region could be listed: one line, no report
        assert not out and err.splitlines()[-1].startswith("audit: nothing could be audited")
        return
    report = json.loads(out)
    audited = {(t["account"], t["region"]) for t in report["summary"]["targets"]}
    failed = {
        (f["account"], f["region"] or REGION)
        for f in report["findings"]
        if f["check"] in ("ecr-live-account-not-entered", "ecr-live-unreadable")
        and f["repository"].startswith("(")
    }
    assert audited | failed == {(a, REGION) for a in accounts.values()}, report["summary"]
    not_read = [
        f
        for f in report["findings"]
        if f["check"] in ("ecr-live-account-not-entered", "ecr-live-unreadable")
    ]
    assert not_read, "the endpoint died: something must be reported as not read"


def test_latency_changes_nothing_in_the_verdict(proxy, capsys):
    by_hand(proxy.moto, "svc")
    code, clean, _ = audit(capsys, "--region", REGION, "--json")
    proxy.faults.latency = 0.05
    code_slow, slow, err = audit(capsys, "--region", REGION, "--json")
    assert (code, json.loads(clean)["findings"]) == (code_slow, json.loads(slow)["findings"]), err


# --- retention, quarantine, the scan gate ---------------------------------------------------------


def stack(tmp_path, services):
    import shutil

    import yaml

    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    config = {"aws:region": REGION, "ecr:environment": "dev"}
    config["ecr:services"] = {name: {} for name in services}
    (tmp_path / "Pulumi.test.yaml").write_text(yaml.safe_dump({"config": config}))
    return ["--stack", "test", "--project-dir", str(tmp_path)]


def retention(capsys, *args):
    from tools import retention as tool

    code = tool.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_retention_with_its_region_denied_exits_2_and_a_dead_endpoint_is_not_judged(
    proxy, capsys, tmp_path
):
    args = stack(tmp_path, ["api", "web"])
    for name in ("api", "web"):
        repository(proxy.moto, name, None)
        push(proxy.moto, name, "v1", name[0], scan=False)
    proxy.faults.deny_regions = {REGION}
    code, out, err = retention(capsys, *args)
    assert (code, out) == (2, ""), err
    last = err.splitlines()[-1]  # after the progress lines, one line: nothing could be judged
    assert last.startswith("retention: AWS error AccessDeniedException"), err
    proxy.faults.deny_regions = set()
    proxy.operations.clear()
    code, out, err = retention(capsys, *args, "--json")
    assert code == 0, err
    # Dies right after the first DescribeImages: api is judged, web cannot be.
    proxy.faults.die_after = proxy.operations.index("DescribeImages") + 1
    proxy.operations.clear()
    code, out, err = retention(capsys, *args, "--json")
    services = {s["service"]: s for s in json.loads(out)["services"]}
    assert code == 1, err
    assert services["api"]["status"] == "judged" and services["web"]["status"] == "unreadable"
    assert "closed" in services["web"]["problem"]


def images_of(endpoint, name):
    found = client(endpoint, "ecr").describe_images(repositoryName=name)["imageDetails"]
    return {t for i in found for t in i.get("imageTags", [])}


@pytest.fixture
def releases(proxy):
    repository(proxy.moto, "fileflow", None, mutability="MUTABLE")
    push(proxy.moto, "fileflow", "v1.0.0", "1")
    push(proxy.moto, "fileflow", "v1.1.0", "2")
    return proxy


def quarantine(capsys, *args):
    from tools import quarantine as tool

    code = tool.main(["--repository", "fileflow", "--tag", "v1.1.0", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_quarantine_on_an_endpoint_that_dies_after_the_first_change_says_exactly_what(
    releases, capsys
):
    """v1.1.0 is the image's only tag: the run first tags it quarantined-..., then removes v1.1.0.
    The endpoint dies after the first change: exit 3, naming it, and ECR holds exactly that."""
    code, _, err = quarantine(capsys, "--dry-run")
    assert code in (0, 1), err
    checks = len(releases.operations)  # every read the real run makes before its first change
    releases.operations.clear()
    releases.faults.die_after = checks + 2  # BatchGetImage + PutImage: the keep step
    code, _, err = quarantine(capsys)
    assert code == 3, err
    last = err.splitlines()[-1]
    assert "could not remove the tag fileflow:v1.1.0: Connection was closed" in last, last
    assert re.search(
        r"already done: tag the image fileflow:quarantined-\S+ so that it survives$", last
    )
    tags = images_of(releases.moto, "fileflow")
    assert "v1.1.0" in tags and any(t.startswith("quarantined-") for t in tags), tags


def test_quarantine_on_a_dead_endpoint_changes_nothing(releases, capsys):
    releases.faults.die_after = 0
    code, out, err = quarantine(capsys)
    assert (code, out) == (2, "") and err.count("\n") == 1, err
    assert images_of(releases.moto, "fileflow") == {"v1.0.0", "v1.1.0"}


def test_the_scan_gate_on_a_slow_then_dead_endpoint(releases, capsys):
    from tools import scan_gate

    releases.faults.latency = 0.05
    code = scan_gate.main(["--repository", "fileflow", "--tag", "v1.0.0", "--poll", "0.1"])
    out, err = capsys.readouterr()
    assert code == 0 and "image:  ACTIVE: pullable" in out, err
    releases.faults.die_after = len(releases.operations)
    code = scan_gate.main(["--repository", "fileflow", "--tag", "v1.0.0"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "") and err.startswith("scan_gate: AWS error"), err


# --- signals against a slow endpoint --------------------------------------------------------------


def interrupt(proxy, command, wait_for, signum="SIGINT"):
    """Runs `python -m <command>` against the proxy, sends `signum` once the proxy has seen the
    operation `wait_for`; (exit code, seconds from signal to exit, stdout, stderr)."""
    process = subprocess.Popen(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        env=proxy.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proxy.seen(wait_for).wait(60), f"{wait_for} never called: {proxy.operations}"
        time.sleep(0.1)
        sent = time.monotonic()
        process.send_signal(getattr(signal, signum))
        out, err = process.communicate(timeout=15)
        took = time.monotonic() - sent
    finally:
        process.kill()
    assert "Traceback" not in err, err
    return process.returncode, took, out, err


@pytest.mark.parametrize("signum", ["SIGINT", "SIGTERM"])
def test_an_interrupted_audit_shows_the_regions_it_completed(proxy, signum):
    by_hand(proxy.moto, "svc")
    by_hand(proxy.moto, "svc-east", OTHER)
    proxy.faults.latency = 0.3
    command = ["tools.audit", "--region", REGION, "--region", OTHER]
    code, took, out, err = interrupt(proxy, command, f"DescribeRepositories@{OTHER}", signum)
    assert code == 130 and took < SIGNAL_BOUND, (took, err)
    last = err.splitlines()[-1]
    assert last.startswith("audit: interrupted: stopped; no further AWS calls were made"), last
    assert f"completed 1 of 2 regions ({REGION})" in last, last
    assert out.startswith("INTERRUPTED: partial results") and "svc" in out, out
    assert "svc-east" not in out  # what was not completed is not shown as audited


def test_an_interrupted_organization_audit_stops_and_sends_no_security_hub_batch(proxy):
    from tests.support.org_fixtures import ROLE, member_repository, organization

    accounts = organization(proxy.moto, ["dev", "prod", "test"])
    for name in ("dev", "prod", "test"):
        member_repository(proxy.moto, accounts[name], REGION, f"svc-{name}")
    proxy.faults.latency = 0.3
    command = ["tools.audit", "--organization", "--role-name", ROLE, "--regions", REGION]
    command += ["--max-workers", "1", "--security-hub-account", ACCOUNT, "--json"]
    code, took, out, err = interrupt(proxy, command, "DescribeImages")
    assert code == 130 and took < SIGNAL_BOUND, (took, err)
    last = err.splitlines()[-1]
    assert "of 4 account-regions" in last and "Security Hub" not in last, last
    assert json.loads(out)["summary"]["interrupted"] is True
    calls = len(proxy.operations)
    time.sleep(1)
    assert len(proxy.operations) == calls  # nothing further, after the exit
    assert "BatchImportFindings" not in proxy.operations and "/findings/import" not in str(
        proxy.operations
    )


def test_an_interrupted_retention_check_shows_the_services_it_judged(proxy, tmp_path):
    args = stack(tmp_path, ["api", "web"])
    for name in ("api", "web"):
        repository(proxy.moto, name, None)
    proxy.faults.latency = 0.2
    proxy.faults.slow = {"DescribeImages": 1.0}
    code, took, _, err = interrupt(proxy, ["tools.retention", *args], "DescribeImages")
    assert code == 130 and took < SIGNAL_BOUND, (took, err)
    last = err.splitlines()[-1]
    assert last.startswith("retention: interrupted") and "of 2 services" in last, last


def test_an_interrupted_quarantine_says_exactly_what_it_changed(releases):
    """The signal arrives while ECR is answering the keep step's PutImage: the step gets its answer,
    the untag is never sent, and the summary names the one change."""
    releases.faults.slow = {"PutImage": 1.0}
    command = ["tools.quarantine", "--repository", "fileflow", "--tag", "v1.1.0"]
    code, took, _, err = interrupt(releases, command, "PutImage")
    assert code == 130 and took < SIGNAL_BOUND, (took, err)
    last = err.splitlines()[-1]
    assert "changed: tag the image fileflow:quarantined-" in last, last
    assert "BatchDeleteImage" not in releases.operations
    tags = images_of(releases.moto, "fileflow")
    assert "v1.1.0" in tags and any(t.startswith("quarantined-") for t in tags), tags


def test_an_interrupted_quarantine_before_any_change_says_nothing_changed(releases):
    releases.faults.latency = 0.3
    command = ["tools.quarantine", "--repository", "fileflow", "--tag", "v1.1.0"]
    code, took, _, err = interrupt(releases, command, "DescribeImages")
    assert code == 130 and took < SIGNAL_BOUND, (took, err)
    assert err.splitlines()[-1].endswith("changed: nothing"), err
    assert images_of(releases.moto, "fileflow") == {"v1.0.0", "v1.1.0"}


def test_an_interrupted_scan_gate_says_what_it_found(releases):
    releases.faults.latency = 0.3
    command = ["tools.scan_gate", "--repository", "fileflow", "--tag", "v1.0.0"]
    code, took, _, err = interrupt(releases, command, "DescribeRepositories")
    assert code == 130 and took < SIGNAL_BOUND, (took, err)
    last = err.splitlines()[-1]
    assert last.startswith("scan_gate: interrupted"), last
