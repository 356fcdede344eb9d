"""AWS's limits on what this program sends, in one table, each with where AWS writes it down.

The botocore service models carry most limits (min/max/pattern/enum of each API member); the
conformance check (tools/preview/conformance.py) reads those straight from the models. This table
holds what the models do not say or say too loosely: the provider's stricter validators (it runs
them at `pulumi preview`), the documented limits (document sizes, tag character sets, quotas per
registry, reserved names), and the model limits the settings refuse by name before anything is
created. The settings, the document builders (access, templates, alerts) and the conformance check
read it, so a limit is written once; it imports nothing of the program, so any module may.

A limit on an API member names it as `service:Operation.Member[.Nested]` (botocore's names), so the
conformance check applies it to whatever resource sends that member.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    """One rule AWS (or the provider, before AWS) enforces."""

    what: str
    """What it limits, in words."""
    source: str
    """Where it is written down: `botocore ecr CreateRepository.repositoryName`, a provider file, a
    user guide page."""
    min: int | None = None
    max: int | None = None
    pattern: str | None = None
    """A full-match pattern (the `regex` module's syntax: `\\p{L}` is any letter)."""
    member: str | None = None
    """The API member it applies to (`iam:PutRolePolicy.PolicyDocument`), if it is one member's."""
    compact: bool = False
    """Measured on the JSON document without whitespace (IAM counts policies that way)."""

    @property
    def rule(self) -> str:
        """The limit in words, with its source, for messages."""
        bounds = []
        if self.min is not None and self.max is not None:
            bounds.append(f"{self.min:,}-{self.max:,}")
        elif self.max is not None:
            bounds.append(f"at most {self.max:,}")
        elif self.min is not None:
            bounds.append(f"at least {self.min:,}")
        if self.pattern is not None:
            bounds.append(f"matching {self.pattern}")
        spaced = " (without whitespace)" if self.compact else ""
        return f"{self.what}: {', '.join(bounds)}{spaced} ({self.source})"


# --- tags ----------------------------------------------------------------------------------------

# IAM (tagValueType) and SSM (TagValue) allow these characters only; ECR, SNS, EventBridge and
# CloudWatch allow any, so the strictest service decides what a governance tag may hold.
TAG_CHARACTERS = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]"
TAG_VALUE = Limit(
    "tag values",
    "botocore iam tagValueType and ssm TagValue; AWS Tagging Best Practices",
    max=256,
    pattern=rf"{TAG_CHARACTERS}*",
)
TAGS_PER_RESOURCE = Limit(
    "tags per resource", "AWS General Reference, tagging: 50 user tags per resource", max=50
)

# --- names ---------------------------------------------------------------------------------------

IAM_POLICY_NAME = Limit(
    "IAM policy names", "botocore iam policyNameType", max=128, member="iam:CreatePolicy.PolicyName"
)
REPOSITORY_NAME = Limit(
    "ECR repository names", "botocore ecr CreateRepository.repositoryName", min=2, max=256
)
SSM_LEVELS = Limit(
    "levels of hierarchy in an SSM parameter name",
    "SSM User Guide, parameter name requirements: at most fifteen levels",
    max=15,
)
SSM_ARN = Limit(
    "SSM parameter names counted as the whole parameter ARN",
    "SSM API Reference, PutParameter Name: 1,011 characters including the ARN",
    max=1011,
)
SSM_RESERVED = Limit(
    "SSM parameter names",
    "SSM User Guide: names cannot be prefixed with aws or ssm (case-insensitive)",
    pattern=r"(?i)(?!/?(?:aws|ssm)).*",
    member="ssm:PutParameter.Name",
)
SIGNER_PROFILE_NAME = Limit(
    "AWS Signer profile names",
    "botocore signer PutSigningProfile.profileName",
    min=2,
    max=64,
    pattern=r"[A-Za-z0-9_]{2,64}",
)

# --- documents -----------------------------------------------------------------------------------

IAM_MANAGED_POLICY = Limit(
    "IAM managed policy documents",
    "IAM User Guide, IAM and AWS STS quotas: managed policy size 6,144 characters",
    max=6144,
    compact=True,
    member="iam:CreatePolicy.PolicyDocument",
)
IAM_INLINE_ROLE_POLICY = Limit(
    "IAM inline role policies (all of a role's together)",
    "IAM User Guide, IAM and AWS STS quotas: role policy size 10,240 characters",
    max=10240,
    compact=True,
)
IAM_ATTACHED_POLICIES = Limit(
    "managed policies attached to an IAM role",
    "IAM User Guide, IAM and AWS STS quotas: managed policies per role 10 (adjustable to 20)",
    max=10,
)
IAM_TRUST_POLICY = Limit(
    "IAM role trust policies",
    "IAM User Guide, IAM and AWS STS quotas: role trust policy length 2,048 characters",
    max=2048,
    compact=True,
    member="iam:CreateRole.AssumeRolePolicyDocument",
)
REPOSITORY_POLICY = Limit(
    "ECR repository policies",
    "botocore ecr SetRepositoryPolicy.policyText (RepositoryPolicyText)",
    max=10240,
    compact=True,  # the provider normalises the policy before sending it
)
LIFECYCLE_POLICY = Limit(
    "ECR lifecycle policies",
    "botocore ecr PutLifecyclePolicy.lifecyclePolicyText",
    min=100,
    max=30720,
)
EVENT_PATTERN = Limit(
    "EventBridge event patterns",
    "EventBridge User Guide, quotas: event pattern size 2,048 characters (adjustable to 4,096)",
    max=2048,
    member="events:PutRule.EventPattern",
)
TOPIC_POLICY = Limit(
    "SNS topic policies",
    "SNS Developer Guide, quotas: topic policy 30 KB",
    max=30720,
    member="sns:SetTopicAttributes.AttributeValue",
)
DASHBOARD_BODY = Limit(
    "CloudWatch dashboard bodies",
    "CloudWatch API Reference, PutDashboard DashboardBody: at most 1 MB",
    max=1048576,
    member="cloudwatch:PutDashboard.DashboardBody",
)
DASHBOARD_NAME = Limit(
    "CloudWatch dashboard names",
    "CloudWatch API Reference, PutDashboard DashboardName",
    max=255,
    pattern=r"[A-Za-z0-9_-]+",
    member="cloudwatch:PutDashboard.DashboardName",
)

# --- repository creation templates ---------------------------------------------------------------

TEMPLATE_PREFIX = Limit(
    "repository creation template prefixes",
    "terraform-provider-aws internal/service/ecr/repository_creation_template.go (prefix)",
    min=2,
    max=256,
    member="ecr:CreateRepositoryCreationTemplate.prefix",
)
TEMPLATE_DESCRIPTION = Limit(
    "repository creation template descriptions",
    "terraform-provider-aws internal/service/ecr/repository_creation_template.go (description)",
    max=255,
    member="ecr:CreateRepositoryCreationTemplate.description",
)

# --- registry ------------------------------------------------------------------------------------

PULL_THROUGH_CACHE_RULES = Limit(
    "pull-through cache rules per registry",
    "ECR User Guide, Amazon ECR service quotas: pull through cache rules per registry 50, "
    "not adjustable",
    max=50,
)
CACHE_PREFIX = Limit(
    "pull-through cache repository prefixes",
    "botocore ecr CreatePullThroughCacheRule.ecrRepositoryPrefix",
    min=2,
    max=30,
)
CREDENTIAL_ARN = Limit(
    "pull-through cache credential ARNs",
    "botocore ecr CreatePullThroughCacheRule.credentialArn",
    min=50,
    max=612,
)
REPLICATION_DESTINATIONS = Limit(
    "replication destinations",
    "ECR User Guide, private registry replication: 25 unique destinations across all rules "
    "(stricter than botocore ecr ReplicationDestinationList, 100 per rule)",
    max=25,
)
REPLICATION_FILTERS = Limit(
    "repository filters per replication rule",
    "botocore ecr RepositoryFilterList",
    max=100,
)
PULL_TIME_EXCLUSIONS = Limit(
    "pull-time update exclusions per registry",
    "ECR User Guide, archiving images: up to 100 excluded principals",
    max=100,
)
SCANNING_RULES = Limit(
    "registry scanning rules", "botocore ecr PutRegistryScanningConfiguration.rules", max=2
)
SCANNING_FILTERS = Limit(
    "repository filters per scanning rule", "botocore ecr ScanningRepositoryFilterList", max=100
)
# ECR managed signing: PutSigningConfiguration replaces the registry's whole configuration.
SIGNING_RULES = Limit(
    "signing rules per registry", "botocore ecr PutSigningConfiguration (SigningRuleList)", max=10
)
SIGNING_FILTERS = Limit(
    "repository filters per signing rule",
    "botocore ecr SigningRepositoryFilterList",
    min=1,
    max=100,
)
SIGNING_FILTER = Limit(
    "signing repository filters (WILDCARD_MATCH: * matches any characters, / included)",
    "botocore ecr SigningRepositoryFilter.filter (SigningRepositoryFilterValue)",
    min=1,
    max=256,
    pattern=r"(?:[a-z0-9*]+(?:[._-][a-z0-9*]+)*/)*[a-z0-9*]+(?:[._-][a-z0-9*]+)*",
)
CREATE_ON_PUSH_PREFIXES = Limit(
    "create-on-push prefixes (each one template; ECR documents no quota, this program caps them)",
    "this program",
    max=50,
)
MUTABILITY_EXCLUSIONS = Limit(
    "image tag mutability exclusion filters",
    "botocore ecr ImageTagMutabilityExclusionFilters",
    min=1,
    max=5,
)
SUBSCRIPTIONS = Limit(
    "e-mail subscriptions (ours: kept short, each confirms by mail)", "this program", max=20
)

LIMITS: tuple[Limit, ...] = tuple(v for v in dict(globals()).values() if isinstance(v, Limit))
"""Every limit above."""


def member_limits(member: str) -> tuple[Limit, ...]:
    """The limits this table adds to an API member (`iam:PutRolePolicy.PolicyDocument`)."""
    return tuple(limit for limit in LIMITS if limit.member == member)
