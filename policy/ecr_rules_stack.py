"""Stack rules: what only the whole stack can tell, e.g. that every repository has a lifecycle
policy."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ecr_props import mapping, show
from ecr_rules_repository import NATIVE_REPOSITORY, REPOSITORY
from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

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
