"""The repository keys (stack-wide, overridable per service), the per-service keys, and the
resolved settings of one service's repository."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Field

from components import limits
from components.lifecycle import Retention
from components.settings.grants import (
    EXTRA_STATEMENTS_MAX,
    LAMBDA_FUNCTIONS_MAX,
    LambdaFunctionArn,
    PolicyStatement,
)
from components.settings.types import (
    AccountId,
    ArchivedDays,
    ConfigModel,
    ExpiryDays,
    KeepCount,
    Mutability,
    OrganizationId,
    TagFilter,
    TagPatterns,
    Unique,
    derived,
)


class ExtraLifecycleRule(ConfigModel):
    """One lifecycle rule of the team's own, in ECR's grammar (Lifecycle policy properties)."""

    description: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        description="What the rule is for; errors name the rule by it."
    )
    tag_status: Literal["tagged", "untagged", "any"] = Field(
        description="tagged (with tagPatternList), untagged or any."
    )
    tag_pattern_list: TagPatterns = Field(
        [],
        max_length=4,
        description="With tagged: the patterns an image's tags must all match (`*` any run).",
    )
    storage_class: Literal["standard", "archive"] = Field(
        "standard",
        description="The storage class the rule selects: archive only with sinceImageTransitioned.",
    )
    count_type: Literal[
        "imageCountMoreThan", "sinceImagePushed", "sinceImagePulled", "sinceImageTransitioned"
    ] = Field(description="How images are counted (ECR's countType).")
    count_number: Annotated[int, Field(ge=1, le=10000)] = Field(
        description="Images to keep (imageCountMoreThan) or days (the since* count types)."
    )
    action: Literal["expire", "transition"] = Field(
        "expire", description="expire (delete) or transition (to the archive storage class)."
    )

    def rule(self, priority: int) -> dict[str, Any]:
        """The rule as ECR reads it, at `priority`."""
        selection: dict[str, Any] = {"tagStatus": self.tag_status}
        if self.tag_pattern_list:
            selection["tagPatternList"] = list(self.tag_pattern_list)
        if self.storage_class != "standard":
            selection["storageClass"] = self.storage_class
        selection |= {"countType": self.count_type, "countNumber": self.count_number}
        if self.count_type != "imageCountMoreThan":
            selection["countUnit"] = "days"
        action: dict[str, str] = {"type": self.action}
        if self.action == "transition":
            action["targetStorageClass"] = "archive"
        return {
            "rulePriority": priority,
            "description": self.description,
            "selection": selection,
            "action": action,
        }


class RepositoryDefaults(ConfigModel):
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
        description="How many release images (releaseTagPatterns, `v*` by default) to keep "
        "(1-10000, per pattern); older ones expire (or are archived: archiveOldReleases).",
    )
    release_tag_patterns: TagPatterns = Field(
        ["v*"],
        min_length=1,
        max_length=10,
        description="Tag patterns of release images (e.g. `v*`, `*.*.*`, `release-*`; at most "
        "4 `*`): one keep-the-newest rule each; the tools' newest release and rollback candidate "
        "follow them.",
    )
    archive_old_releases: bool = Field(
        False,
        description="Release images beyond the newest lifecyclePolicyMaxImageCount move to the "
        "archive storage class instead of expiring (see expireArchivedAfterDays).",
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
        "push; release (releaseTagPatterns) and protected images are never selected.",
    )
    archive_after_days: ExpiryDays | None = Field(
        None,
        description="Move images not pulled for this many days to ECR's archive storage class "
        "(not pullable until restored; billed for at least 90 days). Only images no other rule "
        "selects.",
        json_schema_extra=derived("off"),
    )
    extra_lifecycle_rules: list[ExtraLifecycleRule] = Field(
        [],
        max_length=10,
        description="Lifecycle rules of the team's own (description, tagStatus, tagPatternList, "
        "storageClass, countType, countNumber, action), placed after the protect and release "
        "rules (which they never reach) and, with tagStatus any, last.",
    )
    expire_archived_after_days: ArchivedDays | None = Field(
        None,
        description="Delete archived images this many days after they were archived (90-3650: "
        "ECR keeps archived images at least 90 days). Without it the archive grows without "
        "bound.",
        json_schema_extra=derived("off: archived images are kept forever"),
    )


def _override(name: str) -> Any:
    """A service's override of the repository key `name`: unset means the stack's value."""
    description = RepositoryDefaults.model_fields[name].description
    return Field(None, description=description, json_schema_extra=derived("the stack's value"))


class ServiceConfig(ConfigModel):
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
    release_tag_patterns: TagPatterns | None = _override("release_tag_patterns")
    archive_old_releases: bool | None = _override("archive_old_releases")
    expire_archived_after_days: ArchivedDays | None = _override("expire_archived_after_days")
    extra_lifecycle_rules: list[ExtraLifecycleRule] | None = _override("extra_lifecycle_rules")
    # ECR: 1..5 ImageTagMutabilityExclusionFilters.
    image_tag_mutability_exclusions: Annotated[list[TagFilter], Unique] = Field(
        [],
        max_length=limits.MUTABILITY_EXCLUSIONS.max,
        description="Wildcard tag filters (e.g. `latest`, `cache-*`, at most 5) exempt from the "
        "tag mutability setting: IMMUTABLE becomes IMMUTABLE_WITH_EXCLUSION, MUTABLE becomes "
        "MUTABLE_WITH_EXCLUSION.",
    )
    pull_accounts: Annotated[list[AccountId], Unique] = Field(
        [],
        description="12-digit AWS account ids whose principals may pull (pull actions only); "
        "the repository policy must stay within ECR's 10,240 characters (about 295 accounts: "
        "beyond, use pullOrganizationId).",
    )
    pull_organization_id: OrganizationId | None = Field(
        None,
        description="AWS Organization id (o-...) whose principals may pull "
        "(aws:PrincipalOrgID condition).",
        json_schema_extra=derived("none"),
    )
    lambda_pull_functions: Annotated[list[LambdaFunctionArn], Unique] = Field(
        [],
        max_length=LAMBDA_FUNCTIONS_MAX,
        description="Lambda functions (ARNs, or patterns with * in the function name, in the "
        "stack's region; this or another account) that may be created from this repository's "
        "images: lambda.amazonaws.com may pull, limited by aws:sourceArn to them; other "
        "accounts' roots get the same two actions (AWS's cross-account Lambda statement). The "
        "policy pack judges those accounts against allowedAccounts.",
    )
    extra_policy_statements: list[PolicyStatement] = Field(
        [],
        max_length=EXTRA_STATEMENTS_MAX,
        description="The team's own repository-policy statements (IAM JSON: Sid, Effect, "
        "Principal, Action, Condition), appended as given after the program's. Each is judged "
        "before deploy by the policy pack's least-privilege rule; a statement it would refuse "
        "is a config error.",
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
    lambda_pull_functions: tuple[str, ...] = ()
    """Lambda functions (ARNs or patterns) that may pull (the `LambdaPull` statements)."""
    extra_statements: tuple[str, ...] = ()
    """The team's own repository-policy statements, each as JSON with sorted keys."""
    adopt: bool = False
    """Import the existing repository and its companions instead of creating them."""
    force_delete: bool = False

    @property
    def policy_statements(self) -> list[dict[str, Any]]:
        """The team's own statements, as given."""
        return [json.loads(statement) for statement in self.extra_statements]

    @property
    def max_image_count(self) -> int:
        """Release images to keep (per release pattern)."""
        return self.retention.keep_release_images

    @property
    def untagged_expiry_days(self) -> int:
        return self.retention.untagged_expiry_days


def iam_policy_name(service: str, access: str) -> str:
    """`ecr-<service>-push`; IAM names allow no `/`, so namespaced services use `-`."""
    return f"ecr-{service.replace('/', '-')}-{access}"
