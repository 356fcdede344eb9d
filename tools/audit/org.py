"""The live audit over many accounts and regions: `python -m tools.audit --organization ...`.

Each (account, region) is audited exactly as a single-account run audits its region
(`checks.audit_region`), with the account's assumed-role credentials and adaptive retries; its
findings carry the account. What could not be audited (an account not entered, a region not
enabled or not readable) is a finding of its own under the account and region it concerns.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import botocore.session

from tools.audit import security_hub
from tools.audit.checks import Options, audit_region
from tools.audit.report import LEVELS, Finding, Report
from tools.audit.security_hub import Exported
from tools.audit.targets import (
    EXTERNAL_ID,
    NOT_ENABLED,
    ROLE_NAME,
    Account,
    Entered,
    Outcome,
    Plan,
    assumed_credentials,
    organization_accounts,
    parse_regions,
    partition_of,
    read_accounts,
    role_arn,
    run_plan,
    session_with,
)
from tools.aws import Aws, Calls, regions
from tools.cli import ToolError, markdown_table, table

if TYPE_CHECKING:
    from botocore.credentials import RefreshableCredentials

# An account that could not be entered, or a region that could not be read, was not looked at:
# the run must not pass because of it. A region the account has not enabled holds no registry.
FAILURE_LEVEL = {NOT_ENABLED: "info"}
ACCOUNT = "(account)"
MAX_WORKERS = 64


@dataclass
class OrgReport(Report):
    """A multi-account report: grouped by account and region in every output."""

    accounts: dict[str, str] = field(default_factory=dict)
    """Account id -> name, for every account of the plan (entered or not)."""
    targets: list[dict[str, Any]] = field(default_factory=list)
    """Each (account, region) audited, with its repository count."""

    def _counts(self, findings: Iterable[Finding]) -> dict[str, int]:
        findings = list(findings)
        return {level: sum(f.level == level for f in findings) for level in LEVELS}

    def _of(self, account: str, region: str) -> list[Finding]:
        return [f for f in self.findings if (f.account, f.region) == (account, region)]

    def summary(self) -> dict[str, Any]:
        return super().summary() | {
            "accounts": [{"id": a, "name": n} for a, n in sorted(self.accounts.items())],
            "targets": [
                t | {"findings": self._counts(self._of(t["account"], t["region"]))}
                for t in self.targets
            ],
        }

    def groups(self) -> list[tuple[str, list[Finding]]]:
        """(heading, findings) per account and region, in order; account-wide findings (an
        account not entered) under the region `(account)`."""
        keys = {(t["account"], t["region"]) for t in self.targets}
        keys |= {(f.account, f.region) for f in self.findings}
        groups = []
        for account, region in sorted(keys):
            found = self._of(account, region)
            counts = self._counts(found)
            name = self.accounts.get(account, "")
            heading = (
                f"{account}{f' ({name})' if name else ''} {region or ACCOUNT}: "
                f"{counts['mandatory']} mandatory, {counts['advisory']} advisory, "
                f"{counts['info']} info"
            )
            groups.append((heading, found))
        return groups

    def head(self) -> str:
        counts = self._counts(self.findings)
        return (
            f"{self.repositories} repositories in {len(self.accounts)} accounts, "
            f"{len(self.targets)} account-regions: {counts['mandatory']} mandatory, "
            f"{counts['advisory']} advisory, {counts['info']} info"
        )

    def as_table(self) -> str:
        parts = [self.head()]
        for heading, found in self.groups():
            parts.append("\n" + heading)
            if found:
                parts.append(table(GROUPED, [_row(f) for f in found]))
        return "\n".join(parts)

    def as_markdown(self) -> str:
        verdict = "❌ failed" if self.failed else "✅ passed"
        lines = [f"## ECR audit: {verdict}", "", self.head(), ""]
        for heading, found in self.groups():
            lines += [f"### {heading}", ""]
            if found:
                lines += [markdown_table(GROUPED, [_row(f) for f in found]), ""]
        return "\n".join(lines)


GROUPED = ["repository", "check", "level", "message"]


def _row(finding: Finding) -> list[str]:
    return [finding.repository, finding.check, finding.level, finding.message]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The multi-account flags of `python -m tools.audit`."""
    group = parser.add_argument_group(
        "several accounts and regions",
        "Audit every account of a list or of the organisation, in each of --regions, entering "
        "each account through --role-name. Without these flags the audit reads the "
        "credentials' own account, as before.",
    )
    which = group.add_mutually_exclusive_group()
    which.add_argument(
        "--accounts",
        metavar="FILE",
        help="accounts to audit: one 12-digit id per line, optionally followed by a name; "
        "`#` starts a comment",
    )
    which.add_argument(
        "--organization",
        action="store_true",
        help="audit every ACTIVE account of the AWS organisation (organizations:ListAccounts, "
        "from the management or a delegated administrator account)",
    )
    group.add_argument(
        "--role-name",
        metavar="NAME",
        help="role to assume in each account: arn:<partition>:iam::<id>:role/NAME (required "
        "with --accounts and --organization)",
    )
    group.add_argument(
        "--external-id", metavar="ID", help="ExternalId the role's trust policy requires"
    )
    group.add_argument(
        "--regions",
        metavar="LIST",
        help="comma-separated regions to audit in every account, or `all-enabled` (each "
        "account's enabled regions); default: AWS_REGION",
    )
    group.add_argument(
        "--max-workers",
        type=int,
        default=4,
        metavar="N",
        help="accounts and regions audited at once (1-64, default 4; each reads 8 repositories "
        "at a time)",
    )


def plan_of(args: argparse.Namespace) -> Plan | None:
    """The multi-account plan of the arguments, or None for a single-account run as before."""
    if not 1 <= args.max_workers <= MAX_WORKERS:
        raise ToolError(f"--max-workers {args.max_workers}: expected 1 to {MAX_WORKERS}")
    # `--regions ""` (an empty CI variable) is a mistake to refuse, not a default to fall back on.
    multi = args.accounts or args.organization or args.regions is not None
    if not multi:
        for flag in ("role_name", "external_id"):
            if getattr(args, flag):
                raise ToolError(f"--{flag.replace('_', '-')} needs --accounts or --organization")
        return None
    if args.region:
        raise ToolError(
            "--region cannot be combined with --accounts, --organization or --regions: "
            "list the regions in --regions"
        )
    if args.external_id and not EXTERNAL_ID.fullmatch(args.external_id):
        raise ToolError("--external-id: 2-1224 characters of letters, digits and +=,.@:/-_")
    if args.role_name and not ROLE_NAME.fullmatch(args.role_name):
        raise ToolError(
            f"--role-name {args.role_name!r}: an IAM role name (1-64 of letters, digits and "
            "+=,.@-_), optionally after a path"
        )
    if (args.accounts or args.organization) and not args.role_name:
        raise ToolError("--role-name is required with --accounts and --organization")
    if not (args.accounts or args.organization) and (args.role_name or args.external_id):
        flag = "--role-name" if args.role_name else "--external-id"
        raise ToolError(f"{flag} needs --accounts or --organization")
    home = regions(None)[0]  # where STS, Organizations and DescribeRegions are called
    wanted = parse_regions(args.regions) if args.regions is not None else [home]
    calls = Calls()
    if args.accounts:
        accounts = read_accounts(args.accounts)
    elif args.organization:
        # Organizations throttles its list calls early: adaptive retries wait rather than fail.
        accounts = organization_accounts(Aws(home, calls, adaptive=True).client("organizations"))
    else:
        accounts = [Account(id=own_account(home))]
    return Plan(accounts, args.role_name, wanted, home, args.external_id, args.max_workers)


def own_account(region: str) -> str:
    """The account of the credentials themselves (sts:GetCallerIdentity needs no permission)."""
    return str(Aws(region).client("sts").get_caller_identity()["Account"])


def audit_plan(
    plan: Plan,
    options: Options,
    calls: Calls | None = None,
    outcome: Outcome[Report] | None = None,
) -> tuple[OrgReport, Outcome[Report]]:
    """Audits every (account, region) of the plan; the report is grouped by account and region.
    `outcome` fills as targets complete (what an interrupted run shows: `org_report`)."""
    calls = calls or Calls()
    loader = botocore.session.get_session().get_component("data_loader")

    read: list[bool] = []  # per target: could its repositories be listed at all?

    def work(entered: Entered, region: str) -> Report:
        session = session_with(entered.credentials, region, loader)
        part = Report(regions=[region], calls=calls)
        read.append(audit_region(Aws(region, calls, session, adaptive=True), options, part))
        account = entered.account.id
        part.findings = [dataclasses.replace(f, account=account) for f in part.findings]
        return part

    outcome = run_plan(plan, work, calls, outcome)
    report = org_report(plan, outcome, calls)
    if not any(read):
        # Every target failed, or was entered but not one region's repositories could be listed:
        # nothing was audited, in this mode as in the single-account one (exit 2).
        unread = [f for f in report.findings if f.repository == "(region)"]
        first = (
            outcome.failures[0].message
            if outcome.failures
            else f"{unread[0].region}: {unread[0].message}"
            if unread
            else "no targets"
        )
        raise ToolError(f"nothing could be audited: {first}")
    return report, outcome


def org_report(plan: Plan, outcome: Outcome[Report], calls: Calls) -> OrgReport:
    """The report of what `run_plan` has done so far: the targets audited, and the failures."""
    done, failures = list(outcome.done), list(outcome.failures)  # may still be growing
    report = OrgReport(
        regions=sorted({r for _, r, _ in done}),
        calls=calls,
        accounts={a.id: a.name for a in plan.accounts},
    )
    for entered, region, part in done:
        report.findings += part.findings
        report.repositories += part.repositories
        report.targets.append(
            {"account": entered.account.id, "region": region, "repositories": part.repositories}
        )
    for failure in failures:
        report.findings.append(
            Finding(
                "(region)" if failure.region else ACCOUNT,
                failure.check,
                FAILURE_LEVEL.get(failure.check, "mandatory"),
                failure.message,
                failure.region,
                failure.account.id,
            )
        )
    order = {level: i for i, level in enumerate(LEVELS)}
    report.targets.sort(key=lambda t: (t["account"], t["region"]))
    report.findings.sort(key=lambda f: (f.account, f.region, order[f.level], f.repository, f.check))
    return report


def credentials_of(outcome: Outcome[Report]) -> dict[str, RefreshableCredentials | None]:
    """Account id -> the credentials the run entered it with (None: the run's own)."""
    return {account: entered.credentials for account, entered in outcome.entered.items()}


# --- Security Hub export --------------------------------------------------------------------------


@dataclass(frozen=True)
class Hub:
    """Where the findings go: each audited account's own Security Hub (`account` None), or one
    account's; `own` is the credentials' account when it had to be looked up."""

    account: str | None
    home: str
    role_name: str | None
    external_id: str | None
    own: str | None
    workers: int = 4


def hub_of(args: argparse.Namespace, plan: Plan | None) -> Hub | None:
    """The Security Hub destination of the arguments (None: no export), checked before the audit."""
    if not (args.security_hub or args.security_hub_account):
        return None
    account = args.security_hub_account
    if account is not None and not re.fullmatch(r"[0-9]{12}", account):
        raise ToolError(f"--security-hub-account {account!r}: expected a 12-digit account id")
    home = plan.home_region if plan else regions(args.region)[0]
    own = None
    if plan is None or account is not None:
        own = own_account(home)
    if (plan is None or plan.role_name is None) and account not in (None, own):
        raise ToolError(
            f"--security-hub-account {account}: not the credentials' own account ({own}); "
            "enter it with --accounts/--organization and --role-name"
        )
    workers = plan.max_workers if plan else 4
    return Hub(account, home, plan.role_name if plan else None, args.external_id, own, workers)


def export(hub: Hub, report: Report, outcome: Outcome[Report] | None) -> Exported:
    """Sends the report to Security Hub (see tools/audit/security_hub.py) with the credentials the
    run entered each account with: no second AssumeRole for an audited account."""
    now = datetime.datetime.now(datetime.timezone.utc)
    if outcome is None:  # single account: the findings are the credentials' own account's
        assert hub.own is not None
        report = dataclasses.replace(
            report, findings=[dataclasses.replace(f, account=hub.own) for f in report.findings]
        )
        audited = [(hub.own, region) for region in report.regions]
        credentials: dict[str, RefreshableCredentials | None] = {hub.own: None}
    else:
        audited = [(e.account.id, region) for e, region, _ in outcome.done]
        credentials = credentials_of(outcome)
    if hub.account is not None:
        if hub.account == hub.own:  # the run's own credentials, even for an audited account
            credentials[hub.account] = None
        elif hub.account not in credentials:
            assert hub.role_name is not None  # hub_of refuses another account without a role
            arn = role_arn(hub.account, hub.role_name, partition_of(hub.home))
            sts = Aws(hub.home, report.calls, adaptive=True).client("sts")
            credentials[hub.account] = assumed_credentials(sts, arn, hub.external_id)
    clients: dict[tuple[str, str], Aws] = {}
    loader = botocore.session.get_session().get_component("data_loader")
    lock = threading.Lock()

    def destination(account: str, region: str) -> tuple[str, Aws]:
        target = hub.account or account
        with lock:
            if (target, region) not in clients:
                session = session_with(credentials[target], region, loader)  # KeyError: not entered
                clients[target, region] = Aws(region, report.calls, session, adaptive=True)
            return target, clients[target, region]

    # Account-wide findings are filed under a region the run audits, so that a later run, which
    # audits it again, can close them (AWS_REGION may be outside --regions).
    audited_regions = sorted({region for _, region in audited})
    filing = hub.home if hub.home in audited_regions or not audited_regions else audited_regions[0]
    return security_hub.export(
        report, audited, destination, filing, now, hub.workers, sweep_region=hub.home
    )
