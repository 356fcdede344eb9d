"""ECR managed signing: the registry's signing configuration, which makes ECR sign every push to
a matching repository with an AWS Signer profile, as the pushing principal.

pulumi-aws has no resource for it yet (terraform-provider-aws #45233); pulumi-aws-native's
`aws-native:ecr:SigningConfiguration` (Cloud Control) manages it, through an aws-native provider
pinned to the stack's region so the configuration lands in the same registry as the repositories.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws_native as aws_native

from components.options import resource_options

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
            f"{name}-aws-native", region=args.region, opts=pulumi.ResourceOptions(parent=self)
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
