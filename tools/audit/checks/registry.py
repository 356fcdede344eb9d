"""The registry's own settings, judged by the pack's rules: its policy, its scanning configuration
and its replication, whose destinations in other accounts are listed for the review."""

from __future__ import annotations

from policy.ecr_guardrails.config import PolicyConfigError
from policy.ecr_guardrails.policies import LEAST_PRIVILEGE, REGISTRY_SCANNING_POLICY
from policy.ecr_guardrails.props import MalformedPropertyError, document
from policy.ecr_guardrails.rules_access import grant_problems, replication_problems
from policy.ecr_guardrails.rules_repository import Context, registry_scanning
from policy.ecr_guardrails.rules_stack import scans_every_repository
from tools.audit.checks.base import Options
from tools.audit.checks.repository import CROSS_ACCOUNT
from tools.audit.pack import judged
from tools.audit.reads import Registry, scanning_props
from tools.audit.report import REGISTRY, Finding


def registry_findings(registry: Registry, options: Options) -> list[Finding]:
    """The registry policy and the registry scanning configuration, judged by the pack's rules."""
    region = registry.aws.region
    found: list[Finding] = []
    text = registry.registry_policy()
    if text is not None:
        try:
            parsed = document(text, "registry policyText")
            own, _ = registry.replication_configuration()
            problems = grant_problems(parsed, options.config.allowlist(own))
        except (PolicyConfigError, MalformedPropertyError) as error:
            problems = [str(error)]
        found += judged(LEAST_PRIVILEGE, options.config, REGISTRY, problems, region)
    scanning = scanning_props(registry.scanning_configuration())
    registry.scans_everything = scans_every_repository(scanning)
    problems = registry_scanning(
        scanning, Context(config=options.config.of(REGISTRY_SCANNING_POLICY))
    )
    found += judged(REGISTRY_SCANNING_POLICY, options.config, REGISTRY, problems, region)
    return found + replication_findings(registry, options)


def replication_findings(registry: Registry, options: Options) -> list[Finding]:
    """The registry's replication destinations: judged by the pack's replication rule, and
    those in other accounts listed for the review."""
    region = registry.aws.region
    own, configuration = registry.replication_configuration()
    try:
        props = {"replicationConfiguration": configuration}
        problems = replication_problems(props, options.config.allowlist(own))
    except (PolicyConfigError, MalformedPropertyError) as error:
        problems = [str(error)]
    found = judged(LEAST_PRIVILEGE, options.config, REGISTRY, problems, region)
    elsewhere = sorted(
        {
            f"{d.get('registryId')} ({d.get('region')})"
            for rule in configuration.get("rules", [])
            for d in rule.get("destinations", [])
            if d.get("registryId") not in (None, own)
        }
    )
    if elsewhere:
        message = f"replicates images to other accounts: {', '.join(elsewhere)}"
        found.append(CROSS_ACCOUNT.finding(REGISTRY, region, message))
    return found
