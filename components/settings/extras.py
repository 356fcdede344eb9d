"""Issue 29's cross-field checks: Lambda pulls and the team's own statements per service, the
ECR-to-ECR cache rules, the cached repositories' floating tags and the dual-stack URL parameters.
`loading` runs them with the other cross-field checks; each problem names the key, the value and
what is allowed."""

from __future__ import annotations

import re
from typing import Any

from components.config_messages import key, show
from components.settings.grants import lambda_problems, statement_problems
from components.settings.registry import PullThroughCacheConfig
from components.settings.repository import ServiceConfig
from components.settings.stack import StackConfig, StackSettings
from components.settings.types import (
    AWS_REGIONS,
    ECR_UPSTREAM,
    NAMESPACE,
    SSM_MAX_LEVELS,
    SSM_MAX_NAME,
    partition_of,
)

DUAL_STACK_PARTITIONS = ("aws",)
"""Where AWS documents the dual-stack registry hostname `<account>.dkr-ecr.<region>.on.aws` (ECR
User Guide, "Making requests to Amazon ECR registries"). For aws-cn and aws-us-gov no AWS page
this project could read names one, so the program publishes none there."""
_LONGEST_REGION = max(AWS_REGIONS, key=len)
_ACCOUNT = "123456789012"


def issue29_problems(config: StackConfig, settings: StackSettings, region: str | None) -> list[str]:
    problems: list[str] = []
    for name, given in sorted(config.services.items()):
        service = given or ServiceConfig()
        path = f"services.{key(name)}"
        problems += lambda_problems(path, service.lambda_pull_functions, region)
        problems += statement_problems(
            path, service.extra_policy_statements, service.pull_organization_id
        )
    problems += _cache_problems(config, region)
    problems += _floating_tag_problems(config)
    problems += _dual_stack_problems(settings, region)
    return problems


def _problem(path: str, value: Any, allowed: str) -> str:
    return f"{NAMESPACE}:{path} = {show(value)}: {allowed}"


def _cache_problems(config: StackConfig, region: str | None) -> list[str]:
    """ECR-to-ECR takes a role and an upstream prefix (CreatePullThroughCacheRule: customRoleArn,
    upstreamRepositoryPrefix), and no secret; the other upstreams take neither."""
    problems = []
    partition = partition_of(region) if region else None
    for prefix, cache in sorted(config.pull_through_cache.items()):
        path = f"pullThroughCache.{key(prefix)}"
        ecr = re.fullmatch(ECR_UPSTREAM, cache.upstream)
        if ecr is None:
            for field, value in (
                ("customRoleArn", cache.custom_role_arn),
                ("upstreamRepositoryPrefix", cache.upstream_repository_prefix),
            ):
                if value is not None:
                    problems.append(
                        _problem(
                            f"{path}.{field}",
                            value,
                            f"only for an ECR upstream (<account>.dkr.ecr.<region>.amazonaws.com), "
                            f"not {cache.upstream}",
                        )
                    )
            continue
        problems += _ecr_upstream_problems(path, cache, ecr.group(2), partition)
    return problems


def _ecr_upstream_problems(
    path: str, cache: PullThroughCacheConfig, upstream_region: str, partition: str | None
) -> list[str]:
    """An ECR upstream's role, secret, host and partition."""
    problems = []
    if cache.custom_role_arn is None:
        problems.append(
            _problem(
                f"{path}.customRoleArn",
                None,
                f"is required for the ECR upstream {cache.upstream}: the IAM role in this "
                'account that ECR assumes to pull from it (ECR User Guide, "Setting up '
                'permissions for cross-account ECR to ECR PTC")',
            )
        )
    if cache.credential_arn is not None:
        problems.append(
            _problem(
                f"{path}.credentialArn",
                cache.credential_arn,
                "not with an ECR upstream: ECR authenticates with customRoleArn",
            )
        )
    china = cache.upstream.endswith(".cn")
    if china != upstream_region.startswith("cn-"):
        problems.append(
            _problem(
                f"{path}.upstream",
                cache.upstream,
                "the registry host of a China region ends in amazonaws.com.cn, of any other "
                "region in amazonaws.com",
            )
        )
    if partition and partition_of(upstream_region) != partition:
        problems.append(
            _problem(
                f"{path}.upstream",
                cache.upstream,
                f"not in the stack's partition {partition}: ECR caches from registries of "
                "its own partition",
            )
        )
    role = cache.custom_role_arn
    if partition and role and role.split(":")[1] != partition:
        problems.append(
            _problem(
                f"{path}.customRoleArn",
                role,
                f"must be a role of the stack's partition {partition} (and account)",
            )
        )
    return problems


def _floating_tag_problems(config: StackConfig) -> list[str]:
    tags = list(config.cache_floating_tags)
    if not tags:
        return []
    problems = []
    if not config.pull_through_cache:
        problems.append(
            _problem(
                "cacheFloatingTags",
                tags,
                "only with pullThroughCache: it sets the cached repositories' creation templates",
            )
        )
    every = [t for t in tags if set(t) <= {"*"}]
    if every:
        problems.append(
            _problem(
                "cacheFloatingTags",
                tags,
                f"{show(every)} matches every tag, so no cached tag would stay immutable: name "
                "the tags that move upstream (e.g. latest)",
            )
        )
    return problems


def _dual_stack_problems(settings: StackSettings, region: str | None) -> list[str]:
    if not settings.dual_stack_url_parameters:
        return []
    problems = []
    partition = partition_of(region) if region else None
    if partition and partition not in DUAL_STACK_PARTITIONS:
        problems.append(
            _problem(
                "dualStackUrlParameters",
                True,
                f"not in partition {partition} (region {region}): AWS documents the dual-stack "
                "registry hostname <account>.dkr-ecr.<region>.on.aws for the aws partition only",
            )
        )
    where = f"{partition or 'aws-us-gov'}:ssm:{region or _LONGEST_REGION}"
    for service in settings.services:
        parameter = settings.dual_stack_parameter_name(service.name) or ""
        arn = f"arn:{where}:{_ACCOUNT}:parameter/{parameter[1:]}"
        if parameter.count("/") > SSM_MAX_LEVELS or len(arn) > SSM_MAX_NAME:
            problems.append(
                _problem(
                    f"services.{key(service.name)}",
                    service.name,
                    f"its dual-stack URL parameter {parameter} exceeds SSM's {SSM_MAX_LEVELS} "
                    f"levels or {SSM_MAX_NAME} characters counted as the parameter's ARN "
                    f"({len(arn)}): shorten ssmParameterPrefix or the name",
                )
            )
    return problems
