"""A repository's own settings: the pack's repository rules and least-privilege rule on its
policy (at the policy config's levels, after its exemptions: tools/audit/pack.py), and the live
checks of its key, its tags and the accounts its policy lets in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from policy.ecr_guardrails.config import PACK_SETTINGS, PolicyConfigError
from policy.ecr_guardrails.policies import (
    LEAST_PRIVILEGE,
    REGISTRY_SCANNING_POLICY,
    REPOSITORY_RULES,
)
from policy.ecr_guardrails.props import MalformedPropertyError, document
from policy.ecr_guardrails.rules_access import cross_account_principals, grant_problems
from policy.ecr_guardrails.rules_repository import Context, is_production
from tools.audit.checks.base import AWS_ERRORS, Check, Seen, unreadable
from tools.audit.pack import PackConfig, judged
from tools.audit.reads import Registry
from tools.audit.report import COMPONENT_TAG, Finding


def pack_rule_findings(
    seen: Seen, props: Mapping[str, Any], config: PackConfig, registry_scans: bool = False
) -> list[Finding]:
    """The pack's repository rules, at their levels and after their exemptions. A registry
    scanning configuration that scans every repository replaces the repository's own scanOnPush
    (as the pack judges it)."""
    findings = []
    for policy, (rule, production_matters) in REPOSITORY_RULES.items():
        if registry_scans and policy == REGISTRY_SCANNING_POLICY:
            continue
        try:
            settings = config.of(PACK_SETTINGS)
            production = production_matters and is_production(seen.tags, None, settings)
            problems = rule(props, Context(production=production, config=config.of(policy)))
        except (PolicyConfigError, MalformedPropertyError) as error:
            problems = [str(error)]
        findings += judged(policy, config, seen.name, problems, seen.region)
    return findings


CROSS_ACCOUNT = Check(
    "ecr-live-cross-account",
    ("info",),
    "accounts a repository or registry policy lets in, or the registry replicates to, for review",
)


def repository_policy_findings(
    seen: Seen, policy_text: str | None, config: PackConfig
) -> list[Finding]:
    """The pack's least-privilege rule on the repository policy, and the other accounts it lets
    in, listed for the quarterly review."""
    if policy_text is None:
        return []
    try:
        parsed = document(policy_text, "policyText")
        grants = grant_problems(parsed, config.allowlist(seen.repository.get("registryId")))
        others = cross_account_principals(parsed, seen.repository.get("registryId", ""))
    except (PolicyConfigError, MalformedPropertyError) as error:
        grants, others = [str(error)], []
    findings = judged(LEAST_PRIVILEGE, config, seen.name, grants, seen.region)
    if others:
        message = f"lets in {', '.join(others)}: review them quarterly"
        findings.append(seen.finding(CROSS_ACCOUNT, message))
    return findings


@dataclass(frozen=True)
class Key:
    """The repository's KMS key: its manager and rotation, or why they could not be read."""

    arn: str | None
    manager: str = ""
    rotation: bool | None = None
    unreadable: tuple[Finding, ...] = ()


def read_key(registry: Registry, seen: Seen) -> Key:
    encryption = seen.repository.get("encryptionConfiguration")
    arn = encryption.get("kmsKey") if encryption else None
    if not arn:
        return Key(arn)
    try:  # a key in another account, or one the audit role may not describe
        manager, rotation = registry.key(arn)
    except AWS_ERRORS as error:
        consequence = f"KMS key {arn} not checked"
        return Key(arn, unreadable=(unreadable(seen.name, seen.region, error, consequence),))
    return Key(arn, manager, rotation)


KEY_ROTATION = Check(
    "ecr-live-key-rotation",
    ("mandatory",),
    "the customer-managed KMS key a repository uses rotates automatically",
)


def key_rotation(seen: Seen, key: Key) -> list[Finding]:
    if key.rotation is not False:
        return []
    message = f"KMS key {key.arn} has automatic rotation off: enable it"
    return [seen.finding(KEY_ROTATION, message)]


UNMANAGED = Check(
    "ecr-live-unmanaged",
    ("info",),
    "repositories without this program's Component tag",
)


def unmanaged(seen: Seen) -> list[Finding]:
    if seen.tags.get(COMPONENT_TAG[0]) == COMPONENT_TAG[1]:
        return []
    message = "not managed by the ECR stack (no Component=container-registry tag)"
    return [seen.finding(UNMANAGED, message)]
