"""Does what the program registers conform to AWS's API? The check behind "a config the settings
accept deploys".

`problems(resources)` takes every registered resource (anything with `.type`, `.name`, `.urn` and
camelCase `.inputs`, as the mock engine records them) and returns what AWS or the provider would
refuse:

- each resource's inputs, turned into the request of the API call that creates it (`CALLS` in
  tools/preview/api_calls.py: the resource type's operation, each property's member, tags in the
  service's tag shape), checked against that operation's input shape in botocore's service
  model: required members, types, min/max, pattern and enum of every member, at every depth;
- the limits table (components/limits.py) for what the models do not carry: the provider's
  stricter validators, document sizes, tag character sets, reserved names;
- names the provider generates (IAM role, EventBridge rule, ...) as `<name>-` and 7 characters;
- across resources: no two resources with one URN (the engine refuses them), no two creation
  templates for one namespace in one region (ECR treats `team-a` and `team-a/` as one).

A resource type or property without a mapping is itself a problem, so a new resource or property
is checked before it ships. Pure and fast: the models are loaded once per process.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import botocore.loaders
import botocore.model
import regex

from components.limits import (
    IAM_ATTACHED_POLICIES,
    IAM_INLINE_ROLE_POLICY,
    PULL_THROUGH_CACHE_RULES,
    PULL_TIME_EXCLUSIONS,
    TAG_VALUE,
    TAGS_PER_RESOURCE,
    Limit,
    member_limits,
)
from tools.preview.api_calls import CALLS, Attribute, Component, Provider, Tags, To


class Resource(Protocol):
    type: str
    name: str
    urn: str
    inputs: dict[str, Any]


@dataclass(frozen=True)
class Problem:
    """One input AWS (or the provider) would refuse."""

    resource: str
    """The resource's URN (or `type name`)."""
    property: str
    """Dotted path of the input, e.g. `resourceTags.Service` or `policy`."""
    rule: str
    """What AWS requires, with its source."""

    def __str__(self) -> str:
        return f"{self.resource}: {self.property}: {self.rule}"


_AUTONAME_SUFFIX = "-a1b2c3d"  # the provider appends `-` and 7 random characters


# Members whose values come from other resources' outputs, which mocks may leave unresolved.
_REFERENCES = {"Rule", "TopicArn", "RoleName"}


# --- checking a request against a botocore shape --------------------------------------------------


@functools.cache
def _model(service: str) -> Any:
    """The service's model, parsed once (botocore's own loader, the installed version)."""
    loader = botocore.loaders.create_loader()
    return botocore.model.ServiceModel(loader.load_service_model(service, "service-2"), service)


@functools.cache
def _pattern(text: str) -> Any:
    return regex.compile(text)


Found = list[tuple[str, str]]
"""(path, rule) pairs: what AWS would refuse, and where."""
Checked = tuple[list[str], Found]
"""The rules a value breaks at its own path, and the problems of its members."""


def _shape_problems(shape: Any, value: Any, path: str, source: str) -> Found:
    """(path, rule) for every way `value` breaks `shape` (botocore's model), at every depth: the
    rules of this level first, then those of its members."""
    where = f"botocore {source} {shape.name}"
    check = _CHECKS.get(shape.type_name)
    if check is None:
        return [(path, f"has type {shape.type_name}, which this check does not know ({where})")]
    rules, nested = check(shape, value, path, source, where)
    return [(path, f"{rule} ({where})") for rule in rules] + nested


def _child(path: str, name: str) -> str:
    return f"{path}.{name}".lstrip(".")


def _structure(shape: Any, value: Any, path: str, source: str, where: str) -> Checked:
    if not isinstance(value, dict):
        return ["must be a structure"], []
    found: Found = [
        (_child(path, name), f"is required ({where})")
        for name in shape.required_members
        if name not in value and name not in _REFERENCES
    ]
    for name, item in value.items():
        member = shape.members.get(name)
        if member is None:
            found.append((_child(path, name), f"is not a member of {where}"))
        else:
            found += _shape_problems(member, item, _child(path, name), source)
    return [], found


def _list(shape: Any, value: Any, path: str, source: str, where: str) -> Checked:
    if not isinstance(value, list):
        return ["must be a list"], []
    nested = [
        problem
        for index, item in enumerate(value)
        for problem in _shape_problems(shape.member, item, f"{path}[{index}]", source)
    ]
    return _bounds(shape.metadata, len(value), "items"), nested


def _map(shape: Any, value: Any, path: str, source: str, where: str) -> Checked:
    if not isinstance(value, dict):
        return ["must be a map"], []
    nested: Found = []
    for key, item in value.items():
        nested += _shape_problems(shape.key, key, f"{path}.{key}", source)
        nested += _shape_problems(shape.value, item, f"{path}.{key}", source)
    return _bounds(shape.metadata, len(value), "entries"), nested


def _string(shape: Any, value: Any, path: str, source: str, where: str) -> Checked:
    if not isinstance(value, str):
        return ["must be a string"], []
    meta = shape.metadata
    rules = _bounds(meta, len(value), "characters")
    if "pattern" in meta and not _pattern(meta["pattern"]).fullmatch(value):
        rules.append(f"must match {meta['pattern']}, is {json.dumps(value)[:80]}")
    if shape.enum and value not in shape.enum:
        rules.append(f"must be one of {', '.join(shape.enum)}, is {json.dumps(value)[:80]}")
    return rules, []


def _integer(shape: Any, value: Any, path: str, source: str, where: str) -> Checked:
    # The engine passes numbers as floats; AWS needs whole numbers in range.
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        return ["must be an integer"], []
    meta, rules = shape.metadata, []
    if "min" in meta and value < meta["min"]:
        rules.append(f"must be at least {meta['min']}, is {value}")
    if "max" in meta and value > meta["max"]:
        rules.append(f"must be at most {meta['max']}, is {value}")
    return rules, []


def _number(shape: Any, value: Any, path: str, source: str, where: str) -> Checked:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ["must be a number"], []
    return [], []


def _boolean(shape: Any, value: Any, path: str, source: str, where: str) -> Checked:
    return ([] if isinstance(value, bool) else ["must be a boolean"]), []


_CHECKS: dict[str, Callable[[Any, Any, str, str, str], Checked]] = {
    "structure": _structure,
    "list": _list,
    "map": _map,
    "string": _string,
    "integer": _integer,
    "long": _integer,
    "double": _number,
    "float": _number,
    "boolean": _boolean,
}
"""botocore's shape types -> the check of a value against a shape of that type."""


def _normalised(document: str) -> str:
    """A JSON document as the provider sends it (unparseable: as given, for the model to judge)."""
    try:
        return json.dumps(json.loads(document), separators=(",", ":"))
    except ValueError:
        return document


def _bounds(meta: Mapping[str, Any], size: int, unit: str) -> list[str]:
    """A model's min/max on a length."""
    found = []
    if "min" in meta and size < meta["min"]:
        found.append(f"must have at least {meta['min']} {unit}, has {size}")
    if "max" in meta and size > meta["max"]:
        found.append(f"must have at most {meta['max']} {unit}, has {size}")
    return found


def _limit_problems(limit: Limit, value: Any) -> str | None:
    """Why `value` breaks `limit` (None if it does not)."""
    if not isinstance(value, str):
        return None
    text = value
    if limit.compact:
        try:
            text = json.dumps(json.loads(value), separators=(",", ":"))
        except ValueError:
            return f"must be a JSON document ({limit.source})"
    if limit.max is not None and len(text) > limit.max:
        return f"is {len(text):,} characters; {limit.rule}"
    if limit.min is not None and len(text) < limit.min:
        return f"is {len(text):,} characters; {limit.rule}"
    if limit.pattern is not None and not _pattern(limit.pattern).fullmatch(text):
        return f"is {json.dumps(text)[:80]}; {limit.rule}"
    return None


# --- from inputs to a request ---------------------------------------------------------------------


def _set(request: dict[str, Any], member: str, value: Any) -> None:
    """Puts `value` at a dotted member path; a path through a list member becomes one item."""
    head, _, rest = member.partition(".")
    if not rest:
        request[head] = value
        return
    inner = request.setdefault(head, {})
    _set(inner, rest, value)


def _renamed(value: Any, rename: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        return {rename.get(k, k): v for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, rename) for v in value]
    return value


def _tags(shape: Any, tags: Mapping[str, Any]) -> Any:
    """A tag map in the member's shape: a list of {Key, Value} structures, or a map."""
    if shape.type_name == "map":
        return dict(tags)
    names = list(shape.member.members)  # Key, Value (or key, value)
    return [{names[0]: k, names[1]: v} for k, v in tags.items()]


def _lists_of_one(shape: Any, request: Any) -> Any:
    """Members the dotted paths built as structures where the API wants a list (PutTargets)."""
    if shape.type_name == "structure" and isinstance(request, dict):
        return {
            k: _lists_of_one(shape.members[k], v) if k in shape.members else v
            for k, v in request.items()
        }
    if shape.type_name == "list" and isinstance(request, dict):
        return [_lists_of_one(shape.member, request)]
    return request


def _resource_problems(resource: Resource) -> list[Problem]:
    label = resource.urn or f"{resource.type} {resource.name}"
    call = CALLS.get(resource.type)
    if call is None:
        return [Problem(label, "", "no API call is mapped for this resource type (CALLS)")]
    if isinstance(call, Component):
        return [
            Problem(label, prop, "a component has no inputs of its own") for prop in resource.inputs
        ]
    if isinstance(call, Provider):
        if isinstance(resource.inputs.get("region"), str):
            return []
        return [Problem(label, "region", "an explicit provider must name its region")]
    operation = _model(call.service).operation_model(call.operation)
    source = f"{call.service} {call.operation}"
    shape = operation.input_shape
    request: dict[str, Any] = json.loads(json.dumps(call.fixed))
    found: list[Problem] = []
    origins: dict[str, str] = {}  # member -> property, for messages
    tag_keys: dict[str, list[str]] = {}  # tag member -> the keys in the order sent
    for prop, value in resource.inputs.items():
        how = call.properties.get(prop)
        if how is None:
            found.append(Problem(label, prop, f"no API member is mapped for it ({source})"))
        elif isinstance(how, To):
            sent = value[0] if how.first and isinstance(value, list) and value else value
            if how.normalised and isinstance(sent, str):
                sent = _normalised(sent)
            _set(request, how.member, _renamed(sent, how.rename))
            origins[how.member.split(".")[0]] = prop
        elif isinstance(how, Tags):
            found += _tag_problems(label, prop, value)
            request[how.member] = _tags(shape.members[how.member], value)
            origins[how.member] = prop
            tag_keys[how.member] = list(value) if isinstance(value, dict) else []
        elif isinstance(how, Attribute):
            request.setdefault(how.member, {})[how.key] = value
            origins[how.member] = prop
    if call.autonamed and call.autonamed not in request:
        # The provider names it `<resource name>-` and 7 random characters.
        request[call.autonamed] = resource.name + _AUTONAME_SUFFIX
        origins[call.autonamed] = f"(autonamed from {resource.name!r})"
    request = _lists_of_one(shape, request)
    for path, rule in _shape_problems(shape, request, "", source):
        found.append(Problem(label, _property_path(origins, tag_keys, path), rule))
    for member, value in request.items():
        for limit in member_limits(f"{call.service}:{call.operation}.{member}"):
            broken = _limit_problems(limit, value)
            if broken:
                found.append(Problem(label, origins.get(member, member), broken))
    # A tag the table and the service's model both refuse is one problem.
    tagged = {origins[member] for member in tag_keys}
    unique = {(p.property if p.property.split(".")[0] in tagged else p): p for p in found}
    return list(unique.values())


def _property_path(origins: Mapping[str, str], tag_keys: Mapping[str, list[str]], path: str) -> str:
    """The member path in the property's words: `Tags[3].Value` -> `tags.Owner`."""
    top = path.split(".")[0].split("[")[0]
    prop = origins.get(top)
    if prop is None:
        return path
    if top in tag_keys:
        index = regex.match(r"\[([0-9]+)\]", path[len(top) :])
        if index and int(index.group(1)) < len(tag_keys[top]):
            return f"{prop}.{tag_keys[top][int(index.group(1))]}"
    return prop + path[len(top) :]


def _tag_problems(label: str, prop: str, tags: Any) -> list[Problem]:
    """Tags against the strictest service's rules: governance tags go on IAM and SSM too."""
    if not isinstance(tags, dict):
        return [Problem(label, prop, "must be a map of tag keys to values")]
    found = []
    if TAGS_PER_RESOURCE.max is not None and len(tags) > TAGS_PER_RESOURCE.max:
        found.append(Problem(label, prop, f"has {len(tags)} tags; {TAGS_PER_RESOURCE.rule}"))
    for key, value in tags.items():
        broken = _limit_problems(TAG_VALUE, value)
        if broken:
            found.append(Problem(label, f"{prop}.{key}", broken))
    return found


# --- across resources ----------------------------------------------------------------------------

TEMPLATE = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"
# How many of a resource type one registry (account and region) may hold.
PER_REGISTRY = {
    "aws:ecr/pullThroughCacheRule:PullThroughCacheRule": PULL_THROUGH_CACHE_RULES,
    "aws:ecr/pullTimeUpdateExclusion:PullTimeUpdateExclusion": PULL_TIME_EXCLUSIONS,
}


def _cross_problems(resources: list[Resource]) -> list[Problem]:
    found = []
    urns = Counter(r.urn for r in resources if r.urn)
    for urn, count in sorted(urns.items()):
        if count > 1:
            found.append(
                Problem(urn, "", f"{count} resources share this URN; the engine refuses duplicates")
            )
    for type_, limit in PER_REGISTRY.items():
        count = sum(1 for r in resources if r.type == type_)
        if limit.max is not None and count > limit.max:
            found.append(Problem(type_, "", f"{count} in one registry; {limit.rule}"))
    found += _role_problems(resources)
    namespaces: dict[tuple[str | None, str], list[str]] = {}
    for r in resources:
        if r.type == TEMPLATE and isinstance(r.inputs.get("prefix"), str):
            space = (r.inputs.get("region"), r.inputs["prefix"].rstrip("/"))
            namespaces.setdefault(space, []).append(r.inputs["prefix"])
    for (region, namespace), prefixes in sorted(namespaces.items(), key=str):
        if len(prefixes) > 1:
            found.append(
                Problem(
                    f"{TEMPLATE} {namespace}",
                    "prefix",
                    f"{len(prefixes)} creation templates ({', '.join(prefixes)}) for one "
                    f"namespace in region {region or '(the provider region)'}; ECR keeps one "
                    "template per prefix, and a trailing / is the same prefix",
                )
            )
    return found


def _role_problems(resources: list[Resource]) -> list[Problem]:
    """IAM counts a role's inline policies together, and limits the managed policies attached."""
    found = []
    inline: dict[str, int] = {}
    attached: Counter[str] = Counter()
    for r in resources:
        role = str(r.inputs.get("role"))
        if r.type == "aws:iam/rolePolicy:RolePolicy" and isinstance(r.inputs.get("policy"), str):
            try:
                document = json.loads(r.inputs["policy"])
            except ValueError:
                continue  # reported with the resource
            inline[role] = inline.get(role, 0) + len(json.dumps(document, separators=(",", ":")))
        elif r.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
            attached[role] += 1
    for role, size in sorted(inline.items()):
        if IAM_INLINE_ROLE_POLICY.max is not None and size > IAM_INLINE_ROLE_POLICY.max:
            found.append(
                Problem(f"role {role}", "policy", f"{size:,} characters inline; "
                        f"{IAM_INLINE_ROLE_POLICY.rule}")
            )  # fmt: skip
    for role, count in sorted(attached.items()):
        if IAM_ATTACHED_POLICIES.max is not None and count > IAM_ATTACHED_POLICIES.max:
            found.append(
                Problem(
                    f"role {role}", "policyArn", f"{count} attached; {IAM_ATTACHED_POLICIES.rule}"
                )
            )
    return found


def problems(resources: Iterable[Resource]) -> list[Problem]:
    """Everything AWS or the provider would refuse in these registrations (empty: conforms)."""
    listed = list(resources)
    found = [p for r in listed for p in _resource_problems(r)]
    return found + _cross_problems(listed)
