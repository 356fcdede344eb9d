"""Registry-wide settings, one set per stack: scanning, replication and pull-through cache."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.cache import rule_inputs
from components.options import item_digest, resource_options
from components.replication import replication_destinations
from components.settings import (
    PullThroughCacheRule,
    RegistryScanningConfig,
    ReplicationDestination,
    credential_account_problem,
)

TYPE_TOKEN = "ecr:index:EcrRegistry"


@dataclass(frozen=True)
class EcrRegistryArgs:
    """Inputs of the registry-wide settings."""

    account_id: pulumi.Input[str]
    repositories: Sequence[str]
    """Names of this stack's repositories: what replication copies."""
    scanning: RegistryScanningConfig | None = None
    replication_regions: Sequence[str] = ()
    replication_destinations: Sequence[ReplicationDestination] = ()
    """Destinations in other accounts (components/replication.py)."""
    pull_through_cache: Sequence[PullThroughCacheRule] = ()
    pull_time_exclusions: Sequence[str] = ()
    """IAM principals whose pulls do not refresh images' last-pulled time (archiving)."""
    production: bool = False
    """Protect the registry-wide settings (they are retained on delete in every stack)."""
    after: Sequence[pulumi.Resource] = ()
    """What must exist before ECR may create repositories (the creation templates): the
    pull-through cache rules and the replication configuration wait for it."""


class EcrRegistry(pulumi.ComponentResource):
    """The registry's scanning configuration, replication configuration, pull-through cache rules
    and pull-time update exclusions. Each is registry-wide (one per account and region), so
    exactly one stack should manage them."""

    # long because: children declared flat, in registration order; register_outputs comes last
    def __init__(
        self, name: str, args: EcrRegistryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        production = args.production

        if args.scanning is not None:
            # Basic scanning by AWS's native engine, not the deprecated Clair one.
            aws.ecr.AccountSetting(
                f"{name}-basic-scan-type",
                name="BASIC_SCAN_TYPE_VERSION",
                value="AWS_NATIVE",
                opts=resource_options(aws.ecr.AccountSetting, parent=self, production=production),
            )
            aws.ecr.RegistryScanningConfiguration(
                f"{name}-scanning",
                scan_type=args.scanning.type,
                rules=[
                    aws.ecr.RegistryScanningConfigurationRuleArgs(
                        scan_frequency=rule.frequency,
                        repository_filters=[
                            aws.ecr.RegistryScanningConfigurationRuleRepositoryFilterArgs(
                                filter=f, filter_type="WILDCARD"
                            )
                            for f in rule.filters
                        ],
                    )
                    for rule in args.scanning.rules
                ],
                opts=resource_options(
                    aws.ecr.RegistryScanningConfiguration, parent=self, production=production
                ),
            )

        if args.replication_regions or args.replication_destinations:
            # One rule: every repository of this stack (by exact-name prefix) to every region of
            # this account, then to the other accounts' destinations. Replicas are new
            # repositories there.
            aws.ecr.ReplicationConfiguration(
                f"{name}-replication",
                replication_configuration=aws.ecr.ReplicationConfigurationReplicationConfigurationArgs(
                    rules=[
                        aws.ecr.ReplicationConfigurationReplicationConfigurationRuleArgs(
                            destinations=replication_destinations(
                                args.account_id,
                                args.replication_regions,
                                args.replication_destinations,
                            ),
                            repository_filters=[
                                aws.ecr.ReplicationConfigurationReplicationConfigurationRuleRepositoryFilterArgs(
                                    filter=repository, filter_type="PREFIX_MATCH"
                                )
                                for repository in sorted(args.repositories)
                            ],
                        )
                    ]
                ),
                opts=resource_options(
                    aws.ecr.ReplicationConfiguration,
                    parent=self,
                    production=production,
                    depends_on=args.after,
                ),
            )

        for rule in args.pull_through_cache:
            aws.ecr.PullThroughCacheRule(
                f"{name}-cache-{rule.prefix}",
                # Without a trailing `/` (settings refuse one): the form botocore documents (ECR
                # assumes the `/`) and terraform-provider-aws's pull_through_cache_rule_test.go
                # creates and imports unchanged; ForceNew, so it must be what ECR stores.
                ecr_repository_prefix=rule.prefix,
                upstream_registry_url=rule.upstream,
                credential_arn=_checked_credential(rule, args.account_id),
                **rule_inputs(rule, args.account_id),
                opts=resource_options(
                    aws.ecr.PullThroughCacheRule, parent=self, depends_on=args.after
                ),
            )

        # Named by the principal: removing one deregisters that one only. The alias carries a
        # stack that still names them by position over (its config unchanged: see README).
        for index, principal in enumerate(args.pull_time_exclusions):
            aws.ecr.PullTimeUpdateExclusion(
                f"{name}-pull-time-exclusion-{item_digest(principal)}",
                principal_arn=principal,
                opts=resource_options(
                    aws.ecr.PullTimeUpdateExclusion,
                    parent=self,
                    aliases=[f"{name}-pull-time-exclusion-{index}"],
                ),
            )

        self.register_outputs({})


def _checked_credential(
    rule: PullThroughCacheRule, account_id: pulumi.Input[str]
) -> pulumi.Output[str] | None:
    """The rule's secret ARN once it is known to be in the stack's account (the run stops
    otherwise, before the rule is registered)."""
    arn = rule.credential_arn
    if arn is None:
        return None

    def checked(account: str) -> str:
        problem = credential_account_problem(rule.prefix, arn, account)
        if problem:
            raise pulumi.RunError(problem)
        return arn

    return pulumi.Output.from_input(account_id).apply(checked)
