"""Stack rules: what only the whole stack can tell, e.g. that every repository has a lifecycle
policy."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from .props import mapping, show
from .rules_repository import CREATION_TEMPLATE, NATIVE_REPOSITORY, REPOSITORY

LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy"


def _known(read: Callable[[], Any]) -> tuple[bool, Any]:
    try:
        return True, read()
    except UnknownValueError:
        return False, None


def _name_key(value: Any) -> str | None:
    """A repository name as a set key; anything that is not a string cannot name one."""
    return value if isinstance(value, str) else None


def repositories_without_lifecycle(
    resources: Iterable[PolicyResource],
) -> list[tuple[PolicyResource, str]]:
    """(repository, problem) for each repository no lifecycle policy covers: matched by name, by
    dependency during preview, or for aws-native by its own lifecyclePolicy property. A name that
    is merely unknown during preview is never reported."""
    resources = list(resources)
    named: set[str] = set()
    depended_on: set[str] = set()
    unresolved = False
    for policy in (r for r in resources if r.resource_type == LIFECYCLE_POLICY):
        depended_on.update(d.urn for d in policy.property_dependencies.get("repository", []))
        known, name = _known(lambda p=policy: p.props.get("repository"))  # type: ignore[misc]
        if known and _name_key(name):
            named.add(name)
        elif not known and not policy.property_dependencies.get("repository"):
            unresolved = True  # an unknown name we cannot trace: it may be anyone's
    found = []
    for repository in resources:
        if repository.resource_type == NATIVE_REPOSITORY:
            known, lifecycle = _known(lambda r=repository: r.props.get("lifecyclePolicy"))  # type: ignore[misc]
            if not known or mapping(lifecycle, "lifecyclePolicy").get("lifecyclePolicyText"):
                continue
            field = "repositoryName"
        elif repository.resource_type == REPOSITORY:
            field = "name"
        else:
            continue
        known, name = _known(lambda r=repository, f=field: r.props.get(f))  # type: ignore[misc]
        if repository.urn in depended_on or (known and _name_key(name) in named):
            continue
        if unresolved or not known:
            continue
        shown = name if isinstance(name, str) else show(name)
        found.append(
            (
                repository,
                f"Repository {shown} has no aws.ecr.LifecyclePolicy (aws-native: lifecyclePolicy): "
                "images pile up forever. Attach one, e.g. keep the last N release images and "
                "expire untagged ones.",
            )
        )
    return found


SIGNING_PROFILE = "aws:signer/signingProfile:SigningProfile"
NOTATION_PLATFORM = "Notation-OCI-SHA384-ECDSA"


def signing_missing(resources: Iterable[PolicyResource], production: bool) -> str | None:
    """Why a production stack with ECR repositories should have a Notation signing profile."""
    resources = list(resources)
    if not production or not any(
        r.resource_type in (REPOSITORY, NATIVE_REPOSITORY) for r in resources
    ):
        return None
    for profile in (r for r in resources if r.resource_type == SIGNING_PROFILE):
        known, platform = _known(lambda p=profile: p.props.get("platformId"))  # type: ignore[misc]
        if not known or platform == NOTATION_PLATFORM:
            return None
    return (
        "This production stack has ECR repositories but no AWS Signer profile on the "
        f"{NOTATION_PLATFORM} platform: images cannot be signed and verified (`ecr:signing: {{}}` "
        "in this program)."
    )


PULL_THROUGH_CACHE_RULE = "aws:ecr/pullThroughCacheRule:PullThroughCacheRule"
REPLICATION = "aws:ecr/replicationConfiguration:ReplicationConfiguration"


def _region(resource: PolicyResource) -> tuple[bool, str | None]:
    """(known, region): the resource's `region` property, else its provider's (None: default)."""
    known, region = _known(lambda: resource.props.get("region"))
    if not known:
        return False, None
    if isinstance(region, str) and region:
        return True, region
    if resource.provider is not None:
        known, region = _known(lambda: resource.provider.props.get("region"))  # type: ignore[union-attr]
        return known, region if isinstance(region, str) and region else None
    return True, None


def uncovered_creations(resources: Iterable[PolicyResource]) -> list[tuple[PolicyResource, str]]:
    """(resource, problem) for each pull-through cache rule and replication destination in the
    stack that no repository creation template covers (same region, the use listed, the prefix or
    ROOT): the repositories ECR creates there would get AES256, mutable tags, no lifecycle policy
    and no tags. Unknown values during preview are never reported."""
    resources = list(resources)
    templates: list[tuple[str | None, Any, list[Any]]] = []
    for template in (r for r in resources if r.resource_type == CREATION_TEMPLATE):
        known_region, region = _region(template)
        known_prefix, prefix = _known(lambda t=template: t.props.get("prefix"))  # type: ignore[misc]
        known_uses, uses = _known(lambda t=template: t.props.get("appliedFors"))  # type: ignore[misc]
        if not (known_region and known_prefix and known_uses):
            return []  # a template we cannot read yet may cover anything
        templates.append((region, prefix, list(uses or [])))

    def covered(region: str | None, use: str, prefix: str | None) -> bool:
        names = ("ROOT",) if prefix is None else ("ROOT", prefix, prefix + "/")
        return any(r == region and use in uses and p in names for r, p, uses in templates)

    defaults = "get AES256, mutable tags and no lifecycle policy"
    found = []
    for rule in (r for r in resources if r.resource_type == PULL_THROUGH_CACHE_RULE):
        known_region, region = _region(rule)
        known, prefix = _known(lambda r=rule: r.props.get("ecrRepositoryPrefix"))  # type: ignore[misc]
        if not (known and known_region and isinstance(prefix, str)):
            continue
        if not covered(region, "PULL_THROUGH_CACHE", prefix):
            found.append(
                (
                    rule,
                    f"Pull-through cache prefix {prefix} has no repository creation template "
                    f"(PULL_THROUGH_CACHE, this prefix or ROOT): cached repositories {defaults}.",
                )
            )
    for replication in (r for r in resources if r.resource_type == REPLICATION):
        known, config = _known(lambda r=replication: r.props.get("replicationConfiguration"))  # type: ignore[misc]
        if not known:
            continue
        for rule in mapping(config, "replicationConfiguration").get("rules") or []:
            for destination in mapping(rule, "rules[]").get("destinations") or []:
                region = mapping(destination, "destinations[]").get("region")
                if isinstance(region, str) and not covered(region, "REPLICATION", None):
                    found.append(
                        (
                            replication,
                            f"Replication to {region} has no repository creation template there "
                            f"(REPLICATION, prefix ROOT): replicas {defaults}.",
                        )
                    )
    return found
