"""Drive the policy pack's validators directly, as the pulumi-policy SDK's own tests do."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import (
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.policy import PolicyCustomTimeouts
from pulumi_policy.proxy import unknown_checking_proxy

from policy.ecr_guardrails.policies import POLICIES, SETTINGS


def policy(name: str) -> Any:
    (found,) = [p for p in POLICIES if p.name == name]
    return found


def options(protect: bool = False) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def resource_args(
    resource_type: str,
    props: Mapping[str, Any],
    *,
    config: Mapping[str, Any] | None = None,
    stack: str = "dev",
    protect: bool = False,
    provider_props: Mapping[str, Any] | None = None,
    name: str = "r",
) -> ResourceValidationArgs:
    urn = f"urn:pulumi:{stack}::other-project::{resource_type}::{name}"
    provider = None
    if provider_props is not None:
        provider = PolicyProviderResource(
            "pulumi:providers:aws", unknown_checking_proxy(dict(provider_props)), "urn:p", "p"
        )
    return ResourceValidationArgs(
        resource_type,
        unknown_checking_proxy(dict(props)),
        urn,
        name,
        options(protect),
        provider,
        dict(config) if config is not None else None,
    )


def violations(policy_name: str, args: ResourceValidationArgs | StackValidationArgs) -> list[str]:
    found: list[str] = []
    policy(policy_name).validate(args, lambda message, urn=None: found.append(message))
    return found


def stack_resource(
    resource_type: str,
    props: Mapping[str, Any],
    name: str,
    deps: Mapping[str, list[Any]] | None = None,
) -> PolicyResource:
    urn = f"urn:pulumi:dev::p::{resource_type}::{name}"
    return PolicyResource(
        resource_type,
        unknown_checking_proxy(dict(props)),
        urn,
        name,
        options(),
        None,
        None,
        [],
        dict(deps or {}),
    )


@contextlib.contextmanager
def pack_settings(config: Mapping[str, Any] | None) -> Iterator[list[str]]:
    """Configure the pack settings with `config` (as the CLI's Configure call does for the served
    pack), yield what `ecr-pack-settings` reports about it, and restore the defaults afterwards."""
    found: list[str] = []
    policy("ecr-pack-settings").validate(
        resource_args("aws:ecr/repository:Repository", {}, config=config),
        lambda message, urn=None: found.append(message),
    )
    SETTINGS.configure({"ecr-pack-settings": dict(config or {})})
    try:
        yield found
    finally:
        SETTINGS.configure({})
