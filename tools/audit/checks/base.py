"""What every live check shares: its metadata (`Check`), the repository as the checks see it
(`Seen`), the run's options, and the finding for what could not be read.

A check is data plus a small function, as prowler keeps its checks: each module of this package
declares its checks' `Check` (id, the levels its findings carry, what it asks) right above the
function that makes their findings. Controls and remediation are looked up by id in the one table
of policy/ecr_guardrails/controls.py, which the `--json` output, Security Hub's
`Compliance.RelatedRequirements` and the docs' control table also read.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from components.lifecycle import RELEASE_TAG_PATTERNS
from policy.ecr_guardrails.controls import Controls, controls_of, remediation
from tools.audit.pack import PackConfig
from tools.audit.report import LEVELS, Finding
from tools.cli import error_code
from tools.usage import Use

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import RepositoryTypeDef

AWS_ERRORS: tuple[type[Exception], ...] = (ClientError, BotoCoreError)


@dataclass(frozen=True)
class Check:
    """A live check's metadata."""

    id: str
    levels: tuple[str, ...]
    """The levels its findings carry, the usual one first."""
    asks: str
    """What it checks, in a line (the command's help says it in full)."""

    def __post_init__(self) -> None:
        assert self.levels and set(self.levels) <= set(LEVELS), (self.id, self.levels)

    @property
    def controls(self) -> Controls:
        """The published controls it covers, and its fixes (policy/ecr_guardrails/controls.py)."""
        return controls_of(self.id)

    def remediation(self, managed: bool) -> str:
        return remediation(self.id, managed)

    def finding(self, item: str, region: str, message: str, level: str | None = None) -> Finding:
        """A finding of this check about `item` (a repository, or `(registry)`, `(region)`...)."""
        level = level or self.levels[0]
        assert level in self.levels, f"{self.id} does not report at level {level}"
        return Finding(item, self.id, level, message, region)


@dataclass(frozen=True)
class Options:
    fail_on: str
    config: PackConfig
    now: datetime.datetime
    require_signature: bool = False
    in_use: tuple[Use, ...] = ()
    """Images in use that AWS cannot tell (EKS, elsewhere): `--in-use FILE`."""
    release_patterns: tuple[str, ...] = RELEASE_TAG_PATTERNS
    """What a release tag looks like (the stacks' releaseTagPatterns)."""


@dataclass(frozen=True)
class Seen:
    """One repository as the checks see it: what DescribeRepositories said, and its tags."""

    name: str
    region: str
    repository: RepositoryTypeDef
    tags: Mapping[str, str]

    def finding(self, check: Check, message: str, level: str | None = None) -> Finding:
        return check.finding(self.name, self.region, message, level)


UNREADABLE = Check(
    "ecr-live-unreadable",
    ("mandatory",),
    "a repository, the registry's settings, ECS's task definitions or a region could be read",
)
REGION_ITEM = "(region)"


def unreadable(item: str, region: str, error: Exception, consequence: str) -> Finding:
    """What could not be read: the call, the error, and what was therefore not checked."""
    call = getattr(error, "operation_name", "")
    code = error_code(error)
    response = getattr(error, "response", None) or {}
    cause = response.get("Error", {}).get("Message") or str(error)
    message = (f"{call} failed: " if call else "") + (f"{code}: " if code else "") + cause
    return UNREADABLE.finding(item, region, f"{message}; {consequence}")
