"""The EcrRepository component: one service's repository and everything that goes with it."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.access import dual_stack_url, pull_policy, push_policy, repository_policy
from components.documents import to_json
from components.lifecycle import lifecycle_policy
from components.options import OPTIONS, resource_options, type_of
from components.settings import RepositorySettings, iam_policy_name

TYPE_TOKEN = "ecr:index:EcrRepository"


@dataclass(frozen=True)
class EcrRepositoryArgs:
    """Inputs of one EcrRepository."""

    repository: RepositorySettings
    """The validated per-service settings (name, mutability, scanning, lifecycle)."""
    kms_key_arn: pulumi.Input[str]
    """ARN of the customer-managed KMS key that encrypts the images."""
    account_id: pulumi.Input[str]
    """The AWS account that may pull and push."""
    url_parameter_name: str
    """SSM parameter that publishes the repository URL to other stacks."""
    tags: Mapping[str, str]
    """Tags for every taggable child."""
    protect: bool = False
    """Protect the repository and its URL parameter from deletion (production)."""
    allow_force_delete: bool = False
    """Whether `repository.force_delete` may be honoured (never in production)."""
    signing_profile_arn: pulumi.Input[str] | None = None
    """The AWS Signer profile CI signs with, when signing is on."""
    partition: pulumi.Input[str] = "aws"
    """The partition the provider works in (aws, aws-cn, aws-us-gov): the accounts' ARNs."""
    region: pulumi.Input[str] | None = None
    """The region the repository is in: its dual-stack URL (None: no dual-stack URL)."""
    dual_stack_parameter_name: str | None = None
    """SSM parameter that publishes the dual-stack URL, when the stack asks for one."""


class EcrRepository(pulumi.ComponentResource):
    """An ECR repository encrypted with a customer-managed key, scanned on push, with a lifecycle
    policy, a same-account repository policy and its URL published in SSM."""

    repository_url: pulumi.Output[str]
    """`<account>.dkr.ecr.<region>.amazonaws.com/<name>`, for `docker push`."""
    repository_arn: pulumi.Output[str]
    repository_name: pulumi.Output[str]
    registry_id: pulumi.Output[str]
    url_parameter_name: pulumi.Output[str]
    """Name of the SSM parameter holding `repository_url`."""
    dual_stack_url: pulumi.Output[str | None]
    """`<account>.dkr-ecr.<region>.on.aws/<name>`, for IPv6 clients (None outside the aws
    partition, where AWS documents no dual-stack registry hostname)."""
    push_policy_arn: pulumi.Output[str]
    """IAM policy for CI roles: log in and push to this repository."""
    pull_policy_arn: pulumi.Output[str]
    """IAM policy for ECS task execution roles: log in, pull, decrypt with the key."""

    # long because: children declared flat, in registration order; register_outputs comes last
    def __init__(
        self, name: str, args: EcrRepositoryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        settings = args.repository
        child = pulumi.ResourceOptions(parent=self)
        # Deleting either loses images or breaks every consumer: production protects both, and so
        # does adoption, since the images predate this stack.
        protect = args.protect or settings.adopt

        def existing(
            import_id: str, keep: bool = False, first: bool = False
        ) -> pulumi.ResourceOptions:
            """Adoption imports what Terraform made. An import whose inputs differ from the real
            resource fails the update instead of replacing it (which, for the repository's
            encryption, would delete every image). `first`: delete before replace (the
            type's row in components/options.py)."""
            return pulumi.ResourceOptions(
                parent=self,
                protect=keep and protect,
                import_=import_id if settings.adopt else None,
                delete_before_replace=first or None,
            )

        exclusions = [
            aws.ecr.RepositoryImageTagMutabilityExclusionFilterArgs(
                filter=f, filter_type="WILDCARD"
            )
            # Sorted: ECR's order, not the config's, is what a refresh reads back.
            for f in sorted(settings.mutability_exclusions)
        ]
        repository = aws.ecr.Repository(
            name,
            name=settings.name,
            encryption_configurations=[
                aws.ecr.RepositoryEncryptionConfigurationArgs(
                    encryption_type="KMS", kms_key=args.kms_key_arn
                )
            ],
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                scan_on_push=settings.scan_on_push
            ),
            image_tag_mutability=settings.image_tag_mutability,
            image_tag_mutability_exclusion_filters=exclusions or None,
            force_delete=True if settings.force_delete and args.allow_force_delete else None,
            tags=dict(args.tags),
            opts=existing(settings.name, keep=True),
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=repository.name,
            policy=to_json(lifecycle_policy(settings.retention)),
            # Every policy change replaces it (ForceNew), keyed by the repository: see its row.
            opts=existing(
                settings.name,
                first=OPTIONS[type_of(aws.ecr.LifecyclePolicy)].delete_before_replace,
            ),
        )
        aws.ecr.RepositoryPolicy(
            f"{name}-policy",
            repository=repository.name,
            policy=pulumi.Output.all(args.account_id, args.partition).apply(
                lambda where: to_json(
                    repository_policy(
                        where[0],
                        settings.pull_accounts,
                        settings.pull_organization_id,
                        where[1],
                        lambda_functions=settings.lambda_pull_functions,
                        extra_statements=settings.policy_statements,
                    )
                )
            ),
            opts=existing(settings.name),
        )
        parameter = aws.ssm.Parameter(
            f"{name}-url",
            name=args.url_parameter_name,
            type="String",
            value=repository.repository_url,
            description=f"URL of the ECR repository {settings.name}",
            tags=dict(args.tags),
            opts=existing(args.url_parameter_name, keep=True),
        )
        dual_stack = pulumi.Output.all(
            repository.registry_id, args.region, args.partition, repository.name
        ).apply(lambda values: dual_stack_url(*values))
        if args.dual_stack_parameter_name:
            aws.ssm.Parameter(
                f"{name}-dualstack-url",
                name=args.dual_stack_parameter_name,
                type="String",
                value=dual_stack.apply(functools.partial(_published, settings.name)),
                description=f"Dual-stack (IPv4 and IPv6) URL of the ECR repository {settings.name}",
                tags=dict(args.tags),
                opts=resource_options(aws.ssm.Parameter, parent=self, production=args.protect),
            )
        # A policy's description is ForceNew and its name stays: rewording either description
        # would replace the policy under the same name, which IAM refuses (EntityAlreadyExists).
        # Keep the wording; tests/program/test_upgrade.py holds it to the baseline.
        push = aws.iam.Policy(
            f"{name}-push",
            name=iam_policy_name(settings.name, "push"),
            description=f"Log in to ECR and push to {settings.name}",
            policy=pulumi.Output.all(repository.arn, args.signing_profile_arn).apply(
                lambda values: to_json(push_policy(values[0], values[1]))
            ),
            tags=dict(args.tags),
            opts=child,
        )
        pull = aws.iam.Policy(
            f"{name}-pull",
            name=iam_policy_name(settings.name, "pull"),
            description=f"Log in to ECR, pull from {settings.name} and decrypt its images",
            policy=pulumi.Output.all(repository.arn, args.kms_key_arn).apply(
                lambda values: to_json(pull_policy(values[0], values[1]))
            ),
            tags=dict(args.tags),
            opts=child,
        )

        self.repository_url = repository.repository_url
        self.repository_arn = repository.arn
        self.repository_name = repository.name
        self.registry_id = repository.registry_id
        self.url_parameter_name = parameter.name
        self.dual_stack_url = dual_stack
        self.push_policy_arn = push.arn
        self.pull_policy_arn = pull.arn
        self.register_outputs(
            {
                "push_policy_arn": self.push_policy_arn,
                "pull_policy_arn": self.pull_policy_arn,
                "repository_url": self.repository_url,
                "repository_arn": self.repository_arn,
                "repository_name": self.repository_name,
                "registry_id": self.registry_id,
                "url_parameter_name": self.url_parameter_name,
                "dual_stack_url": self.dual_stack_url,
            }
        )


def _published(repository: str, url: str | None) -> str:
    """The dual-stack URL, which the parameter cannot do without (the settings refuse the
    parameter outside the aws partition when they know the region; this stops the run when the
    partition was only known once the provider answered)."""
    if url is None:
        raise pulumi.RunError(
            f"ecr:dualStackUrlParameters: the repository {repository} has no dual-stack URL in "
            "this partition (AWS documents <account>.dkr-ecr.<region>.on.aws for the aws "
            "partition only): unset dualStackUrlParameters; nothing was changed"
        )
    return url
