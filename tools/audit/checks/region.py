"""The checks of one region, and of a run over several: every repository judged by the pack's
rules and by the live checks (`CHECKS`), then the registry's own policy, scanning and replication.

A repository, the registry's settings or ECS's task definitions that cannot be read is a finding of
its own (ecr-live-unreadable, naming the call and the error); the rest is still audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from tools.audit.checks.base import (
    AWS_ERRORS,
    REGION_ITEM,
    UNREADABLE,
    Check,
    Options,
    Seen,
    unreadable,
)
from tools.audit.checks.images import (
    IMAGE_FINDINGS,
    NOT_ACTIVE,
    NOT_SCANNED,
    active_images,
    image_findings,
)
from tools.audit.checks.lifecycle import (
    LIFECYCLE_IN_USE,
    LIFECYCLE_WORKING,
    lifecycle_findings,
    missing_lifecycle,
)
from tools.audit.checks.registry import registry_findings
from tools.audit.checks.repository import (
    CROSS_ACCOUNT,
    KEY_ROTATION,
    UNMANAGED,
    key_rotation,
    pack_rule_findings,
    read_key,
    repository_policy_findings,
    unmanaged,
)
from tools.audit.checks.signing import (
    SIGNING_UNCOVERED,
    UNSIGNED,
    signing_uncovered,
    unsigned,
)
from tools.audit.reads import Registry, repository_props
from tools.audit.report import LEVELS, REGISTRY, Finding, Report
from tools.aws import Aws, Calls
from tools.cli import COMPLETED, ToolError, progress
from tools.usage import Use, lambda_functions, task_definitions

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import RepositoryTypeDef

WORKERS = 8

CHECKS: dict[str, Check] = {
    c.id: c
    for c in (
        IMAGE_FINDINGS,
        NOT_SCANNED,
        KEY_ROTATION,
        LIFECYCLE_WORKING,
        LIFECYCLE_IN_USE,
        NOT_ACTIVE,
        CROSS_ACCOUNT,
        UNMANAGED,
        UNSIGNED,
        SIGNING_UNCOVERED,
        UNREADABLE,
    )
}
"""The live checks, in the order the command's help lists them."""


def audit_repository(
    registry: Registry,
    repository: RepositoryTypeDef,
    in_use: list[Use],
    options: Options,
) -> list[Finding]:
    """Every pack rule and live check for one repository: a constant number of API calls apart
    from pagination and the images checked."""
    name = repository["repositoryName"]
    seen = Seen(name, registry.aws.region, repository, registry.tags(repository["repositoryArn"]))
    key = read_key(registry, seen)
    props = repository_props(repository, seen.tags, managed=key.manager == "AWS")
    findings = [
        *key.unreadable,
        *pack_rule_findings(seen, props, options.config, registry.scans_everything),
    ]
    lifecycle = registry.lifecycle_policy(name)
    findings += missing_lifecycle(seen, lifecycle, options.config)
    findings += repository_policy_findings(seen, registry.repository_policy(name), options.config)
    findings += key_rotation(seen, key) + unmanaged(seen)
    stored = registry.images(name)
    findings += lifecycle_findings(seen, lifecycle, stored, in_use, options.now)
    images, left_out = active_images(seen, stored, in_use)
    findings += left_out
    findings += unsigned(seen, registry, images, options)
    findings += signing_uncovered(seen, registry.signing_filters, options)
    return findings + image_findings(seen, registry, images, in_use, options)


def _in_use(aws: Aws, options: Options, report: Report) -> list[Use]:
    """The images in use in the region: --in-use lines, ECS task definitions, Lambda functions.
    What cannot be read is a finding; the rest is still used."""
    in_use = [u for u in options.in_use if u.region in (None, aws.region)]
    readers = (
        (task_definitions, "(ecs)", "the images ECS task definitions use were not checked"),
        (lambda_functions, "(lambda)", "the images Lambda functions use were not checked"),
    )
    for read, item, consequence in readers:
        try:
            in_use += [u for u in read(aws) if u.region in (None, aws.region)]
        except AWS_ERRORS as error:
            report.findings.append(unreadable(item, aws.region, error, consequence))
    return in_use


def _registry_settings(registry: Registry, options: Options, report: Report) -> None:
    """The registry's own findings, and (with --require-signature) its signing filters."""
    region = registry.aws.region
    try:
        report.findings += registry_findings(registry, options)
    except AWS_ERRORS as error:
        consequence = "the registry policy, scanning and replication configuration were not checked"
        report.findings.append(unreadable(REGISTRY, region, error, consequence))
    if options.require_signature:
        try:
            registry.signing_filters = registry.read_signing_filters()
        except AWS_ERRORS as error:
            consequence = "which repositories managed signing covers was not checked"
            report.findings.append(unreadable(REGISTRY, region, error, consequence))


def audit_region(aws: Aws, options: Options, report: Report) -> bool:
    """Audits one region into `report`; False when not even its repositories could be listed."""
    registry = Registry(aws)
    try:
        repositories = registry.repositories()
    except AWS_ERRORS as error:
        report.findings.append(unreadable(REGION_ITEM, aws.region, error, "region not audited"))
        return False
    progress(f"{aws.region}: {len(repositories)} repositories")
    in_use = _in_use(aws, options, report)
    report.repositories += len(repositories)
    _registry_settings(registry, options, report)

    def one(repository: RepositoryTypeDef) -> list[Finding]:
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
