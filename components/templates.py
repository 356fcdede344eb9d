"""Repository creation templates: the repositories ECR creates itself (pull-through cache,
replication, create-on-push) get the stack's rules, and the role ECR needs to apply them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.access import repository_policy, template_role_policy, template_trust_policy
from components.documents import to_json
from components.lifecycle import Retention, lifecycle_policy

TYPE_TOKEN = "ecr:index:EcrCreationTemplates"
# A template's prefix `ROOT` matches every repository no other template's prefix matches.
ROOT = "ROOT"


@dataclass(frozen=True)
class TemplateSpec:
    """One template: where it applies and what it covers."""

    prefix: str
    applied_for: tuple[str, ...]
    """PULL_THROUGH_CACHE, REPLICATION and/or CREATE_ON_PUSH."""
    region: str | None = None
    """None: the stack's region."""
    scope: tuple[str, ...] = ()
    """Repository-name prefixes the creation role may create under (for ROOT, the services)."""

    @property
    def service(self) -> str:
        """The `Service` tag of the repositories it creates: what made them."""
        what = "+".join(use.lower().replace("_", "-") for use in self.applied_for)
        return what if self.prefix == ROOT else f"{what}:{self.prefix.rstrip('/')}"


def template_specs(
    cache_prefixes: Sequence[str],
    create_on_push: Sequence[str],
    replication_regions: Sequence[str],
    services: Sequence[str],
) -> list[TemplateSpec]:
    """Templates in the stack's region for pull-through cache and create-on-push prefixes (one
    per prefix, both uses merged), and one ROOT template per replication region: replicas keep
    their source names, the services."""
    uses: dict[str, list[str]] = {}
    for prefix in cache_prefixes:
        uses.setdefault(prefix, []).append("PULL_THROUGH_CACHE")
    for prefix in create_on_push:
        uses.setdefault(prefix, []).append("CREATE_ON_PUSH")
    specs = [TemplateSpec(p, tuple(sorted(u)), None, (p,)) for p, u in sorted(uses.items())]
    specs += [
        TemplateSpec(ROOT, ("REPLICATION",), region, tuple(sorted(services)))
        for region in sorted(replication_regions)
    ]
    return specs


@dataclass(frozen=True)
class EcrCreationTemplatesArgs:
    """Inputs of the repository creation templates."""

    templates: Sequence[TemplateSpec]
    account_id: pulumi.Input[str]
    key_arns: Mapping[str | None, pulumi.Input[str]]
    """The customer-managed key per region (None: the stack's region), checked by the caller."""
    image_tag_mutability: str
    retention: Retention
    tags: Mapping[str, str]


class EcrCreationTemplates(pulumi.ComponentResource):
    """The templates and the IAM role ECR assumes to create repositories from them (a template
    that sets tags or a KMS key needs one)."""

    role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: EcrCreationTemplatesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=to_json(template_trust_policy()),
            description="ECR creates repositories from this stack's repository creation templates",
            tags=tags,
            opts=child,
        )
        scope = sorted({p for spec in args.templates for p in spec.scope})
        aws.iam.RolePolicy(
            f"{name}-role-policy",
            role=role.id,
            policy=pulumi.Output.all(args.account_id, *args.key_arns.values()).apply(
                lambda values: to_json(template_role_policy(values[0], scope, values[1:]))
            ),
            opts=child,
        )
        lifecycle = to_json(lifecycle_policy(args.retention))
        policy = pulumi.Output.from_input(args.account_id).apply(
            lambda account: to_json(repository_policy(account))
        )
        for spec in args.templates:
            slug = spec.prefix.strip("/").replace("/", "-").lower()
            aws.ecr.RepositoryCreationTemplate(
                f"{name}-{slug}" + (f"-{spec.region}" if spec.region else ""),
                prefix=spec.prefix,
                applied_fors=list(spec.applied_for),
                region=spec.region,
                description=f"{', '.join(spec.applied_for)} repositories under {spec.prefix}",
                encryption_configurations=[
                    aws.ecr.RepositoryCreationTemplateEncryptionConfigurationArgs(
                        encryption_type="KMS", kms_key=args.key_arns[spec.region]
                    )
                ],
                image_tag_mutability=args.image_tag_mutability,
                lifecycle_policy=lifecycle,
                repository_policy=policy,
                resource_tags=tags | {"Service": spec.service},
                custom_role_arn=role.arn,
                opts=child,
            )
        self.role_arn = role.arn
        self.register_outputs({"role_arn": self.role_arn})
