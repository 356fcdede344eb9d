"""Live audit of the registry with the policy pack's own rules, plus the seed's periodic checks.

    python -m tools.audit [--region R ...] [--policy-config FILE] [--fail-on HIGH] [--json]
    python -m tools.audit --organization --role-name ROLE --regions all-enabled [--security-hub]

Many accounts and regions: tools/audit_org.py (targets: tools/targets.py); the Security Hub export:
tools/security_hub.py; the controls and remediation each finding carries in --json:
policy/ecr_guardrails/controls.py.

Every repository in each region, whether or not a stack manages it, is read from AWS
(DescribeRepositories, its lifecycle policy, repository policy and tags), converted to the
properties the pack judges and run through the same rules, under the same policy names and levels,
with the same policy config file the CLI takes with `--policy-pack-config` (levels and exemptions
included). Production is the Environment tag (there is no stack here). Live-only checks:

- ecr-live-image-findings: the newest release image (`v*`) and every image an ACTIVE ECS task
  definition uses has no scan finding at or above --fail-on (mandatory);
- ecr-live-image-not-scanned: such an image has no completed scan (advisory);
- ecr-live-key-rotation: the customer-managed KMS key a repository uses rotates automatically
  (mandatory); an AWS managed key is reported by ecr-repository-require-kms-cmk;
- ecr-live-lifecycle-working: no image that a count rule made surplus more than a day ago, no
  untagged image older than its expiry plus a day (mandatory: ECR applies lifecycle rules within
  24 hours, so a burst of pushes is not a finding);
- ecr-live-cross-account: accounts and organisations a repository or registry policy lets in, and
  other accounts the registry replicates to, for the quarterly review (info);
- ecr-live-unmanaged: repositories without this program's `Component` tag (info);
- ecr-live-unsigned: with --require-signature, the newest release image is not signed: ECR
  managed signing failed (with ECR's reason) or no signature is beside it (mandatory), or managed
  signing is still in progress (advisory; the audit does not wait). Read as the scan gate reads it:
  DescribeImageSigningStatus, then the referrers API, then the manifests' `subject`;
- ecr-live-signing-uncovered: with --require-signature, a production repository (Environment tag)
  that the registry's signing configuration (GetSigningConfiguration) does not cover, when the
  registry has one: its pushes are not signed (mandatory);
- ecr-live-unreadable: a repository, the registry's settings, ECS's task definitions or a whole
  region could not be read (the finding names the call and the error); everything else is still
  audited (mandatory: what was not read was not checked).

Exit status: 0 clean; 1 a mandatory rule or a live check failed (including ecr-live-unreadable);
2 usage error, or nothing at all could be read (one line on stderr).
Read-only: it calls only Describe/Get/List APIs. This module holds the checks; the reads are in
tools/audit_reads.py, the findings and their rendering in tools/audit_report.py, and organisation-
wide runs in tools/audit_org.py, tools/targets.py and tools/security_hub.py.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

# The pack's rules, imported as a package: the audit judges with the same code as the pack.
from policy.ecr_guardrails.config import (
    PACK_SETTINGS,
    PolicyConfigError,
    apply_exemptions,
    expanded,
)
from policy.ecr_guardrails.policies import (
    LEAST_PRIVILEGE,
    LIFECYCLE,
    POLICIES,
    REGISTRY_SCANNING_POLICY,
    REPOSITORY_RULES,
    check_config,
)
from policy.ecr_guardrails.props import MalformedPropertyError, document, sequence
from policy.ecr_guardrails.rules_access import (
    cross_account_principals,
    grant_problems,
    replication_problems,
)
from policy.ecr_guardrails.rules_repository import Context, is_production, registry_scanning
from policy.ecr_guardrails.rules_signing import covers
from tools.audit_reads import Registry, repository_props, scanning_props

# Re-exported: the audit's findings, report and reads are used through this module too.
from tools.audit_report import COMPONENT_TAG, LEVELS, REGISTRY, Finding, Report, annotated  # noqa: F401
from tools.aws import (
    EXIT_FOUND,
    EXIT_OK,
    Aws,
    Calls,
    ToolError,
    add_fail_on,
    at_or_above,
    emit,
    error_code,
    newest_release,
    progress,
    pushed_at,
    regions,
    run,
    write_step_summary,
)
from tools.inputs import read_json
from tools.scan_gate import SIGNING, signing_status
from tools.usage import Use, task_definitions, users_by_digest

WORKERS = 8
GRACE = datetime.timedelta(hours=24)  # ECR applies lifecycle rules within 24 hours
AWS_ERRORS: tuple[type[Exception], ...] = (ClientError, BotoCoreError)


# --- policy config --------------------------------------------------------------------------------


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


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.audit",
        description="Judge every ECR repository of an account with the policy pack's rules and "
        "the seed's periodic checks (image findings, key rotation, lifecycle, cross-account "
        "grants, unmanaged repositories). Read-only.",
        epilog="Exit status: 0 clean; 1 a mandatory rule or live check failed (a repository, "
        "key or region that could not be read is one: ecr-live-unreadable); 2 usage error, or "
        "nothing at all could be read (one line on stderr). Uses the standard AWS environment "
        "(credentials, AWS_REGION, AWS_ENDPOINT_URL).",
    )
    parser.add_argument(
        "--region",
        action="append",
        help="region to audit (repeatable; default AWS_REGION, else AWS_DEFAULT_REGION)",
    )
    parser.add_argument(
        "--policy-config",
        metavar="FILE",
        help="policy config JSON, as given to "
        "`pulumi preview --policy-pack-config` (levels, allowlists, exemptions)",
    )
    add_fail_on(parser, "HIGH", "lowest scan-finding severity that fails")
    parser.add_argument(
        "--require-signature",
        action="store_true",
        help="report newest release images without a Notation signature (when signing is on)",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print JSON for machines")
    output.add_argument("--markdown", action="store_true", help="print Markdown")
    from tools import audit_org

    audit_org.add_arguments(parser)
    hub = parser.add_argument_group("AWS Security Hub")
    hub.add_argument(
        "--security-hub",
        action="store_true",
        help="import the findings into Security Hub (BatchImportFindings) and archive the ones "
        "this tool made that are gone",
    )
    hub.add_argument(
        "--security-hub-account",
        metavar="ID",
        help="import into this account's Security Hub (the run's own, or entered with "
        "--role-name) instead of each audited account's; implies --security-hub",
    )
    return parser.parse_args(argv)


def audit(region_names: Sequence[str], options: Options, calls: Calls | None = None) -> Report:
    report = Report(regions=list(region_names), calls=calls or Calls())
    read = [audit_region(Aws(region, report.calls), options, report) for region in region_names]
    if not any(read):
        (first, *_) = report.findings
        raise ToolError(f"nothing could be read: {first.region}: {first.message}")
    order = {level: i for i, level in enumerate(LEVELS)}
    report.findings.sort(key=lambda f: (order[f.level], f.region, f.repository, f.check))
    return report


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)

    def body() -> int:
        options = Options(
            args.fail_on,
            PackConfig.load(args.policy_config),
            datetime.datetime.now(datetime.timezone.utc),
            args.require_signature,
        )
        from tools import audit_org

        plan = audit_org.plan_of(args)
        hub = audit_org.hub_of(args, plan)  # checks the Security Hub flags before any audit
        if plan is None:
            report, outcome = audit(regions(args.region), options), None
        else:
            report, outcome = audit_org.audit_plan(plan, options)
        emit(
            report.as_json()
            if args.json
            else report.as_markdown()
            if args.markdown
            else report.as_table()
        )
        write_step_summary(report.as_markdown())
        if hub is not None:
            progress(audit_org.export(hub, report, outcome).describe())
        return EXIT_FOUND if report.failed else EXIT_OK

    return run("audit", body)


if __name__ == "__main__":
    sys.exit(main())
