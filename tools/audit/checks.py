"""The checks of one region: every repository judged by the pack's rules (with the policy config's
levels and exemptions: tools/audit/pack.py) and by the live checks the command's help lists, then
the registry's own policy, scanning and replication configuration.

A repository, the registry's settings or ECS's task definitions that cannot be read is a finding of
its own (ecr-live-unreadable, naming the call and the error); the rest is still audited.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

# The pack's rules, imported as a package: the audit judges with the same code as the pack.
from policy.ecr_guardrails.config import (
    PACK_SETTINGS,
    PolicyConfigError,
)
from policy.ecr_guardrails.policies import (
    LEAST_PRIVILEGE,
    LIFECYCLE,
    REGISTRY_SCANNING_POLICY,
    REPOSITORY_RULES,
)
from policy.ecr_guardrails.props import MalformedPropertyError, document, sequence
from policy.ecr_guardrails.rules_access import (
    cross_account_principals,
    grant_problems,
    replication_problems,
)
from policy.ecr_guardrails.rules_repository import Context, is_production, registry_scanning
from policy.ecr_guardrails.rules_signing import covers
from tools.audit.pack import PackConfig, judged
from tools.audit.reads import Registry, repository_props, scanning_props
from tools.audit.report import COMPONENT_TAG, LEVELS, REGISTRY, Finding, Report
from tools.aws import Aws, Calls
from tools.cli import (
    ToolError,
    at_or_above,
    error_code,
    progress,
)
from tools.images import newest_release, pushed_at
from tools.signing import SIGNING, signing_status
from tools.usage import Use, task_definitions, users_by_digest

WORKERS = 8
GRACE = datetime.timedelta(hours=24)  # ECR applies lifecycle rules within 24 hours
AWS_ERRORS: tuple[type[Exception], ...] = (ClientError, BotoCoreError)


# --- live checks ----------------------------------------------------------------------------------


def lifecycle_problems(
    policy_text: str | None, images: Sequence[Mapping[str, Any]], now: datetime.datetime
) -> list[str]:
    """Signs that the lifecycle policy is not being applied (it runs within 24 hours)."""
    if not policy_text:
        return []
    try:
        rules = sequence(document(policy_text, "lifecyclePolicyText").get("rules"), "rules")
    except (MalformedPropertyError, AttributeError):
        return ["the lifecycle policy cannot be read"]
    problems = []
    for rule in rules:
        selection = rule.get("selection", {}) if isinstance(rule, Mapping) else {}
        count = selection.get("countNumber")
        if not isinstance(count, int) or rule.get("action", {}).get("type") != "expire":
            continue
        status, prefixes = selection.get("tagStatus"), selection.get("tagPrefixList") or []
        if status == "tagged" and selection.get("countType") == "imageCountMoreThan" and prefixes:
            matching = sorted(
                (
                    i
                    for i in images
                    if any(t.startswith(tuple(prefixes)) for t in i.get("imageTags", []))
                ),
                key=pushed_at,
                reverse=True,
            )
            # The image `count` places below another became surplus when that one was pushed;
            # ECR has a day to expire it.
            overdue = [
                image
                for newer, image in zip(matching, matching[count:], strict=False)
                if pushed_at(newer) < now - GRACE
            ]
            if overdue:
                problems.append(
                    f"{len(matching)} images tagged {'/'.join(p + '*' for p in prefixes)} but rule "
                    f"{rule.get('rulePriority')} keeps {count}, {len(overdue)} of them surplus "
                    "for over a day: the lifecycle policy is not working"
                )
        if status == "untagged" and selection.get("countType") == "sinceImagePushed":
            limit = now - datetime.timedelta(days=count) - GRACE
            stale = [i for i in images if not i.get("imageTags") and pushed_at(i) < limit]
            if stale:
                problems.append(
                    f"{len(stale)} untagged images older than {count} days + 1 (rule "
                    f"{rule.get('rulePriority')}): the lifecycle policy is not working"
                )
    return problems


def images_to_check(
    name: str, images: Sequence[Mapping[str, Any]], in_use: Iterable[Use], registry: str | None
) -> dict[str, str]:
    """digest -> why it is checked: the newest release image, and images ECS uses."""
    chosen: dict[str, str] = {}
    newest = newest_release(images)
    if newest is not None:
        chosen[newest["imageDigest"]] = "newest release image"
    for digest, users in users_by_digest(in_use, name, images, registry).items():
        reason = "used by " + ", ".join(users)
        chosen[digest] = f"{chosen[digest]}; {reason}" if digest in chosen else reason
    return chosen


@dataclass(frozen=True)
class Options:
    fail_on: str
    config: PackConfig
    now: datetime.datetime
    require_signature: bool = False


def audit_repository(
    registry: Registry,
    repository: Mapping[str, Any],
    in_use: list[Use],
    options: Options,
) -> list[Finding]:
    """Every pack rule and live check for one repository: a constant number of API calls apart
    from pagination and the images checked."""
    name, region = repository["repositoryName"], registry.aws.region
    config = options.config
    tags = registry.tags(repository["repositoryArn"])
    findings: list[Finding] = []
    key_arn = (repository.get("encryptionConfiguration") or {}).get("kmsKey")
    manager, rotation = "", None
    if key_arn:
        try:  # a key in another account, or one the audit role may not describe
            manager, rotation = registry.key(key_arn)
        except AWS_ERRORS as error:
            findings.append(unreadable(name, region, error, f"KMS key {key_arn} not checked"))
    props = repository_props(repository, tags, managed=manager == "AWS")

    for policy, (rule, production_matters) in REPOSITORY_RULES.items():
        try:
            production = production_matters and is_production(tags, None, config.of(PACK_SETTINGS))
            problems = rule(props, Context(production=production, config=config.of(policy)))
        except (PolicyConfigError, MalformedPropertyError) as error:
            problems = [str(error)]
        findings += judged(policy, config, name, problems, region)

    lifecycle = registry.lifecycle_policy(name)
    if lifecycle is None:
        problem = f"Repository {name} has no lifecycle policy: images pile up forever."
        findings += judged(LIFECYCLE, config, name, [problem], region)

    policy_text = registry.repository_policy(name)
    if policy_text is not None:
        try:
            parsed = document(policy_text, "policyText")
            grants = grant_problems(parsed, config.of(LEAST_PRIVILEGE))
            others = cross_account_principals(parsed, repository.get("registryId", ""))
        except (PolicyConfigError, MalformedPropertyError) as error:
            grants, others = [str(error)], []
        findings += judged(LEAST_PRIVILEGE, config, name, grants, region)
        if others:
            message = f"lets in {', '.join(others)}: review them quarterly"
            findings.append(Finding(name, "ecr-live-cross-account", "info", message, region))

    if rotation is False:
        findings.append(
            Finding(
                name,
                "ecr-live-key-rotation",
                "mandatory",
                f"KMS key {key_arn} has automatic rotation off: enable it",
                region,
            )
        )
    if tags.get(COMPONENT_TAG[0]) != COMPONENT_TAG[1]:
        findings.append(
            Finding(
                name,
                "ecr-live-unmanaged",
                "info",
                "not managed by the ECR stack (no Component=container-registry tag)",
                region,
            )
        )

    images = registry.images(name)
    findings += [
        Finding(name, "ecr-live-lifecycle-working", "mandatory", p, region)
        for p in lifecycle_problems(lifecycle, images, options.now)
    ]
    newest = newest_release(images)
    if options.require_signature and newest is not None:
        signing = signing_status(registry.ecr, name, newest["imageDigest"])
        if signing.problem:
            shown = ", ".join(newest.get("imageTags") or [])
            message = f"{name}@{newest['imageDigest']} ({shown}, newest release image): " + (
                signing.problem
            )
            level = "advisory" if signing.state == SIGNING else "mandatory"
            findings.append(Finding(name, "ecr-live-unsigned", level, message, region))
    filters = registry.signing_filters
    if (
        options.require_signature
        and filters
        and is_production(tags, None, config.of(PACK_SETTINGS))
        and not covers(filters, name)
    ):
        message = (
            "production repository not covered by the registry's signing configuration "
            f"(filters {', '.join(filters)}): its pushes are not signed"
        )
        findings.append(Finding(name, "ecr-live-signing-uncovered", "mandatory", message, region))
    blocking = at_or_above(options.fail_on)
    tags_of = {i["imageDigest"]: i.get("imageTags", []) for i in images}
    in_use_here = images_to_check(name, images, in_use, repository.get("registryId"))
    for digest, why in in_use_here.items():
        label = f"{name}@{digest} ({', '.join(tags_of.get(digest, [])) or 'untagged'}, {why})"
        counts = registry.scan(name, digest)
        if counts is None:
            findings.append(
                Finding(
                    name,
                    "ecr-live-image-not-scanned",
                    "advisory",
                    f"{label} has no completed scan",
                    region,
                )
            )
            continue
        found = {s: int(counts.get(s, 0)) for s in blocking if counts.get(s)}
        if found:
            shown = ", ".join(f"{n} {s}" for s, n in found.items())
            findings.append(
                Finding(
                    name,
                    "ecr-live-image-findings",
                    "mandatory",
                    f"{label} has {shown} findings (fail on {options.fail_on})",
                    region,
                )
            )
    return findings


UNREADABLE = "ecr-live-unreadable"
REGION_ITEM = "(region)"


def unreadable(item: str, region: str, error: Exception, consequence: str) -> Finding:
    """What could not be read: the call, the error, and what was therefore not checked."""
    call = getattr(error, "operation_name", "")
    code = error_code(error)
    response = getattr(error, "response", None) or {}
    cause = response.get("Error", {}).get("Message") or str(error)
    message = (f"{call} failed: " if call else "") + (f"{code}: " if code else "") + cause
    return Finding(item, UNREADABLE, "mandatory", f"{message}; {consequence}", region)


def audit_region(aws: Aws, options: Options, report: Report) -> bool:
    """Audits one region into `report`; False when not even its repositories could be listed."""
    registry = Registry(aws)
    try:
        repositories = registry.repositories()
    except AWS_ERRORS as error:
        report.findings.append(unreadable(REGION_ITEM, aws.region, error, "region not audited"))
        return False
    progress(f"{aws.region}: {len(repositories)} repositories")
    try:
        in_use = [u for u in task_definitions(aws) if u.region in (None, aws.region)]
    except AWS_ERRORS as error:
        consequence = "the images ECS task definitions use were not checked"
        report.findings.append(unreadable("(ecs)", aws.region, error, consequence))
        in_use = []
    report.repositories += len(repositories)
    try:
        report.findings += registry_findings(registry, options)
    except AWS_ERRORS as error:
        consequence = "the registry policy, scanning and replication configuration were not checked"
        report.findings.append(unreadable(REGISTRY, aws.region, error, consequence))

    if options.require_signature:
        try:
            registry.signing_filters = registry.read_signing_filters()
        except AWS_ERRORS as error:
            consequence = "which repositories managed signing covers was not checked"
            report.findings.append(unreadable(REGISTRY, aws.region, error, consequence))

    def one(repository: Mapping[str, Any]) -> list[Finding]:
        try:
            return audit_repository(registry, repository, in_use, options)
        except AWS_ERRORS as error:
            name = repository["repositoryName"]
            return [unreadable(name, aws.region, error, "repository not audited")]

    done = 0
    with ThreadPoolExecutor(WORKERS) as pool:
        for found in pool.map(one, repositories):
            report.findings += found
            done += 1
            if done % 50 == 0:
                progress(f"{aws.region}: {done}/{len(repositories)} repositories audited")
    return True


def registry_findings(registry: Registry, options: Options) -> list[Finding]:
    """The registry policy and the registry scanning configuration, judged by the pack's rules."""
    region = registry.aws.region
    found: list[Finding] = []
    text = registry.registry_policy()
    if text is not None:
        try:
            parsed = document(text, "registry policyText")
            problems = grant_problems(parsed, options.config.of(LEAST_PRIVILEGE))
        except (PolicyConfigError, MalformedPropertyError) as error:
            problems = [str(error)]
        found += judged(LEAST_PRIVILEGE, options.config, REGISTRY, problems, region)
    scanning = scanning_props(registry.scanning_configuration())
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
        problems = replication_problems(props, options.config.of(LEAST_PRIVILEGE))
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
        found.append(Finding(REGISTRY, "ecr-live-cross-account", "info", message, region))
    return found


def audit(region_names: Sequence[str], options: Options, calls: Calls | None = None) -> Report:
    report = Report(regions=list(region_names), calls=calls or Calls())
    read = [audit_region(Aws(region, report.calls), options, report) for region in region_names]
    if not any(read):
        (first, *_) = report.findings
        raise ToolError(f"nothing could be read: {first.region}: {first.message}")
    order = {level: i for i, level in enumerate(LEVELS)}
    report.findings.sort(key=lambda f: (order[f.level], f.region, f.repository, f.check))
    return report
