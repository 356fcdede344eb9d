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

from components.lifecycle import RELEASE_TAG_PATTERNS

# The pack's rules, imported as a package: the audit judges with the same code as the pack.
from policy.ecr_guardrails.config import (
    PACK_SETTINGS,
    PolicyConfigError,
)
from policy.ecr_guardrails.lifecycle_eval import Action, Image, evaluate
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
    COMPLETED,
    ToolError,
    at_or_above,
    error_code,
    progress,
)
from tools.images import image_status, newest_release, pushed_at, status_meaning
from tools.signing import SIGNING, signing_status
from tools.usage import Use, lambda_functions, task_definitions, users_by_digest

WORKERS = 8
GRACE = datetime.timedelta(hours=24)  # ECR applies lifecycle rules within 24 hours
# The live checks (what each means: tools/audit/command.py; controls and remediation:
# policy/ecr_guardrails/controls.py).
IMAGE_FINDINGS = "ecr-live-image-findings"
NOT_SCANNED = "ecr-live-image-not-scanned"
KEY_ROTATION = "ecr-live-key-rotation"
LIFECYCLE_WORKING = "ecr-live-lifecycle-working"
LIFECYCLE_IN_USE = "ecr-live-lifecycle-in-use"
NOT_ACTIVE = "ecr-live-image-not-active"
CROSS_ACCOUNT = "ecr-live-cross-account"
UNMANAGED = "ecr-live-unmanaged"
UNSIGNED = "ecr-live-unsigned"
SIGNING_UNCOVERED = "ecr-live-signing-uncovered"
AWS_ERRORS: tuple[type[Exception], ...] = (ClientError, BotoCoreError)


# --- live checks ----------------------------------------------------------------------------------


def _parsed_policy(policy_text: str) -> dict[str, Any] | None:
    try:
        found = document(policy_text, "lifecyclePolicyText")
        rules = sequence(found.get("rules"), "rules")
    except (MalformedPropertyError, AttributeError):
        return None
    if not all(isinstance(r, Mapping) and isinstance(r.get("rulePriority"), int) for r in rules):
        return None
    return dict(found)


def _evaluate(
    policy: Mapping[str, Any], images: Sequence[Mapping[str, Any]], at: datetime.datetime
) -> list[Action] | None:
    """ECR's evaluation (lifecycle_eval) of the live policy; None when it cannot be evaluated."""
    try:
        return evaluate(policy, [Image.from_details(i) for i in images], at).actions
    except (KeyError, TypeError, ValueError):
        return None


def _described(action: Action) -> str:
    tags = ", ".join(action.image.tags) or "untagged"
    return f"{action.image.digest} ({tags})"


def lifecycle_problems(
    policy_text: str | None, images: Sequence[Mapping[str, Any]], now: datetime.datetime
) -> list[str]:
    """Signs that the lifecycle policy is not being applied: images that ECR's evaluation of the
    live policy (policy/ecr_guardrails/lifecycle_eval.py, every rule and storage class) would have
    expired or archived more than a day ago are still there (ECR applies rules within 24 hours)."""
    if not policy_text:
        return []
    policy = _parsed_policy(policy_text)
    then = now - GRACE
    actions = (
        None
        if policy is None
        else _evaluate(policy, [i for i in images if pushed_at(i) < then], then)
    )
    if actions is None:
        return ["the lifecycle policy cannot be read"]
    by_rule: dict[tuple[int, str], list[Action]] = {}
    for action in actions:
        by_rule.setdefault((action.rule, action.type), []).append(action)
    problems = []
    for (rule, kind), taken in sorted(by_rule.items()):
        verb = "expired" if kind == "expire" else "archived"
        shown = ", ".join(_described(a) for a in taken[:5]) + (" ..." if len(taken) > 5 else "")
        problems.append(
            f"rule {rule} should have {verb} {len(taken)} images more than a day ago, still "
            f"here: {shown}: the lifecycle policy is not working"
        )
    return problems


def lifecycle_takes_in_use(
    name: str,
    policy_text: str | None,
    images: Sequence[Mapping[str, Any]],
    in_use: Iterable[Use],
    registry: str | None,
    now: datetime.datetime,
) -> list[str]:
    """Images in use (ECS task definitions, Lambda functions, --in-use) that the live lifecycle
    policy, as ECR evaluates it, expires or archives now: the same judgement as the retention
    check makes of a proposed policy."""
    policy = _parsed_policy(policy_text) if policy_text else None
    if policy is None:
        return []
    actions = _evaluate(policy, images, now) or []
    users = users_by_digest(in_use, name, images, registry)
    problems = []
    for action in actions:
        if action.image.digest in users:
            verb = "expires" if action.type == "expire" else "archives"
            problems.append(
                f"{name}@{_described(action)} is used by {', '.join(users[action.image.digest])}, "
                f"but lifecycle rule {action.rule} {verb} it"
            )
    return problems


def images_to_check(
    name: str,
    images: Sequence[Mapping[str, Any]],
    in_use: Iterable[Use],
    registry: str | None,
    release_patterns: Sequence[str] = RELEASE_TAG_PATTERNS,
) -> dict[str, str]:
    """digest -> why it is checked: the newest release image, and images ECS uses."""
    chosen: dict[str, str] = {}
    newest = newest_release(images, release_patterns)
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
    in_use: tuple[Use, ...] = ()
    """Images in use that AWS cannot tell (EKS, elsewhere): `--in-use FILE`."""
    release_patterns: tuple[str, ...] = RELEASE_TAG_PATTERNS
    """What a release tag looks like (the stacks' releaseTagPatterns)."""


@dataclass(frozen=True)
class Seen:
    """One repository as the checks see it: what DescribeRepositories said, and its tags."""

    name: str
    region: str
    repository: Mapping[str, Any]
    tags: Mapping[str, str]

    def finding(self, check: str, level: str, message: str) -> Finding:
        return Finding(self.name, check, level, message, self.region)


@dataclass(frozen=True)
class Key:
    """The repository's KMS key: its manager and rotation, or why they could not be read."""

    arn: str | None
    manager: str = ""
    rotation: bool | None = None
    unreadable: tuple[Finding, ...] = ()


def audit_repository(
    registry: Registry,
    repository: Mapping[str, Any],
    in_use: list[Use],
    options: Options,
) -> list[Finding]:
    """Every pack rule and live check for one repository: a constant number of API calls apart
    from pagination and the images checked."""
    name = repository["repositoryName"]
    seen = Seen(name, registry.aws.region, repository, registry.tags(repository["repositoryArn"]))
    key = read_key(registry, seen)
    props = repository_props(repository, seen.tags, managed=key.manager == "AWS")
    findings = [*key.unreadable, *pack_rule_findings(seen, props, options.config)]
    lifecycle = registry.lifecycle_policy(name)
    findings += missing_lifecycle(seen, lifecycle, options.config)
    findings += repository_policy_findings(seen, registry.repository_policy(name), options.config)
    findings += key_rotation(seen, key) + unmanaged(seen)
    stored = registry.images(name)
    findings += [
        seen.finding(LIFECYCLE_WORKING, "mandatory", problem)
        for problem in lifecycle_problems(lifecycle, stored, options.now)
    ]
    registry_id = repository.get("registryId")
    findings += [
        seen.finding(LIFECYCLE_IN_USE, "mandatory", problem)
        for problem in lifecycle_takes_in_use(
            name, lifecycle, stored, in_use, registry_id, options.now
        )
    ]
    images, left_out = active_images(seen, stored, in_use)
    findings += left_out
    findings += unsigned(seen, registry, images, options)
    findings += signing_uncovered(seen, registry.signing_filters, options)
    return findings + image_findings(seen, registry, images, in_use, options)


def active_images(
    seen: Seen, stored: Sequence[Mapping[str, Any]], in_use: Iterable[Use]
) -> tuple[list[Mapping[str, Any]], list[Finding]]:
    """The ACTIVE images, which the scan and signature checks judge, and a finding naming each
    image they leave out and why: an ARCHIVED or ACTIVATING image cannot be pulled (or scanned)
    until it is restored, yet it can be restored and run, so it is listed, never silently dropped.
    An image in use that is not ACTIVE is mandatory: its next pull fails."""
    active: list[Mapping[str, Any]] = []
    findings = []
    users = users_by_digest(in_use, seen.name, stored, seen.repository.get("registryId"))
    for image in stored:
        try:
            status = image_status(image)
        except ValueError as error:
            findings.append(seen.finding(NOT_ACTIVE, "mandatory", f"not checked: {error}"))
            continue
        if status == "ACTIVE":
            active.append(image)
            continue
        digest = image["imageDigest"]
        label = f"{seen.name}@{digest} ({', '.join(image.get('imageTags') or []) or 'untagged'})"
        why = status_meaning(status)
        if digest in users:
            message = f"{label} is {why}, but used by {', '.join(users[digest])}: its pull fails"
            findings.append(seen.finding(NOT_ACTIVE, "mandatory", message))
        else:
            message = f"{label} left out of the scan and signature checks: {why}"
            findings.append(seen.finding(NOT_ACTIVE, "info", message))
    return active, findings


def read_key(registry: Registry, seen: Seen) -> Key:
    arn = (seen.repository.get("encryptionConfiguration") or {}).get("kmsKey")
    if not arn:
        return Key(arn)
    try:  # a key in another account, or one the audit role may not describe
        manager, rotation = registry.key(arn)
    except AWS_ERRORS as error:
        consequence = f"KMS key {arn} not checked"
        return Key(arn, unreadable=(unreadable(seen.name, seen.region, error, consequence),))
    return Key(arn, manager, rotation)


def pack_rule_findings(seen: Seen, props: Mapping[str, Any], config: PackConfig) -> list[Finding]:
    """The pack's repository rules, at their levels and after their exemptions."""
    findings = []
    for policy, (rule, production_matters) in REPOSITORY_RULES.items():
        try:
            settings = config.of(PACK_SETTINGS)
            production = production_matters and is_production(seen.tags, None, settings)
            problems = rule(props, Context(production=production, config=config.of(policy)))
        except (PolicyConfigError, MalformedPropertyError) as error:
            problems = [str(error)]
        findings += judged(policy, config, seen.name, problems, seen.region)
    return findings


def missing_lifecycle(seen: Seen, lifecycle: str | None, config: PackConfig) -> list[Finding]:
    if lifecycle is not None:
        return []
    problem = f"Repository {seen.name} has no lifecycle policy: images pile up forever."
    return judged(LIFECYCLE, config, seen.name, [problem], seen.region)


def repository_policy_findings(
    seen: Seen, policy_text: str | None, config: PackConfig
) -> list[Finding]:
    """The pack's least-privilege rule on the repository policy, and the other accounts it lets
    in, listed for the quarterly review."""
    if policy_text is None:
        return []
    try:
        parsed = document(policy_text, "policyText")
        grants = grant_problems(parsed, config.of(LEAST_PRIVILEGE))
        others = cross_account_principals(parsed, seen.repository.get("registryId", ""))
    except (PolicyConfigError, MalformedPropertyError) as error:
        grants, others = [str(error)], []
    findings = judged(LEAST_PRIVILEGE, config, seen.name, grants, seen.region)
    if others:
        message = f"lets in {', '.join(others)}: review them quarterly"
        findings.append(seen.finding(CROSS_ACCOUNT, "info", message))
    return findings


def key_rotation(seen: Seen, key: Key) -> list[Finding]:
    if key.rotation is not False:
        return []
    message = f"KMS key {key.arn} has automatic rotation off: enable it"
    return [seen.finding(KEY_ROTATION, "mandatory", message)]


def unmanaged(seen: Seen) -> list[Finding]:
    if seen.tags.get(COMPONENT_TAG[0]) == COMPONENT_TAG[1]:
        return []
    message = "not managed by the ECR stack (no Component=container-registry tag)"
    return [seen.finding(UNMANAGED, "info", message)]


def unsigned(
    seen: Seen, registry: Registry, images: Sequence[Mapping[str, Any]], options: Options
) -> list[Finding]:
    """With --require-signature: the newest release image is signed (managed signing still in
    progress is advisory: the audit does not wait)."""
    newest = newest_release(images, options.release_patterns)
    if not options.require_signature or newest is None:
        return []
    signing = signing_status(registry.ecr, seen.name, newest["imageDigest"])
    if not signing.problem:
        return []
    shown = ", ".join(newest.get("imageTags") or [])
    message = f"{seen.name}@{newest['imageDigest']} ({shown}, newest release image): " + (
        signing.problem
    )
    level = "advisory" if signing.state == SIGNING else "mandatory"
    return [seen.finding(UNSIGNED, level, message)]


def signing_uncovered(seen: Seen, filters: list[str] | None, options: Options) -> list[Finding]:
    """With --require-signature: a production repository the registry's signing configuration
    (when it has one) does not cover."""
    if not (options.require_signature and filters):
        return []
    production = is_production(seen.tags, None, options.config.of(PACK_SETTINGS))
    if not production or covers(filters, seen.name):
        return []
    message = (
        "production repository not covered by the registry's signing configuration "
        f"(filters {', '.join(filters)}): its pushes are not signed"
    )
    return [seen.finding(SIGNING_UNCOVERED, "mandatory", message)]


def image_findings(
    seen: Seen,
    registry: Registry,
    images: Sequence[Mapping[str, Any]],
    in_use: list[Use],
    options: Options,
) -> list[Finding]:
    """The newest release image and every image ECS uses: a completed scan, and no finding at or
    above --fail-on."""
    blocking = at_or_above(options.fail_on)
    tags_of = {i["imageDigest"]: i.get("imageTags", []) for i in images}
    checked = images_to_check(
        seen.name, images, in_use, seen.repository.get("registryId"), options.release_patterns
    )
    findings = []
    for digest, why in checked.items():
        label = f"{seen.name}@{digest} ({', '.join(tags_of.get(digest, [])) or 'untagged'}, {why})"
        counts = registry.scan(seen.name, digest)
        if counts is None:
            findings.append(seen.finding(NOT_SCANNED, "advisory", f"{label} has no completed scan"))
            continue
        found = {s: int(counts.get(s, 0)) for s in blocking if counts.get(s)}
        if found:
            shown = ", ".join(f"{n} {s}" for s, n in found.items())
            message = f"{label} has {shown} findings (fail on {options.fail_on})"
            findings.append(seen.finding(IMAGE_FINDINGS, "mandatory", message))
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
    in_use = [u for u in options.in_use if u.region in (None, aws.region)]
    try:
        in_use += [u for u in task_definitions(aws) if u.region in (None, aws.region)]
    except AWS_ERRORS as error:
        consequence = "the images ECS task definitions use were not checked"
        report.findings.append(unreadable("(ecs)", aws.region, error, consequence))
    try:
        in_use += [u for u in lambda_functions(aws) if u.region in (None, aws.region)]
    except AWS_ERRORS as error:
        consequence = "the images Lambda functions use were not checked"
        report.findings.append(unreadable("(lambda)", aws.region, error, consequence))
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
        found.append(Finding(REGISTRY, CROSS_ACCOUNT, "info", message, region))
    return found


def audit(
    region_names: Sequence[str],
    options: Options,
    calls: Calls | None = None,
    report: Report | None = None,
) -> Report:
    """Every region in turn into `report`, which holds only completed regions (so that an
    interrupted run can show them: tools/cli.py's COMPLETED)."""
    report = report or Report(regions=list(region_names), calls=calls or Calls())
    read = []
    for region in region_names:
        part = Report(regions=[region], calls=report.calls)
        read.append(audit_region(Aws(region, report.calls), options, part))
        report.findings += part.findings
        report.repositories += part.repositories
        COMPLETED.unit(region)
    if not any(read):
        (first, *_) = report.findings
        raise ToolError(f"nothing could be read: {first.region}: {first.message}")
    order = {level: i for i, level in enumerate(LEVELS)}
    report.findings.sort(key=lambda f: (order[f.level], f.region, f.repository, f.check))
    return report
