"""Where a multi-account run looks: accounts times regions, each entered through a role.

- Accounts come from `--accounts FILE` (one 12-digit id per line, optionally followed by a name;
  `#` starts a comment) or from AWS Organizations (`ListAccounts`, ACTIVE accounts only; it answers
  in the management account or a delegated administrator).
- Each account is entered once: one `sts:AssumeRole` of `arn:<partition>:iam::<id>:role/<name>`
  (optional external id, session name `ecr-guardrails-audit` so CloudTrail names the tool), whose
  credentials botocore refreshes with another AssumeRole shortly before they expire, so a run
  longer than the session's hour keeps working.
- Regions are a list, or `all-enabled`: the account's enabled regions (`ec2:DescribeRegions`, of
  the partition the run is in). A listed region the account has not enabled is skipped and said so.
- Targets run on a bounded thread pool; an account that cannot be entered or a region that cannot be
  read is a `Failure` of its own, and the rest still runs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tools.aws import Aws, Calls
from tools.cli import COMPLETED, ToolError, error_code, one_line, progress

if TYPE_CHECKING:
    from botocore.credentials import RefreshableCredentials
    from botocore.loaders import Loader
    from mypy_boto3_organizations import OrganizationsClient
    from mypy_boto3_sts import STSClient
    from mypy_boto3_sts.type_defs import AssumeRoleRequestTypeDef

SESSION_NAME = "ecr-guardrails-audit"
# One hour is every role's default maximum session. botocore refreshes 15 minutes before expiry
# (10 minutes: mandatory), so the minimum of 15 minutes would mean an AssumeRole per call.
SESSION_SECONDS = 3600
ALL_ENABLED = "all-enabled"
ENABLED = ("opt-in-not-required", "opted-in")
# IAM: a role name of 1-64 of [\w+=,.@-], optionally under a path.
ROLE_NAME = re.compile(r"(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}")
# STS AssumeRole ExternalId: 2-1224 of [\w+=,.@:/-].
EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}")
REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]")

# The checks of a target that could not be audited (the audit reports them as findings).
NOT_ENTERED = "ecr-live-account-not-entered"
NOT_ENABLED = "ecr-live-region-not-enabled"
UNREADABLE = "ecr-live-unreadable"


class Account(BaseModel):
    """One account of the run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[0-9]{12}$", description="12-digit AWS account id")
    name: str = Field("", max_length=50, description="account name (Organizations: 1-50 chars)")


def read_accounts(path: str) -> list[Account]:
    """`--accounts FILE`: `id` or `id name` per line; blank lines and `#` comments skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ToolError(f"--accounts {path}: {error}") from None
    accounts: dict[str, Account] = {}
    lines: dict[str, int] = {}  # account id -> the line that lists it
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split("#", 1)[0].split(None, 1)
        if not words:
            continue
        try:
            account = Account(id=words[0], name=words[1].strip() if len(words) > 1 else "")
        except ValidationError as error:
            problem = error.errors()[0]
            field_name = problem["loc"][0] if problem["loc"] else "line"
            raise ToolError(
                f"--accounts {path} line {number}: {field_name} {problem['input']!r}: "
                f"{problem['msg']} (expected a 12-digit account id, then an optional name)"
            ) from None
        if account.id in accounts:
            # Twice is a mistaken file (a copy-paste, a merge): refused, naming both lines.
            raise ToolError(
                f"--accounts {path} lines {lines[account.id]} and {number}: account "
                f"{account.id} listed twice"
            )
        accounts[account.id] = account
        lines[account.id] = number
    if not accounts:
        raise ToolError(f"--accounts {path}: no account ids in the file")
    return list(accounts.values())


def organization_accounts(organizations: OrganizationsClient) -> list[Account]:
    """The organisation's ACTIVE accounts (suspended, closing and invited ones are skipped)."""
    found = []
    pages = organizations.get_paginator("list_accounts").paginate()
    for account in (a for page in pages for a in page.get("Accounts", [])):
        # `State` replaces the deprecated `Status`; older endpoints send only `Status`.
        if (account.get("State") or account.get("Status")) == "ACTIVE":
            found.append(Account(id=account["Id"], name=account.get("Name", "")[:50]))
    if not found:
        raise ToolError("--organization: ListAccounts returned no ACTIVE account")
    return found


def parse_regions(text: str) -> list[str] | None:
    """`--regions`: a comma- or space-separated list, or `all-enabled` (None)."""
    names = [r for r in re.split(r"[,\s]+", text.strip()) if r]
    if names == [ALL_ENABLED]:
        return None
    if not names:
        raise ToolError(f"--regions {text!r}: name regions or {ALL_ENABLED}")
    for name in names:
        if not REGION.fullmatch(name):
            raise ToolError(
                f"--regions {name!r} is not an AWS region name such as ap-northeast-2 "
                f"(or give {ALL_ENABLED})"
            )
    return list(dict.fromkeys(names))


# --- entering an account --------------------------------------------------------------------------


@functools.cache
def partition_of(region: str) -> str:
    """aws, aws-cn, aws-us-gov, ... (botocore's endpoint data, read once)."""
    import boto3

    return str(boto3.session.Session().get_partition_for_region(region))


def role_arn(account: str, role_name: str, partition: str) -> str:
    return f"arn:{partition}:iam::{account}:role/{role_name}"


def assumed_credentials(
    sts: STSClient, arn: str, external_id: str | None, seconds: int = SESSION_SECONDS
) -> RefreshableCredentials:
    """RefreshableCredentials of one AssumeRole, made now (so a refused role fails here) and
    renewed by botocore, with the same call, shortly before they expire."""
    from botocore.credentials import RefreshableCredentials

    def fetch() -> dict[str, str]:
        request: AssumeRoleRequestTypeDef = {
            "RoleArn": arn,
            "RoleSessionName": SESSION_NAME,
            "DurationSeconds": seconds,
        }
        if external_id:
            request["ExternalId"] = external_id
        found = sts.assume_role(**request)["Credentials"]
        return {
            "access_key": found["AccessKeyId"],
            "secret_key": found["SecretAccessKey"],
            "token": found["SessionToken"],
            "expiry_time": found["Expiration"].isoformat(),
        }

    return RefreshableCredentials.create_from_metadata(
        metadata=fetch(), refresh_using=fetch, method="sts-assume-role"
    )


def session_with(
    credentials: RefreshableCredentials | None, region: str, loader: Loader | None = None
) -> Any:  # a boto3 Session: boto3 itself is untyped (no boto3-stubs)
    """A boto3 session for one region whose credentials are `credentials` (None: the standard
    chain). One per account and region: a boto3 session holds one region, and threads share
    nothing else but the credentials, whose refresh botocore locks."""
    import boto3
    import botocore.session
    from botocore.credentials import CredentialProvider, CredentialResolver

    core = botocore.session.Session()
    if loader is not None:
        core.register_component("data_loader", loader)  # parse each service model once
    if credentials is not None:

        class Entered(CredentialProvider):
            METHOD = "ecr-audit-assume-role"

            def load(self) -> RefreshableCredentials | None:
                return credentials

        core.register_component("credential_provider", CredentialResolver([Entered()]))
    return boto3.session.Session(botocore_session=core, region_name=region)


@dataclass
class Entered:
    """An account the run got into: its credentials (None: the run's own) and regions."""

    account: Account
    credentials: RefreshableCredentials | None
    regions: list[str] = field(default_factory=list)
    not_enabled: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Failure:
    """A target the run could not audit: the account (region "" when none was reached), the check
    it is reported under, and why."""

    account: Account
    region: str
    check: str
    message: str


@dataclass(frozen=True)
class Plan:
    """What to audit: the accounts, how to enter them, which regions."""

    accounts: Sequence[Account]
    role_name: str | None  # None: the credentials' own account, entered as it is
    regions: Sequence[str] | None  # None: every region each account has enabled
    home_region: str
    external_id: str | None = None
    max_workers: int = 4


T = TypeVar("T")


@dataclass
class Outcome(Generic[T]):
    """What `run_plan` did: each audited (account, region) with its result, and the failures."""

    done: list[tuple[Entered, str, T]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    entered: dict[str, Entered] = field(default_factory=dict)


class RegionsUnknownError(ToolError):
    """The account was entered, but `all-enabled` could not be resolved in it."""


def _describe(error: Exception) -> str:
    code = error_code(error)
    return one_line(f"{code}: {error}" if code and code not in str(error) else error)


def _isolated() -> tuple[type[Exception], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return (ClientError, BotoCoreError, ToolError)


def enter(
    plan: Plan, account: Account, calls: Calls, sts: STSClient, loader: Loader | None = None
) -> Entered:
    """One AssumeRole into the account (none for the run's own), then its regions. `sts` is the
    run's own STS client, shared so that its adaptive rate limiting sees every AssumeRole."""
    credentials = None
    if plan.role_name:
        arn = role_arn(account.id, plan.role_name, partition_of(plan.home_region))
        credentials = assumed_credentials(sts, arn, plan.external_id)
    entered = Entered(account, credentials)
    if plan.regions is None:
        try:
            entered.regions = enabled_regions(entered, plan.home_region, calls, loader)
        except _isolated() as error:
            raise RegionsUnknownError(
                f"cannot list its enabled regions: {_describe(error)}"
            ) from None
        return entered
    try:
        enabled = set(enabled_regions(entered, plan.home_region, calls, loader))
    except _isolated() as error:
        # Not knowing which regions are enabled is no reason to skip any: each region's own
        # calls will say whether it can be read.
        progress(f"{account.id}: cannot list enabled regions ({_describe(error)}); trying all")
        enabled = set(plan.regions)
    entered.regions = [r for r in plan.regions if r in enabled]
    entered.not_enabled = [r for r in plan.regions if r not in enabled]
    return entered


def enabled_regions(
    entered: Entered, home: str, calls: Calls, loader: Loader | None = None
) -> list[str]:
    """The account's enabled regions of the run's partition (AllRegions shows opt-in status)."""
    session = session_with(entered.credentials, home, loader)
    ec2 = Aws(home, calls, session, adaptive=True).client("ec2")
    partition = partition_of(home)
    return sorted(
        r["RegionName"]
        for r in ec2.describe_regions(AllRegions=True)["Regions"]
        if r.get("OptInStatus", "opt-in-not-required") in ENABLED
        and partition_of(r["RegionName"]) == partition
    )


def run_plan(
    plan: Plan,
    work: Callable[[Entered, str], T],
    calls: Calls | None = None,
    outcome: Outcome[T] | None = None,
) -> Outcome[T]:
    """Enters every account and runs `work(entered, region)` for each of its regions, at most
    `plan.max_workers` at a time, into `outcome` as each completes. A failure to enter an account
    or to run one region is recorded and the rest goes on; any other exception (a bug)
    propagates."""
    import botocore.session

    calls = calls or Calls()
    loader = botocore.session.get_session().get_component("data_loader")
    outcome = Outcome() if outcome is None else outcome
    total = len(plan.accounts)
    known = total * len(plan.regions) if plan.regions is not None else 0
    COMPLETED.expect(known, "account-regions")
    with ThreadPoolExecutor(plan.max_workers) as pool:
        sts = Aws(plan.home_region, calls, adaptive=True).client("sts")
        entering = {pool.submit(enter, plan, a, calls, sts, loader): a for a in plan.accounts}
        audits: dict[Future[T], tuple[Entered, str]] = {}
        for done, future in enumerate(as_completed(entering), 1):
            account = entering[future]
            try:
                entered = future.result()
            except RegionsUnknownError as error:
                outcome.failures.append(Failure(account, "", UNREADABLE, str(error)))
                progress(f"[{done}/{total} accounts] {account.id}: {error}")
                continue
            except _isolated() as error:
                message = f"cannot assume role {plan.role_name}: {_describe(error)}"
                outcome.failures.append(Failure(account, "", NOT_ENTERED, message))
                progress(f"[{done}/{total} accounts] {account.id}: not entered")
                continue
            outcome.entered[account.id] = entered
            progress(
                f"[{done}/{total} accounts] {account.id}: entered, {len(entered.regions)} regions"
            )
            if plan.regions is None:  # all-enabled: known once the account is entered
                known += len(entered.regions)
                COMPLETED.expect(known, "account-regions")
            for region in entered.not_enabled:
                message = f"region {region} is not enabled in account {account.id}: not audited"
                outcome.failures.append(Failure(account, region, NOT_ENABLED, message))
            for region in entered.regions:
                audits[pool.submit(work, entered, region)] = (entered, region)
        for done, audit in enumerate(as_completed(audits), 1):
            entered, region = audits[audit]
            try:
                outcome.done.append((entered, region, audit.result()))
            except _isolated() as error:
                message = f"region {region} could not be read: {_describe(error)}"
                outcome.failures.append(Failure(entered.account, region, UNREADABLE, message))
            COMPLETED.unit(f"{entered.account.id} {region}")
            progress(f"[{done}/{len(audits)} account-regions] {entered.account.id} {region}: done")
    return outcome
