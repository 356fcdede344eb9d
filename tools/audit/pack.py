"""The policy pack as the audit applies it: the config file the CLI takes (levels, properties,
exemptions), and a rule's problems turned into findings at the policy's level, after its
exemptions, exactly as the pack waives them (policy/ecr_guardrails/config.py `apply_exemptions`)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from policy.ecr_guardrails.config import (
    PACK_SETTINGS,
    Allowlist,
    PackSettings,
    PolicyConfigError,
    apply_exemptions,
    expanded,
)
from policy.ecr_guardrails.policies import POLICIES, check_config
from tools.audit.report import Finding
from tools.cli import ToolError
from tools.inputs import read_json


@dataclass(frozen=True)
class PackConfig:
    """The policy config file as the CLI takes it: levels (the pack's defaults) and properties."""

    levels: Mapping[str, str]
    properties: Mapping[str, Mapping[str, Any]]

    @classmethod
    def load(cls, path: str | None) -> PackConfig:
        defaults = {
            p.name: p.enforcement_level.value if p.enforcement_level else "mandatory"
            for p in POLICIES
        }
        raw: Any = read_json(path, "--policy-config") if path else {}
        # The pack's own validation: a misspelled key or a bad value is refused, never ignored.
        problems = check_config(raw)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise ToolError(f"--policy-config {path}: {problems[0]}{more}")
        levels = dict(defaults)
        properties: dict[str, dict[str, Any]] = {}
        for name, values in expanded(raw, defaults).items():
            values = dict(values)
            level = values.pop("enforcementLevel", levels[name])
            # remediate enforces as mandatory does; the audit changes nothing.
            levels[name] = "mandatory" if level == "remediate" else level
            properties[name] = values
        return cls(levels, properties)

    def of(self, policy: str) -> Mapping[str, Any]:
        return self.properties.get(policy, {})

    def settings(self) -> PackSettings:
        """The pack-wide settings, as the pack builds them from the same file."""
        return PackSettings.from_config(self.of(PACK_SETTINGS))

    def allowlist(self, own: str | None) -> Allowlist:
        """The pack's allowlist, with the audited account as the stack's own."""
        return self.settings().allowlist.with_own(own or None)


def judged(
    policy: str, config: PackConfig, repository: str, problems: Iterable[str], region: str
) -> list[Finding]:
    """Findings of a pack rule at the policy's level, after its exemptions (stack: none here)."""
    level = config.levels[policy]
    problems = list(problems)
    if level == "disabled" or not problems:
        return []
    today = datetime.datetime.now(datetime.timezone.utc).date()
    try:
        waiver = apply_exemptions(config.of(policy), repository, None, problems, today)
    except PolicyConfigError as error:
        return [Finding(repository, policy, level, str(error), region)]
    if waiver.note:
        # Advisory, as the pack's ecr-exemption-notes reports it; under the policy's own name, so
        # each waived check keeps its identity (and its Security Hub finding).
        return [Finding(repository, policy, "advisory", waiver.note, region)]
    return [Finding(repository, policy, level, p, region) for p in waiver.problems]
