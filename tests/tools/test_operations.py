"""Issue 25: every tool reads every image reference and every image ECR stores (archived ones
too), and judges lifecycle policies with ECR's own evaluation (lifecycle_eval) everywhere.

moto has no archive support (DescribeImages ignores `filter.imageStatus` and no image is ever
ARCHIVED), so the archived paths run against data we control: `imageDetails` entries carrying
`imageStatus`, and a recording client that checks the real call asks for `imageStatus: ANY`."""

import datetime
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.lifecycle import Retention, lifecycle_policy
from components.settings import RepositorySettings
from tests.support.aws_fixtures import ACCOUNT, client, kms_key, push, repository
from tests.support.moto_server import REGION
from tools.audit import checks
from tools.audit.report import Finding
from tools.aws import all_images
from tools.cli import ToolError
from tools.images import ImageReferenceError, parse_image
from tools.retention import judge
from tools.usage import Use, from_file

NOW = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)
DIGEST = "sha256:" + "a" * 64

# --- one image-reference parser ------------------------------------------------------------------

HOSTS = {
    "standard": "{a}.dkr.ecr.{r}.amazonaws.com",
    "fips": "{a}.dkr.ecr-fips.{r}.amazonaws.com",
    "china": "{a}.dkr.ecr.{r}.amazonaws.com.cn",
    "dual-stack": "{a}.dkr-ecr.{r}.on.aws",
    "dual-stack fips": "{a}.dkr-ecr-fips.{r}.on.aws",
    "dual-stack china": "{a}.dkr-ecr.{r}.on.amazonwebservices.com.cn",
}
REGIONS = ("us-east-1", "ap-northeast-2", "us-gov-west-1", "cn-north-1", "eu-central-2")

_segment = st.from_regex(r"[a-z0-9]{1,6}(?:[._-][a-z0-9]{1,4}){0,2}", fullmatch=True)
repositories = st.lists(_segment, min_size=1, max_size=3).map("/".join)
tags = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)
digests = st.from_regex(r"[0-9a-f]{64}", fullmatch=True).map(lambda h: f"sha256:{h}")
accounts = st.from_regex(r"[0-9]{12}", fullmatch=True)


@given(
    host=st.sampled_from(sorted(HOSTS.values())),
    account=accounts,
    region=st.sampled_from(REGIONS),
    repo=repositories,
    tag=st.none() | tags,
    digest=st.none() | digests,
    upper=st.booleans(),
)
def test_every_documented_ecr_reference_form_parses_to_its_parts(
    host, account, region, repo, tag, digest, upper
):
    registry = host.format(a=account, r=region)
    registry = registry.upper() if upper else registry  # DNS names are case-insensitive
    reference = f"{registry}/{repo}" + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
    parsed = parse_image(reference)
    assert parsed is not None
    assert (parsed.account, parsed.region, parsed.repository, parsed.digest) == (
        account,
        region,
        repo,
        digest,
    )
    # No tag and no digest is what a pull takes: `latest`.
    assert parsed.tag == (tag or (None if digest else "latest"))


@given(
    host=st.sampled_from(sorted(HOSTS.values())),
    repo=repositories,
    junk=st.sampled_from([":", ":bad tag", "@sha256:xyz", "@md5:" + "a" * 32, ":-x", "/", "//x"]),
)
def test_a_malformed_reference_to_an_ecr_registry_is_an_error_never_a_skip(host, repo, junk):
    with pytest.raises(ImageReferenceError):
        parse_image(f"{host.format(a=ACCOUNT, r=REGION)}/{repo}{junk}")


@pytest.mark.parametrize(
    "reference",
    [
        f"{ACCOUNT}.dkr-ecr.{REGION}.amazonaws.com/api:v1",  # dual-stack label, IPv4 domain
        f"{ACCOUNT}.dkr.ecr.{REGION}.on.aws/api:v1",  # IPv4 label, dual-stack domain
        f"1234.dkr.ecr.{REGION}.amazonaws.com/api:v1",  # not a 12-digit account
        f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/API:v1",  # repository names are lowercase
    ],
)
def test_a_host_that_claims_ecr_but_is_not_one_is_refused(reference):
    with pytest.raises(ImageReferenceError, match="not"):
        parse_image(reference)


@pytest.mark.parametrize(
    "reference",
    ["docker.io/library/nginx:1.27", "public.ecr.aws/nginx/nginx:latest", "ghcr.io/o/r@" + DIGEST],
)
def test_images_of_other_registries_are_not_this_registrys(reference):
    assert parse_image(reference) is None


def test_pull_through_cache_and_tag_plus_digest_references():
    parsed = parse_image(
        f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/docker-hub/library/nginx:1.27@{DIGEST}"
    )
    assert parsed is not None
    assert (parsed.repository, parsed.tag, parsed.digest) == (
        "docker-hub/library/nginx",
        "1.27",
        DIGEST,
    )


def test_an_in_use_line_in_the_dual_stack_form_is_read_and_a_bad_one_names_its_line(tmp_path):
    listed = tmp_path / "in-use.txt"
    listed.write_text(
        f"# deployed\n{ACCOUNT}.dkr-ecr.{REGION}.on.aws/fileflow:v1.2.0\ndocker.io/library/nginx:1\n"
    )
    (use,) = from_file(str(listed))
    assert (use.repository, use.tag, use.account, use.region, use.user) == (
        "fileflow",
        "v1.2.0",
        ACCOUNT,
        REGION,
        "in-use.txt:2",
    )
    listed.write_text(f"fileflow:v1\n{ACCOUNT}.dkr-ecr.{REGION}.on.aws/fileflow:v1 2\n")
    with pytest.raises(ToolError, match=r"in-use.txt:2: .*tag"):
        from_file(str(listed))


def detail(digest, tags, days_ago, status=None, pulled_days_ago=None):
    found = {
        "imageDigest": digest,
        "imageTags": tags,
        "imagePushedAt": NOW - datetime.timedelta(days=days_ago),
        "registryId": ACCOUNT,
    }
    if status:
        found["imageStatus"] = status
    if pulled_days_ago is not None:
        found["lastRecordedPullTime"] = NOW - datetime.timedelta(days=pulled_days_ago)
    return found


def service(**retention):
    return RepositorySettings("fileflow", "MUTABLE", True, Retention(**retention))


def test_retention_blocks_an_image_a_dual_stack_reference_uses(tmp_path):
    """The issue's case: v1.2.0 referenced through the dual-stack endpoint would expire."""
    listed = tmp_path / "in-use.txt"
    listed.write_text(f"{ACCOUNT}.dkr-ecr.{REGION}.on.aws/fileflow:v1.2.0\n")
    details = [detail(f"sha256:{i}", [f"v1.{i}.0"], 10 - i) for i in range(2, 6)]
    verdict = judge(service(keep_release_images=1), details, from_file(str(listed)), NOW, ACCOUNT)
    assert [(b["tags"], b["usedBy"]) for b in verdict.blocked] == [(["v1.2.0"], ["in-use.txt:1"])]


# --- archived images -----------------------------------------------------------------------------


class Recording:
    """An ECR client that records DescribeImages' arguments and answers with given pages (moto
    ignores `filter.imageStatus`, so it cannot tell whether archived images were asked for)."""

    def __init__(self, images):
        self.images, self.calls = images, []

    def get_paginator(self, operation):
        assert operation == "describe_images"
        recording = self

        class Paginator:
            def paginate(self, **kwargs):
                recording.calls.append(kwargs)
                return [{"imageDetails": recording.images}]

        return Paginator()


def test_every_tool_asks_ecr_for_archived_and_activating_images_too():
    from tools.audit.reads import Registry
    from tools.quarantine import Quarantine
    from tools.retention import repository_images

    ecr = Recording([detail(DIGEST, ["v1"], 1, "ARCHIVED")])
    assert repository_images(ecr, "fileflow") == ecr.images

    class OneClient:
        region = REGION

        def client(self, _):
            return ecr

    assert Registry(OneClient()).images("fileflow") == ecr.images  # type: ignore[arg-type]
    assert Quarantine(OneClient(), "fileflow", "HIGH").images() == ecr.images  # type: ignore[arg-type]
    assert ecr.calls == [{"repositoryName": "fileflow", "filter": {"imageStatus": "ANY"}}] * 3


def test_the_call_with_the_status_filter_is_one_ecr_accepts(aws):
    """botocore validates `filter.imageStatus: ANY` against the locked model; moto answers it."""
    endpoint, _ = aws
    repository(endpoint, "fileflow", kms_key(endpoint))
    digest = push(endpoint, "fileflow", "v1", "1", scan=False)
    ecr = client(endpoint, "ecr")
    assert [i["imageDigest"] for i in all_images(ecr, "fileflow")] == [digest]


def test_retention_counts_the_archive_apart_and_judges_ecrs_rules_on_it():
    details = [
        detail("sha256:new", ["v3"], 1, pulled_days_ago=1),
        detail("sha256:idle", ["build-7"], 200, pulled_days_ago=100),
        detail("sha256:cold", ["v1"], 400, "ARCHIVED"),
        detail("sha256:waking", ["v0"], 500, "ACTIVATING"),
    ]
    uses = [Use("fileflow", "v1", None, None, None, "ECS service web")]
    verdict = judge(service(keep_release_images=10, archive_after_days=30), details, uses, NOW)
    assert verdict.statuses == {"ACTIVE": 2, "ARCHIVED": 1, "ACTIVATING": 1}
    assert verdict.images == 4
    # The transition rule takes the idle ACTIVE image, never the one already in the archive.
    assert [(a["digest"], a["storageClass"]) for a in verdict.archive] == [
        ("sha256:idle", "standard")
    ]


def test_an_unknown_image_status_is_refused_not_counted():
    with pytest.raises(ToolError, match="imageStatus 'FROZEN'"):
        judge(service(), [detail(DIGEST, ["v1"], 1, "FROZEN")], [], NOW)


def seen():
    return checks.Seen("fileflow", REGION, {"registryId": ACCOUNT}, {})


def test_the_audit_names_archived_images_it_leaves_out_and_fails_one_in_use():
    stored = [
        detail("sha256:live", ["v3"], 1),
        detail("sha256:cold", ["v2"], 90, "ARCHIVED"),
        detail("sha256:waking", ["v1"], 120, "ACTIVATING"),
    ]
    uses = [Use("fileflow", "v2", None, None, None, "ECS task definition web:4")]
    active, findings = checks.active_images(seen(), stored, uses)
    assert [i["imageDigest"] for i in active] == ["sha256:live"]
    assert [(f.check, f.level) for f in findings] == [
        ("ecr-live-image-not-active", "mandatory"),
        ("ecr-live-image-not-active", "info"),
    ]
    assert "used by ECS task definition web:4: its pull fails" in findings[0].message
    assert "sha256:waking (v1) left out of the scan and signature checks: ACTIVATING" in (
        findings[1].message
    )


# --- one lifecycle evaluator ---------------------------------------------------------------------


def policy_text(*rules):
    return json.dumps({"rules": list(rules)})


def keep(priority, count, **selection):
    return {
        "rulePriority": priority,
        "action": {"type": "expire"},
        "selection": {"countType": "imageCountMoreThan", "countNumber": count, **selection},
    }


def test_the_audit_requires_every_prefix_as_ecr_does_no_false_lifecycle_finding():
    """A rule with prefixes [v, prod] takes only images carrying both; the audit's old matcher
    took any prefix and called the policy broken."""
    text = policy_text(keep(1, 1, tagStatus="tagged", tagPrefixList=["v", "prod"]))
    images = [detail(f"sha256:{i}", [f"v{i}"], 10 + i) for i in range(3)]
    assert checks.lifecycle_problems(text, images, NOW) == []
    images.append(detail("sha256:both", ["v9", "prod-9"], 30))
    images.append(detail("sha256:both2", ["v8", "prod-8"], 40))
    (problem,) = checks.lifecycle_problems(text, images, NOW)
    assert "rule 1 should have expired 1 images" in problem and "sha256:both2" in problem


def test_the_audit_reads_pattern_and_pull_age_rules():
    text = policy_text(
        {
            "rulePriority": 1,
            "action": {"type": "expire"},
            "selection": {
                "tagStatus": "tagged",
                "tagPatternList": ["pr-*"],
                "countType": "sinceImagePulled",
                "countUnit": "days",
                "countNumber": 7,
            },
        }
    )
    images = [
        detail("sha256:pulled", ["pr-1"], 60, pulled_days_ago=2),
        detail("sha256:idle", ["pr-2"], 60, pulled_days_ago=30),
        detail("sha256:release", ["v1"], 60, pulled_days_ago=30),
    ]
    (problem,) = checks.lifecycle_problems(text, images, NOW)
    assert "sha256:idle (pr-2)" in problem and "pulled" not in problem.split("still here")[1]


def test_the_live_in_use_check_and_the_retention_check_agree_on_the_same_data():
    """The same policy (keep 1 `v*`), images and users: the retention check's blocked images are
    exactly the audit's ecr-live-lifecycle-in-use findings."""
    settings = service(keep_release_images=1)
    text = json.dumps(lifecycle_policy(settings.retention))
    details = [detail(f"sha256:{i}", [f"v{i}"], 10 - i) for i in range(1, 5)]
    uses = [
        Use("fileflow", "v2", None, ACCOUNT, REGION, "ECS task definition web:7"),
        Use("fileflow", None, "sha256:1", None, None, "Lambda function api"),
        Use("fileflow", "v4", None, None, None, "in-use.txt:1"),
    ]
    blocked = {b["digest"] for b in judge(settings, details, uses, NOW, ACCOUNT).blocked}
    problems = checks.lifecycle_takes_in_use("fileflow", text, details, uses, ACCOUNT, NOW)
    assert blocked == {"sha256:1", "sha256:2"}
    assert {p.split("@")[1].split(" ")[0] for p in problems} == blocked
    assert any("used by Lambda function api, but lifecycle rule" in p for p in problems)


def test_the_new_check_is_mapped_to_controls():
    from policy.ecr_guardrails.controls import controls_of

    assert controls_of(checks.LIFECYCLE_IN_USE.id).aws_fix
    assert checks.NOT_ACTIVE.controls.aws_fix
    assert isinstance(Finding("r", checks.LIFECYCLE_IN_USE.id, "mandatory", "m", REGION), Finding)


# --- exit codes: "nothing could be audited" is 2 in every mode ------------------------------------

OTHER = "us-east-1"


@pytest.fixture
def deny_listing(monkeypatch):
    """DescribeRepositories refused in every region (moto enforces no IAM: injected at botocore)."""
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    original = BaseClient._make_api_call

    def call(self, operation, params):
        if operation == "DescribeRepositories":
            error = {"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}
            raise ClientError(error, operation)
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", call)


def audit(capsys, *args):
    from tools.audit import command

    code = command.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "mode",
    [
        ["--region", REGION, "--region", OTHER],
        ["--regions", f"{REGION},{OTHER}"],
        ["--organization", "--role-name", "OrganizationAccountAccessRole", "--regions", REGION],
    ],
    ids=["repeated --region", "--regions", "--organization"],
)
def test_nothing_could_be_audited_exits_2_in_every_mode(env, deny_listing, capsys, mode):
    from tests.support.org_fixtures import organization

    if "--organization" in mode:
        organization(env, ["dev"])
    code, out, err = audit(capsys, *mode)
    assert code == 2 and not out
    last = err.splitlines()[-1]  # progress lines come first; the verdict is one line
    assert last.startswith("audit: nothing could be") and "AccessDeniedException" in last, err


@pytest.mark.parametrize("blank", ["", " ", ", ,"])
def test_an_empty_regions_list_is_refused_not_replaced_by_aws_region(env, capsys, blank):
    """Blank: refused with every other blank flag (tools/cli.py's `parse`, exit 2 as argparse
    does); a list of nothing but separators: refused by the regions grammar."""
    try:
        code, out, err = audit(capsys, "--regions", blank)
    except SystemExit as exited:
        (out, err), code = capsys.readouterr(), exited.code
    assert code == 2 and not out
    assert "--regions" in err and ("name regions" in err or "is empty" in err), err
    assert err.count("\n") == 1, err


# --- duplicate keys are refused, naming key and place ---------------------------------------------


def test_a_snapshot_with_a_repository_twice_is_refused_not_read_as_the_last(tmp_path):
    """The issue's case: 35 images, then `"fileflow": []`, was judged as 0 images."""
    from tools.inputs import images_snapshot

    image = {"imageDigest": DIGEST, "imagePushedAt": "2026-01-01T00:00:00Z"}
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(f'{{"fileflow": [{json.dumps(image)}], "fileflow": []}}')
    with pytest.raises(ToolError, match=r"key 'fileflow' appears twice in the object at \(top"):
        images_snapshot(str(snapshot))
    snapshot.write_text(
        json.dumps({"fileflow": [{"imageDigest": DIGEST}]})[:-3]
        + ', "imagePushedAt": 1, "imagePushedAt": 2}]}'
    )
    with pytest.raises(
        ToolError, match=r"'imagePushedAt' appears twice in the object at fileflow\[0\]"
    ):
        images_snapshot(str(snapshot))


def test_a_policy_config_with_a_key_twice_is_refused(tmp_path):
    from tools.audit.pack import PackConfig

    config = tmp_path / "config.json"
    config.write_text('{"all": "mandatory", "all": "advisory"}')
    with pytest.raises(ToolError, match=r"--policy-config .*key 'all' appears twice"):
        PackConfig.load(str(config))


def test_a_stack_file_or_answers_file_with_a_key_twice_is_refused_naming_the_line(tmp_path):
    import shutil

    from tools.preview.answers import read_answers
    from tools.preview.mock_engine import ROOT
    from tools.preview.stack_file import StackFileError, engine_config

    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.test.yaml").write_text(
        "config:\n  aws:region: ap-northeast-2\n  ecr:environment: dev\n  ecr:environment: prod\n"
    )
    with pytest.raises(StackFileError, match=r"key 'ecr:environment' appears twice.*line 4"):
        engine_config("test", root=tmp_path)
    answers = tmp_path / "answers.yaml"
    answers.write_text("accountId: '111111111111'\naccountId: '222222222222'\n")
    with pytest.raises(ToolError, match=r"--answers .*key 'accountId' appears twice.*line 2"):
        read_answers(str(answers), [])


# --- Security Hub closes what it opened ----------------------------------------------------------


def test_security_hub_closes_an_account_finding_filed_under_aws_region_outside_regions(
    env, capsys, monkeypatch
):
    """The issue's case: AWS_REGION (ap-northeast-2) is not in --regions (us-east-1). A finding
    for an account that could not be entered is filed under us-east-1 now; one an earlier version
    filed under AWS_REGION is archived once the account is entered again."""
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    from tests.support.org_fixtures import ROLE, member_client, member_repository, organization
    from tools.audit import security_hub

    accounts = organization(env, ["dev"])
    dev = accounts["dev"]
    member_repository(env, dev, OTHER, "svc-dev")
    refused: set[str] = set()
    original = BaseClient._make_api_call

    def call(self, operation, params):
        if operation == "AssumeRole" and params["RoleArn"].split(":")[4] in refused:
            error = {"Error": {"Code": "AccessDenied", "Message": "not authorized"}}
            raise ClientError(error, operation)
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    args = ("--organization", "--role-name", ROLE, "--regions", OTHER)
    args += ("--security-hub-account", ACCOUNT)  # dev's own hub cannot be reached while refused

    def ours(_, region, state="ACTIVE"):
        found = member_client(env, ACCOUNT, "securityhub", region).get_findings(MaxResults=100)
        return {
            f["Id"]
            for f in found["Findings"]
            if f["Id"].startswith(f"ecr-guardrails-audit/{dev}/") and f["RecordState"] == state
        }

    refused.add(dev)  # the audit cannot enter dev (the test's own reads still can)
    code, _, err = audit(capsys, *args)
    refused.clear()
    not_entered = security_hub.finding_id(dev, OTHER, "(account)", "ecr-live-account-not-entered")
    assert code == 1, err
    assert ours(dev, OTHER) == {not_entered}  # filed where the run audits, not under AWS_REGION
    assert ours(dev, REGION) == set()
    # What the earlier version left: the same finding under AWS_REGION.
    stale = security_hub.finding_id(dev, REGION, "(account)", "ecr-live-account-not-entered")
    old = member_client(env, ACCOUNT, "securityhub", REGION)
    old.batch_import_findings(
        Findings=[
            {
                "SchemaVersion": "2018-10-08",
                "Id": stale,
                "ProductArn": security_hub.product_arn(REGION, ACCOUNT),
                "GeneratorId": "ecr-live-account-not-entered",
                "AwsAccountId": ACCOUNT,
                "Types": ["Software and Configuration Checks"],
                "CreatedAt": "2026-01-01T00:00:00Z",
                "UpdatedAt": "2026-01-01T00:00:00Z",
                "Severity": {"Label": "HIGH"},
                "Title": "t",
                "Description": "d",
                "Resources": [{"Type": "AwsAccount", "Id": f"AWS::::Account:{dev}"}],
                "RecordState": "ACTIVE",
            }
        ]
    )
    code, _, err = audit(capsys, *args)
    assert not_entered in ours(dev, OTHER, "ARCHIVED")
    assert ours(dev, REGION) == set() and ours(dev, REGION, "ARCHIVED") == {stale}, err


# --- interrupts ----------------------------------------------------------------------------------


@pytest.fixture
def silent_endpoint():
    """An endpoint that accepts connections and never answers: a run is always mid-call."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted = threading.Event()
    held = []

    def serve():
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            held.append(connection)
            accepted.set()

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", accepted
    server.close()
    for connection in held:
        connection.close()


@pytest.mark.parametrize("signum", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize(
    "command",
    [
        ["tools.audit", "--region", REGION, "--region", OTHER],
        ["tools.audit", "--regions", f"{REGION},{OTHER}"],
        ["tools.quarantine", "--repository", "fileflow", "--tag", "v1", "--region", REGION],
    ],
    ids=["audit", "audit --regions", "quarantine"],
)
def test_a_signal_stops_the_tool_within_two_seconds_with_exit_130(silent_endpoint, signum, command):
    import os
    import signal
    import subprocess
    import sys
    import time

    from tools.preview.mock_engine import ROOT

    endpoint, accepted = silent_endpoint
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_MAX_ATTEMPTS": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert accepted.wait(60), "the tool never called AWS"
        time.sleep(0.3)
        sent = time.monotonic()
        process.send_signal(getattr(signal, signum))
        _, err = process.communicate(timeout=10)
        took = time.monotonic() - sent
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert took < 2.5, f"took {took:.1f}s"
    assert "interrupted" in err.splitlines()[-1] and "Traceback" not in err, err


def test_after_an_interrupt_no_client_makes_another_call(aws, monkeypatch):
    from tools import cli
    from tools.aws import Aws

    _, env = aws
    for name, value in env.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    ecr = Aws(REGION).client("ecr")
    ecr.describe_repositories()
    monkeypatch.setattr(cli.STOP, "is_set", lambda: True)
    with pytest.raises(KeyboardInterrupt, match="interrupted"):
        ecr.describe_repositories()
