"""The EcrRepository component: one service's repository and everything that goes with it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.access import repository_policy
from components.lifecycle import lifecycle_policy
from components.settings import RepositorySettings

TYPE_TOKEN = "ecr:index:EcrRepository"


def to_json(document: Mapping[str, Any]) -> str:
    """Documents are serialised once, keys sorted, so diffs between runs are stable."""
    return json.dumps(document, sort_keys=True)


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

    def __init__(
        self, name: str, args: EcrRepositoryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        settings = args.repository
        child = pulumi.ResourceOptions(parent=self)
        # Deleting either loses data or breaks every consumer, so production protects both.
        keep = pulumi.ResourceOptions(parent=self, protect=args.protect)

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
            tags=dict(args.tags),
            opts=keep,
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=repository.name,
            policy=to_json(
                lifecycle_policy(settings.max_image_count, settings.untagged_expiry_days)
            ),
            opts=child,
        )
        aws.ecr.RepositoryPolicy(
            f"{name}-policy",
            repository=repository.name,
            policy=pulumi.Output.from_input(args.account_id).apply(
                lambda account: to_json(repository_policy(account))
            ),
            opts=child,
        )
        parameter = aws.ssm.Parameter(
            f"{name}-url",
            name=args.url_parameter_name,
            type="String",
            value=repository.repository_url,
            description=f"URL of the ECR repository {settings.name}",
            tags=dict(args.tags),
            opts=keep,
        )

        self.repository_url = repository.repository_url
        self.repository_arn = repository.arn
        self.repository_name = repository.name
        self.registry_id = repository.registry_id
        self.url_parameter_name = parameter.name
        self.register_outputs(
            {
                "repository_url": self.repository_url,
                "repository_arn": self.repository_arn,
                "repository_name": self.repository_name,
                "registry_id": self.registry_id,
                "url_parameter_name": self.url_parameter_name,
            }
        )
