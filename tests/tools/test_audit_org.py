"""The audit across an organisation's accounts and regions, and its Security Hub export, against a
moto server with accounts made through Organizations.

moto gaps, and how these tests cover the paths anyway (the product keeps the real calls):
- AssumeRole never refuses (the role need not exist): the account that cannot be entered is
  refused by a wrapper around botocore's API call, with the error STS gives.
- GetFindings ignores its Filters (moto returns every finding of the account and region): the
  tool's own guard (`security_hub.ours`) is what keeps foreign findings untouched here.
- Credentials never expire within a test: the refresh is tested against an STS stand-in.
"""

import datetime
import json
import re

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from policy.ecr_guardrails.controls import CONTROLS, markdown_table
from policy.ecr_guardrails.policies import POLICIES
from tests.support.aws_fixtures import ACCOUNT, client
from tests.support.moto_server import REGION
from tests.support.org_fixtures import ROLE, member_client, member_repository, organization
from tools.audit import checks, command, pack, security_hub, targets
from tools.audit import org as audit_org
from tools.audit.report import Finding, Report
from tools.aws import Calls
from tools.preview.mock_engine import ROOT

OTHER = "us-east-1"
REGIONS = f"{REGION},{OTHER}"


@pytest.fixture
def org(env):
    """Management + dev + staging + sandbox, one closed account; a hand-made repository per
    account and region, dev's without scan on push."""
    accounts = organization(env, ["dev", "staging", "sandbox", "closed"])
    client(env, "organizations").close_account(AccountId=accounts.pop("closed"))
    for name, account in accounts.items():
        for region in (REGION, OTHER):
            member_repository(env, account, region, f"svc-{name}", scan_on_push=name != "dev")
    return accounts


@pytest.fixture
def refuse(monkeypatch):
    """Makes STS refuse AssumeRole into the accounts added to the returned set."""
    refused: set[str] = set()
    original = BaseClient._make_api_call

    def call(self, operation, params):
        if operation == "AssumeRole" and params["RoleArn"].split(":")[4] in refused:
            raise ClientError(
                {"Error": {"Code": "AccessDenied", "Message": "not authorized to perform: "
                           "sts:AssumeRole"}}, operation)  # fmt: skip
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    return refused


def run(capsys, *args):
    code = command.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def targets_of(findings):
    return {(f["account"], f["region"]) for f in findings}


def test_one_run_audits_every_account_and_region_and_isolates_one_it_cannot_enter(
    org, refuse, capsys
):
    refuse.add(org["sandbox"])
    code, out, err = run(capsys, "--organization", "--role-name", ROLE, "--regions", REGIONS,
                         "--json")  # fmt: skip
    assert code == 1, err
    report = json.loads(out)
    findings = report["findings"]
    entered = [org[n] for n in ("management", "dev", "staging")]
    # Every entered account in both regions (each has its hand-made repository and registry).
    assert targets_of(findings) >= {(a, r) for a in entered for r in (REGION, OTHER)}
    assert {(t["account"], t["region"]) for t in report["summary"]["targets"]} == {
        (a, r) for a in entered for r in (REGION, OTHER)
    }
    assert report["summary"]["repositories"] == 6
    # The sandbox account is a finding of its own; the closed account is not audited at all.
    (sandbox,) = [f for f in findings if f["account"] == org["sandbox"]]
    assert (sandbox["check"], sandbox["level"], sandbox["repository"]) == (
        "ecr-live-account-not-entered", "mandatory", "(account)")  # fmt: skip
    assert "AccessDenied" in sandbox["message"] and ROLE in sandbox["message"]
    assert {a["id"] for a in report["summary"]["accounts"]} == {*entered, org["sandbox"]}
    # Each finding names its account and region, the controls and the fix.
    scan = [
        f for f in findings
        if f["check"] == "ecr-repository-require-scan-on-push" and f["account"] == org["dev"]
    ]  # fmt: skip
    assert {f["region"] for f in scan} == {REGION, OTHER}
    assert "AWS Security Hub ECR.1" in scan[0]["controls"]
    assert scan[0]["remediation"].startswith("AWS: PutImageScanningConfiguration")  # unmanaged
    assert "[" in err and "account-regions]" in err  # progress on stderr


def test_a_region_that_cannot_be_read_is_a_finding_and_the_rest_is_audited(
    org, monkeypatch, capsys
):
    original = BaseClient._make_api_call

    def call(self, operation, params):
        if operation == "DescribeRepositories" and self.meta.region_name == OTHER:
            raise ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "no"}}, operation
            )
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    code, out, _ = run(
        capsys, "--organization", "--role-name", ROLE, "--regions", REGIONS, "--json"
    )
    report = json.loads(out)
    unreadable = {(f["account"], f["region"]) for f in report["findings"]
                  if (f["check"], f["level"]) == ("ecr-live-unreadable", "mandatory")}  # fmt: skip
    assert unreadable == {(a, OTHER) for a in org.values()}
    # Every account's other region is audited all the same.
    audited = {(f["account"], f["repository"]) for f in report["findings"] if f["region"] == REGION}
    assert {(org[n], f"svc-{n}") for n in org} <= audited
    assert not [
        f for f in report["findings"] if f["region"] == OTHER and f["repository"].startswith("svc-")
    ]
    assert code == 1


def test_an_account_whose_enabled_regions_cannot_be_listed_is_a_finding(org, monkeypatch, capsys):
    original = BaseClient._make_api_call

    def call(self, operation, params):
        if operation == "DescribeRegions":
            raise ClientError(
                {"Error": {"Code": "UnauthorizedOperation", "Message": "no"}}, operation
            )
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    code, out, err = run(
        capsys, "--organization", "--role-name", ROLE, "--regions", "all-enabled", "--json"
    )
    # Nothing could be audited: one line, exit 2, naming the cause.
    assert code == 2 and "audit: nothing could be audited: cannot list its enabled regions" in err
    assert "UnauthorizedOperation" in err.splitlines()[-1]
    # With a list, the regions are tried instead (here: all of them readable).
    code, out, _ = run(capsys, "--organization", "--role-name", ROLE, "--regions", REGION, "--json")
    assert {(t["account"], t["region"]) for t in json.loads(out)["summary"]["targets"]} == {
        (a, REGION) for a in org.values()}  # fmt: skip


def test_the_table_is_grouped_by_account_and_region(org, capsys):
    code, out, _ = run(capsys, "--organization", "--role-name", ROLE, "--regions", REGIONS)
    assert code == 1
    assert out.startswith("8 repositories in 4 accounts, 8 account-regions:")
    for account in org.values():
        for region in (REGION, OTHER):
            assert f"\n{account} " in out and f" {region}: " in out
    dev = out.index(f"{org['dev']} (dev) {REGION}:")
    assert "svc-dev" in out[dev : out.index("\n\n", dev + 1)]


def test_one_assume_role_per_account_and_constant_calls_per_repository(org):
    plan = targets.Plan(
        [targets.Account(id=a) for a in org.values()], ROLE, [REGION, OTHER], REGION
    )
    options = checks.Options(
        "HIGH", pack.PackConfig.load(None), datetime.datetime.now(datetime.UTC)
    )
    calls = Calls()
    report, outcome = audit_org.audit_plan(plan, options, calls)
    assert calls.counts["sts:AssumeRole"] == len(org)
    assert calls.counts["ecr:ListTagsForResource"] == report.repositories == 2 * len(org)
    assert calls.counts["ec2:DescribeRegions"] == len(org)
    assert not outcome.failures


def test_a_region_the_account_has_not_enabled_is_a_finding_and_not_audited(org, tmp_path, capsys):
    accounts = tmp_path / "accounts.txt"
    accounts.write_text(f"# ids and names\n{org['dev']} dev\n\n{org['staging']}  # no name\n")
    code, out, _ = run(capsys, "--accounts", str(accounts), "--role-name", ROLE,
                       "--regions", f"{REGION},me-south-1", "--json")  # fmt: skip
    findings = json.loads(out)["findings"]
    skipped = [f for f in findings if f["region"] == "me-south-1"]  # moto: not opted in
    assert {(f["account"], f["check"], f["level"]) for f in skipped} == {
        (org["dev"], "ecr-live-region-not-enabled", "info"),
        (org["staging"], "ecr-live-region-not-enabled", "info"),
    }
    assert targets_of(findings) - {(a, "me-south-1") for a in org.values()} == {
        (org["dev"], REGION), (org["staging"], REGION)}  # fmt: skip
    assert code == 1  # dev's scan-on-push


def test_all_enabled_regions_come_from_each_account(org):
    entered = targets.Entered(targets.Account(id=org["dev"]), None)
    found = targets.enabled_regions(entered, REGION, Calls())
    assert REGION in found and OTHER in found
    assert "me-south-1" not in found  # not opted in
    assert not any(r.startswith(("cn-", "us-gov-")) for r in found)  # other partitions


def test_security_hub_holds_exactly_the_current_findings_across_runs(org, env, capsys):
    dev = member_client(env, org["dev"],
                        "securityhub", REGION)  # fmt: skip
    # Findings that are not this tool's: another product, and our product under another Id.
    foreign = {
        "SchemaVersion": "2018-10-08", "Id": "guardduty/1",
        "ProductArn": f"arn:aws:securityhub:{REGION}::product/aws/guardduty",
        "GeneratorId": "guardduty", "AwsAccountId": org["dev"], "Types": ["TTPs"],
        "CreatedAt": "2026-01-01T00:00:00Z", "UpdatedAt": "2026-01-01T00:00:00Z",
        "Severity": {"Label": "LOW"}, "Title": "t", "Description": "d",
        "Resources": [{"Type": "Other", "Id": "x"}], "RecordState": "ACTIVE",
    }  # fmt: skip
    mine_elsewhere = foreign | {
        "Id": "someone-else/ecr-repository-require-scan-on-push",
        "ProductArn": security_hub.product_arn(REGION, org["dev"]),
        "GeneratorId": "ecr-repository-require-scan-on-push",
    }
    dev.batch_import_findings(Findings=[foreign, mine_elsewhere])
    args = ("--organization", "--role-name", ROLE, "--regions", REGIONS, "--security-hub", "--json")

    def hub(account, region):
        securityhub = member_client(env, account,
                                    "securityhub", region)  # fmt: skip
        return {f["Id"]: f for f in securityhub.get_findings(MaxResults=100)["Findings"]}

    def expected(findings, account, region):
        return {
            security_hub.finding_id(account, region, f["repository"], f["check"])
            for f in findings if (f["account"], f["region"]) == (account, region)
        }  # fmt: skip

    code, out, err = run(capsys, *args)
    assert code == 1, err
    first = json.loads(out)["findings"]
    assert "Security Hub:" in err and "archived" in err
    before = {}
    for account in org.values():
        for region in (REGION, OTHER):
            stored = hub(account, region)
            ours = {i: f for i, f in stored.items() if i.startswith("ecr-guardrails-audit/")}
            assert set(ours) == expected(first, account, region)
            assert all(f["RecordState"] == "ACTIVE" for f in ours.values())
            before[account, region] = ours
    scan_id = security_hub.finding_id(org["dev"], REGION, "svc-dev",
                                      "ecr-repository-require-scan-on-push")  # fmt: skip
    stored = before[org["dev"], REGION][scan_id]
    assert stored["Compliance"]["Status"] == "FAILED" and stored["Severity"]["Label"] == "HIGH"
    assert "AWS Security Hub ECR.1" in stored["Compliance"]["RelatedRequirements"]
    assert stored["Resources"][0]["Type"] == "AwsEcrRepository"
    assert stored["Resources"][0]["Id"] == f"arn:aws:ecr:{REGION}:{org['dev']}:repository/svc-dev"
    assert stored["GeneratorId"] == "ecr-repository-require-scan-on-push"

    # Fix one problem; the next run archives its finding and duplicates nothing.
    member_client(env, org["dev"], "ecr", REGION
                  ).put_image_scanning_configuration(
        repositoryName="svc-dev", imageScanningConfiguration={"scanOnPush": True})  # fmt: skip
    code, out, err = run(capsys, *args)
    second = json.loads(out)["findings"]
    assert "archived" in err
    after = hub(org["dev"], REGION)
    assert after[scan_id]["RecordState"] == "ARCHIVED"
    assert after[scan_id]["Compliance"]["Status"] == "PASSED"
    assert after[scan_id]["CreatedAt"] == stored["CreatedAt"]
    ours = {i for i, f in after.items() if i.startswith("ecr-guardrails-audit/")}
    assert ours == set(before[org["dev"], REGION])  # same Ids: nothing duplicated
    active = {i for i in ours if after[i]["RecordState"] == "ACTIVE"}
    assert active == expected(second, org["dev"], REGION) == ours - {scan_id}
    # The findings this tool did not create are untouched.
    assert after["guardduty/1"] == foreign
    assert after[mine_elsewhere["Id"]] == mine_elsewhere
    # The other region's finding of the same repository is still open (still not scanned there).
    other = hub(org["dev"], OTHER)
    assert other[security_hub.finding_id(org["dev"], OTHER, "svc-dev",
                 "ecr-repository-require-scan-on-push")]["RecordState"] == "ACTIVE"  # fmt: skip


def test_one_aggregation_account_receives_every_accounts_findings(org, env, refuse, capsys):
    refuse.add(org["sandbox"])
    code, out, err = run(capsys, "--organization", "--role-name", ROLE, "--regions", REGION,
                         "--security-hub-account", ACCOUNT, "--json")  # fmt: skip
    assert code == 1, err
    findings = json.loads(out)["findings"]
    securityhub = client(env, "securityhub")
    stored = securityhub.get_findings(MaxResults=100)["Findings"]
    assert {f["ProductFields"]["ecr-guardrails/account"] for f in stored} == set(org.values())
    assert {f["AwsAccountId"] for f in stored} == {ACCOUNT}
    assert {f["ProductArn"] for f in stored} == {security_hub.product_arn(REGION, ACCOUNT)}
    # The account that could not be entered is reported there too (filed under the home region).
    assert security_hub.finding_id(org["sandbox"], REGION, "(account)",
                                   "ecr-live-account-not-entered") in {f["Id"] for f in stored}  # fmt: skip
    assert len(stored) == len({(f["account"], f["repository"], f["check"]) for f in findings})


def test_a_hub_that_refuses_is_one_line_exit_2_and_the_others_still_get_theirs(
    org, env, monkeypatch, capsys
):
    original = BaseClient._make_api_call

    def call(self, operation, params):
        key = self._request_signer._credentials.get_frozen_credentials().access_key
        if operation == "GetFindings" and key in refused:
            raise ClientError({"Error": {"Code": "InvalidAccessException",
                                         "Message": "Security Hub is not enabled"}}, operation)  # fmt: skip
        return original(self, operation, params)

    # The dev account's hub (identified by the access key the audit entered dev with) refuses.
    refused = set()
    real_assume = targets.assumed_credentials

    def assumed(sts, arn, external_id, seconds=targets.SESSION_SECONDS):
        credentials = real_assume(sts, arn, external_id, seconds)
        if f":{org['dev']}:" in arn:
            refused.add(credentials.get_frozen_credentials().access_key)
        return credentials

    monkeypatch.setattr(targets, "assumed_credentials", assumed)
    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    code, out, err = run(capsys, "--organization", "--role-name", ROLE, "--regions", REGION,
                         "--security-hub")  # fmt: skip
    assert code == 2 and out  # the report was printed; the export failed
    last = err.splitlines()[-1]
    assert last.startswith("audit: Security Hub: 1 findings or hubs refused")
    assert "InvalidAccessException" in last and "imported" in last
    staging = member_client(env, org["staging"], "securityhub", REGION)
    assert staging.get_findings(MaxResults=100)["Findings"]


def test_what_a_run_could_not_read_keeps_its_findings_open(env):
    """A repository (or a whole registry) that could not be read proves nothing fixed."""
    from tools.aws import Aws

    now = datetime.datetime.now(datetime.UTC)

    def export(*findings):
        report = Report(findings=list(findings), regions=[REGION])
        hub = (ACCOUNT, Aws(REGION))
        return security_hub.export(report, [(ACCOUNT, REGION)], lambda a, r: hub, REGION, now)

    def states():
        found = client(env, "securityhub").get_findings(MaxResults=100)["Findings"]
        return {security_hub.repository_of(f["Id"], security_hub.target_prefix(ACCOUNT, REGION)):
                f["RecordState"] for f in found}  # fmt: skip

    def finding(repository, check="ecr-repository-require-kms-cmk"):
        return Finding(repository, check, "mandatory", "m", REGION, ACCOUNT)

    export(finding("team/a"), finding("b"))
    assert states() == {"team/a": "ACTIVE", "b": "ACTIVE"}
    export(finding("b", "ecr-live-unreadable"))  # b could not be read; team/a is fixed
    assert states() == {"team/a": "ARCHIVED", "b": "ACTIVE"}
    export(finding("(region)", "ecr-live-unreadable"))  # nothing listed: nothing archived
    assert states()["b"] == "ACTIVE"
    export()
    assert states() == {"team/a": "ARCHIVED", "b": "ARCHIVED", "(region)": "ARCHIVED"}


def test_the_import_goes_in_batches_of_100_and_reports_refusals():
    class Hub:
        def __init__(self):
            self.sizes = []

        def batch_import_findings(self, Findings):  # noqa: N803 - the API's name
            self.sizes.append(len(Findings))
            return {"FailedFindings": [{"Id": Findings[0]["Id"], "ErrorCode": "InvalidInput",
                                        "ErrorMessage": "bad"}] if len(Findings) < 100 else []}  # fmt: skip

    hub = Hub()
    refused = security_hub.import_findings(hub, [{"Id": str(i)} for i in range(250)])
    assert hub.sizes == [100, 100, 50]
    assert refused == ["200: InvalidInput bad"]


def test_asff_ids_are_stable_and_texts_fit_the_format():
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    finding = Finding(
        "svc", "ecr-live-image-findings", "mandatory", "x" * 3000, REGION, "111111111111"
    )
    key = ("111111111111", REGION, "svc", "ecr-live-image-findings")
    one = security_hub.asff(key, [finding, finding], ACCOUNT, now, True)
    assert (
        one["Id"] == "ecr-guardrails-audit/111111111111/ap-northeast-2/svc/ecr-live-image-findings"
    )
    assert len(one["Description"]) == 1024 and len(one["Title"]) <= 256
    assert one["Remediation"]["Recommendation"]["Text"].startswith("stack: ")
    assert one["AwsAccountId"] == ACCOUNT
    later = security_hub.asff(key, [finding], ACCOUNT, now + datetime.timedelta(days=1), True, one)
    assert (later["Id"], later["CreatedAt"]) == (one["Id"], one["CreatedAt"])
    assert later["UpdatedAt"] != one["UpdatedAt"]
    closed = security_hub.archived(later | {"Workflow": {"Status": "NOTIFIED"}, "Note": {}}, now)
    assert closed["RecordState"] == "ARCHIVED" and closed["Compliance"]["Status"] == "PASSED"
    assert "Workflow" not in closed and "Note" not in closed  # the triagers' fields are theirs


def test_credentials_are_refreshed_with_another_assume_role_only_when_they_expire():
    class Sts:
        def __init__(self):
            self.calls = []

        def assume_role(self, **kwargs):
            self.calls.append(kwargs)
            # The first session is about to expire (within botocore's 10-minute window).
            minutes = 5 if len(self.calls) == 1 else 60
            expiry = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=minutes)
            n = len(self.calls)
            return {"Credentials": {"AccessKeyId": f"AK{n}", "SecretAccessKey": "s",
                                    "SessionToken": "t", "Expiration": expiry}}  # fmt: skip

    sts = Sts()
    arn = targets.role_arn("111111111111", "audit/EcrAudit", "aws")
    credentials = targets.assumed_credentials(sts, arn, "ext-id-1")
    assert len(sts.calls) == 1  # entering the account is the one AssumeRole, made up front
    assert sts.calls[0] == {"RoleArn": "arn:aws:iam::111111111111:role/audit/EcrAudit",
                            "RoleSessionName": "ecr-guardrails-audit", "DurationSeconds": 3600,
                            "ExternalId": "ext-id-1"}  # fmt: skip
    assert credentials.get_frozen_credentials().access_key == "AK2"  # refreshed: it was expiring
    for _ in range(5):
        assert credentials.get_frozen_credentials().access_key == "AK2"
    assert len(sts.calls) == 2  # and not again while the new session is fresh


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--accounts", "FILE", "--role-name", ROLE], "line 2: id '12345': String should match"),
        (
            ["--accounts", "FILE", "--role-name", ROLE, "--region", REGION],
            "--region cannot be combined with --accounts",
        ),
        (["--organization"], "--role-name is required"),
        (["--role-name", ROLE], "--role-name needs --accounts or --organization"),
        (["--regions", REGION, "--external-id", "abc"], "--external-id needs --accounts or"),
        (["--organization", "--role-name", "bad role"], "--role-name 'bad role'"),
        (["--regions", "mars"], "--regions 'mars' is not an AWS region name"),
        (["--regions", REGION, "--max-workers", "0"], "--max-workers 0: expected 1 to 64"),
        (["--max-workers", "0"], "--max-workers 0: expected 1 to 64"),
        (["--security-hub-account", "12"], "--security-hub-account '12'"),
        (["--security-hub-account", "111111111111"], "not the credentials' own account"),
    ],
)
def test_bad_arguments_are_one_line_exit_2(env, tmp_path, capsys, args, message):
    accounts = tmp_path / "accounts"
    accounts.write_text("111111111111 prod\n12345 typo\n")
    args = [str(accounts) if a == "FILE" else a for a in args]
    code, out, err = run(capsys, *args)
    assert code == 2 and not out
    assert err.startswith("audit: ") and message in err and err.count("\n") == 1, err


def test_a_single_account_run_is_unchanged_apart_from_the_json_annotations(env, capsys):
    member_repository(env, ACCOUNT, REGION, "svc")
    code, out, _ = run(capsys, "--json")
    assert code == 1  # hand-made: AES256, no lifecycle policy, no tags
    report = json.loads(out)
    assert "accounts" not in report["summary"] and "targets" not in report["summary"]
    assert {f["account"] for f in report["findings"]} == {""}
    assert all({"controls", "remediation"} <= set(f) for f in report["findings"])
    _, out, _ = run(capsys)
    assert out.startswith(f"1 repositories in {REGION}: ")
    assert out.splitlines()[1].split() == ["region", "repository", "check", "level", "message"]


def test_regions_alone_audit_the_credentials_own_account_without_a_role(env, capsys):
    for region in (REGION, OTHER):
        member_repository(env, ACCOUNT, region, "svc")
    code, out, err = run(capsys, "--regions", REGIONS, "--json")
    summary = json.loads(out)["summary"]
    assert code == 1, err
    assert [(t["account"], t["region"]) for t in summary["targets"]] == [
        (ACCOUNT, REGION), (ACCOUNT, OTHER)]  # fmt: skip
    assert "sts:AssumeRole" not in summary["apiCalls"]


def test_single_account_findings_go_to_the_accounts_own_security_hub(env, capsys):
    member_repository(env, ACCOUNT, REGION, "svc", scan_on_push=False)
    code, _, err = run(capsys, "--security-hub")
    assert code == 1, err
    stored = client(env, "securityhub").get_findings(MaxResults=100)["Findings"]
    assert security_hub.finding_id(ACCOUNT, REGION, "svc", "ecr-repository-require-scan-on-push") in {
        f["Id"] for f in stored}  # fmt: skip
    assert {f["AwsAccountId"] for f in stored} == {ACCOUNT}


def test_every_policy_and_live_check_declares_its_controls():
    pack = {p.name for p in POLICIES} - {"ecr-exemption-notes", "ecr-stack-exemption-notes"}
    source = "".join(path.read_text() for path in (ROOT / "tools" / "audit").rglob("*.py"))
    live = set(re.findall(r'"(ecr-live-[a-z-]+)"', source))
    assert live, "the live checks are named in tools/audit/"
    assert set(checks.CHECKS) <= live and set(checks.CHECKS) <= set(CONTROLS)
    assert pack | live == set(CONTROLS), sorted((pack | live) ^ set(CONTROLS))
    for check, controls in CONTROLS.items():
        assert controls.aws_fix or controls.stack_fix, check


def test_the_operations_page_shows_the_control_table():
    assert markdown_table() in (ROOT / "docs" / "operations.md").read_text(), (
        "docs/operations.md's control table differs: paste "
        "`python -c 'from policy.ecr_guardrails.controls import markdown_table as t; print(t())'`"
    )
