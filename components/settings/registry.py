"""Registry-wide keys: scanning rules and pull-through cache rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field

from components import limits
from components.settings.types import (
    PULL_THROUGH_UPSTREAMS,
    ConfigModel,
    RoleArn,
    ScanFilter,
    SecretArn,
    Unique,
    Upstream,
    UpstreamPrefix,
    derived,
)

SCAN_FREQUENCIES = {
    "BASIC": ("SCAN_ON_PUSH", "MANUAL"),
    "ENHANCED": ("SCAN_ON_PUSH", "CONTINUOUS_SCAN"),
}


class ScanningRule(ConfigModel):
    """One item of `registryScanning.rules`."""

    frequency: Literal["SCAN_ON_PUSH", "CONTINUOUS_SCAN", "MANUAL"] = Field(
        "SCAN_ON_PUSH",
        description="SCAN_ON_PUSH or MANUAL with BASIC; SCAN_ON_PUSH or CONTINUOUS_SCAN with "
        "ENHANCED.",
    )
    # ScanningRepositoryFilterList: at most 100 filters per rule.
    filters: Annotated[list[ScanFilter], Unique] = Field(
        ["*"],
        min_length=1,
        max_length=limits.SCANNING_FILTERS.max,
        description=f"Repository-name wildcards (1-{limits.SCANNING_FILTERS.max}).",
    )


def _default_rules() -> list[ScanningRule]:
    return [ScanningRule()]


class RegistryScanningConfig(ConfigModel):
    """`registryScanning`: the registry-wide scanning configuration."""

    type: Literal["BASIC", "ENHANCED"] = Field(
        "BASIC", description="BASIC or ENHANCED (Amazon Inspector)."
    )
    # PutRegistryScanningConfiguration: at most 2 rules.
    rules: list[ScanningRule] = Field(
        default_factory=_default_rules,
        min_length=1,
        max_length=limits.SCANNING_RULES.max,
        description="1-2 rules of {frequency, filters}, no two alike.",
        json_schema_extra=derived('`[{"frequency": "SCAN_ON_PUSH", "filters": ["*"]}]`'),
    )


class PullThroughCacheConfig(ConfigModel):
    """`pullThroughCache.<prefix>`: one pull-through cache rule."""

    upstream: Upstream = Field(
        description=f"Upstream registry: {', '.join(PULL_THROUGH_UPSTREAMS)}, or another private "
        "ECR registry `<account>.dkr.ecr.<region>.amazonaws.com` (ECR-to-ECR: customRoleArn)."
    )
    credential_arn: SecretArn | None = Field(
        None,
        description="Secrets Manager secret (name prefix ecr-pullthroughcache/) in the stack's "
        "account and region, required for "
        + ", ".join(u for u, needed in PULL_THROUGH_UPSTREAMS.items() if needed)
        + ".",
        json_schema_extra=derived("none"),
    )
    custom_role_arn: RoleArn | None = Field(
        None,
        description="ECR-to-ECR (upstream `<account>.dkr.ecr.<region>.amazonaws.com`): the IAM "
        "role in the stack's account that ECR assumes to pull from the upstream registry "
        "(required for it; the upstream's repository policy must let the role pull).",
        json_schema_extra=derived("none"),
    )
    upstream_repository_prefix: UpstreamPrefix | None = Field(
        None,
        description="ECR-to-ECR only: the upstream registry's repository prefix the rule caches "
        "(ROOT: every repository).",
        json_schema_extra=derived("`ROOT` (AWS's default)"),
    )


@dataclass(frozen=True)
class PullThroughCacheRule:
    prefix: str
    upstream: str
    credential_arn: str | None
    custom_role_arn: str | None = None
    """ECR-to-ECR: the role ECR assumes to read the upstream registry."""
    upstream_repository_prefix: str | None = None


BlobMounting = Literal["ENABLED", "DISABLED"]
# botocore ecr PutAccountSetting: "Valid values for registry policy scope: V2" (V1 is the
# registry's original scope, which the API does not take back).
RegistryPolicyScope = Literal["V2"]
