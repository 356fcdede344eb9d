"""Repository creation templates: the repositories ECR creates itself (pull-through cache,
replication, create-on-push) get the stack's rules, and the role ECR needs to apply them."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.access import (
    repository_policy,
    template_key_policy,
    template_role_policy,
    template_scope_policy,
    template_scopes,
    template_trust_policy,
)
from components.cache import template_mutability
from components.documents import to_json
from components.lifecycle import Retention, lifecycle_policy
from components.limits import TAG_VALUE, TEMPLATE_DESCRIPTION
from components.options import resource_options

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
    def namespace(self) -> str:
        """What ECR keys the template by: `team-a` and `team-a/` are one prefix."""
        return self.prefix.rstrip("/")

    @property
    def service(self) -> str:
        """The `Service` tag of the repositories it creates: what made them (within the 256
        characters of a tag value)."""
        what = "+".join(use.lower().replace("_", "-") for use in self.applied_for)
        return what if self.prefix == ROOT else fit(f"{what}:{self.namespace}", TAG_VALUE.max)

    @property
    def description(self) -> str:
        return fit(
            f"{', '.join(self.applied_for)} repositories under {self.prefix}",
            TEMPLATE_DESCRIPTION.max,
        )

    def resource_name(self, component: str, namespace: str | None = None) -> str:
        """Unique per namespace and region: `/` stays, so `team/a` and `team-a` differ."""
        where = f"-{self.region}" if self.region else ""
        return f"{component}-{(namespace or self.namespace).lower()}{where}"

    def former_name(self, component: str) -> str:
        """The name before namespaces kept their `/` (`team/a` was `team-a`)."""
        return self.resource_name(component, self.namespace.replace("/", "-"))


def fit(text: str, limit: int | None) -> str:
    """`text`, or when longer than `limit` its start and a digest of the whole (still unique)."""
    if limit is None or len(text) <= limit:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    return f"{text[: limit - len(digest) - 3]}...{digest}"


def template_specs(
    cache_prefixes: Sequence[str],
    create_on_push: Sequence[str],
    replication_regions: Sequence[str],
    services: Sequence[str],
) -> list[TemplateSpec]:
    """Templates in the stack's region for pull-through cache and create-on-push prefixes (one
    per namespace: ECR treats `team-a` and `team-a/` as one, so both uses merge, under the
    create-on-push spelling), and one ROOT template per replication region: replicas keep
    their source names, the services."""
    uses: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}
    for prefix in cache_prefixes:
        uses.setdefault(prefix.rstrip("/"), []).append("PULL_THROUGH_CACHE")
        spelling.setdefault(prefix.rstrip("/"), prefix)
    for prefix in create_on_push:
        uses.setdefault(prefix.rstrip("/"), []).append("CREATE_ON_PUSH")
        spelling[prefix.rstrip("/")] = prefix
    specs = [
        TemplateSpec(spelling[n], tuple(sorted(set(u))), None, (spelling[n],))
        for n, u in sorted(uses.items())
    ]
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
    partition: pulumi.Input[str] = "aws"
    """The partition the provider works in (aws, aws-cn, aws-us-gov): the ARNs in the policies."""
    default_tags: Mapping[str, str] = field(default_factory=dict)
    """The provider's `aws:defaultTags`: the provider does not add them to `resourceTags`, so the
    repositories ECR creates get them from here (under the stack's own tags: those win)."""
    cache_floating_tags: Sequence[str] = ()
    """Tags left mutable in cached repositories when the templates are IMMUTABLE."""


class EcrCreationTemplates(pulumi.ComponentResource):
    """The templates and the IAM role ECR assumes to create repositories from them (a template
    that sets tags or a KMS key needs one)."""

    role_arn: pulumi.Output[str]

    # long because: children declared flat, in registration order; register_outputs comes last
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
        # ECR assumes the role when it creates a repository: its rights exist before any template.
        grants = self._grant(name, role, args, tags)
        lifecycle = to_json(lifecycle_policy(args.retention))
        policy = pulumi.Output.all(args.account_id, args.partition).apply(
            lambda where: to_json(repository_policy(where[0], partition=where[1]))
        )
        names = {spec.resource_name(name) for spec in args.templates}
        for spec in args.templates:
            # A template renamed by the `/` fix keeps its state (an alias), unless another
            # template now has that name: replacing it would create a second template for
            # the prefix before deleting the first, which ECR refuses.
            former = spec.former_name(name)
            moved = former not in names
            mutability, floating = template_mutability(
                spec.applied_for, args.image_tag_mutability, args.cache_floating_tags
            )
            aws.ecr.RepositoryCreationTemplate(
                spec.resource_name(name),
                # ECR's documented form, without the `/` it assumes (botocore ecr
                # CreateRepositoryCreationTemplate.prefix: "a prefix of prod would apply to all
                # repositories beginning with prod/"), which terraform-provider-aws's acceptance
                # tests create, read back and import unchanged (repository_creation_template_test
                # .go). The provider reads the stored form back into a ForceNew field, so another
                # spelling could plan a replacement every time; what ECR stores for `team-a/` is
                # known only from go-to-k/cdk-real-drift#502 (stripped). docs/registry-settings.md.
                prefix=spec.namespace,
                applied_fors=list(spec.applied_for),
                region=spec.region,
                description=spec.description,
                encryption_configurations=[
                    aws.ecr.RepositoryCreationTemplateEncryptionConfigurationArgs(
                        encryption_type="KMS", kms_key=args.key_arns[spec.region]
                    )
                ],
                image_tag_mutability=mutability,
                image_tag_mutability_exclusion_filters=[
                    aws.ecr.RepositoryCreationTemplateImageTagMutabilityExclusionFilterArgs(
                        filter=tag, filter_type="WILDCARD"
                    )
                    for tag in floating
                ]
                or None,
                lifecycle_policy=lifecycle,
                repository_policy=policy,
                resource_tags={**args.default_tags, **tags, "Service": spec.service},
                custom_role_arn=role.arn,
                opts=resource_options(
                    aws.ecr.RepositoryCreationTemplate,
                    parent=self,
                    depends_on=grants,
                    aliases=[former] if moved else (),
                ),
            )
        self.role_arn = role.arn
        self.register_outputs({"role_arn": self.role_arn})

    def _grant(
        self, name: str, role: aws.iam.Role, args: EcrCreationTemplatesArgs, tags: dict[str, str]
    ) -> list[pulumi.Resource]:
        """The role's rights: one inline policy while it fits IAM's limit; beyond, the keys
        inline and the repository scope in managed policies attached to the role. Returns
        what grants them (the templates wait for it)."""
        child = pulumi.ResourceOptions(parent=self)
        keys = pulumi.Output.all(*args.key_arns.values())
        groups = template_scopes(
            [p for spec in args.templates for p in spec.scope], key_count=len(args.key_arns)
        )
        if len(groups) == 1:
            inline = aws.iam.RolePolicy(
                f"{name}-role-policy",
                role=role.id,
                policy=pulumi.Output.all(args.account_id, keys, args.partition).apply(
                    lambda values: to_json(
                        template_role_policy(values[0], groups[0], values[1], values[2])
                    )
                ),
                opts=child,
            )
            return [inline]
        grants: list[pulumi.Resource] = [
            aws.iam.RolePolicy(
                f"{name}-role-policy",
                role=role.id,
                policy=keys.apply(lambda arns: to_json(template_key_policy(arns))),
                opts=child,
            )
        ]
        for index, group in enumerate(groups):
            scope = aws.iam.Policy(
                f"{name}-scope-{index}",
                # Constant: a policy's description is ForceNew.
                description="Part of the repositories ECR may create from this stack's templates",
                policy=pulumi.Output.all(args.account_id, args.partition).apply(
                    functools.partial(_scope_json, group)
                ),
                tags=tags,
                opts=child,
            )
            attachment = aws.iam.RolePolicyAttachment(
                f"{name}-scope-{index}-attachment",
                role=role.name,
                policy_arn=scope.arn,
                opts=child,
            )
            grants.append(attachment)
        return grants


def _scope_json(group: Sequence[str], where: Sequence[str]) -> str:
    return to_json(template_scope_policy(where[0], group, where[1]))
