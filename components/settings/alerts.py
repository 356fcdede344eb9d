"""`alerts` (scan-finding and access-denied alerts) and `signing` (AWS Signer) keys."""

from __future__ import annotations

from typing import Annotated, Literal

from annotated_types import Ge, Le
from pydantic import Field

from components import limits
from components.settings.types import (
    ConfigModel,
    Email,
    LogGroup,
    SignerProfileArn,
    SignerProfileName,
    SigningFilter,
    Unique,
    derived,
)


class AlertsConfig(ConfigModel):
    """`alerts`: scan-finding and access-denied alerts."""

    min_severity: Literal["CRITICAL", "HIGH"] = Field(
        "CRITICAL", description="Lowest scan-finding severity that alerts: CRITICAL or HIGH."
    )
    emails: Annotated[list[Email], Unique] = Field(
        [],
        max_length=limits.SUBSCRIPTIONS.max,
        description="E-mail addresses subscribed to the alert topic (at most 20; each confirms "
        "by mail).",
    )
    cloud_trail_log_group: LogGroup | None = Field(
        None,
        description="CloudWatch log group of the account's CloudTrail: adds an alarm when ECR "
        "returns AccessDenied more than 5 times in 5 minutes.",
        json_schema_extra=derived("none"),
    )


class SigningConfig(ConfigModel):
    """`signing`: AWS Signer (Notation) image signing, by ECR on push or by CI."""

    mode: Literal["managed", "notation"] = Field(
        "managed",
        description="managed: ECR signs every push to this stack's repositories with the profile "
        "(the registry's signing configuration, nothing to install in CI); notation: CI signs "
        "with Notation and the AWS Signer plugin after each push.",
    )

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
    profile_arn: SignerProfileArn | None = Field(
        None,
        description="The account's signing profile when another stack owns it and the registry's "
        "signing configuration (central signing): this stack then creates neither, and its push "
        "policies may sign with this profile. Exclusive with profileName and repositoryFilters.",
        json_schema_extra=derived("this stack's own profile"),
    )
    # PutSigningConfiguration: at most 10 rules of at most 100 filters each.
    repository_filters: Annotated[list[SigningFilter], Unique] = Field(
        [],
        max_length=(limits.SIGNING_RULES.max or 0) * (limits.SIGNING_FILTERS.max or 0),
        description="Managed mode: repository wildcards signed besides this stack's services, "
        "for the stack that signs the whole account (e.g. `team-a/*`). The registry has one "
        "signing configuration: exactly one stack per account and region writes it.",
    )
