"""The audit's findings in AWS Security Hub (`python -m tools.audit --security-hub`).

Each (account, region, repository, check) is one Security Hub finding in the AWS Security Finding
Format, imported with `BatchImportFindings` (at most 100 per call) under the account's default
product, `arn:<partition>:securityhub:<region>:<account>:product/<account>/default`:

- `Id` `ecr-guardrails-audit/<account>/<region>/<repository>/<check>`: stable, so a later run
  updates the same finding instead of adding one; several problems of one check on one repository
  are one finding whose description lists them.
- `GeneratorId` the check's name; `Resources` the repository's ARN as `AwsEcrRepository` (the
  account as `AwsAccount` for registry-, account- and region-wide findings); `Severity.Label` and
  `Compliance.Status` from the level (mandatory: HIGH, FAILED; advisory: MEDIUM, WARNING; info:
  INFORMATIONAL, PASSED); `Compliance.RelatedRequirements` and `Remediation` from
  `policy/ecr_guardrails/controls.py`.
- A finding of this tool that a later run of the same (account, region) no longer sees is archived
  (`RecordState: ARCHIVED`, `Compliance.Status: PASSED`): fixed problems close themselves. What
  that run could not read (`ecr-live-unreadable`) keeps its findings open. Only
  findings with this tool's product ARN, `Id` prefix and an `ecr-` generator are read or archived;
  workflow status and notes, which belong to the people triaging, are never sent.
- Account-wide findings are filed under a region the run audits (the home region when it is one),
  and a run closes the account-wide findings of accounts it entered that an earlier run filed under
  its home region outside `--regions`: no finding stays ACTIVE that no later run could close.
- Findings go into the account and region they concern (the role then also needs
  `securityhub:BatchImportFindings` and `securityhub:GetFindings`), or with `--security-hub-account`
  into that one account, region by region. AWS accepts findings under the default product only for
  the calling account, so there `AwsAccountId` is that account; the audited account is in the
  resource ARN, the `Id` and `ProductFields`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from policy.ecr_guardrails.controls import controls_of, remediation
from tools.audit.report import LEVELS, Finding, Report
from tools.audit.targets import NOT_ENABLED, UNREADABLE, partition_of
from tools.aws import Aws
from tools.cli import COMPLETED, ToolError, error_code, one_line, progress

if TYPE_CHECKING:  # ASFF as Security Hub's API model gives it (mypy-boto3-securityhub)
    from mypy_boto3_securityhub import SecurityHubClient
    from mypy_boto3_securityhub.literals import (
        ComplianceStatusType,
        PartitionType,
        SeverityLabelType,
    )
    from mypy_boto3_securityhub.type_defs import (
        AwsSecurityFindingFiltersTypeDef,
        AwsSecurityFindingOutputTypeDef,
        AwsSecurityFindingTypeDef,
        ComplianceTypeDef,
        ResourceTypeDef,
    )

ACCOUNT_ITEM = "(account)"
"""The item of account-wide findings (tools/audit/org.py: an account that could not be entered)."""

ID_PREFIX = "ecr-guardrails-audit"
SCHEMA_VERSION = "2018-10-08"
TYPES = ["Software and Configuration Checks/AWS Security Best Practices"]
BATCH = 100  # BatchImportFindings: 1-100 findings per call (botocore model)
SEVERITY: dict[str, SeverityLabelType] = {
    "mandatory": "HIGH",
    "advisory": "MEDIUM",
    "info": "INFORMATIONAL",
}
COMPLIANCE: dict[str, ComplianceStatusType] = {
    "mandatory": "FAILED",
    "advisory": "WARNING",
    "info": "PASSED",
}
# ASFF limits from the AWS docs ("AWS Security Finding Format (ASFF) syntax"), which the API model
# does not carry: Title 256, Description 1024, Recommendation.Text 512 characters,
# RelatedRequirements 32 items.
TITLE_MAX, DESCRIPTION_MAX, RECOMMENDATION_MAX, REQUIREMENTS_MAX = 256, 1024, 512, 32
# The fields this tool writes: an archive re-sends exactly these of the stored finding.
WRITTEN = (
    "SchemaVersion",
    "Id",
    "ProductArn",
    "GeneratorId",
    "AwsAccountId",
    "Types",
    "CreatedAt",
    "UpdatedAt",
    "FirstObservedAt",
    "LastObservedAt",
    "Severity",
    "Title",
    "Description",
    "Remediation",
    "ProductFields",
    "Resources",
    "Compliance",
    "RecordState",
)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def timestamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def finding_id(account: str, region: str, repository: str, check: str) -> str:
    return f"{ID_PREFIX}/{account}/{region}/{repository}/{check}"


def target_prefix(account: str, region: str) -> str:
    return f"{ID_PREFIX}/{account}/{region}/"


def product_arn(region: str, account: str) -> str:
    return f"arn:{partition_of(region)}:securityhub:{region}:{account}:product/{account}/default"


def resource(account: str, region: str, repository: str) -> ResourceTypeDef:
    partition = cast("PartitionType", partition_of(region))
    if repository.startswith("("):  # the registry, or the account or region as a whole
        return {
            "Type": "AwsAccount",
            "Id": f"AWS::::Account:{account}",
            "Partition": partition,
            "Region": region,
        }
    arn = f"arn:{partition}:ecr:{region}:{account}:repository/{repository}"
    return {
        "Type": "AwsEcrRepository",
        "Id": arn,
        "Partition": partition,
        "Region": region,
        "Details": {"AwsEcrRepository": {"Arn": arn, "RepositoryName": repository}},
    }


Key = tuple[str, str, str, str]  # account, region, repository, check


def grouped(findings: Iterable[Finding], home: str) -> dict[Key, list[Finding]]:
    """One Security Hub finding per (account, region, repository, check). Account-wide findings
    (no region) are filed under the run's home region; regions not enabled are left out."""
    groups: dict[Key, list[Finding]] = {}
    for f in findings:
        if f.check == NOT_ENABLED:  # no registry there, and maybe no hub either
            continue
        groups.setdefault((f.account, f.region or home, f.repository, f.check), []).append(f)
    return groups


def asff(
    key: Key,
    findings: Sequence[Finding],
    hub_account: str,
    now: datetime.datetime,
    managed: bool,
    stored: AwsSecurityFindingOutputTypeDef | None = None,
) -> AwsSecurityFindingTypeDef:
    """The ASFF finding of one group; `stored` is the same finding as Security Hub holds it
    (its creation and first-observed times are kept)."""
    account, region, repository, check = key
    level = min((f.level for f in findings), key=LEVELS.index)
    messages = list(dict.fromkeys(f.message for f in findings))
    controls = controls_of(check)
    fix = remediation(check, managed)
    at = timestamp(now)
    compliance: ComplianceTypeDef = {
        "Status": COMPLIANCE[level],
        "RelatedRequirements": controls.requirements()[:REQUIREMENTS_MAX],
    }
    found: AwsSecurityFindingTypeDef = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id(account, region, repository, check),
        "ProductArn": product_arn(region, hub_account),
        "GeneratorId": check,
        "AwsAccountId": hub_account,
        "Types": TYPES,
        "CreatedAt": stored.get("CreatedAt", at) if stored else at,
        "UpdatedAt": at,
        "FirstObservedAt": stored.get("FirstObservedAt", at) if stored else at,
        "LastObservedAt": at,
        "Severity": {"Label": SEVERITY[level]},
        "Title": _clip(f"{check}: {repository} in {account} {region}", TITLE_MAX),
        "Description": _clip("; ".join(messages), DESCRIPTION_MAX),
        "ProductFields": {
            "ecr-guardrails/account": account,
            "ecr-guardrails/region": region,
            "ecr-guardrails/repository": repository,
            "ecr-guardrails/level": level,
        },
        "Resources": [resource(account, region, repository)],
        "Compliance": compliance,
        "RecordState": "ACTIVE",
    }
    if fix:
        found["Remediation"] = {"Recommendation": {"Text": _clip(fix, RECOMMENDATION_MAX)}}
    return found


def archived(
    stored: AwsSecurityFindingOutputTypeDef, now: datetime.datetime
) -> AwsSecurityFindingTypeDef:
    """A stored finding of this tool, closed: the problem is gone. It re-sends the fields this
    tool writes as Security Hub stored them (so the copy goes through a plain mapping)."""
    fields: Mapping[str, object] = stored
    found = {k: fields[k] for k in WRITTEN if k in fields}
    compliance = dict(cast("Mapping[str, object]", found.get("Compliance") or {}))
    closed = found | {
        "UpdatedAt": timestamp(now),
        "RecordState": "ARCHIVED",
        "Compliance": compliance | {"Status": "PASSED"},
        "Severity": {"Label": "INFORMATIONAL"},
    }
    return cast("AwsSecurityFindingTypeDef", closed)


def repository_of(finding_id: str, prefix: str) -> str:
    """The repository of one of this tool's Ids (repository names may contain `/`, checks not)."""
    return finding_id[len(prefix) :].rsplit("/", 1)[0]


def ours(stored: AwsSecurityFindingOutputTypeDef, product: str, prefix: str) -> bool:
    """Whether a finding Security Hub returned is this tool's, for this target. The query filters
    on the same fields; this guard keeps an unfiltered answer from touching anything else."""
    return (
        stored.get("ProductArn") == product
        and str(stored.get("Id", "")).startswith(prefix)
        and str(stored.get("GeneratorId", "")).startswith("ecr-")
    )


def stored_findings(
    securityhub: SecurityHubClient, product: str, prefix: str
) -> dict[str, AwsSecurityFindingOutputTypeDef]:
    """This tool's findings of one (account, region) in a hub, active or archived, by Id."""
    filters: AwsSecurityFindingFiltersTypeDef = {
        "ProductArn": [{"Value": product, "Comparison": "EQUALS"}],
        "Id": [{"Value": prefix, "Comparison": "PREFIX"}],
        "GeneratorId": [{"Value": "ecr-", "Comparison": "PREFIX"}],
    }
    pages = securityhub.get_paginator("get_findings").paginate(
        Filters=filters, PaginationConfig={"PageSize": 100}
    )
    found = (f for page in pages for f in page.get("Findings", []))
    return {f["Id"]: f for f in found if ours(f, product, prefix)}


@dataclass
class Exported:
    """What the export changed, per hub (account, region)."""

    imported: int = 0
    archived: int = 0
    hubs: list[tuple[str, str]] = field(default_factory=list)

    def describe(self) -> str:
        where = ", ".join(f"{a} {r}" for a, r in self.hubs) or "no hub"
        return (
            f"Security Hub: {self.imported} findings imported, {self.archived} archived ({where})"
        )


def import_findings(
    securityhub: SecurityHubClient, findings: Sequence[AwsSecurityFindingTypeDef]
) -> list[str]:
    """BatchImportFindings in batches of 100; the findings AWS refused, as sentences."""
    refused = []
    for start in range(0, len(findings), BATCH):
        batch = list(findings[start : start + BATCH])
        answer = securityhub.batch_import_findings(Findings=batch)
        # Each batch is one call, made whole or not at all: an interrupt tells how many went.
        COMPLETED.tally("findings sent to Security Hub", len(batch))
        refused += [
            f"{f.get('Id')}: {f.get('ErrorCode')} {f.get('ErrorMessage')}"
            for f in answer.get("FailedFindings", [])
        ]
    return refused


HubOf = Callable[[str, str], tuple[str, Aws]]
"""(audited account, region) -> (the account whose hub receives its findings, the clients of
that account in that region); KeyError when that account was not entered."""


@dataclass(frozen=True)
class _Export:
    """What every target's export needs: the findings grouped as Security Hub holds them, and what
    this run could not read (which therefore proves nothing fixed)."""

    groups: Mapping[Key, list[Finding]]
    by_target: Mapping[tuple[str, str], list[Key]]
    audited: set[tuple[str, str]]
    unsure_targets: set[tuple[str, str]]
    """Targets whose registry or listing could not be read (an unreadable item in parentheses):
    nothing of theirs is archived."""
    unsure_repositories: set[tuple[str, str, str]]
    """Repositories that could not be read: their findings stay open."""
    managed: Callable[[Finding], bool]
    now: datetime.datetime


def export(
    report: Report,
    audited: Iterable[tuple[str, str]],
    hub_of: HubOf,
    home: str,
    now: datetime.datetime,
    workers: int = 4,
    sweep_region: str | None = None,
) -> Exported:
    """Imports the report's findings of the `audited` (account, region) targets and archives the
    ones of this tool those targets no longer have, `workers` targets at a time. Findings of
    targets not audited (an account not entered) are imported only when their hub can be reached;
    nothing of theirs is archived. Raises ToolError naming what was refused, after sending
    everything else."""
    job = _prepared(report, audited, home, now)
    reachable = _reachable(sorted(set(job.by_target) | job.audited), hub_of)
    result, refused = Exported(), []
    with ThreadPoolExecutor(workers) as pool:
        for (_, region), (hub_account, imported, closed, problems) in zip(
            reachable, pool.map(lambda target: _send(job, hub_of, *target), reachable), strict=True
        ):
            refused += problems
            result.imported += imported
            result.archived += closed
            if not problems and (hub_account, region) not in result.hubs:
                result.hubs.append((hub_account, region))
    if sweep_region is not None:
        result.archived += _sweep(job, hub_of, sweep_region, refused)
    if refused:
        raise ToolError(
            f"Security Hub: {len(refused)} findings or hubs refused (first: {refused[0]}); "
            f"{result.describe()}"
        )
    return result


def _prepared(
    report: Report, audited: Iterable[tuple[str, str]], home: str, now: datetime.datetime
) -> _Export:
    groups = grouped(report.findings, home)
    by_target: dict[tuple[str, str], list[Key]] = {}
    for key in groups:
        by_target.setdefault((key[0], key[1]), []).append(key)
    # What could not be read this run proves nothing fixed: a repository that could not be read
    # keeps its findings open, and a target whose registry or listing could not be read (an
    # unreadable item in parentheses) has nothing archived.
    unreadable = [k for k in groups if k[3] == UNREADABLE]
    return _Export(
        groups,
        by_target,
        set(audited),
        {(k[0], k[1]) for k in unreadable if k[2].startswith("(")},
        {k[:3] for k in unreadable},
        report.managed(),
        now,
    )


def _sweep(job: _Export, hub_of: HubOf, region: str, refused: list[str]) -> int:
    """Closes account-wide findings (an account that could not be entered) of accounts this run
    entered, filed under `region` although the run does not audit it there: what an earlier run
    filed under AWS_REGION outside --regions, which no later run would otherwise archive."""
    from botocore.exceptions import ClientError

    closed = 0
    entered = sorted({account for account, _ in job.audited})
    for account in entered:
        if (account, region) in job.audited:
            continue  # audited there: its own export already closed what is gone
        try:
            hub_account, aws = hub_of(account, region)
        except KeyError:
            continue
        product, prefix = product_arn(region, hub_account), target_prefix(account, region)
        try:
            stored = stored_findings(aws.client("securityhub"), product, prefix)
            closing = [
                archived(f, job.now)
                for fid, f in sorted(stored.items())
                if f.get("RecordState", "ACTIVE") == "ACTIVE"
                and repository_of(fid, prefix) == ACCOUNT_ITEM
            ]
            refused += import_findings(aws.client("securityhub"), closing)
        except ClientError as error:
            refused.append(f"{hub_account} {region}: {error_code(error)}: {one_line(error)}")
            continue
        closed += len(closing)
    return closed


def _reachable(targets: Iterable[tuple[str, str]], hub_of: HubOf) -> list[tuple[str, str]]:
    """The targets whose hub can be reached (an account not entered cannot be)."""
    reachable = []
    for account, region in targets:
        try:
            hub_of(account, region)
        except KeyError:
            progress(f"Security Hub: {account} {region} was not entered; its findings not sent")
            continue
        reachable.append((account, region))
    return reachable


def _send(
    job: _Export, hub_of: HubOf, account: str, region: str
) -> tuple[str, int, int, list[str]]:
    """(hub account, imported, archived, refusals) for one target."""
    from botocore.exceptions import ClientError

    hub_account, aws = hub_of(account, region)
    securityhub = aws.client("securityhub")
    product, prefix = product_arn(region, hub_account), target_prefix(account, region)
    try:
        # Only a target audited this run can tell which of its findings are gone.
        stored: dict[str, AwsSecurityFindingOutputTypeDef] = {}
        if (account, region) in job.audited and (account, region) not in job.unsure_targets:
            stored = stored_findings(securityhub, product, prefix)
        current = [
            asff(
                key,
                job.groups[key],
                hub_account,
                job.now,
                job.managed(job.groups[key][0]),
                stored.get(fid),
            )
            for key in job.by_target.get((account, region), [])
            for fid in [finding_id(*key)]
        ]
        seen = {f["Id"] for f in current}
        closing = [
            archived(f, job.now)
            for fid, f in sorted(stored.items())
            if fid not in seen
            and f.get("RecordState", "ACTIVE") == "ACTIVE"
            and (account, region, repository_of(fid, prefix)) not in job.unsure_repositories
        ]
        refused = import_findings(securityhub, current + closing)
        return hub_account, len(current), len(closing), refused
    except ClientError as error:  # e.g. Security Hub not enabled there: the others still go
        return (
            hub_account,
            0,
            0,
            [f"{hub_account} {region}: {error_code(error)}: {one_line(error)}"],
        )
