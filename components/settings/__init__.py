"""Stack config -> typed, validated settings.

The `ecr:` namespace is declared once, as the pydantic models below: each field carries its type,
default, constraints and description. The README's configuration reference, the editor schema
(`schema/stack-config.schema.json`) and `Pulumi.yaml`'s declarations are generated from them
(`make docs`). Everything is validated before the program registers a single resource, and every
problem is reported at once, one line each, naming the key, the value and what is allowed.

Every constraint mirrors a rule AWS or the AWS provider enforces (cited beside it), so a config
that passes here passes the provider's validators at `pulumi preview`. Patterns spell out ASCII
classes (`[0-9]`, never `\\d`): Python and Rust regexes let `\\d` match any script's digits.
Nothing in this module creates resources.
"""

from __future__ import annotations

import configparser
import copy
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeVar, get_args

from annotated_types import Ge, Le
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from components.access import repository_policy, template_role_policy
from components.config_messages import Allowed, Formatter, key, show
from components.documents import to_json
from components.lifecycle import Retention, lifecycle_policy
from components.settings import limits
from components.settings.limits import TAG_CHARACTERS

NAMESPACE = "ecr"
Environment = Literal["dev", "staging", "prod"]
ENVIRONMENTS: tuple[str, ...] = get_args(Environment)
PRODUCTION = "prod"
# Public AWS regions (commercial partition) as of 2026; replication targets must be one of them.
Region = Literal[
    "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
    "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1",
    "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
    "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1",
    "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
]  # fmt: skip
AWS_REGIONS: tuple[str, ...] = get_args(Region)
# Upstreams ECR pull-through cache supports (the API's UpstreamRegistry enum; ECR User Guide,
# "Sync an upstream registry"), and whether they need a Secrets Manager credential. ECR-to-ECR
# needs a role and an upstream prefix instead, which this program does not offer.
PULL_THROUGH_UPSTREAMS = {
    "public.ecr.aws": False,
    "registry.k8s.io": False,
    "quay.io": False,
    "registry-1.docker.io": True,
    "ghcr.io": True,
    "registry.gitlab.com": True,
    "<registry>.azurecr.io": True,
    "cgr.dev": True,
}
AZURE_REGISTRY = r"[a-z0-9]{5,50}\.azurecr\.io"
Upstream = Annotated[
    str,
    StringConstraints(
        pattern="^(?:"
        + "|".join(re.escape(u) for u in PULL_THROUGH_UPSTREAMS if not u.startswith("<"))
        + f"|{AZURE_REGISTRY})$"
    ),
    Allowed(
        "must be an upstream ECR pull-through cache supports: "
        + ", ".join(PULL_THROUGH_UPSTREAMS)
        + " (ECR User Guide; mcr.microsoft.com and others are not supported)"
    ),
]


def needs_credential(upstream: str) -> bool:
    """Whether ECR needs a Secrets Manager credential for this upstream."""
    return PULL_THROUGH_UPSTREAMS.get(upstream, upstream.endswith(".azurecr.io"))


SCAN_FREQUENCIES = {
    "BASIC": ("SCAN_ON_PUSH", "MANUAL"),
    "ENHANCED": ("SCAN_ON_PUSH", "CONTINUOUS_SCAN"),
}
COMPONENT_TAG = "container-registry"
"""The `Component` tag on everything this program creates (how the audit tells ours apart)."""

# IAM CreatePolicy: PolicyName is at most 128 characters; ours are `ecr-<service>-push|pull`.
IAM_POLICY_NAME_MAX = limits.IAM_POLICY_NAME.max or 0
MAX_SERVICE_NAME = IAM_POLICY_NAME_MAX - len("ecr--push")
SSM_MAX_LEVELS = limits.SSM_LEVELS.max or 0
SSM_MAX_NAME = limits.SSM_ARN.max or 0
LIFECYCLE_POLICY_MAX = limits.LIFECYCLE_POLICY.max or 0
# The longest region name, for the SSM ARN length when the stack's region is not known.
_LONGEST_REGION = max(AWS_REGIONS, key=len)
# Placeholders of the right length for documents measured before the account is known.
_ACCOUNT = "123456789012"
_KEY_ID = "0b6b2a1e-1f0e-4c43-9a51-1a7f0e2d1c11"

T = TypeVar("T")


def _unique(values: list[T]) -> list[T]:
    repeated = sorted({json.dumps(v) for v in values if values.count(v) > 1})
    if repeated:
        raise PydanticCustomError(
            "unique", "lists {repeated} more than once", {"repeated": ", ".join(repeated)}
        )
    return values


Unique = AfterValidator(_unique)
"""A list's items are distinct."""


# ECR CreateRepository: repositoryName is 2-256 characters of lowercase alphanumerics separated by
# single `.`, `_` or `-` (AWS also allows `__` and `--`; we keep single separators), optionally
# namespaced with `/`. Ours are also IAM policy names (see MAX_SERVICE_NAME).
ServiceName = Annotated[
    str,
    StringConstraints(
        pattern=r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$",
        min_length=2,
        max_length=MAX_SERVICE_NAME,
    ),
    Allowed(
        f"service names are ECR repository names of 2-{MAX_SERVICE_NAME} characters (the IAM "
        "policy `ecr-<service>-push` is limited to 128): lowercase letters and digits separated "
        "by single . _ -, optionally namespaced with /"
    ),
]
# A string matching an (anchored, ASCII-only) pattern; `Allowed` words the message.
Email = Annotated[
    str,
    StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$", max_length=254),
    Allowed("must be an e-mail address"),
]
# Governance tags go on IAM policies and SSM parameters too, whose tag values allow only letters,
# digits, spaces and _ . : / = + - @ (Unicode letters included), at most 256 of them.
_TAG_VISIBLE = TAG_CHARACTERS.replace(r"\p{Z}", "")
TagValue = Annotated[
    str,
    StringConstraints(
        pattern=rf"^{TAG_CHARACTERS}*{_TAG_VISIBLE}{TAG_CHARACTERS}*$",
        max_length=limits.TAG_VALUE.max,
    ),
    Allowed(
        f"must be 1-{limits.TAG_VALUE.max} letters, digits, spaces and _ . : / = + - @, not only "
        "spaces (IAM and SSM tag values)"
    ),
]
OwnerEmail = Annotated[
    str,
    StringConstraints(
        pattern=rf"^{_TAG_VISIBLE}+@{_TAG_VISIBLE}+\.[A-Za-z]{{2,}}$", max_length=254
    ),
    Allowed(
        "must be an e-mail address of letters, digits and _ . : / = + - @ (it is the Owner tag; "
        "IAM and SSM tag values allow nothing else)"
    ),
]


def _not_reserved(path: str) -> str:
    # SSM refuses names beginning with aws or ssm, in any case (Rust regexes have no lookahead).
    if re.fullmatch(limits.SSM_RESERVED.pattern or "", path) is None:
        raise PydanticCustomError(
            "reserved",
            "must not begin with aws or ssm (any case): SSM reserves those names",
        )
    return path


# SSM parameter names: `/`-separated segments of a-zA-Z0-9_.- (levels are checked with the name).
SsmPath = Annotated[
    str,
    StringConstraints(pattern=r"^(?:/[A-Za-z0-9_.-]+)+$", max_length=900),
    Allowed("must be an SSM parameter path such as /shared/ecr"),
]
AccountId = Annotated[
    str, StringConstraints(pattern=r"^[0-9]{12}$"), Allowed("must be a 12-digit AWS account id")
]
OrganizationId = Annotated[
    str,
    StringConstraints(pattern=r"^o-[a-z0-9]{10,32}$"),
    Allowed("must be an AWS Organization id such as o-a1b2c3d4e5"),
]
# ImageTagMutabilityExclusionFilter (ECR API): [0-9a-zA-Z._*-]{1,128}; the provider also allows at
# most 2 `*` per filter (terraform-provider-aws internal/service/ecr/repository.go).
TagFilter = Annotated[
    str,
    StringConstraints(
        pattern=r"^[0-9a-zA-Z._-]*(?:\*[0-9a-zA-Z._-]*){0,2}$", min_length=1, max_length=128
    ),
    Allowed("must be 1-128 of 0-9 a-z A-Z . _ - with at most 2 `*` (ECR tag-mutability filters)"),
]
# ScanningRepositoryFilter (ECR API, and the provider's registry_scanning_configuration.go).
ScanFilter = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9*](?:[._/a-z0-9*-]?[a-z0-9*]+)*$", max_length=255),
    Allowed(
        "must be a repository-name wildcard such as * or team-* (ECR: lowercase letters, digits "
        "and *, single . _ - / between them, at most 255 characters)"
    ),
]
# PullThroughCacheRule ecrRepositoryPrefix: 2-30 characters of the repository-name alphabet.
CachePrefix = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$", min_length=2, max_length=30),
    Allowed("pull-through cache prefixes are 2-30 lowercase letters, digits, . _ -"),
]
SecretArn = Annotated[
    str,
    StringConstraints(
        pattern=r"^arn:aws(?:-[a-z]+)*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:"
        r"ecr-pullthroughcache/[A-Za-z0-9/_+=.@-]+$",
        min_length=limits.CREDENTIAL_ARN.min,
        max_length=limits.CREDENTIAL_ARN.max,
    ),
    Allowed(
        f"must be the ARN of a Secrets Manager secret named ecr-pullthroughcache/..., "
        f"{limits.CREDENTIAL_ARN.min}-{limits.CREDENTIAL_ARN.max} characters "
        "(ECR CreatePullThroughCacheRule)"
    ),
]
# CloudWatch Logs log group names: 1-512 of a-zA-Z0-9 _ - / . #.
LogGroup = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9_/.#-]{1,512}$"),
    Allowed("must be a CloudWatch log group name"),
]


def derived(doc: str) -> dict[str, Any]:
    """Marks a field whose default depends on other keys; `doc` is how the docs show it."""
    return {"x-default": doc}


class _Config(BaseModel):
    """Config models: camelCase keys as in the stack file, unknown keys refused, no coercion
    (`"yes"` is not a boolean, `true` is not a number)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        strict=True,
        frozen=True,
    )


# ECR lifecycle rules: countNumber of imageCountMoreThan is 1..10000.
KeepCount = Annotated[int, Ge(1), Le(10000)]
# ECR requires countNumber >= 1; the upper bound (ten years) is ours, to catch typos.
ExpiryDays = Annotated[int, Ge(1), Le(3650)]
Mutability = Literal["MUTABLE", "IMMUTABLE"]
# Lifecycle tagPatternList entries: image tag characters and `*`, at most four `*` per string
# (ECR User Guide, lifecycle policy properties); one rule per pattern, so lists stay short.
LifecycleTagPattern = Annotated[
    str,
    StringConstraints(
        pattern=r"^[A-Za-z0-9_.-]*(?:\*[A-Za-z0-9_.-]*){0,4}$", min_length=1, max_length=128
    ),
    Allowed("must be an image tag pattern: 1-128 of A-Z a-z 0-9 _ . - with at most 4 `*` (ECR)"),
]
TagPatterns = Annotated[list[LifecycleTagPattern], Unique]
# Repository creation template prefix (ECR API `Prefix`, less ROOT): repository-name segments.
TemplatePrefix = Annotated[
    str,
    StringConstraints(
        pattern=r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*/?$",
        min_length=limits.TEMPLATE_PREFIX.min,
        max_length=limits.TEMPLATE_PREFIX.max,
    ),
    Allowed(
        f"must be a repository-name prefix of {limits.TEMPLATE_PREFIX.min}-"
        f"{limits.TEMPLATE_PREFIX.max} characters such as team-a/ (lowercase letters, digits, "
        ". _ - separators, / namespaces; ROOT is not offered: name the prefixes)"
    ),
]
MultiRegionKeyId = Annotated[
    str,
    StringConstraints(pattern=r"^mrk-[0-9a-f]{32}$"),
    Allowed("must be a multi-Region KMS key id: mrk- and 32 hex digits"),
]
# AWS Signer PutSigningProfile: profileName is 2-64 of A-Z a-z 0-9 _ (no hyphens).
SignerProfileName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9_]{2,64}$"),
    Allowed("must be 2-64 letters, digits or _ (AWS Signer profile names allow no - or .)"),
]
# RegisterPullTimeUpdateExclusion principalArn: an IAM role or user, at most 200 characters.
PrincipalArn = Annotated[
    str,
    StringConstraints(
        pattern=r"^arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:(?:role|user)/[A-Za-z0-9+=,.@_-]+"
        r"(?:/[A-Za-z0-9+=,.@_-]+)*$",
        max_length=200,
    ),
    Allowed("must be the ARN of an IAM role or user (arn:aws:iam::<account>:role/<name>)"),
]


class RepositoryDefaults(_Config):
    """The repository keys: set stack-wide, overridable per service."""

    image_tag_mutability: Mutability | None = Field(
        None,
        description="Tag mutability of the repositories: MUTABLE or IMMUTABLE (prod: IMMUTABLE "
        "only; let named tags move with imageTagMutabilityExclusions).",
        json_schema_extra=derived("`IMMUTABLE` in prod, `MUTABLE` elsewhere"),
    )
    scan_on_push: bool = Field(True, description="Scan every image for vulnerabilities on push.")
    lifecycle_policy_max_image_count: KeepCount = Field(
        30,
        description="How many images whose tags start with `v` to keep (1-10000); older ones "
        "expire.",
    )
    untagged_image_expiry_days: ExpiryDays = Field(
        7, description="Days after which untagged images expire (1-3650)."
    )
    protected_tags: TagPatterns = Field(
        [],
        max_length=20,
        description="Tag patterns (e.g. `prod-*`, `stable`; at most 4 `*`) that no lifecycle rule "
        "ever expires or archives (up to 10,000 images per pattern).",
    )
    expire_tagged_after_days: ExpiryDays | None = Field(
        None,
        description="Days after push when images tagged with one of expireTaggedPatterns expire "
        "(1-3650).",
        json_schema_extra=derived("off"),
    )
    expire_tagged_patterns: TagPatterns = Field(
        [],
        max_length=20,
        description="Tag patterns (e.g. `sha-*`, `pr-*`) that expire expireTaggedAfterDays after "
        "push; release (`v*`) and protected images are never selected.",
    )
    archive_after_days: ExpiryDays | None = Field(
        None,
        description="Move images not pulled for this many days to ECR's archive storage class "
        "(not pullable until restored; billed for at least 90 days). Only images no other rule "
        "selects.",
        json_schema_extra=derived("off"),
    )


def _override(name: str) -> Any:
    """A service's override of the repository key `name`: unset means the stack's value."""
    description = RepositoryDefaults.model_fields[name].description
    return Field(None, description=description, json_schema_extra=derived("the stack's value"))


class ServiceConfig(_Config):
    """`services.<name>`: overrides of the repository keys, and the per-service keys."""

    image_tag_mutability: Mutability | None = _override("image_tag_mutability")
    scan_on_push: bool | None = _override("scan_on_push")
    lifecycle_policy_max_image_count: KeepCount | None = _override(
        "lifecycle_policy_max_image_count"
    )
    untagged_image_expiry_days: ExpiryDays | None = _override("untagged_image_expiry_days")
    protected_tags: TagPatterns | None = _override("protected_tags")
    expire_tagged_after_days: ExpiryDays | None = _override("expire_tagged_after_days")
    expire_tagged_patterns: TagPatterns | None = _override("expire_tagged_patterns")
    archive_after_days: ExpiryDays | None = _override("archive_after_days")
    # ECR: 1..5 ImageTagMutabilityExclusionFilters.
    image_tag_mutability_exclusions: Annotated[list[TagFilter], Unique] = Field(
        [],
        max_length=5,
        description="Wildcard tag filters (e.g. `latest`, `cache-*`, at most 5) exempt from the "
        "tag mutability setting: IMMUTABLE becomes IMMUTABLE_WITH_EXCLUSION, MUTABLE becomes "
        "MUTABLE_WITH_EXCLUSION.",
    )
    pull_accounts: Annotated[list[AccountId], Unique] = Field(
        [], description="12-digit AWS account ids whose principals may pull (pull actions only)."
    )
    pull_organization_id: OrganizationId | None = Field(
        None,
        description="AWS Organization id (o-...) whose principals may pull "
        "(aws:PrincipalOrgID condition).",
        json_schema_extra=derived("none"),
    )
    adopt: bool = Field(
        False,
        description="Import the existing repository, its policies and URL parameter instead of "
        "creating them (migration from Terraform; see the runbook).",
    )
    force_delete: bool = Field(
        False,
        description="Let a destroy delete the repository with its images. Refused in prod and "
        "with adopt.",
    )


class AlertsConfig(_Config):
    """`alerts`: scan-finding and access-denied alerts."""

    min_severity: Literal["CRITICAL", "HIGH"] = Field(
        "CRITICAL", description="Lowest scan-finding severity that alerts: CRITICAL or HIGH."
    )
    emails: Annotated[list[Email], Unique] = Field(
        [],
        max_length=20,
        description="E-mail addresses subscribed to the alert topic (at most 20; each confirms "
        "by mail).",
    )
    cloud_trail_log_group: LogGroup | None = Field(
        None,
        description="CloudWatch log group of the account's CloudTrail: adds an alarm when ECR "
        "returns AccessDenied more than 5 times in 5 minutes.",
        json_schema_extra=derived("none"),
    )


class ScanningRule(_Config):
    """One item of `registryScanning.rules`."""

    frequency: Literal["SCAN_ON_PUSH", "CONTINUOUS_SCAN", "MANUAL"] = Field(
        "SCAN_ON_PUSH",
        description="SCAN_ON_PUSH or MANUAL with BASIC; SCAN_ON_PUSH or CONTINUOUS_SCAN with "
        "ENHANCED.",
    )
    # ScanningRepositoryFilterList: at most 100 filters per rule.
    filters: Annotated[list[ScanFilter], Unique] = Field(
        ["*"], min_length=1, max_length=100, description="Repository-name wildcards (1-100)."
    )


class SigningConfig(_Config):
    """`signing`: AWS Signer (Notation) image signing."""

    profile_name: SignerProfileName | None = Field(
        None,
        description="AWS Signer signing profile name (profile names cannot be reused once "
        "cancelled).",
        json_schema_extra=derived("`ecr_<environment>`"),
    )
    # AWS Signer: a signature is valid for at most 135 months.
    validity_years: Annotated[int, Ge(1), Le(11)] = Field(
        5, description="How long signatures stay valid, in years (1-11; the seed's 5)."
    )


def _default_rules() -> list[ScanningRule]:
    return [ScanningRule()]


class RegistryScanningConfig(_Config):
    """`registryScanning`: the registry-wide scanning configuration."""

    type: Literal["BASIC", "ENHANCED"] = Field(
        "BASIC", description="BASIC or ENHANCED (Amazon Inspector)."
    )
    # PutRegistryScanningConfiguration: at most 2 rules.
    rules: list[ScanningRule] = Field(
        default_factory=_default_rules,
        min_length=1,
        max_length=2,
        description="1-2 rules of {frequency, filters}.",
        json_schema_extra=derived('`[{"frequency": "SCAN_ON_PUSH", "filters": ["*"]}]`'),
    )


class PullThroughCacheConfig(_Config):
    """`pullThroughCache.<prefix>`: one pull-through cache rule."""

    upstream: Upstream = Field(
        description=f"Upstream registry: {', '.join(PULL_THROUGH_UPSTREAMS)}."
    )
    credential_arn: SecretArn | None = Field(
        None,
        description="Secrets Manager secret (name prefix ecr-pullthroughcache/) in the stack's "
        "account and region, required for "
        + ", ".join(u for u, needed in PULL_THROUGH_UPSTREAMS.items() if needed)
        + ".",
        json_schema_extra=derived("none"),
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
    ssm_parameter_prefix: Annotated[SsmPath, AfterValidator(_not_reserved)] = Field(
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
    registry_scanning: RegistryScanningConfig | None = Field(
        None,
        description="Registry-wide scanning configuration (see Registry scanning keys).",
        json_schema_extra=derived("unmanaged"),
    )
    # ECR replication: at most 25 unique destinations.
    replication_regions: Annotated[list[Region], Unique] = Field(
        [],
        max_length=25,
        description="Regions to replicate this stack's repositories to (disaster recovery), at "
        "most 25.",
    )
    create_on_push_prefixes: Annotated[list[TemplatePrefix], Unique] = Field(
        [],
        max_length=50,
        description="Repository-name prefixes under which a first `docker push` creates the "
        "repository (ECR create-on-push), with this stack's encryption, tag mutability, lifecycle "
        "policy, repository policy and tags.",
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
        max_length=100,
        description="IAM roles whose pulls must not refresh an image's last-pulled time (e.g. a "
        "third-party scanner in CI), registered when a service archives; Amazon Inspector's pulls "
        "never count.",
    )
    pull_through_cache: dict[CachePrefix, PullThroughCacheConfig] = Field(
        {},
        max_length=limits.PULL_THROUGH_CACHE_RULES.max,
        description="Map of repository prefix -> {upstream, credentialArn}: pull-through cache "
        f"rules (at most {limits.PULL_THROUGH_CACHE_RULES.max} per registry).",
        json_schema_extra=derived("none"),
    )


# --- the settings the program uses ---------------------------------------------------------------


@dataclass(frozen=True)
class RepositorySettings:
    """One service's repository: the stack's repository keys with its overrides applied."""

    name: str
    """Service name, also the ECR repository name."""
    image_tag_mutability: str
    """MUTABLE or IMMUTABLE, with `_WITH_EXCLUSION` when there are exclusion filters."""
    scan_on_push: bool
    retention: Retention
    """What the lifecycle policy keeps, expires and archives."""
    mutability_exclusions: tuple[str, ...] = ()
    pull_accounts: tuple[str, ...] = ()
    pull_organization_id: str | None = None
    adopt: bool = False
    """Import the existing repository and its companions instead of creating them."""
    force_delete: bool = False

    @property
    def max_image_count(self) -> int:
        """Images tagged `v*` to keep."""
        return self.retention.keep_release_images

    @property
    def untagged_expiry_days(self) -> int:
        return self.retention.untagged_expiry_days


@dataclass(frozen=True)
class PullThroughCacheRule:
    prefix: str
    upstream: str
    credential_arn: str | None


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
    registry_scanning: RegistryScanningConfig | None = None
    replication_regions: tuple[str, ...] = ()
    pull_through_cache: tuple[PullThroughCacheRule, ...] = ()
    stack_retention: Retention = field(default_factory=Retention)
    """The stack-wide retention keys, for repositories no service declares (templates)."""
    stack_mutability: str = "MUTABLE"
    pull_time_exclusions: tuple[str, ...] = ()
    create_on_push_prefixes: tuple[str, ...] = ()
    replication_kms_key_id: str | None = None
    signing_profile_name: str | None = None
    """The AWS Signer profile name when signing is on."""
    signing_validity_years: int = 5

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


def iam_policy_name(service: str, access: str) -> str:
    """`ecr-<service>-push`; IAM names allow no `/`, so namespaced services use `-`."""
    return f"ecr-{service.replace('/', '-')}-{access}"


class SettingsError(ValueError):
    """The stack config is invalid; `problems` lists every reason, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid stack config ({len(problems)} problem(s)):\n{lines}")


# --- loading -------------------------------------------------------------------------------------


def load_settings(raw: Mapping[str, Any], region: str | None = None) -> StackSettings:
    """Validates the `ecr:` namespace (keys without the prefix, values as the engine passes them:
    strings, structured values JSON-encoded).

    `region` is the stack's `aws:region`, which replication must not target. Raises SettingsError
    listing every problem; returns fully resolved settings otherwise.
    """
    decoded = {k: _decode(k, v) for k, v in raw.items()}
    field_problems: list[str] = []
    try:
        config: StackConfig | None = StackConfig.model_validate(decoded)
    except ValidationError as error:
        field_problems = [_MESSAGES.problem(e) for e in error.errors()]
        config = _valid_part(decoded, error)
    if config is None:
        raise SettingsError(field_problems)
    settings = _resolve(config)
    problems = field_problems + _cross_field_problems(config, settings, region)
    if problems:
        raise SettingsError(problems)
    return settings


_DROPPED = object()


def _valid_part(decoded: dict[str, Any], error: ValidationError) -> StackConfig | None:
    """The config without the values that failed (defaults in their place), so that the
    cross-field checks still run and every problem is reported at once; None when what failed
    has no default (a required key)."""
    data = copy.deepcopy(decoded)
    for _ in range(4):
        for problem in error.errors():
            _drop(data, problem["loc"], missing=problem["type"] == "missing")
        data = _without_dropped(data)
        try:
            return StackConfig.model_validate(data)
        except ValidationError as again:
            error = again
    return None


def _drop(data: Any, loc: tuple[int | str, ...], missing: bool) -> None:
    """Marks the value at `loc` (for a missing key: its parent) to be removed."""
    parts = [part for part in loc if part != "[key]"]
    if missing:
        parts = parts[:-1]
    if not parts:
        return
    node = data
    for part in parts[:-1]:
        if not _holds(node, part):
            return
        node = node[part]
    if _holds(node, parts[-1]):
        node[parts[-1]] = _DROPPED


def _holds(node: Any, part: int | str) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and part < len(node)


def _without_dropped(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_dropped(v) for k, v in value.items() if v is not _DROPPED}
    if isinstance(value, list):
        return [_without_dropped(v) for v in value if v is not _DROPPED]
    return value


def provider_region(configured: str | None) -> str | None:
    """The region the AWS provider deploys to: `aws:region`, else (as the AWS SDKs resolve it)
    AWS_REGION, AWS_DEFAULT_REGION, then the profile's `region` in the shared config file."""
    if configured:
        return configured
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if os.environ.get(variable):
            return os.environ[variable]
    profile = os.environ.get("AWS_PROFILE") or "default"
    path = os.environ.get("AWS_CONFIG_FILE") or os.path.expanduser("~/.aws/config")
    parser = configparser.ConfigParser()
    try:
        parser.read(path)
    except (OSError, configparser.Error):
        return None
    section = profile if profile == "default" else f"profile {profile}"
    return parser.get(section, "region", fallback=None)


_MESSAGES = Formatter(
    StackConfig,
    NAMESPACE,
    missing={
        ("environment",): f"is not set: must be one of {', '.join(ENVIRONMENTS)}",
        ("services",): f"has no services: add at least one, e.g. `{NAMESPACE}:services: "
        "{fileflow: {}}`",
    },
)
_KEYS = {field.alias for field in StackConfig.model_fields.values()}
# Keys whose values are strings; the engine JSON-encodes the others.
_STRING_KEYS = {
    name
    for name, schema in StackConfig.model_json_schema(by_alias=True)["properties"].items()
    if {option.get("type") for option in schema.get("anyOf", [schema])} <= {"string", "null"}
}


def _decode(name: str, value: Any) -> Any:
    """Undecodable values are passed on as they are, and the type check names them."""
    if not isinstance(value, str) or name in _STRING_KEYS or name not in _KEYS:
        return value
    try:
        return json.loads(value)
    except (ValueError, RecursionError):  # bad JSON, a number over 4,300 digits, deep nesting
        return value


def _resolve(config: StackConfig) -> StackSettings:
    production = config.environment == PRODUCTION
    stack_mutability = config.image_tag_mutability or ("IMMUTABLE" if production else "MUTABLE")
    services = []
    for name, given in sorted(config.services.items()):
        service = given or ServiceConfig()
        mutability = service.image_tag_mutability or stack_mutability
        exclusions = tuple(service.image_tag_mutability_exclusions)
        services.append(
            RepositorySettings(
                name=name,
                image_tag_mutability=f"{mutability}_WITH_EXCLUSION" if exclusions else mutability,
                scan_on_push=_first(service.scan_on_push, config.scan_on_push),
                retention=_retention(config, service, signed=config.signing is not None),
                mutability_exclusions=exclusions,
                pull_accounts=tuple(service.pull_accounts),
                pull_organization_id=service.pull_organization_id,
                adopt=service.adopt,
                force_delete=service.force_delete,
            )
        )
    return StackSettings(
        environment=config.environment,
        owner=config.owner,
        cost_center=config.cost_center,
        lifecycle_stage=config.lifecycle_stage
        or ("production" if production else config.environment),
        data_class=config.data_class,
        kms_key_parameter=config.kms_key_parameter,
        ssm_parameter_prefix=config.ssm_parameter_prefix,
        services=tuple(services),
        dashboard=config.dashboard,
        alerts=config.alerts,
        registry_scanning=config.registry_scanning,
        replication_regions=tuple(config.replication_regions),
        pull_through_cache=tuple(
            PullThroughCacheRule(prefix, rule.upstream, rule.credential_arn)
            for prefix, rule in sorted(config.pull_through_cache.items())
        ),
        pull_time_exclusions=tuple(config.pull_time_exclusions),
        create_on_push_prefixes=tuple(config.create_on_push_prefixes),
        replication_kms_key_id=config.replication_kms_key_id,
        signing_profile_name=(
            (config.signing.profile_name or f"ecr_{config.environment}") if config.signing else None
        ),
        signing_validity_years=config.signing.validity_years if config.signing else 5,
        stack_retention=_retention(config, ServiceConfig(), signed=config.signing is not None),
        stack_mutability=stack_mutability,
    )


def _retention(stack: StackConfig, service: ServiceConfig, signed: bool = False) -> Retention:
    """The stack's retention keys with the service's overrides (a list replaces the stack's).
    With signing, untagged images are not expired: signatures are untagged artifacts, and ECR's
    lifecycle rules cannot tell them from untagged images."""
    return Retention(
        expire_untagged=not signed,
        keep_release_images=_first(
            service.lifecycle_policy_max_image_count, stack.lifecycle_policy_max_image_count
        ),
        untagged_expiry_days=_first(
            service.untagged_image_expiry_days, stack.untagged_image_expiry_days
        ),
        protected_tags=tuple(_first(service.protected_tags, stack.protected_tags)),
        expire_tagged_after_days=_first(
            service.expire_tagged_after_days, stack.expire_tagged_after_days
        ),
        expire_tagged_patterns=tuple(
            _first(service.expire_tagged_patterns, stack.expire_tagged_patterns)
        ),
        archive_after_days=_first(service.archive_after_days, stack.archive_after_days),
    )


def _first(override: T | None, default: T) -> T:
    return default if override is None else override


def _cross_field_problems(
    config: StackConfig, settings: StackSettings, region: str | None
) -> list[str]:
    """What no single field can say: combinations AWS, the provider or our safety rules refuse."""
    problems: list[str] = []

    def add(path: str, value: Any, allowed: str) -> None:
        problems.append(f"{NAMESPACE}:{path} = {show(value)}: {allowed}")

    if settings.is_production and config.image_tag_mutability == "MUTABLE":
        add(
            "imageTagMutability",
            "MUTABLE",
            "not allowed in prod: released tags must not move; exempt named tags with "
            "services.<name>.imageTagMutabilityExclusions instead",
        )
    policy_names: dict[str, str] = {}
    resolved = {s.name: s for s in settings.services}
    for name, given in sorted(config.services.items()):
        path = f"services.{key(name)}"
        service = given or ServiceConfig()
        if settings.is_production and service.image_tag_mutability == "MUTABLE":
            add(
                f"{path}.imageTagMutability",
                "MUTABLE",
                "not allowed in prod: exempt named tags with imageTagMutabilityExclusions instead",
            )
        if settings.is_production and service.force_delete:
            add(
                f"{path}.forceDelete",
                True,
                "not allowed in prod: a destroy or replacement would delete every image",
            )
        if service.adopt and service.force_delete:
            # The provider never reads force_delete back from AWS, so an import with it set
            # differs from the real resource and fails.
            add(f"{path}.forceDelete", True, "not allowed with adopt: the import would fail")
        policy = iam_policy_name(name, "push")
        if policy in policy_names:
            add(
                path,
                name,
                f"its IAM policies would be named like those of {policy_names[policy]} "
                f"({policy}): rename one of them",
            )
        policy_names.setdefault(policy, name)
        problems.extend(_retention_problems(path, resolved[name].retention))
        parameter = settings.url_parameter_name(name)
        arn = f"arn:aws:ssm:{region or _LONGEST_REGION}:{_ACCOUNT}:parameter/{parameter[1:]}"
        if parameter.count("/") > SSM_MAX_LEVELS or len(arn) > SSM_MAX_NAME:
            add(
                path,
                name,
                f"its URL parameter {parameter} exceeds SSM's {SSM_MAX_LEVELS} levels or "
                f"{SSM_MAX_NAME} characters counted as the parameter's ARN ({len(arn)}): "
                "shorten ssmParameterPrefix or the name",
            )
        document = repository_policy(
            _ACCOUNT, resolved[name].pull_accounts, resolved[name].pull_organization_id
        )
        size = len(to_json(document))
        if size > (limits.REPOSITORY_POLICY.max or 0):
            add(
                f"{path}.pullAccounts",
                list(service.pull_accounts),
                f"the repository policy would be {size:,} characters; "
                f"{limits.REPOSITORY_POLICY.rule}: grant an organisation with "
                "pullOrganizationId instead",
            )
    if config.kms_key_parameter.count("/") > SSM_MAX_LEVELS:
        add("kmsKeyParameter", config.kms_key_parameter, f"SSM allows {SSM_MAX_LEVELS} levels")
    if region and region in config.replication_regions:
        add(
            "replicationRegions",
            config.replication_regions,
            f"must not include the stack's own region {region}",
        )
    # ECR replication: at most 100 repository filters per rule; we use one filter per service.
    if config.replication_regions and len(config.services) > 100:
        add(
            "replicationRegions",
            config.replication_regions,
            "replication covers at most 100 services per stack; this stack has "
            f"{len(config.services)}",
        )
    if config.registry_scanning is not None:
        scan_type = config.registry_scanning.type
        allowed = SCAN_FREQUENCIES[scan_type]
        seen: set[tuple[str, frozenset[str]]] = set()
        for index, rule in enumerate(config.registry_scanning.rules):
            if rule.frequency not in allowed:
                add(
                    f"registryScanning.rules[{index}].frequency",
                    rule.frequency,
                    f"must be one of {', '.join(allowed)} with type {scan_type}",
                )
            # The provider keeps rules (and their filters) as sets: equal rules collapse into one,
            # and every preview would then show a change that never settles.
            same = (rule.frequency, frozenset(rule.filters))
            if same in seen:
                add(
                    f"registryScanning.rules[{index}]",
                    rule.model_dump(by_alias=True),
                    "repeats an earlier rule (same frequency and filters): remove it",
                )
            seen.add(same)
    for prefix, cache in sorted(config.pull_through_cache.items()):
        path = f"pullThroughCache.{key(prefix)}.credentialArn"
        if needs_credential(cache.upstream) and not cache.credential_arn:
            add(path, None, f"is required for {cache.upstream}")
        secret_region = cache.credential_arn.split(":")[3] if cache.credential_arn else None
        if secret_region and region and secret_region != region:
            add(
                path,
                cache.credential_arn,
                f"the secret must be in the stack's region {region} (ECR reads it from the "
                "rule's own region and account)",
            )
    problems += _template_problems(config, settings, region)
    return problems


def _template_problems(
    config: StackConfig, settings: StackSettings, region: str | None
) -> list[str]:
    """What the repository creation templates need: one template per namespace, their role's
    policy within IAM's limit, and the stack-level retention they apply."""
    problems: list[str] = []
    namespaces: dict[str, str] = {}
    for index, prefix in enumerate(config.create_on_push_prefixes):
        namespace = prefix.rstrip("/")
        if namespace in namespaces:
            problems.append(
                f"{NAMESPACE}:createOnPushPrefixes[{index}] = {show(prefix)}: the same namespace "
                f"as {show(namespaces[namespace])}: ECR treats a prefix with and without a "
                "trailing / as one template"
            )
        namespaces.setdefault(namespace, prefix)
    scope = [*config.create_on_push_prefixes, *config.pull_through_cache]
    if config.replication_regions:
        scope += [s.name for s in settings.services]
    if not scope:
        return problems
    problems += _retention_problems("", settings.stack_retention)
    regions = [region or _LONGEST_REGION, *config.replication_regions]
    keys = [f"arn:aws:kms:{r}:{_ACCOUNT}:key/{_KEY_ID}" for r in regions]
    document = template_role_policy(_ACCOUNT, scope, keys)
    size = len(json.dumps(document, separators=(",", ":")))
    if size > (limits.IAM_INLINE_ROLE_POLICY.max or 0):
        problems.append(
            f"{NAMESPACE}:createOnPushPrefixes = {show(list(config.create_on_push_prefixes))}: "
            f"the creation templates' role policy would be {size:,} characters for "
            f"{len(scope)} prefixes and replicated services; {limits.IAM_INLINE_ROLE_POLICY.rule}"
            ": use fewer or shorter prefixes (a shared parent prefix covers its children)"
        )
    return problems


def _retention_problems(path: str, retention: Retention) -> list[str]:
    """Retention combinations ECR would reject or that would silently do nothing (`path`: the
    service's keys, or "" for the stack's)."""
    found = []
    path = f"{path}." if path else ""
    days, patterns = retention.expire_tagged_after_days, retention.expire_tagged_patterns
    if (days is None) != (not patterns):
        found.append(
            f"{NAMESPACE}:{path}expireTaggedPatterns = {show(list(patterns))}: "
            "expireTaggedAfterDays and expireTaggedPatterns go together: set both or neither "
            f"(expireTaggedAfterDays = {show(days)})"
        )
    both = sorted(set(patterns) & set(retention.protected_tags))
    if both:
        found.append(
            f"{NAMESPACE}:{path}expireTaggedPatterns = {show(list(patterns))}: {show(both)} "
            "also in protectedTags; a pattern cannot be both protected and expired"
        )
    size = len(to_json(lifecycle_policy(retention)))
    if size > LIFECYCLE_POLICY_MAX:
        found.append(
            f"{NAMESPACE}:{path}protectedTags = {show(list(retention.protected_tags))}: the "
            f"lifecycle policy would be {size} characters; ECR allows {LIFECYCLE_POLICY_MAX}"
        )
    return found


# --- the config the engine passed -----------------------------------------------------------------


def stack_config() -> dict[str, Any]:
    """Every `ecr:*` key the engine passed to this program, with the prefix removed.

    `pulumi.Config` can only look keys up by name; enumerating them is what lets a misspelt key be
    reported instead of silently ignored.
    """
    from pulumi.runtime import config as runtime_config

    passed = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{NAMESPACE}:"
    return {k[len(prefix) :]: v for k, v in passed.items() if k.startswith(prefix)}


# --- values read at run time ---------------------------------------------------------------------

_KMS_KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:([a-z0-9-]+):([0-9]{12}):key/[A-Za-z0-9-]+")


def kms_key_arn_problem(parameter: str, value: str, region: str, account: str) -> str | None:
    """Why the key ARN read from SSM cannot encrypt this stack's repositories (None if it can).

    The repository's encryption configuration is ForceNew: an alias, a bare key id or a key of
    another region or account would differ from what AWS stores and plan a replacement of every
    repository, deleting its images. So only the full ARN of a key in the stack's own region and
    account is accepted; key material changes by rotation, which keeps the ARN.
    """
    match = _KMS_KEY_ARN.fullmatch(value)
    if match and match.groups() == (region, account):
        return None
    return (
        f"SSM parameter {parameter} holds {show(value)}: it must hold the full ARN of a KMS key "
        f"in this stack's region and account (arn:aws:kms:{region}:{account}:key/<id>). An "
        "alias, key id or key elsewhere would replace every repository and delete its images; "
        "nothing was changed. Put the key's ARN in the parameter (rotate the key to change its "
        "material: the ARN stays)."
    )
