"""Replication beyond the stack's own registry: the replication rule's destinations, and for a
destination in another account, what that account's registry needs before images arrive.

A destination in another account needs its registry to let the source account replicate in (a
registry policy), and a REPLICATION creation template there, or the replicas get AES256, mutable
tags and no lifecycle policy. With a role to assume (`roleArn`), `EcrReplicationDestination`
writes both through an aws provider for that account, configured like the stack's own. Without
one, the program writes nothing there: `destination_policy` is exported for the destination's own
stack to apply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.access import replication_registry_policy
from components.documents import to_json
from components.keys import checked_key_arn
from components.lifecycle import Retention
from components.options import resource_options
from components.settings import ProviderSettings, ReplicationDestination
from components.templates import ROOT, EcrCreationTemplates, EcrCreationTemplatesArgs, TemplateSpec

TYPE_TOKEN = "ecr:index:EcrReplicationDestination"


def replication_destinations(
    account_id: pulumi.Input[str],
    regions: Sequence[str],
    destinations: Sequence[ReplicationDestination],
) -> list[aws.ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArgs]:
    """The replication rule's destinations: the regions of the stack's own registry (as
    before, first), then those of other accounts. A destination in the stack's own account stops
    the run: its registry needs no policy, and `replicationRegions` is the key for it."""
    own = [
        aws.ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArgs(
            region=region, registry_id=account_id
        )
        for region in regions
    ]
    return own + [
        aws.ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArgs(
            region=destination.region,
            registry_id=_other_account(index, destination, account_id),
        )
        for index, destination in enumerate(destinations)
    ]


def _other_account(
    index: int, destination: ReplicationDestination, account_id: pulumi.Input[str]
) -> pulumi.Output[str]:
    def checked(own: str) -> str:
        if destination.account == own:
            raise pulumi.RunError(
                f'ecr:replicationDestinations[{index}].account = "{own}": the stack\'s own '
                f"account: list {destination.region} in ecr:replicationRegions instead (a "
                "destination in its own registry needs no registry policy)"
            )
        return destination.account

    return pulumi.Output.from_input(account_id).apply(checked)


def destination_policy(
    source_account: pulumi.Input[str],
    destination: ReplicationDestination,
    repositories: Sequence[str],
    partition: pulumi.Input[str],
) -> pulumi.Output[str]:
    """The destination registry's policy (JSON): the source account may replicate the
    stack's repositories into it."""
    return pulumi.Output.all(source_account, partition).apply(
        lambda where: to_json(
            replication_registry_policy(
                where[0], destination.account, destination.region, repositories, where[1]
            )
        )
    )


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _snake_name(name: str) -> str:
    return _CAMEL.sub("_", name).lower()


def _snake(value: Any) -> Any:
    """A structured setting as the stack gives it (camelCase keys) -> the aws provider's argument
    names. One level only: the values (tags, above all) keep their keys."""
    if isinstance(value, Mapping):
        return {_snake_name(str(k)): v for k, v in value.items()}
    return value


def destination_provider_args(
    settings: ProviderSettings, destination: ReplicationDestination
) -> dict[str, Any]:
    """An aws provider in the destination's account and region, configured like the stack's own
    (credentials, endpoints, proxies, the same role chain) and then assuming the destination's
    role. `allowedAccountIds` pins the account: a role in another account fails at the first
    call, and the pack can tell where the provider's resources are."""
    if destination.role_arn is None:
        raise ValueError(f"destination {destination.key} has no role to assume")
    args: dict[str, Any] = {
        "region": destination.region,
        "profile": settings.profile,
        "access_key": _secret(settings.access_key),
        "secret_key": _secret(settings.secret_key),
        "token": _secret(settings.token),
        "assume_roles": [
            *(aws.ProviderAssumeRoleArgs(**_snake(role)) for role in settings.assume_roles),
            aws.ProviderAssumeRoleArgs(
                role_arn=destination.role_arn, session_name="ecr-replication"
            ),
        ],
        "endpoints": [dict(settings.endpoints)] if settings.endpoints else None,
        "allowed_account_ids": [destination.account],
        "forbidden_account_ids": list(settings.forbidden_account_ids) or None,
        "shared_credentials_files": [settings.shared_credentials_file]
        if settings.shared_credentials_file
        else None,
        "skip_credentials_validation": settings.skip_credentials_validation,
        "skip_requesting_account_id": settings.skip_requesting_account_id,
        "skip_metadata_api_check": settings.skip_metadata_api_check,
        "skip_region_validation": settings.skip_region_validation,
        "insecure": settings.insecure,
        "max_retries": settings.max_retries,
    }
    args |= {
        _snake_name(name): _typed(_snake_name(name), _snake(value))
        for name, value in settings.aws_only.items()
    }
    return {name: value for name, value in args.items() if value is not None}


# The aws provider's structured settings, by argument: a plain dict would reach the provider
# with snake_case keys.
_TYPES: dict[str, Any] = {
    "assume_role_with_web_identity": aws.ProviderAssumeRoleWithWebIdentityArgs,
    "default_tags": aws.ProviderDefaultTagsArgs,
    "ignore_tags": aws.ProviderIgnoreTagsArgs,
}


def _typed(name: str, value: Any) -> Any:
    kind = _TYPES.get(name)
    return kind(**value) if kind is not None and isinstance(value, Mapping) else value


def _secret(value: str | None) -> pulumi.Output[str] | None:
    return None if value is None else pulumi.Output.secret(value)


@dataclass(frozen=True)
class EcrReplicationDestinationArgs:
    """Inputs of one destination in another account, written through its role."""

    destination: ReplicationDestination
    source_account: pulumi.Input[str]
    repositories: Sequence[str]
    """The stack's repositories: what the policy lets in and the template covers."""
    provider: ProviderSettings
    kms_key_parameter: str
    """The SSM parameter holding the key ARN, read in the destination account and region."""
    image_tag_mutability: str
    retention: Retention
    tags: Mapping[str, str]
    partition: pulumi.Input[str] = "aws"
    production: bool = False


class EcrReplicationDestination(pulumi.ComponentResource):
    """A destination registry in another account, made ready for the source's replicas: its
    registry policy and a REPLICATION creation template, through an aws provider assuming the
    destination's role. The registry policy is the registry's only one in that region:
    PutRegistryPolicy replaces whatever else it granted, and it is retained on delete like the
    other registry-wide settings."""

    policy: pulumi.Output[str]
    """The registry policy written there (JSON)."""

    def __init__(
        self,
        name: str,
        args: EcrReplicationDestinationArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        destination = args.destination
        provider = aws.Provider(
            f"{name}-aws",
            opts=pulumi.ResourceOptions(parent=self),
            **destination_provider_args(args.provider, destination),
        )
        self.policy = destination_policy(
            args.source_account, destination, args.repositories, args.partition
        )
        aws.ecr.RegistryPolicy(
            f"{name}-registry-policy",
            policy=self.policy,
            opts=resource_options(
                aws.ecr.RegistryPolicy,
                parent=self,
                provider=provider,
                production=args.production,
            ),
        )
        key = checked_key_arn(
            args.kms_key_parameter,
            destination.account,
            destination.region,
            provider=provider,
        )
        EcrCreationTemplates(
            f"{name}-templates",
            EcrCreationTemplatesArgs(
                templates=[
                    TemplateSpec(ROOT, ("REPLICATION",), None, tuple(sorted(args.repositories)))
                ],
                account_id=destination.account,
                key_arns={None: key},
                image_tag_mutability=args.image_tag_mutability,
                retention=args.retention,
                tags=args.tags,
                partition=args.partition,
            ),
            opts=pulumi.ResourceOptions(parent=self, providers=[provider]),
        )
        self.register_outputs({"policy": self.policy})
