"""The live audit against a moto server: every rule of the pack and every live check, the same
verdicts as the pack for the same properties, exit codes and output shapes."""

import datetime
import json
import subprocess
import sys

import pytest
from pulumi_policy import StackValidationArgs, StackValidationPolicy

from policy.ecr_guardrails.policies import REPOSITORY_RULES
from policy.ecr_guardrails.rules_repository import Context, is_production
from tests.support.aws_fixtures import (
    ACCOUNT,
    GOVERNANCE,
    client,
    kms_key,
    push,
    repository,
    task_definition,
)
from tests.support.moto_server import REGION
from tests.support.policy_harness import policy as pack_policy
from tests.support.policy_harness import resource_args, stack_resource, violations
from tools.audit import checks, reads
from tools.audit.pack import PackConfig, judged
from tools.aws import Aws
from tools.cli import ToolError
from tools.preview.mock_engine import ROOT


def run_audit(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "tools.audit", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


OPEN_POLICY = json.dumps(
    {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}]}
)
CROSS = json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
                                   "Action": "ecr:BatchGetImage"}]})  # fmt: skip


@pytest.fixture
def registry(aws):
    endpoint, env = aws
    good, lazy = kms_key(endpoint), kms_key(endpoint, rotation=False)
    repository(endpoint, "compliant", good)
    repository(endpoint, "aes", None)
    repository(endpoint, "scan-off", good, scan_on_push=False)
    repository(endpoint, "mutable-prod", good, mutability="MUTABLE")
    repository(endpoint, "untagged", good, tags={"Component": "container-registry"})
    repository(endpoint, "open", good, policy=OPEN_POLICY)
    repository(endpoint, "shared", good, policy=CROSS)
    repository(endpoint, "no-lifecycle", good, lifecycle=None)
    repository(endpoint, "lazy-key", lazy)
    repository(
        endpoint,
        "console-made",
        good,
        tags={k: v for k, v in GOVERNANCE.items() if k != "Component"} | {"Service": "x"},
    )
    # Images: compliant's newest release is scanned (moto: one HIGH finding); an old image of
    # "aes" is what an ACTIVE task definition runs; "scan-off" has an unscanned release.
    push(endpoint, "compliant", "v1.0.0", "a")
    old = push(endpoint, "aes", "v0.9.0", "b")
    push(endpoint, "aes", "v1.0.0", "c", scan=False)
    push(endpoint, "scan-off", "v2.0.0", "d", scan=False)
    task_definition(endpoint, f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/aes@{old}")
    return endpoint, env


def by_repository(findings):
    found = {}
    for f in findings:
        found.setdefault(f["repository"], set()).add((f["check"], f["level"]))
    return found


def test_every_rule_and_live_check_is_reported(registry):
    endpoint, env = registry
    # Basic scan-on-push for team-* only: every other repository becomes manual.
    client(endpoint, "ecr").put_registry_scanning_configuration(
        scanType="BASIC",
        rules=[{"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "team-*", "filterType": "WILDCARD"}]}],
    )  # fmt: skip
    result = run_audit(env, "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    found = by_repository(report["findings"])
    assert ("ecr-repository-require-kms-cmk", "mandatory") in found["aes"]
    assert ("ecr-repository-require-scan-on-push", "mandatory") in found["scan-off"]
    assert ("ecr-repository-immutable-tags-in-production", "mandatory") in found["mutable-prod"]
    assert ("ecr-repository-required-tags", "mandatory") in found["untagged"]
    assert ("ecr-repository-policy-least-privilege", "mandatory") in found["open"]
    assert ("ecr-stack-repositories-have-lifecycle-policy", "mandatory") in found["no-lifecycle"]
    assert ("ecr-live-key-rotation", "mandatory") in found["lazy-key"]
    assert found["console-made"] == {("ecr-live-unmanaged", "info")}
    # Another account in the policy: listed for the review, and (the allowlist empty: only the
    # audited account is allowed) a least-privilege violation.
    assert found["shared"] == {
        ("ecr-live-cross-account", "info"),
        ("ecr-repository-policy-least-privilege", "mandatory"),
    }
    assert ("ecr-live-image-findings", "mandatory") in found["compliant"]  # moto: one HIGH
    messages = {f["message"] for f in report["findings"] if f["repository"] == "aes"}
    assert any("used by ECS task definition svc:1" in m and "HIGH" in m for m in messages), messages
    assert ("ecr-live-image-not-scanned", "advisory") in found["scan-off"]
    assert report["summary"]["repositories"] == 10 and report["summary"]["failed"] is True
    # The registry's scanning gap is a finding of the (mandatory) scanning rule.
    assert any(
        f["check"] == "ecr-repository-require-scan-on-push"
        and f["message"].startswith("Registry scanning configuration")
        for f in report["findings"]
    )


def test_the_audit_and_the_pack_agree_on_the_same_properties(registry, monkeypatch):
    """One rule set, two adapters: the repositories read from AWS, judged by the audit and by the
    pack's CrossGuard policies, get the same verdicts."""
    _, env = registry
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reg = reads.Registry(Aws(REGION))
    config = PackConfig.load(None)
    for repo in reg.repositories():
        tags = reg.tags(repo["repositoryArn"])
        key = (repo.get("encryptionConfiguration") or {}).get("kmsKey")
        props = reads.repository_props(repo, tags, managed=bool(key) and reg.key(key)[0] == "AWS")
        args = resource_args("aws:ecr/repository:Repository", props, stack="audit")
        # Scan on push is a stack policy (a registry scanning configuration of the stack may
        # cover a repository): the pack judges a stack of this one repository.
        stack = StackValidationArgs([stack_resource("aws:ecr/repository:Repository", props, "r")])
        pack = {
            name
            for name in REPOSITORY_RULES
            if violations(
                name, stack if isinstance(pack_policy(name), StackValidationPolicy) else args
            )
        }
        audited = set()
        for policy, (rule, production_matters) in REPOSITORY_RULES.items():
            production = production_matters and is_production(tags, None, {})
            problems = rule(props, Context(production=production))
            audited |= {f.check for f in judged(policy, config, "x", problems, REGION)}
        assert audited == pack, repo["repositoryName"]
        assert pack or repo["repositoryName"] in {"compliant", "open", "shared", "no-lifecycle",
                                                  "lazy-key", "console-made"}  # fmt: skip


SOON = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()


def test_exemptions_and_levels_come_from_the_policy_config(registry, tmp_path):
    _, env = registry
    config = tmp_path / "org.json"
    config.write_text(json.dumps({
        "ecr-repository-require-kms-cmk": {"exemptions": [{"repository": "aes", "stacks": ["*"], "reason": "legacy",
                                                           "expires": SOON}]},
        "ecr-repository-require-scan-on-push": {"enforcementLevel": "advisory"},
    }))  # fmt: skip
    report = json.loads(run_audit(env, "--json", "--policy-config", str(config)).stdout)
    found = by_repository(report["findings"])
    # Waived: advisory, as the pack's exemption notes are, with the reason; not mandatory.
    assert ("ecr-repository-require-kms-cmk", "advisory") in found["aes"]
    assert ("ecr-repository-require-kms-cmk", "mandatory") not in found["aes"]
    (waived,) = [
        f
        for f in report["findings"]
        if f["repository"] == "aes" and f["check"] == "ecr-repository-require-kms-cmk"
    ]
    assert "waived by the exemption" in waived["message"] and "legacy" in waived["message"]
    assert ("ecr-repository-require-scan-on-push", "advisory") in found["scan-off"]


def test_a_clean_registry_passes_and_writes_the_job_summary(aws, tmp_path):
    endpoint, env = aws
    key = kms_key(endpoint)
    repository(endpoint, "fileflow", key)
    client(endpoint, "ecr").put_registry_scanning_configuration(
        scanType="BASIC",
        rules=[{"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}],
    )  # fmt: skip
    summary = tmp_path / "summary.md"
    result = run_audit(env | {"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 repositories in ap-northeast-2: 0 mandatory, 0 advisory, 0 info" in result.stdout
    assert summary.read_text().startswith("## ECR audit: ✅ passed")


def test_the_registrys_default_scanning_leaves_it_to_each_repository(aws):
    # No registry scanning configuration (BASIC, no rules): each repository's own scanOnPush
    # applies, so a compliant repository passes and an empty region has nothing to report.
    endpoint, env = aws
    repository(endpoint, "fileflow", kms_key(endpoint))
    result = run_audit(env)
    assert result.returncode == 0, result.stdout + result.stderr
    empty = run_audit(env, "--region", "us-east-1")
    assert empty.returncode == 0, empty.stdout + empty.stderr
    assert "0 repositories in us-east-1" in empty.stdout


@pytest.mark.parametrize(
    ("args", "env_change", "message"),
    [
        (["--region", "mars"], {}, "audit: --region 'mars' is not an AWS region name"),
        ([], {"AWS_REGION": None, "AWS_DEFAULT_REGION": None}, "audit: no region"),
        (["--policy-config", "/nonexistent.json"], {}, "audit: --policy-config /nonexistent.json:"),
        (
            [],
            {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1"},
            "audit: nothing could be read: ap-northeast-2: Could not connect to the endpoint URL",
        ),
        ([], {"AWS_ENDPOINT_URL": "not-a-url"}, "audit: AWS_ENDPOINT_URL='not-a-url' is not"),
        ([], {"AWS_ENDPOINT_URL": "http://127.0.0.1:99999"}, "audit: AWS_ENDPOINT_URL="),
        ([], {"AWS_MAX_ATTEMPTS": "many"}, "audit: AWS_MAX_ATTEMPTS='many'"),
    ],
)
def test_usage_and_aws_errors_are_one_line_exit_2(aws, args, env_change, message):
    _, env = aws
    env = {k: v for k, v in (env | env_change).items() if v is not None}
    result = run_audit(env, *args)
    assert result.returncode == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_unsigned_newest_release_images_are_reported_when_signing_is_required(aws):
    from tests.support.aws_fixtures import push_signature

    endpoint, env = aws
    env = env | {"AWS_MAX_ATTEMPTS": "1"}  # moto answers ListImageReferrers with a 500
    repository(endpoint, "fileflow", kms_key(endpoint))
    digest = push(endpoint, "fileflow", "v1.0.0", "a", scan=False)

    def checks():
        return {
            f["check"]
            for f in json.loads(run_audit(env, "--json", "--require-signature").stdout)["findings"]
        }

    assert "ecr-live-unsigned" in checks()
    push_signature(client(endpoint, "ecr"), digest)
    assert "ecr-live-unsigned" not in checks()
    # moto has no GetSigningConfiguration: what could not be read is a finding, never a pass.
    report = json.loads(run_audit(env, "--json", "--require-signature").stdout)
    (gap,) = [f for f in report["findings"] if f["check"] == "ecr-live-unreadable"]
    assert gap["repository"] == "(registry)"
    assert gap["message"].startswith("GetSigningConfiguration failed")
    assert gap["message"].endswith("which repositories managed signing covers was not checked")


def test_a_repository_that_cannot_be_read_is_a_finding_and_the_rest_is_audited(aws):
    endpoint, env = aws
    repository(endpoint, "fileflow", kms_key(endpoint))
    missing_key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"
    repository(endpoint, "orphan", missing_key)  # its key is gone: DescribeKey NotFoundException
    push(endpoint, "fileflow", "v1.0.0", "a")
    result = run_audit(env, "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    (finding,) = [f for f in report["findings"] if f["check"] == "ecr-live-unreadable"]
    assert finding["repository"] == "orphan" and finding["level"] == "mandatory"
    assert finding["message"].startswith("DescribeKey failed: NotFoundException: ")
    assert finding["message"].endswith(f"; KMS key {missing_key} not checked")
    found = by_repository(report["findings"])
    assert ("ecr-live-image-findings", "mandatory") in found["fileflow"]  # still audited
    assert report["summary"]["repositories"] == 2


def test_an_unreadable_repository_or_registry_setting_does_not_stop_the_rest(aws, monkeypatch):
    """Access denied on one repository's images and on the registry scanning configuration
    (moto enforces no IAM, so the denial is injected at the client)."""
    from botocore.exceptions import ClientError

    endpoint, env = aws
    for name in ("a-broken", "fileflow"):
        repository(endpoint, name, kms_key(endpoint))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    real_images = reads.Registry.images

    def denied(operation):
        error = {"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}
        return ClientError(error, operation)

    def images(self, name):
        if name == "a-broken":
            raise denied("DescribeImages")
        return real_images(self, name)

    def scanning(self):
        raise denied("GetRegistryScanningConfiguration")

    monkeypatch.setattr(reads.Registry, "images", images)
    monkeypatch.setattr(reads.Registry, "scanning_configuration", scanning)
    options = checks.Options(
        "HIGH",
        PackConfig.load(None),
        datetime.datetime.now(datetime.timezone.utc),
    )
    report = checks.audit([REGION], options)
    unreadable = {
        f.repository: f.message for f in report.findings if f.check == "ecr-live-unreadable"
    }
    assert unreadable == {
        "a-broken": "DescribeImages failed: AccessDeniedException: not allowed; repository not audited",
        "(registry)": "GetRegistryScanningConfiguration failed: AccessDeniedException: not allowed; "
        "the registry policy, scanning and replication configuration were not checked",
    }
    assert {f.check for f in report.findings if f.repository == "fileflow"} == set()  # clean, seen
    assert report.repositories == 2 and report.failed


def test_the_lifecycle_working_check_gives_ecr_its_24_hours():
    now = datetime.datetime(2026, 11, 26, tzinfo=datetime.timezone.utc)

    def image(tag, hours_ago):
        return {
            "imageDigest": f"sha256:{tag}",
            "imageTags": [tag],
            "imagePushedAt": now - datetime.timedelta(hours=hours_ago),
        }

    policy = json.dumps({"rules": [{"rulePriority": 1, "action": {"type": "expire"},
                                    "selection": {"tagStatus": "tagged", "tagPrefixList": ["v"],
                                                  "countType": "imageCountMoreThan", "countNumber": 2}}]})  # fmt: skip
    burst = [image("v1", 100), image("v2", 3), image("v3", 2), image("v4", 1)]
    assert checks.lifecycle_problems(policy, burst, now) == []  # v1 surplus for 2 hours only
    late = [image("v1", 100), image("v2", 30), image("v3", 26), image("v4", 1)]
    (problem,) = checks.lifecycle_problems(policy, late, now)  # v1 surplus since v3, 26 hours ago
    assert "rule 1 should have expired 1 images more than a day ago" in problem
    assert "still here: sha256:v1 (v1)" in problem


def test_a_region_that_cannot_be_listed_is_a_finding_and_the_others_are_audited(aws, monkeypatch):
    """DescribeRepositories denied in one region (moto enforces no IAM: injected at the client);
    with every region denied, nothing was read: exit 2."""
    from botocore.exceptions import ClientError

    endpoint, env = aws
    repository(endpoint, "fileflow", kms_key(endpoint))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    real = reads.Registry.repositories
    denied_regions = {"us-east-1"}

    def repositories(self):
        if self.aws.region in denied_regions:
            error = {"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}
            raise ClientError(error, "DescribeRepositories")
        return real(self)

    monkeypatch.setattr(reads.Registry, "repositories", repositories)
    now = datetime.datetime.now(datetime.timezone.utc)
    options = checks.Options("HIGH", PackConfig.load(None), now)
    report = checks.audit([REGION, "us-east-1"], options)
    (finding,) = [f for f in report.findings if f.check == "ecr-live-unreadable"]
    assert (finding.region, finding.repository, finding.message) == (
        "us-east-1",
        "(region)",
        "DescribeRepositories failed: AccessDeniedException: not allowed; region not audited",
    )
    assert report.repositories == 1
    denied_regions.add(REGION)
    with pytest.raises(ToolError, match=r"^nothing could be read: ap-northeast-2: Describe"):
        checks.audit([REGION, "us-east-1"], options)


def test_the_newest_release_image_breaks_push_time_ties_by_version():
    # ECR's push times can tie (moto stores whole seconds): the highest version is the newest.
    at = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc)
    images = [
        {"imageDigest": f"sha256:{n}", "imageTags": [tag], "imagePushedAt": at}
        for n, tag in enumerate(["v1.10.0", "v1.2.0", "v1.9.3", "latest"])
    ]
    assert checks.images_to_check("svc", images, [], None) == {"sha256:0": "newest release image"}
    later = {
        "imageDigest": "sha256:9",
        "imageTags": ["v1.0.1"],
        "imagePushedAt": at.replace(hour=1),
    }
    assert checks.images_to_check("svc", [*images, later], [], None) == {
        "sha256:9": "newest release image"
    }


# --- ECR managed signing -----------------------------------------------------------------------


class SigningEcr:
    """A stub ECR client for the signing reads. moto has no ECR signing APIs
    (DescribeImageSigningStatus, GetSigningConfiguration) nor ListImageReferrers, so these paths
    run against data this test controls; tools/audit/reads.py keeps the real calls."""

    def __init__(self, statuses, filters):
        self.statuses, self.filters = statuses, filters

    def describe_image_signing_status(self, **kwargs):
        return {"signingStatuses": self.statuses.get(kwargs["repositoryName"], [])}

    def list_image_referrers(self, **kwargs):
        return {"referrers": []}

    def get_signing_configuration(self):
        filters = [{"filter": f, "filterType": "WILDCARD_MATCH"} for f in self.filters]
        profile = "arn:aws:signer:ap-northeast-2:123456789012:/signing-profiles/p"
        return {"signingConfiguration": {"rules": [{"signingProfileArn": profile,
                                                    "repositoryFilters": filters}]}}  # fmt: skip


class SigningRegistry(reads.Registry):
    """The audit's registry reads, answered offline: one production release image per
    repository, no lifecycle or repository policy, the signing reads from SigningEcr."""

    def __init__(self, ecr):
        self.aws = Aws(REGION)
        self.ecr = ecr
        self._keys = {}
        self.signing_filters = self.read_signing_filters()

    def tags(self, arn):
        return dict(GOVERNANCE, Environment="prod")

    def lifecycle_policy(self, name):
        return None

    def repository_policy(self, name):
        return None

    def images(self, name):
        pushed = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
        return [{"imageDigest": f"sha256:{name}", "imageTags": ["v1.0.0"], "imagePushedAt": pushed}]

    def scan(self, name, digest):
        return {}


def _signing_findings(statuses, filters, names=("signed", "signing", "failed", "unsigned")):
    registry = SigningRegistry(SigningEcr(statuses, filters))
    options = checks.Options("CRITICAL", PackConfig.load(None), datetime.datetime.now(
        datetime.timezone.utc), require_signature=True)  # fmt: skip
    found = []
    for name in names:
        repo = {"repositoryName": name, "repositoryArn": f"arn:aws:ecr:{REGION}:{ACCOUNT}:"
                f"repository/{name}", "registryId": ACCOUNT}  # fmt: skip
        found += [
            f for f in checks.audit_repository(registry, repo, [], options)
            if f.check in ("ecr-live-unsigned", "ecr-live-signing-uncovered")
        ]  # fmt: skip
    return found


def test_the_audit_tells_signed_in_progress_failed_and_unsigned_apart():
    statuses = {
        "signed": [{"status": "COMPLETE", "signingProfileArn": "p"}],
        "signing": [{"status": "IN_PROGRESS", "signingProfileArn": "p"}],
        "failed": [{"status": "FAILED", "failureCode": "AccessDenied",
                    "failureReason": "no signer:SignPayload", "signingProfileArn": "p"}],
    }  # fmt: skip
    found = {f.repository: f for f in _signing_findings(statuses, ["*"])}
    assert sorted(found) == ["failed", "signing", "unsigned"]
    assert found["signing"].level == "advisory"
    assert "ECR managed signing is still in progress" in found["signing"].message
    assert found["failed"].level == "mandatory"
    assert "FAILED: AccessDenied: no signer:SignPayload" in found["failed"].message
    assert found["unsigned"].level == "mandatory"
    assert found["unsigned"].message.endswith("no Notation signature beside the image")


def test_production_repositories_the_signing_configuration_misses_are_reported():
    complete = [{"status": "COMPLETE", "signingProfileArn": "p"}]
    found = _signing_findings(
        {"team-a/api": complete, "billing": complete}, ["team-a/*"], names=("team-a/api", "billing")
    )
    (uncovered,) = found
    assert (uncovered.repository, uncovered.check, uncovered.level) == (
        "billing", "ecr-live-signing-uncovered", "mandatory",
    )  # fmt: skip
    assert "filters team-a/*" in uncovered.message


def test_the_registrys_replication_destinations_are_judged_by_the_packs_rule(aws, tmp_path):
    endpoint, env = aws
    repository(endpoint, "fileflow", kms_key(endpoint))
    client(endpoint, "ecr").put_replication_configuration(
        replicationConfiguration={
            "rules": [
                {
                    "destinations": [
                        {"region": "ap-northeast-1", "registryId": ACCOUNT},
                        {"region": "us-west-2", "registryId": "210987654321"},
                    ]
                }
            ]
        }
    )
    config = tmp_path / "org.json"
    least = "ecr-repository-policy-least-privilege"
    config.write_text(json.dumps({"ecr-pack-settings": {"allowedAccounts": [ACCOUNT]}}))
    report = json.loads(run_audit(env, "--json", "--policy-config", str(config)).stdout)
    registry = [f for f in report["findings"] if f["repository"] == "(registry)"]
    (outside,) = [f for f in registry if f["check"] == least]
    assert outside["level"] == "mandatory" and outside["region"] == REGION
    assert "Replication to account 210987654321 (region us-west-2)" in outside["message"]
    (review,) = [f for f in registry if f["check"] == "ecr-live-cross-account"]
    assert review["message"] == "replicates images to other accounts: 210987654321 (us-west-2)"
    # Allowlisted: the destination is listed for the review, not a violation.
    config.write_text(
        json.dumps({"ecr-pack-settings": {"allowedAccounts": [ACCOUNT, "210987654321"]}})
    )
    report = json.loads(run_audit(env, "--json", "--policy-config", str(config)).stdout)
    registry = {(f["repository"], f["check"]) for f in report["findings"]}
    assert ("(registry)", least) not in registry
    assert ("(registry)", "ecr-live-cross-account") in registry


def test_a_registry_that_scans_every_repository_covers_scan_on_push_off(registry):
    """Issue 24's false positive, in the audit as in the pack: AWS applies the registry's
    scanning configuration instead of a repository's own scanOnPush."""
    endpoint, env = registry
    client(endpoint, "ecr").put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[{"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}],
    )  # fmt: skip
    found = by_repository(json.loads(run_audit(env, "--json").stdout)["findings"])
    assert ("ecr-repository-require-scan-on-push", "mandatory") not in found["scan-off"]
    assert ("ecr-repository-require-kms-cmk", "mandatory") in found["aes"]  # the rest still judged
