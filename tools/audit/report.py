"""The live audit's findings and how they are shown: a table for people, JSON for machines,
Markdown for the job summary (tools/audit/org.py groups them by account for organisation runs)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from policy.ecr_guardrails.controls import controls_of, remediation
from tools.aws import Calls
from tools.cli import markdown_table, table

COMPONENT_TAG = ("Component", "container-registry")  # what the program tags its resources with
REGISTRY = "(registry)"
LEVELS = ("mandatory", "advisory", "info")


@dataclass(frozen=True)
class Finding:
    repository: str
    check: str
    level: str
    message: str
    region: str = ""
    account: str = ""  # set in multi-account runs


def annotated(finding: Finding, managed: bool) -> dict[str, Any]:
    """A finding for `--json`: its fields, the controls its check covers and its remediation."""
    return asdict(finding) | {
        "controls": controls_of(finding.check).requirements(),
        "remediation": remediation(finding.check, managed),
    }


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    repositories: int = 0
    regions: list[str] = field(default_factory=list)
    calls: Calls = field(default_factory=Calls)

    @property
    def failed(self) -> bool:
        return any(f.level == "mandatory" for f in self.findings)

    def summary(self) -> dict[str, Any]:
        counts = {level: sum(f.level == level for f in self.findings) for level in LEVELS}
        return {
            "regions": self.regions,
            "repositories": self.repositories,
            "findings": counts,
            "failed": self.failed,
            "apiCalls": dict(sorted(self.calls.counts.items())),
        }

    def managed(self) -> Callable[[Finding], bool]:
        """Whether a finding's repository carries the program's Component tag (the registry and
        the account- and region-level findings, named in parentheses, are not repositories)."""
        unmanaged = {
            (f.account, f.region, f.repository)
            for f in self.findings
            if f.check == "ecr-live-unmanaged"
        }
        return lambda f: (
            not f.repository.startswith("(")
            and (f.account, f.region, f.repository) not in unmanaged
        )

    def as_json(self) -> str:
        managed = self.managed()
        findings = [annotated(f, managed(f)) for f in self.findings]
        return json.dumps({"findings": findings, "summary": self.summary()}, indent=2)

    def rows(self) -> list[list[str]]:
        return [[f.region, f.repository, f.check, f.level, f.message] for f in self.findings]

    def as_table(self) -> str:
        counts = self.summary()["findings"]
        head = (
            f"{self.repositories} repositories in {', '.join(self.regions)}: "
            f"{counts['mandatory']} mandatory, {counts['advisory']} advisory, {counts['info']} info"
        )
        if not self.findings:
            return head + "\nno findings"
        return (
            head + "\n" + table(["region", "repository", "check", "level", "message"], self.rows())
        )

    def as_markdown(self) -> str:
        verdict = "❌ failed" if self.failed else "✅ passed"
        lines = [f"## ECR audit: {verdict}", "", self.as_table().splitlines()[0], ""]
        if self.findings:
            lines.append(
                markdown_table(["region", "repository", "check", "level", "message"], self.rows())
            )
        return "\n".join(lines)
