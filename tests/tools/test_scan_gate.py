"""The CI vulnerability gate, run as CI runs it, against a live moto server."""

import dataclasses
import json
import subprocess
import sys

import pytest

from tests.support.aws_fixtures import NOTARY, client, push_signature
from tests.support.moto_server import REGION
from tools.images import status_meaning
from tools.preview.mock_engine import ROOT
from tools.scan_gate import GateError, scan

MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 7,
            "digest": "sha256:" + "c" * 64,
        },
        "layers": [],
    }
)


def gate(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "tools.scan_gate", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def image(aws):
    """Repository fileflow with image v1.0.0; moto's scan of it reports one HIGH finding."""
    endpoint, env = aws
    ecr = client(endpoint, "ecr")
    ecr.create_repository(repositoryName="fileflow")
    pushed = ecr.put_image(repositoryName="fileflow", imageManifest=MANIFEST, imageTag="v1.0.0")
    return env, pushed["image"]["imageId"]["imageDigest"]


def test_passes_when_nothing_reaches_the_threshold(image):
    env, _ = image
    result = gate(env, "--repository", "fileflow", "--tag", "v1.0.0", "--poll", "0.1")
    assert result.returncode == 0, result.stderr
    assert "no scan for fileflow:v1.0.0: starting one" in result.stderr
    assert "HIGH               1" in result.stdout
    assert "gate: fail on CRITICAL or worse -> PASS" in result.stdout


def test_fails_when_a_finding_reaches_the_threshold(image):
    env, digest = image
    result = gate(
        env,
        "--repository",
        "fileflow",
        "--digest",
        digest,
        "--fail-on",
        "HIGH",
        "--poll",
        "0.1",
        "--json",
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["counts"]["HIGH"] == 1 and report["failed"] is True
    assert report["imageId"] == {"imageDigest": digest}


def test_an_existing_scan_is_reused(image):
    env, _ = image
    assert gate(env, "--repository", "fileflow", "--tag", "v1.0.0", "--poll", "0.1").returncode == 0
    again = gate(
        env, "--repository", "fileflow", "--tag", "v1.0.0", "--fail-on", "LOW", "--poll", "0.1"
    )
    assert again.returncode == 1
    assert "starting one" not in again.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # lookup errors
        (["--repository", "nope", "--tag", "v1.0.0"], "scan_gate: repository nope not found"),
        (
            ["--repository", "fileflow", "--tag", "v9.9.9"],
            "scan_gate: image fileflow:v9.9.9 not found",
        ),
        # usage errors
        (["--repository", "fileflow"], "one of the arguments --tag --digest is required"),
        (
            ["--repository", "fileflow", "--tag", "a", "--digest", "sha256:" + "0" * 64],
            "not allowed with argument",
        ),
        (["--repository", "fileflow", "--digest", "abc"], "'abc' is not sha256:<64 hex digits>"),
        (
            ["--repository", "fileflow", "--tag", "a", "--fail-on", "SEVERE"],
            "invalid choice: 'SEVERE'",
        ),
    ],
)
def test_lookup_and_usage_errors_exit_2_with_a_message(image, args, message):
    env, _ = image
    result = gate(env, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_unreachable_endpoint_is_a_one_line_error(aws):
    _, env = aws
    from tests.support.moto_server import free_port

    env = env | {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}", "AWS_MAX_ATTEMPTS": "1"}
    result = gate(env, "--repository", "fileflow", "--tag", "v1")
    assert result.returncode == 2
    assert result.stderr.startswith("scan_gate: AWS error")
    assert "Traceback" not in result.stderr


class SlowScanner:
    """ECR whose scan never finishes (or ends in `final`): for waiting and timeouts."""

    def __init__(self, final=None, after=3):
        self.calls, self.final, self.after = 0, final, after

    def describe_images(self, **_):
        return {"imageDetails": [{"imageDigest": "sha256:" + "d" * 64}]}

    def describe_repositories(self, **_):
        return {
            "repositories": [{"repositoryUri": "123456789012.dkr.ecr.r.amazonaws.com/fileflow"}]
        }

    def describe_image_scan_findings(self, **_):
        self.calls += 1
        status = self.final if self.final and self.calls > self.after else "IN_PROGRESS"
        return {"imageScanStatus": {"status": status}}


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_waits_with_progress_then_times_out():
    clock, messages = FakeClock(), []
    with pytest.raises(
        GateError, match=r"timed out after 12s waiting for the scan of fileflow:v1 \(IN_PROGRESS\)"
    ):
        scan(
            SlowScanner(),
            "fileflow",
            {"imageTag": "v1"},
            "CRITICAL",
            12,
            5,
            messages.append,
            clock,
            clock.sleep,
        )
    assert messages == [
        "waiting for the scan of fileflow:v1: IN_PROGRESS, 12s left",
        "waiting for the scan of fileflow:v1: IN_PROGRESS, 7s left",
        "waiting for the scan of fileflow:v1: IN_PROGRESS, 2s left",
    ]


def test_a_failed_scan_is_a_lookup_error():
    clock = FakeClock()
    with pytest.raises(
        GateError, match="scan of fileflow:v1 is UNSUPPORTED_IMAGE: the image type is not supported"
    ):
        scan(
            SlowScanner("UNSUPPORTED_IMAGE", 1),
            "fileflow",
            {"imageTag": "v1"},
            "HIGH",
            60,
            1,
            clock=clock,
            sleep=clock.sleep,
        )


def test_enhanced_scanning_results_count():
    class Active(SlowScanner):
        def describe_image_scan_findings(self, **_):
            return {
                "imageScanStatus": {"status": "ACTIVE"},
                "imageScanFindings": {"findingSeverityCounts": {"MEDIUM": 2}},
            }

    result = scan(Active(), "fileflow", {"imageTag": "v1"}, "MEDIUM", 60)
    assert (result.failed, result.counts["MEDIUM"]) == (True, 2)
    assert scan(Active(), "fileflow", {"imageTag": "v1"}, "HIGH", 60).failed is False


def test_the_scanned_image_is_named_by_its_digest_for_pinning(image):
    env, digest = image
    result = gate(env, "--repository", "fileflow", "--tag", "v1.0.0", "--poll", "0.1", "--json")
    report = json.loads(result.stdout)
    assert report["digest"] == digest
    assert report["reference"] == f"123456789012.dkr.ecr.{REGION}.amazonaws.com/fileflow@{digest}"
    table = gate(env, "--repository", "fileflow", "--digest", digest, "--poll", "0.1").stdout
    assert f"pin:    123456789012.dkr.ecr.{REGION}.amazonaws.com/fileflow@{digest}" in table


@pytest.mark.parametrize(
    "region_env",
    [
        {"AWS_REGION": REGION, "AWS_DEFAULT_REGION": None},  # what most CI runners set
        {"AWS_REGION": None, "AWS_DEFAULT_REGION": REGION},
    ],
)
def test_either_region_variable_or_region_flag_works(image, region_env):
    env, _ = image
    env = {k: v for k, v in (env | region_env).items() if v is not None}
    assert gate(env, "--repository", "fileflow", "--tag", "v1.0.0", "--poll", "0.1").returncode == 0
    bare = {k: v for k, v in env.items() if k not in ("AWS_REGION", "AWS_DEFAULT_REGION")}
    flagged = gate(
        bare, "--repository", "fileflow", "--tag", "v1.0.0", "--poll", "0.1", "--region", REGION
    )
    assert flagged.returncode == 0, flagged.stderr
    missing = gate(bare, "--repository", "fileflow", "--tag", "v1.0.0")
    assert (missing.returncode, missing.stderr) == (
        2,
        "scan_gate: no region: pass --region or set AWS_REGION\n",
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--poll", "nan"], ["--poll", "inf"], ["--timeout", "nan"], ["--timeout", "-1"],
        ["--timeout", "0"], ["--tag", ""], ["--tag", "v1\nrm"], ["--repository", "Bad Name"],
    ],
)  # fmt: skip
def test_numbers_must_be_finite_and_positive_and_names_valid(image, args):
    env, _ = image
    base = {"--repository": "fileflow", "--tag": "v1.0.0"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    result = gate(env, *[x for pair in base.items() for x in pair])
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"error: argument {args[0]}" in result.stderr  # names the flag


# --- signatures -----------------------------------------------------------------------------------


def test_require_signature_passes_with_a_signature_and_fails_without(image, moto_endpoint):
    """moto has no ListImageReferrers (it answers 500), so this runs the fallback that reads the
    untagged manifests' subject; the ListImageReferrers path is tested against a stub below."""
    env, digest = image
    env = env | {"AWS_MAX_ATTEMPTS": "1"}
    unsigned = gate(
        env, "--repository", "fileflow", "--tag", "v1.0.0", "--poll", "0.1", "--require-signature"
    )
    assert unsigned.returncode == 1 and "signature: UNSIGNED" in unsigned.stdout
    ecr = client(moto_endpoint, "ecr")
    signature = push_signature(ecr, digest)
    signed = gate(
        env,
        "--repository",
        "fileflow",
        "--tag",
        "v1.0.0",
        "--poll",
        "0.1",
        "--require-signature",
        "--json",
    )
    assert signed.returncode == 0, signed.stderr
    assert json.loads(signed.stdout)["signatures"] == [signature]


def test_referrers_are_read_from_ecrs_api_when_it_has_it():
    from tools.signing import signatures

    class Referrers:
        def __init__(self):
            self.calls = []

        def list_image_referrers(self, **kwargs):
            self.calls.append(kwargs)
            if "nextToken" not in kwargs:
                return {
                    "referrers": [{"digest": "sha256:s1", "artifactType": NOTARY}],
                    "nextToken": "t",
                }
            return {"referrers": [{"digest": "sha256:s2", "artifactType": NOTARY}]}

    client = Referrers()
    assert signatures(client, "fileflow", "sha256:img") == ("sha256:s1", "sha256:s2")
    assert client.calls[0]["filter"] == {"artifactTypes": [NOTARY]}
    assert client.calls[0]["subjectId"] == {"imageDigest": "sha256:img"}


class ManagedSigning:
    """A stub ECR client answering DescribeImageSigningStatus with the statuses given, one answer
    per call (the last repeats). moto has no ECR signing APIs (DescribeImageSigningStatus,
    Get/PutSigningConfiguration) nor ListImageReferrers, so the managed-signing path runs against
    this stub; the real calls stay in tools/signing.py."""

    def __init__(self, *answers, referrers=()):
        self.answers = list(answers)
        self.calls = []
        self.referrers = list(referrers)

    def describe_image_signing_status(self, **kwargs):
        self.calls.append(kwargs)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return {"repositoryName": kwargs["repositoryName"], "signingStatuses": answer}

    def list_image_referrers(self, **kwargs):
        return {"referrers": [{"digest": d, "artifactType": NOTARY} for d in self.referrers]}


PROFILE = "arn:aws:signer:ap-northeast-2:123456789012:/signing-profiles/ecr_prod"


def _status(state, **more):
    return [{"signingProfileArn": PROFILE, "status": state, **more}]


def test_managed_signing_complete_is_signed_with_the_profile_named():
    from tools.signing import SIGNED, signing_status

    stub = ManagedSigning(_status("COMPLETE"), referrers=["sha256:sig"])
    found = signing_status(stub, "fileflow", "sha256:img")
    assert (found.state, found.signatures, found.problem) == (SIGNED, ("sha256:sig",), None)
    assert PROFILE in found.detail
    assert stub.calls == [{"repositoryName": "fileflow", "imageId": {"imageDigest": "sha256:img"}}]


def test_managed_signing_in_progress_is_waited_for_within_the_bound():
    from tools.signing import SIGNED, SIGNING, signing_status

    clock = FakeClock()
    stub = ManagedSigning(_status("IN_PROGRESS"), _status("IN_PROGRESS"), _status("COMPLETE"))
    found = signing_status(stub, "fileflow", "sha256:img", 30, 5, clock=clock, sleep=clock.sleep)
    assert found.state == SIGNED and clock.now == 10 and len(stub.calls) == 3
    clock = FakeClock()
    stuck = ManagedSigning(_status("IN_PROGRESS"))
    found = signing_status(stuck, "fileflow", "sha256:img", 12, 5, clock=clock, sleep=clock.sleep)
    assert found.state == SIGNING and clock.now == 12
    assert (
        found.problem == f"ECR managed signing is still in progress (after 12s, profile {PROFILE})"
    )


def test_managed_signing_failed_names_ecrs_reason():
    from tools.signing import SIGNING_FAILED, signing_status

    failed = _status(
        "FAILED", failureCode="AccessDenied", failureReason="not authorized: signer:SignPayload"
    )
    found = signing_status(ManagedSigning(failed, referrers=["sha256:old"]), "fileflow", "sha256:i")
    assert found.state == SIGNING_FAILED
    assert found.problem == (
        "ECR managed signing FAILED: AccessDenied: not authorized: signer:SignPayload "
        f"(profile {PROFILE})"
    )


def test_without_managed_signing_the_referrers_decide():
    from tools.signing import SIGNED, UNSIGNED, signing_status

    assert signing_status(ManagedSigning([], referrers=["sha256:s"]), "r", "sha256:i").state == (
        SIGNED
    )
    unsigned = signing_status(ManagedSigning([]), "r", "sha256:i")
    assert unsigned.state == UNSIGNED
    assert unsigned.problem == "no Notation signature beside the image"


def test_the_gate_fails_on_a_failed_or_unfinished_signing_and_says_which():
    from tools.scan_gate import Result
    from tools.signing import Signing

    base = Result("fileflow", {"imageTag": "v1"}, "COMPLETE", {}, "CRITICAL", digest="sha256:i")
    for signing, reason in [
        (Signing("failed", detail="AccessDenied: no"), "ECR managed signing FAILED: AccessDenied"),
        (Signing("in progress", detail="after 120s"), "still in progress (after 120s)"),
    ]:
        result = dataclasses.replace(base, signing=signing)
        assert result.failed and reason in result.reasons[0]
        report = json.loads(result.as_json())
        assert report["signing"]["state"] == signing.state
    signed = dataclasses.replace(base, signing=Signing("signed", ("sha256:s",), "by ECR"))
    assert not signed.failed and "signature: signed (sha256:s)" in signed.as_table()


# --- what fails the gate ----------------------------------------------------------------------------


def test_the_failing_findings_and_the_failed_condition_are_named(image):
    env, _ = image
    args = ["--repository", "fileflow", "--tag", "v1.0.0", "--poll", "0.1", "--fail-on", "high"]
    result = gate(env, *args)
    assert result.returncode == 1, result.stderr
    assert (
        "findings at or above HIGH (1):\n  CVE-9999-9999  HIGH      moto_fake 9.9.9"
        in result.stdout
    )
    assert result.stdout.endswith(
        "gate: fail on HIGH or worse -> FAIL\nfailed on severity: 1 HIGH at or above HIGH\n"
    )
    report = json.loads(gate(env, *args, "--json").stdout)
    assert report["failingFindings"] == [
        {"id": "CVE-9999-9999", "severity": "HIGH", "package": "moto_fake 9.9.9"}
    ]
    assert report["reasons"] == ["severity: 1 HIGH at or above HIGH"]


def test_an_unsigned_image_fails_on_the_signature_not_the_severity(image):
    env, _ = image
    env = env | {"AWS_MAX_ATTEMPTS": "1"}  # moto answers ListImageReferrers with a 500
    result = gate(
        env, "--repository", "fileflow", "--tag", "v1.0.0", "--poll", "0.1", "--require-signature"
    )
    assert result.returncode == 1, result.stderr
    assert "gate: fail on CRITICAL or worse, or without a signature -> FAIL" in result.stdout
    assert "failed on signature: no Notation signature beside the image (required)" in result.stdout
    assert "failed on severity" not in result.stdout and "findings at or above" not in result.stdout


def test_the_table_lists_twenty_failing_findings_and_json_all_of_them():
    class Many(SlowScanner):
        def describe_image_scan_findings(self, **kwargs):
            page = int(kwargs.get("nextToken") or 0)
            found = [
                {"name": f"CVE-2026-{page * 15 + i:04d}", "severity": "CRITICAL",
                 "attributes": [{"key": "package_name", "value": "openssl"}]}
                for i in range(15)
            ]  # fmt: skip
            return {
                "imageScanStatus": {"status": "COMPLETE"},
                "imageScanFindings": {"findings": found, "findingSeverityCounts": {"CRITICAL": 30}},
                **({"nextToken": "1"} if page == 0 else {}),
            }

    result = scan(Many(), "fileflow", {"imageTag": "v1"}, "CRITICAL", 60)
    table = result.as_table()
    assert "findings at or above CRITICAL (30):" in table
    assert table.count("  CVE-2026-") == 20 and "  ... and 10 more (all of them in --json)" in table
    assert len(json.loads(result.as_json())["failingFindings"]) == 30


def test_enhanced_findings_name_the_vulnerability_and_packages():
    from tools.scan_gate import findings_of

    page = {"imageScanFindings": {"enhancedFindings": [{
        "severity": "HIGH", "title": "CVE-2026-1 - libc",
        "packageVulnerabilityDetails": {"vulnerabilityId": "CVE-2026-1", "vulnerablePackages": [
            {"name": "glibc", "version": "2.36"}, {"name": "libc-bin", "version": "2.36"}]},
    }]}}  # fmt: skip
    (found,) = findings_of(page)
    assert (found.id, found.severity, found.package) == (
        "CVE-2026-1",
        "HIGH",
        "glibc 2.36, libc-bin 2.36",
    )


def test_fail_on_is_documented_with_its_default():
    result = subprocess.run(
        [sys.executable, "-m", "tools.scan_gate", "--help"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "--fail-on SEVERITY" in result.stdout
    text = " ".join(result.stdout.split())
    assert "one of CRITICAL, HIGH, MEDIUM, LOW, any case (default CRITICAL)" in text


# --- archived images (moto gap: moto has no image archive, no imageStatus and no
# UpdateImageStorageClass, so these answers are ones we control) ----------------------------------


class Archive(SlowScanner):
    """ECR holding the image in the archive: DescribeImages finds it only with imageStatus ANY."""

    def __init__(self, status, scanned=True):
        super().__init__()
        self.status, self.scanned, self.asked = status, scanned, []

    def describe_images(self, **kwargs):
        self.asked.append(kwargs)
        if (kwargs.get("filter") or {}).get("imageStatus") not in ("ANY", self.status):
            from botocore.exceptions import ClientError

            error = {"Error": {"Code": "ImageNotFoundException", "Message": "not found"}}
            raise ClientError(error, "DescribeImages")
        return {"imageDetails": [{"imageDigest": "sha256:" + "d" * 64, "imageStatus": self.status}]}

    def describe_image_scan_findings(self, **_):
        if not self.scanned:
            from botocore.exceptions import ClientError

            error = {"Error": {"Code": "ScanNotFoundException", "Message": "no scan"}}
            raise ClientError(error, "DescribeImageScanFindings")
        return {
            "imageScanStatus": {"status": "COMPLETE"},
            "imageScanFindings": {"findingSeverityCounts": {"LOW": 1}},
        }

    def start_image_scan(self, **_):
        raise AssertionError("ECR scans only ACTIVE images: no scan may be started")


@pytest.mark.parametrize("status", ["ARCHIVED", "ACTIVATING"])
def test_an_archived_or_activating_image_is_found_reported_apart_and_fails_the_gate(status):
    ecr = Archive(status)
    result = scan(ecr, "fileflow", {"imageTag": "v1"}, "CRITICAL", 60)
    assert ecr.asked[0]["filter"] == {"imageStatus": "ANY"}
    assert result.image_status == status and result.failed
    assert result.reasons == [f"image status: {status_meaning(status)}"]
    assert "not pullable" in result.reasons[0]
    assert json.loads(result.as_json())["imageStatus"] == status
    assert f"image:  {status}" in result.as_table() and "-> FAIL" in result.as_table()


def test_an_active_image_passes_with_its_status_shown():
    result = scan(Archive("ACTIVE"), "fileflow", {"imageTag": "v1"}, "CRITICAL", 60)
    assert (result.image_status, result.failed) == ("ACTIVE", False)
    assert "image:  ACTIVE: pullable" in result.as_table()


def test_an_archived_image_without_a_scan_is_not_scanned_and_says_why():
    with pytest.raises(GateError, match="fileflow:v1 is ARCHIVED and has no scan; ECR scans only"):
        scan(Archive("ARCHIVED", scanned=False), "fileflow", {"imageTag": "v1"}, "HIGH", 60)


def test_an_unknown_image_status_is_refused_not_taken_as_active():
    with pytest.raises(GateError, match="imageStatus 'FROZEN' is not one of ACTIVE, ARCHIVED"):
        scan(Archive("FROZEN"), "fileflow", {"imageTag": "v1"}, "HIGH", 60)
