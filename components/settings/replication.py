"""Replication keys beyond the stack's own registry: destinations in other accounts, the accounts
they may be in, and the checks that combine them with `replicationRegions`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field, StringConstraints

from components import limits
from components.config_messages import Allowed, show
from components.settings.types import (
    NAMESPACE,
    AccountId,
    ConfigModel,
    Region,
    derived,
    partition_of,
)

# An IAM role ARN (sts:AssumeRole RoleArn: 20-2048 characters; IAM role names and paths).
RoleArn = Annotated[
    str,
    StringConstraints(
        pattern=r"^arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:role/(?:[A-Za-z0-9+=,.@_-]+/)*"
        r"[A-Za-z0-9+=,.@_-]{1,64}$",
        min_length=20,
        max_length=2048,
    ),
    Allowed("must be the ARN of an IAM role (arn:aws:iam::<account>:role/<name>)"),
]


class ReplicationDestinationConfig(ConfigModel):
    """One item of `replicationDestinations`: a region of another account's registry."""

    region: Region = Field(description="The destination region, in the stack's partition.")
    account: AccountId = Field(
        description="The destination registry's account; must be listed in replicationAccounts."
    )
    role_arn: RoleArn | None = Field(
        None,
        description="A role in the destination account the program assumes (after the stack's "
        "own aws:assumeRoles) to write the destination's registry policy and creation template; "
        "without it, the policy is the stack output replicationDestinationPolicies, for the "
        "destination's own stack to apply.",
        json_schema_extra=derived("none: the policy is exported"),
    )


@dataclass(frozen=True)
class ReplicationDestination:
    """A validated destination in another account."""

    region: str
    account: str
    role_arn: str | None = None

    @property
    def key(self) -> str:
        """How outputs and resource names tell destinations apart: `<account>/<region>`."""
        return f"{self.account}/{self.region}"


def destination_problems(
    destinations: Sequence[ReplicationDestinationConfig],
    allowed: Sequence[str],
    regions: Sequence[str],
    services: int,
    region: str | None,
) -> list[str]:
    """What the destinations' combinations with the other keys must satisfy: each account in the
    allowlist, each role in its destination's account, no destination twice, all destinations
    (these and `regions`, in the stack's own account) within ECR's limit and partition, and every
    service in the one replication rule."""
    problems = []
    path = f"{NAMESPACE}:replicationDestinations"
    seen: dict[tuple[str, str], int] = {}
    for index, destination in enumerate(destinations):
        where = f"{path}[{index}]"
        if destination.account not in allowed:
            problems.append(
                f"{where}.account = {show(destination.account)}: not in "
                f"{NAMESPACE}:replicationAccounts {show(sorted(allowed))}: replication "
                "copies every image there; list the account in replicationAccounts (the accounts "
                "this stack may replicate to; keep the pack's allowedAccounts in step)"
            )
        role = destination.role_arn
        if role is not None and role.split(":")[4] != destination.account:
            problems.append(
                f"{where}.roleArn = {show(role)}: the role must be in the destination "
                f"account {destination.account} (the policy and template are written there)"
            )
        pair = (destination.region, destination.account)
        if pair in seen:
            problems.append(
                f"{where} = {show({'region': pair[0], 'account': pair[1]})}: the same "
                f"destination as {path}[{seen[pair]}]: list each destination once"
            )
        seen.setdefault(pair, index)
        if region and partition_of(destination.region) != partition_of(region):
            problems.append(
                f"{where}.region = {show(destination.region)}: not in the stack's "
                f"partition {partition_of(region)} (region {region}): ECR replicates only "
                "between regions of one partition"
            )
    total = len(set(regions)) + len(seen)
    most = limits.REPLICATION_DESTINATIONS.max or 0
    if total > most:
        problems.append(
            f"{path}: {len(seen)} destinations and {len(set(regions))} replicationRegions make "
            f"{total}: {limits.REPLICATION_DESTINATIONS.rule}"
        )
    filters = limits.REPLICATION_FILTERS.max or 0
    if destinations and not regions and services > filters:
        # (with replicationRegions too, that key's own check already says it)
        problems.append(
            f"{path}: replication covers at most {filters} services per stack "
            f"({limits.REPLICATION_FILTERS.rule}); this stack has {services}"
        )
    return problems
