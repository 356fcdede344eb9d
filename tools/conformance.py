"""Every registered resource's inputs checked against the AWS API model of the call that creates it.

This file is the interface the issue-15 branch provides (`problems` and `Problem`, exactly as
here); on this branch it finds nothing. The lead replaces it with issue 15's module at merge, and
the offline plan (tools/plan.py), which calls `problems(run.resources)`, needs no change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol


class Registered(Protocol):
    """What the check reads of a registered resource (tools.mock_engine.Registration has it)."""

    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def urn(self) -> str: ...
    @property
    def inputs(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Problem:
    """One input AWS would refuse: which resource, which property, and the rule it breaks."""

    resource: str
    property: str
    rule: str

    def __str__(self) -> str:
        return f"{self.resource}: {self.property}: {self.rule}"


def problems(resources: Iterable[Registered]) -> list[Problem]:
    """What AWS would refuse of these resources' inputs (interface only on this branch: none)."""
    return []
