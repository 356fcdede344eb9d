"""Policy config: the tunables, their JSON schema (which the CLI checks), and exemptions.

Every tunable is a property of a policy's config, with a default. The CLI validates a policy config
file against these schemas before the pack runs; the validators check again (another engine, or
the audit tool, may not have), and report bad config as a violation rather than crash.
"""

from __future__ import annotations

import datetime
import fnmatch
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyConfigSchema

DEFAULTS: dict[str, list[Any]] = {
    "prodEnvironments": ["prod", "production"],
    "allowedExclusionFilters": [],
    "requiredTags": ["Owner", "CostCenter", "Environment", "Lifecycle", "DataClass", "Service"],
    "allowedEnvironments": ["dev", "staging", "prod"],
    "allowedAccounts": [],
    "allowedOrganizations": [],
    "allowedKmsKeys": [],
    "exemptions": [],
}

DESCRIPTIONS = {
    "prodEnvironments": "Environment tag values or stack names that mean production.",
    "allowedExclusionFilters": "Tag-mutability exclusion filters allowed in production "
    "(e.g. `latest`); everything else must be immutable.",
    "requiredTags": "Tags every ECR repository must carry, non-empty.",
    "allowedEnvironments": "Values the Environment tag may take.",
    "allowedAccounts": "12-digit account ids that repository and registry policies may name as "
    "principals. Empty: any account, but never `*`.",
    "allowedOrganizations": "AWS Organization ids (o-...) that may be granted access through an "
    "aws:PrincipalOrgID condition on a `*` principal. Empty: no organisation grants.",
    "allowedKmsKeys": "ARNs of the customer-managed KMS keys repositories may use. Empty: any "
    "customer-managed key.",
    "exemptions": "Time-boxed exceptions: [{repository: glob over the repository name, stacks: "
    "optional glob over the stack name, reason, expires: YYYY-MM-DD}]. An exempted resource "
    "passes with an advisory note; an expired exemption no longer applies.",
}

ITEM_PATTERNS = {
    "allowedAccounts": r"^[0-9]{12}$",
    "allowedOrganizations": r"^o-[a-z0-9]{10,32}$",
    "allowedKmsKeys": r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$",
}
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
EXEMPTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "repository": {"type": "string", "minLength": 1},
        "stacks": {"type": "string", "minLength": 1},
        "reason": {"type": "string", "minLength": 1},
        "expires": {"type": "string", "pattern": _DATE},
    },
    "required": ["repository", "reason", "expires"],
    "additionalProperties": False,
}


class PolicyConfigError(ValueError):
    """Policy config that the schema should have refused (e.g. sent by another engine)."""


def schema(*names: str) -> PolicyConfigSchema:
    """The JSON schema the CLI checks a policy's config against, defaults included; every policy
    also takes `exemptions`."""
    properties: dict[str, Any] = {}
    for name in (*names, "exemptions"):
        items: dict[str, Any]
        if name == "exemptions":
            items = EXEMPTION_SCHEMA
        else:
            items = {"type": "string", "minLength": 1}
            if name in ITEM_PATTERNS:
                items["pattern"] = ITEM_PATTERNS[name]
        properties[name] = {
            "type": "array",
            "items": items,
            "uniqueItems": True,
            "default": DEFAULTS[name],
            "description": DESCRIPTIONS[name],
        }
    return PolicyConfigSchema(properties=properties)


def config_list(config: Mapping[str, Any], name: str) -> list[str]:
    """A list-of-strings policy config value, its default when unset."""
    value = config.get(name, DEFAULTS[name])
    pattern = ITEM_PATTERNS.get(name)
    if (
        not isinstance(value, list)
        or not all(isinstance(v, str) and v for v in value)
        or (pattern and not all(re.fullmatch(pattern, v) for v in value))
    ):
        allowed = f"strings matching {pattern}" if pattern else "non-empty strings"
        raise PolicyConfigError(
            f"policy config {name} = {_json(value)}: must be a list of {allowed}"
        )
    return value


# --- exemptions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exemption:
    repository: str
    """Glob over the repository name."""
    stacks: str | None
    """Glob over the stack name; None: every stack."""
    reason: str
    expires: datetime.date
    """The last day the exemption applies."""

    def covers(self, repository: str | None, stack: str | None) -> bool:
        if repository is None or not fnmatch.fnmatchcase(repository, self.repository):
            return False
        return self.stacks is None or (
            stack is not None and fnmatch.fnmatchcase(stack, self.stacks)
        )

    def active(self, today: datetime.date) -> bool:
        return today <= self.expires

    def describe(self) -> str:
        where = f" in stacks {self.stacks}" if self.stacks else ""
        return f"exemption for {self.repository}{where} ({self.reason}; expires {self.expires})"


def exemptions(config: Mapping[str, Any]) -> list[Exemption]:
    """The policy's exemptions; a malformed entry is a PolicyConfigError naming it."""
    entries = config.get("exemptions", [])
    if not isinstance(entries, list):
        raise PolicyConfigError(f"policy config exemptions = {_json(entries)}: must be a list")
    found = []
    for index, entry in enumerate(entries):
        problem = _exemption_problem(entry)
        if problem:
            raise PolicyConfigError(
                f"policy config exemptions[{index}] = {_json(entry)}: {problem}"
            )
        found.append(
            Exemption(
                repository=entry["repository"],
                stacks=entry.get("stacks"),
                reason=entry["reason"],
                expires=datetime.date.fromisoformat(entry["expires"]),
            )
        )
    return found


def _exemption_problem(entry: Any) -> str | None:
    allowed = "must be {repository, reason, expires: YYYY-MM-DD} with an optional stacks glob"
    if not isinstance(entry, Mapping) or set(entry) - set(EXEMPTION_SCHEMA["properties"]):
        return allowed
    for name in ("repository", "reason", "expires"):
        if not isinstance(entry.get(name), str) or not entry[name].strip():
            return f"{name} is required; {allowed}"
    if "stacks" in entry and (not isinstance(entry["stacks"], str) or not entry["stacks"]):
        return "stacks must be a non-empty glob"
    try:
        if not re.fullmatch(_DATE, entry["expires"]):
            raise ValueError
        datetime.date.fromisoformat(entry["expires"])
    except ValueError:
        return f"expires {_json(entry['expires'])} is not a date YYYY-MM-DD"
    return None


def _json(value: Any) -> str:
    try:
        return json.dumps(value, default=str)[:200]
    except (ValueError, RecursionError):
        return "(unprintable)"
