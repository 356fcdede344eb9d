"""The building blocks of the settings: names, regions, constrained value types and the config
model base.

Every constraint mirrors a rule AWS or the AWS provider enforces (cited beside it, the numbers read
from the limits table in `limits.py`), so a config that passes here passes the provider's
validators at `pulumi preview`. Patterns spell out ASCII classes (`[0-9]`, never `\\d`): Python and
Rust regexes let `\\d` match any script's digits; tag values, which AWS allows in any script, say
`\\p{L}` on purpose.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal, TypeVar, get_args

from annotated_types import Ge, Le
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    StringConstraints,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from components import limits
from components.config_messages import Allowed
from components.limits import TAG_CHARACTERS

NAMESPACE = "ecr"
Environment = Literal["dev", "staging", "prod"]
ENVIRONMENTS: tuple[str, ...] = get_args(Environment)
PRODUCTION = "prod"
# Public AWS regions as of 2026, by partition; replication targets must be one of them, in the
# stack's own partition (ECR replicates within a partition).
Region = Literal[
    "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
    "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1",
    "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
    "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1",
    "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
    "cn-north-1", "cn-northwest-1", "us-gov-east-1", "us-gov-west-1",
]  # fmt: skip
AWS_REGIONS: tuple[str, ...] = get_args(Region)
PARTITION_PREFIXES = {"cn-": "aws-cn", "us-gov-": "aws-us-gov"}
"""Region name prefix -> partition; every other region is in `aws`."""


def partition_of(region: str) -> str:
    """The partition a region is in (aws, aws-cn, aws-us-gov)."""
    return next((p for prefix, p in PARTITION_PREFIXES.items() if region.startswith(prefix)), "aws")


# Upstreams ECR pull-through cache supports (the API's UpstreamRegistry enum; ECR User Guide,
# "Sync an upstream registry"), and whether they need a Secrets Manager credential. ECR-to-ECR
# (ECR_UPSTREAM) takes a role (customRoleArn) and an upstream prefix instead; ECR Public Premium
# needs upstreamRoleArn, which pulumi-aws 7.51 does not take, so it is not offered.
PULL_THROUGH_UPSTREAMS = {
    "public.ecr.aws": False,
    "registry.k8s.io": False,
    "quay.io": False,
    "registry-1.docker.io": True,
    "ghcr.io": True,
    "registry.gitlab.com": True,
    "*.azurecr.io": True,
    "cgr.dev": True,
}
AZURE_REGISTRY = r"[a-z0-9]{5,50}\.azurecr\.io"
# Another private ECR registry (botocore CreatePullThroughCacheRule.upstreamRegistryUrl, "Amazon
# ECR (ecr) - <accountId>.dkr.ecr.<region>.amazonaws.com"; `.cn` in the China regions).
ECR_UPSTREAM = r"([0-9]{12})\.dkr\.ecr\.([a-z]{2}(?:-gov)?-[a-z]+-[0-9])\.amazonaws\.com(?:\.cn)?"
Upstream = Annotated[
    str,
    StringConstraints(
        pattern="^(?:"
        # `\.` only: editors compile schema patterns as ECMAScript Unicode regexes (no `\-`).
        + "|".join(u.replace(".", r"\.") for u in PULL_THROUGH_UPSTREAMS if "*" not in u)
        + f"|{AZURE_REGISTRY}|{ECR_UPSTREAM})$"
    ),
    Allowed(
        "must be an upstream ECR pull-through cache supports: "
        + ", ".join(PULL_THROUGH_UPSTREAMS)
        + ", or another private ECR registry <account>.dkr.ecr.<region>.amazonaws.com (ECR User "
        "Guide; mcr.microsoft.com and others are not supported)"
    ),
]


def is_ecr_upstream(upstream: str) -> bool:
    """Whether the upstream is a private ECR registry (ECR-to-ECR: a role, no secret)."""
    return re.fullmatch(ECR_UPSTREAM, upstream) is not None


def needs_credential(upstream: str) -> bool:
    """Whether ECR needs a Secrets Manager credential for this upstream."""
    if is_ecr_upstream(upstream):
        return False
    return PULL_THROUGH_UPSTREAMS.get(upstream, upstream.endswith(".azurecr.io"))


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


# ECR CreateRepository: repositoryName (botocore RepositoryName) is 2-256 characters of lowercase
# alphanumerics separated by `.`, `_`, `__` or runs of `-`, optionally namespaced with `/`. Ours are
# also IAM policy names (see MAX_SERVICE_NAME). Managed signing's filters take single separators
# only: the settings name that input when a service needs it (loading).
_NAME_SEGMENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
ServiceName = Annotated[
    str,
    StringConstraints(
        pattern=rf"^(?:{_NAME_SEGMENT}/)*{_NAME_SEGMENT}$",
        min_length=2,
        max_length=MAX_SERVICE_NAME,
    ),
    Allowed(
        f"service names are ECR repository names of 2-{MAX_SERVICE_NAME} characters (the IAM "
        "policy `ecr-<service>-push` is limited to 128): lowercase letters and digits separated "
        "by . _ __ or runs of -, optionally namespaced with /"
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


def not_ssm_reserved(path: str) -> str:
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
# PullThroughCacheRule ecrRepositoryPrefix (botocore PullThroughCacheRuleRepositoryPrefix): 2-30
# characters of repository-name segments, namespaces included (ROOT and a trailing / are not
# offered: each prefix is also a creation template's, where `team` and `team/` are one).
CachePrefix = Annotated[
    str,
    StringConstraints(
        pattern=rf"^{_NAME_SEGMENT}(?:/{_NAME_SEGMENT})*$",
        min_length=limits.CACHE_PREFIX.min,
        max_length=limits.CACHE_PREFIX.max,
    ),
    Allowed(
        "pull-through cache prefixes are 2-30 characters of repository-name segments (lowercase "
        "letters and digits separated by . _ __ or runs of -), optionally namespaced with / "
        "(no trailing /)"
    ),
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
# CreatePullThroughCacheRule customRoleArn (CustomRoleArn, at most 2,048): an IAM role, which
# ECR requires in the registry's own account (checked at run time, when the account is known).
RoleArn = Annotated[
    str,
    StringConstraints(
        pattern=r"^arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_-]+"
        r"(?:/[A-Za-z0-9+=,.@_-]+)*$",
        max_length=2048,
    ),
    Allowed("must be the ARN of an IAM role (arn:aws:iam::<account>:role/<name>)"),
]
# CreatePullThroughCacheRule upstreamRepositoryPrefix (PullThroughCacheRuleRepositoryPrefix): 2-30
# characters of repository-name segments, or ROOT (any upstream repository).
UpstreamPrefix = Annotated[
    str,
    StringConstraints(
        pattern=rf"^(?:{_NAME_SEGMENT}(?:/{_NAME_SEGMENT})*|ROOT)$",
        min_length=limits.CACHE_PREFIX.min,
        max_length=limits.CACHE_PREFIX.max,
    ),
    Allowed(
        "must be ROOT or a repository-name prefix of the upstream registry, 2-30 characters "
        "(lowercase letters and digits separated by . _ __ or runs of -, / namespaces)"
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


class ConfigModel(BaseModel):
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
# ECR: an archived image can be deleted only after 90 days in the archive ("Examples of lifecycle
# policies": sinceImageTransitioned); the upper bound is ExpiryDays's.
ArchivedDays = Annotated[int, Ge(90), Le(3650)]
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
# ECR PutSigningConfiguration signingProfileArn (SigningProfileArn): at most 200 characters.
SignerProfileArn = Annotated[
    str,
    StringConstraints(
        pattern=r"^arn:aws(?:-[a-z]+)*:signer:[a-z0-9-]+:[0-9]{12}:/signing-profiles/"
        r"[A-Za-z0-9_]{2,64}$",
        max_length=200,
    ),
    Allowed(
        "must be an AWS Signer profile ARN "
        "(arn:aws:signer:<region>:<account>:/signing-profiles/<name>)"
    ),
]
SigningFilter = Annotated[
    str,
    StringConstraints(
        pattern=f"^{limits.SIGNING_FILTER.pattern}$",
        min_length=limits.SIGNING_FILTER.min,
        max_length=limits.SIGNING_FILTER.max,
    ),
    Allowed(
        f"must be a repository-name wildcard of {limits.SIGNING_FILTER.min}-"
        f"{limits.SIGNING_FILTER.max} characters such as team-a/* (lowercase letters, digits, *, "
        "single . _ - separators, / namespaces)"
    ),
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
