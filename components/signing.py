"""ECR managed signing: the registry's signing configuration, which makes ECR sign every push to
a matching repository with an AWS Signer profile, as the pushing principal.

pulumi-aws has no resource for it yet (terraform-provider-aws #45233); pulumi-aws-native's
`aws-native:ecr:SigningConfiguration` (Cloud Control) manages it, through an aws-native provider
configured from the stack's `aws:` config as the default aws provider is (region, profile,
credentials, assumed role, endpoints, allowed accounts), so the configuration lands in the same
account and registry as the repositories.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws_native as aws_native

from components.options import resource_options
from components.settings.provider import ProviderSettings

TYPE_TOKEN = "ecr:index:EcrSigningConfiguration"
FILTER_TYPE = "WILDCARD_MATCH"
"""The only filter type ECR's signing rules accept."""


@dataclass(frozen=True)
class EcrSigningConfigurationArgs:
    """Inputs of the registry's signing configuration."""

    profile_arn: pulumi.Input[str]
    """The AWS Signer profile (Notation platform) ECR signs with."""
    rules: Sequence[Sequence[str]]
    """Repository filters, one sequence per rule (already within ECR's limits: settings)."""
    region: pulumi.Input[str]
    """The stack's region: the registry whose configuration this is."""
    provider: ProviderSettings
    """The stack's `aws:` config: where and as whom the aws provider calls AWS."""
    production: bool = False
    """Protect the configuration (it is retained on delete in every stack)."""


DEFAULT_VALIDITY_YEARS = 5
SIGNER_NAME_MAX = 64
"""AWS Signer: a profile name is 2 to 64 of `[a-zA-Z0-9_]` (botocore signer PutSigningProfile)."""


def signing_profile_name(base: str, validity_years: int) -> str:
    """The Signer profile's name, following its ForceNew inputs: `base` for the default validity
    (the name stacks have always had), `base_<N>y` for another. A new validity is then a new
    profile: pushes and the signing configuration move to it before the old one is cancelled
    (cancelling is by name, so one name for both would cancel the new profile too)."""
    if validity_years == DEFAULT_VALIDITY_YEARS:
        return base
    suffix = f"_{validity_years}y"
    return base[: SIGNER_NAME_MAX - len(suffix)] + suffix


def native_provider_args(settings: ProviderSettings, region: pulumi.Input[str]) -> dict[str, Any]:
    """The aws-native provider's arguments mirroring the aws provider's config (only what is set,
    so a stack that sets nothing but its region keeps the provider it had)."""
    role = settings.assume_role
    args: dict[str, Any] = {
        "region": region,
        "profile": settings.profile,
        "access_key": _secret(settings.access_key),
        "secret_key": _secret(settings.secret_key),
        "token": _secret(settings.token),
        "assume_role": aws_native.ProviderAssumeRoleArgs(
            role_arn=role.role_arn,
            session_name=role.session_name,
            external_id=role.external_id,
            duration_seconds=role.duration_seconds,
            policy=role.policy,
            policy_arns=list(role.policy_arns) or None,
            tags=dict(role.tags) or None,
            transitive_tag_keys=list(role.transitive_tag_keys) or None,
        )
        if role
        else None,
        "endpoints": [aws_native.ProviderEndpointArgs(**settings.native_endpoints)]
        if settings.native_endpoints
        else None,
        "allowed_account_ids": list(settings.allowed_account_ids) or None,
        "forbidden_account_ids": list(settings.forbidden_account_ids) or None,
        "shared_credentials_file": settings.shared_credentials_file,
        "skip_credentials_validation": settings.skip_credentials_validation,
        "skip_requesting_account_id": settings.skip_requesting_account_id,
        "skip_metadata_api_check": settings.skip_metadata_api_check,
        "skip_region_validation": settings.skip_region_validation,
        "insecure": settings.insecure,
        "max_retries": settings.max_retries,
        # The aws provider's default tags, for every resource aws-native tags (explicit tags win).
        "default_tags": aws_native.ProviderDefaultTagsArgs(tags=dict(settings.default_tags))
        if settings.default_tags
        else None,
    }
    return {name: value for name, value in args.items() if value is not None}


def _secret(value: str | None) -> pulumi.Output[str] | None:
    return None if value is None else pulumi.Output.secret(value)


def signing_rules(
    profile_arn: pulumi.Input[str], rules: Sequence[Sequence[str]]
) -> list[aws_native.ecr.SigningConfigurationRuleArgs]:
    """One signing rule per filter group, all with one profile (the filters stay known during
    preview, so the pack can judge what they cover before the profile exists)."""
    return [
        aws_native.ecr.SigningConfigurationRuleArgs(
            signing_profile_arn=profile_arn,
            repository_filters=[
                aws_native.ecr.SigningConfigurationRepositoryFilterArgs(
                    filter=value,
                    filter_type=aws_native.ecr.SigningConfigurationFilterType(FILTER_TYPE),
                )
                for value in filters
            ],
        )
        for filters in rules
    ]


class EcrSigningConfiguration(pulumi.ComponentResource):
    """The registry's signing configuration. It is registry-wide (one per account and region) and
    `PutSigningConfiguration` replaces it whole, so exactly one stack of an account writes it; the
    others name its profile (`signing.profileArn`)."""

    provider_region: pulumi.Output[str]
    """The region the configuration is written in."""

    def __init__(
        self,
        name: str,
        args: EcrSigningConfigurationArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        provider = aws_native.Provider(
            f"{name}-aws-native",
            opts=pulumi.ResourceOptions(parent=self),
            **native_provider_args(args.provider, args.region),
        )
        aws_native.ecr.SigningConfiguration(
            name,
            rules=signing_rules(args.profile_arn, args.rules),
            opts=resource_options(
                aws_native.ecr.SigningConfiguration,
                parent=self,
                provider=provider,
                production=args.production,
            ),
        )
        self.provider_region = pulumi.Output.from_input(args.region)
        self.register_outputs({"provider_region": self.provider_region})
