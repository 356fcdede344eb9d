"""The whole `ecr:` namespace of a stack (`StackConfig`) and the settings the program uses
(`StackSettings`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from pydantic import (
    AfterValidator,
    Field,
)

from components import limits
from components.lifecycle import Retention
from components.settings.alerts import AlertsConfig, SigningConfig
from components.settings.registry import (
    BlobMounting,
    PullThroughCacheConfig,
    PullThroughCacheRule,
    RegistryPolicyScope,
    RegistryScanningConfig,
)
from components.settings.replication import ReplicationDestination, ReplicationDestinationConfig
from components.settings.repository import RepositoryDefaults, RepositorySettings, ServiceConfig
from components.settings.types import (
    COMPONENT_TAG,
    PRODUCTION,
    AccountId,
    CachePrefix,
    Environment,
    MultiRegionKeyId,
    OwnerEmail,
    PrincipalArn,
    Region,
    ServiceName,
    SsmPath,
    TagFilter,
    TagValue,
    TemplatePrefix,
    Unique,
    derived,
    not_ssm_reserved,
)


class StackConfig(RepositoryDefaults):
    """The whole `ecr:` namespace of a stack."""

    environment: Environment = Field(
        description="Deployment environment: dev, staging or prod (prod: protection, immutable "
        "tags, no forceDelete)."
    )
    owner: OwnerEmail = Field(
        "platform-team@ryuqqq.com",
        description="Owner e-mail, tag `Owner` (tag characters only: no `'`).",
    )
    cost_center: TagValue = Field(
        "engineering",
        description="Tag `CostCenter`: 1-256 letters, digits, spaces and `_ . : / = + - @` (IAM "
        "and SSM tag values).",
    )
    lifecycle_stage: TagValue | None = Field(
        None,
        description="Tag `Lifecycle` (tag characters, as costCenter).",
        json_schema_extra=derived("`production` in prod, else the environment name"),
    )
    data_class: TagValue = Field(
        "confidential", description="Tag `DataClass` (tag characters, as costCenter)."
    )
    kms_key_parameter: SsmPath = Field(
        "/shared/kms/ecs-secrets-key-arn",
        description="SSM parameter holding the ARN of the customer-managed KMS key that encrypts "
        "images (a full key ARN in the stack's region and account, checked at every run).",
    )
    ssm_parameter_prefix: Annotated[SsmPath, AfterValidator(not_ssm_reserved)] = Field(
        "/shared/ecr",
        description="Path under which each repository URL is published as "
        "`<prefix>/<service>-repository-url` (not beginning with aws or ssm; the whole "
        "parameter ARN at most 1,011 characters and 15 levels).",
    )
    services: dict[ServiceName, ServiceConfig | None] = Field(
        min_length=1,
        description="Map of service name -> its settings: overrides of the repository keys above "
        "and the per-service keys below; one repository per service.",
    )
    dashboard: bool = Field(
        True,
        description="A CloudWatch dashboard `ecr-<environment>` of daily pulls per repository "
        "(and AccessDenied counts with alerts.cloudTrailLogGroup).",
    )
    alerts: AlertsConfig | None = Field(
        None,
        description="Scan-finding and access-denied alerts for this stack's repositories "
        "(see Alerts keys).",
        json_schema_extra=derived("off"),
    )
    # Not declared in Pulumi.yaml (a declared default would hide whether the stack set it): a
    # stack that writes the registry's signing configuration must say `true` itself.
    registry_owner: bool | None = Field(
        None,
        description="Whether this stack manages its account's and region's registry-wide "
        "settings (registry scanning, replication, pull-through cache rules, creation templates, "
        "pull-time exclusions, and with managed signing the signing configuration). One stack "
        "per account and region should; the others set `false` and none of those keys. A stack "
        "with managed signing must set `true` explicitly (see Signing).",
        json_schema_extra=derived("`true` (managed signing needs it set explicitly)"),
    )
    registry_scanning: RegistryScanningConfig | None = Field(
        None,
        description="Registry-wide scanning configuration (see Registry scanning keys).",
        json_schema_extra=derived("unmanaged"),
    )
    # ECR replication: at most 25 unique destinations.
    replication_regions: Annotated[list[Region], Unique] = Field(
        [],
        max_length=limits.REPLICATION_DESTINATIONS.max,
        description="Regions to replicate this stack's repositories to (disaster recovery), at "
        "most 25, in the stack's partition (aws, aws-cn or aws-us-gov).",
    )
    # Cross-account replication: destinations, and the accounts they may be in.
    replication_destinations: list[ReplicationDestinationConfig] = Field(
        [],
        max_length=limits.REPLICATION_DESTINATIONS.max,
        description="Regions of other accounts' registries to replicate this stack's repositories "
        "to (promotion, disaster recovery), as {region, account, roleArn} (see Replication "
        "destination keys): with roleArn the program writes the destination's registry policy "
        "and creation template through that role; without, it exports the policy (output "
        "replicationDestinationPolicies). With "
        f"replicationRegions at most {limits.REPLICATION_DESTINATIONS.max} destinations, each "
        "once, in the stack's partition. For the stack's own account use replicationRegions.",
    )
    replication_accounts: Annotated[list[AccountId], Unique] = Field(
        [],
        max_length=limits.REPLICATION_DESTINATIONS.max,
        description="The accounts replicationDestinations may name (an allowlist: a destination "
        "in any other account is refused; keep it in step with the pack's allowedAccounts).",
    )
    create_on_push_prefixes: Annotated[list[TemplatePrefix], Unique] = Field(
        [],
        max_length=limits.CREATE_ON_PUSH_PREFIXES.max,
        description="Repository-name prefixes (2-256 characters, at most 50; `team-a` and "
        "`team-a/` are one prefix) under which a first `docker push` creates the repository (ECR "
        "create-on-push), with this stack's encryption, tag mutability, lifecycle policy, "
        "repository policy and tags.",
    )
    replication_kms_key_id: MultiRegionKeyId | None = Field(
        None,
        description="Multi-Region KMS key id (mrk-...) that encrypts replicas in every replication "
        "region; default: the key whose ARN kmsKeyParameter holds in each region.",
        json_schema_extra=derived("the parameter's key in each region"),
    )
    signing: SigningConfig | None = Field(
        None,
        description="Image signing with AWS Signer on the Notation platform (see Signing keys); "
        "`{}` turns it on with the defaults.",
        json_schema_extra=derived("off"),
    )
    # Up to 100 pull-time update exclusions per account (ECR User Guide).
    pull_time_exclusions: Annotated[list[PrincipalArn], Unique] = Field(
        [],
        max_length=limits.PULL_TIME_EXCLUSIONS.max,
        description="IAM roles whose pulls must not refresh an image's last-pulled time (e.g. a "
        "third-party scanner in CI), registered when a service archives; Amazon Inspector's pulls "
        "never count.",
    )
    cache_floating_tags: Annotated[list[TagFilter], Unique] = Field(
        [],
        max_length=limits.MUTABILITY_EXCLUSIONS.max,
        description="Tags that move upstream (e.g. `latest`, at most 5) and so must stay mutable "
        "in the repositories pull-through cache creates, or ECR never refreshes them: with "
        "IMMUTABLE tags (always in prod) their creation templates become "
        "IMMUTABLE_WITH_EXCLUSION with these filters. The policy pack's "
        "allowedExclusionFilters must list them.",
        json_schema_extra=derived("none: cached repositories are plainly IMMUTABLE in prod"),
    )
    dual_stack_url_parameters: bool = Field(
        False,
        description="Also publish each repository's dual-stack (IPv4 and IPv6) URL "
        "`<account>.dkr-ecr.<region>.on.aws/<name>` as `<prefix>/<service>-repository-dualstack-"
        "url` (partition aws only: AWS documents no dual-stack registry hostname elsewhere).",
    )
    blob_mounting: BlobMounting | None = Field(
        None,
        description="The registry's BLOB_MOUNTING account setting: ENABLED lets a push mount "
        "layers already in another repository of the registry (same encryption key; not for "
        "pull-through cache images), DISABLED stops it. Registry owner only.",
        json_schema_extra=derived("unmanaged (AWS's default)"),
    )
    registry_policy_scope: RegistryPolicyScope | None = Field(
        None,
        description="The registry's REGISTRY_POLICY_SCOPE account setting: V2 makes the registry "
        "policy apply to every ECR action (V1: replication and pull-through cache only); the API "
        "takes V2 only. Registry owner only.",
        json_schema_extra=derived("unmanaged"),
    )
    pull_through_cache: dict[CachePrefix, PullThroughCacheConfig] = Field(
        {},
        max_length=limits.PULL_THROUGH_CACHE_RULES.max,
        description="Map of repository prefix -> {upstream, credentialArn, customRoleArn, "
        "upstreamRepositoryPrefix}: pull-through cache "
        f"rules (at most {limits.PULL_THROUGH_CACHE_RULES.max} per registry).",
        json_schema_extra=derived("none"),
    )


@dataclass(frozen=True)
class StackSettings:
    """Everything the program needs from the stack config, validated."""

    environment: str
    owner: str
    cost_center: str
    lifecycle_stage: str
    data_class: str
    kms_key_parameter: str
    ssm_parameter_prefix: str
    services: tuple[RepositorySettings, ...]
    dashboard: bool = True
    alerts: AlertsConfig | None = None
    registry_owner: bool = True
    """This stack manages the registry-wide resources of its account and region."""
    registry_scanning: RegistryScanningConfig | None = None
    replication_regions: tuple[str, ...] = ()
    replication_destinations: tuple[ReplicationDestination, ...] = ()
    """Destinations in other accounts (`replicationDestinations`), validated."""
    pull_through_cache: tuple[PullThroughCacheRule, ...] = ()
    stack_retention: Retention = field(default_factory=Retention)
    """The stack-wide retention keys, for repositories no service declares (templates)."""
    stack_mutability: str = "MUTABLE"
    pull_time_exclusions: tuple[str, ...] = ()
    create_on_push_prefixes: tuple[str, ...] = ()
    replication_kms_key_id: str | None = None
    signing_profile_name: str | None = None
    """The AWS Signer profile this stack creates, when signing is on and no other stack owns it."""
    signing_validity_years: int = 5
    signing_mode: str | None = None
    """`managed` (ECR signs on push) or `notation` (CI signs); None: signing is off."""
    signing_profile_arn: str | None = None
    """The profile another stack owns (central signing), when given."""
    cache_floating_tags: tuple[str, ...] = ()
    """Tags left mutable in the repositories pull-through cache creates (IMMUTABLE stacks)."""
    dual_stack_url_parameters: bool = False
    blob_mounting: str | None = None
    registry_policy_scope: str | None = None
    signing_rules: tuple[tuple[str, ...], ...] = ()
    """The registry's signing rules' repository filters, when this stack writes the registry's
    signing configuration (managed mode with its own profile); one tuple per rule."""

    @property
    def archives(self) -> bool:
        """Some service archives images: pull times matter."""
        return any(s.retention.archive_after_days is not None for s in self.services)

    @property
    def is_production(self) -> bool:
        """Production stacks protect what holds data and refuse anything that could delete it."""
        return self.environment == PRODUCTION

    def url_parameter_name(self, service: str) -> str:
        return f"{self.ssm_parameter_prefix}/{service}-repository-url"

    def dual_stack_parameter_name(self, service: str) -> str | None:
        """The dual-stack URL's parameter, beside the URL's, when the stack publishes it."""
        if not self.dual_stack_url_parameters:
            return None
        return f"{self.ssm_parameter_prefix}/{service}-repository-dualstack-url"

    def shared_tags(self, name: str) -> dict[str, str]:
        """The seed's governance tags for a resource that belongs to no one service."""
        return {
            "Owner": self.owner,
            "CostCenter": self.cost_center,
            "Environment": self.environment,
            "Lifecycle": self.lifecycle_stage,
            "DataClass": self.data_class,
            "Name": name,
            "Component": COMPONENT_TAG,
        }

    def tags(self, service: str) -> dict[str, str]:
        """The governance tags of the seed's tag section, for one service's resources."""
        return self.shared_tags(f"ecr-{service}") | {"Service": service}
