"""Pull-through cache, as issue 29 extends it: ECR-to-ECR rules (a role in this account, an
upstream prefix) and the floating tags that must stay mutable in the repositories a cache
creates (pure pieces; the rules themselves are registered by the EcrRegistry component, the
templates by EcrCreationTemplates)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

from components.config_messages import key, show
from components.settings import PullThroughCacheRule
from components.settings.types import NAMESPACE

CACHE_USE = "PULL_THROUGH_CACHE"


def rule_inputs(rule: PullThroughCacheRule, account_id: pulumi.Input[str]) -> dict[str, Any]:
    """The ECR-to-ECR inputs of a cache rule (none for the other upstreams, so their rules are
    registered exactly as before): the role, once it is known to be in the stack's account."""
    inputs: dict[str, Any] = {}
    if rule.custom_role_arn is not None:
        inputs["custom_role_arn"] = checked_role(rule.prefix, rule.custom_role_arn, account_id)
    if rule.upstream_repository_prefix is not None:
        inputs["upstream_repository_prefix"] = rule.upstream_repository_prefix
    return inputs


def role_account_problem(prefix: str, role_arn: str, account: str) -> str | None:
    """Why ECR could not use the rule's role (None if it can): CreatePullThroughCacheRule's
    customRoleArn "must be in the same account as the registry" (botocore ecr model)."""
    if role_arn.split(":")[4] == account:
        return None
    return (
        f"{NAMESPACE}:pullThroughCache.{key(prefix)}.customRoleArn = {show(role_arn)}: the role "
        f"must be in this stack's account {account} (ECR assumes it from the rule's own "
        "registry); nothing was changed"
    )


def checked_role(prefix: str, role_arn: str, account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    def checked(account: str) -> str:
        problem = role_account_problem(prefix, role_arn, account)
        if problem:
            raise pulumi.RunError(problem)
        return role_arn

    return pulumi.Output.from_input(account_id).apply(checked)


def template_mutability(
    applied_for: Sequence[str], mutability: str, floating_tags: Sequence[str]
) -> tuple[str, list[str]]:
    """A creation template's tag mutability and exclusion filters: a template for cached
    repositories in an IMMUTABLE stack leaves the floating tags mutable, since ECR refreshes a
    cached tag from upstream only where it may move it (ECR User Guide, pull through cache
    considerations). Sorted, as ECR reads them back. Every other template is unchanged."""
    if CACHE_USE not in applied_for or mutability != "IMMUTABLE" or not floating_tags:
        return mutability, []
    return "IMMUTABLE_WITH_EXCLUSION", sorted(floating_tags)
