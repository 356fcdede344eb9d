"""Does what the program registers conform to AWS's API? The check behind "a config the settings
accept deploys".

`problems(resources)` takes every registered resource (anything with `.type`, `.name`, `.urn` and
camelCase `.inputs`, as the mock engine records them) and returns what AWS or the provider would
refuse:

- each resource's inputs, turned into the request of the API call that creates it (`CALLS`: the
  resource type's operation, each property's member, tags in the service's tag shape), checked
  against that operation's input shape in botocore's service model: required members, types,
  min/max, pattern and enum of every member, at every depth;
- the limits table (components/limits.py) for what the models do not carry: the
  provider's stricter validators, document sizes, tag character sets, reserved names;
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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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


# --- how resources become API requests ------------------------------------------------------------


@dataclass(frozen=True)
class To:
    """A property sent as the API member `member` (a dotted path into the request).

    `first`: the provider's one-element list is the API's single structure. `rename`: nested
    property names -> member names (the provider's names differ from the API's there)."""

    member: str
    first: bool = False
    rename: Mapping[str, str] = field(default_factory=dict)
    normalised: bool = False
    """A JSON document the provider re-encodes without whitespace before sending it."""


@dataclass(frozen=True)
class Tags:
    """A tag map, sent in the service's tag shape (a list of Key/Value or a map)."""

    member: str


@dataclass(frozen=True)
class Attribute:
    """A value sent as one entry of an attribute map (SNS)."""

    member: str
    key: str


@dataclass(frozen=True)
class NotSent:
    """A property the provider uses itself, not sent to this call (why is in `reason`)."""

    reason: str


Mapping_ = To | Tags | Attribute | NotSent


@dataclass(frozen=True)
class Call:
    """The API call that creates a resource type, and how its properties map to members."""

    service: str
    operation: str
    properties: Mapping[str, Mapping_]
    autonamed: str | None = None
    """The member the provider fills with `<name>-<7 random characters>` when not set."""
    fixed: Mapping[str, Any] = field(default_factory=dict)
    """Members the provider always sends (so required members are not reported missing)."""


_AUTONAME_SUFFIX = "-a1b2c3d"  # the provider appends `-` and 7 random characters


@dataclass(frozen=True)
class Component:
    """A component resource: no API call of its own, no inputs."""


@dataclass(frozen=True)
class Provider:
    """An explicit provider: no API call of its own; it must name a region (the stack's)."""


CALLS: dict[str, Call | Component | Provider] = {
    "ecr:index:EcrRepository": Component(),
    "ecr:index:EcrAlerts": Component(),
    "ecr:index:EcrRegistry": Component(),
    "ecr:index:EcrCreationTemplates": Component(),
    "ecr:index:EcrSigningConfiguration": Component(),
    "pulumi:providers:aws-native": Provider(),
    "aws-native:ecr:SigningConfiguration": Call(
        "ecr",
        "PutSigningConfiguration",
        {"rules": To("signingConfiguration.rules")},
    ),
    "aws:ecr/repository:Repository": Call(
        "ecr",
        "CreateRepository",
        {
            "name": To("repositoryName"),
            "encryptionConfigurations": To("encryptionConfiguration", first=True),
            "imageScanningConfiguration": To("imageScanningConfiguration"),
            "imageTagMutability": To("imageTagMutability"),
            "imageTagMutabilityExclusionFilters": To("imageTagMutabilityExclusionFilters"),
            "forceDelete": NotSent("the provider's DeleteRepository flag"),
            "tags": Tags("tags"),
        },
    ),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": Call(
        "ecr",
        "PutLifecyclePolicy",
        {"repository": To("repositoryName"), "policy": To("lifecyclePolicyText")},
    ),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": Call(
        "ecr",
        "SetRepositoryPolicy",
        {"repository": To("repositoryName"), "policy": To("policyText", normalised=True)},
    ),
    "aws:ecr/accountSetting:AccountSetting": Call(
        "ecr", "PutAccountSetting", {"name": To("name"), "value": To("value")}
    ),
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration": Call(
        "ecr",
        "PutRegistryScanningConfiguration",
        {"scanType": To("scanType"), "rules": To("rules")},
    ),
    "aws:ecr/replicationConfiguration:ReplicationConfiguration": Call(
        "ecr",
        "PutReplicationConfiguration",
        {"replicationConfiguration": To("replicationConfiguration")},
    ),
    "aws:ecr/pullThroughCacheRule:PullThroughCacheRule": Call(
        "ecr",
        "CreatePullThroughCacheRule",
        {
            "ecrRepositoryPrefix": To("ecrRepositoryPrefix"),
            "upstreamRegistryUrl": To("upstreamRegistryUrl"),
            "credentialArn": To("credentialArn"),
            "customRoleArn": To("customRoleArn"),
            "upstreamRepositoryPrefix": To("upstreamRepositoryPrefix"),
        },
    ),
    "aws:ecr/pullTimeUpdateExclusion:PullTimeUpdateExclusion": Call(
        "ecr", "RegisterPullTimeUpdateExclusion", {"principalArn": To("principalArn")}
    ),
    "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate": Call(
        "ecr",
        "CreateRepositoryCreationTemplate",
        {
            "prefix": To("prefix"),
            "description": To("description"),
            "appliedFors": To("appliedFor"),
            "encryptionConfigurations": To("encryptionConfiguration", first=True),
            "imageTagMutability": To("imageTagMutability"),
            "lifecyclePolicy": To("lifecyclePolicy"),
            "repositoryPolicy": To("repositoryPolicy"),
            "resourceTags": Tags("resourceTags"),
            "customRoleArn": To("customRoleArn"),
            "region": NotSent("the provider's endpoint region (checked across templates)"),
        },
    ),
    "aws:ssm/parameter:Parameter": Call(
        "ssm",
        "PutParameter",
        {
            "name": To("Name"),
            "type": To("Type"),
            "value": To("Value"),
            "description": To("Description"),
            "tags": Tags("Tags"),
        },
    ),
    "aws:iam/policy:Policy": Call(
        "iam",
        "CreatePolicy",
        {
            "name": To("PolicyName"),
            "description": To("Description"),
            "policy": To("PolicyDocument"),
            "tags": Tags("Tags"),
        },
        autonamed="PolicyName",
    ),
    "aws:iam/role:Role": Call(
        "iam",
        "CreateRole",
        {
            "name": To("RoleName"),
            "description": To("Description"),
            "assumeRolePolicy": To("AssumeRolePolicyDocument"),
            "tags": Tags("Tags"),
        },
        autonamed="RoleName",
    ),
    "aws:iam/rolePolicy:RolePolicy": Call(
        "iam",
        "PutRolePolicy",
        {"role": To("RoleName"), "name": To("PolicyName"), "policy": To("PolicyDocument")},
        autonamed="PolicyName",
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": Call(
        "iam", "AttachRolePolicy", {"role": To("RoleName"), "policyArn": To("PolicyArn")}
    ),
    "aws:signer/signingProfile:SigningProfile": Call(
        "signer",
        "PutSigningProfile",
        {
            "name": To("profileName"),
            "platformId": To("platformId"),
            "signatureValidityPeriod": To("signatureValidityPeriod"),
            "tags": Tags("tags"),
        },
    ),
    "aws:sns/topic:Topic": Call(
        "sns",
        "CreateTopic",
        {
            "name": To("Name"),
            "kmsMasterKeyId": Attribute("Attributes", "KmsMasterKeyId"),
            "tags": Tags("Tags"),
        },
        autonamed="Name",
    ),
    "aws:sns/topicPolicy:TopicPolicy": Call(
        "sns",
        "SetTopicAttributes",
        {"arn": To("TopicArn"), "policy": To("AttributeValue")},
        fixed={"AttributeName": "Policy"},
    ),
    "aws:sns/topicSubscription:TopicSubscription": Call(
        "sns",
        "Subscribe",
        {"topic": To("TopicArn"), "protocol": To("Protocol"), "endpoint": To("Endpoint")},
    ),
    "aws:cloudwatch/eventRule:EventRule": Call(
        "events",
        "PutRule",
        {
            "name": To("Name"),
            "description": To("Description"),
            "eventPattern": To("EventPattern"),
            "tags": Tags("Tags"),
        },
        autonamed="Name",
    ),
    "aws:cloudwatch/eventTarget:EventTarget": Call(
        "events",
        "PutTargets",
        {"rule": To("Rule"), "arn": To("Targets.Arn"), "targetId": To("Targets.Id")},
        fixed={"Targets": {"Id": "terraform-20260101000000000000000001"}},
    ),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": Call(
        "logs",
        "PutMetricFilter",
        {
            "name": To("filterName"),
            "logGroupName": To("logGroupName"),
            "pattern": To("filterPattern"),
            "metricTransformation": To(
                "metricTransformations",
                rename={
                    "name": "metricName",
                    "namespace": "metricNamespace",
                    "value": "metricValue",
                },
            ),
        },
        autonamed="filterName",
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": Call(
        "cloudwatch",
        "PutMetricAlarm",
        {
            "name": To("AlarmName"),
            "alarmDescription": To("AlarmDescription"),
            "comparisonOperator": To("ComparisonOperator"),
            "evaluationPeriods": To("EvaluationPeriods"),
            "metricName": To("MetricName"),
            "namespace": To("Namespace"),
            "period": To("Period"),
            "statistic": To("Statistic"),
            "threshold": To("Threshold"),
            "treatMissingData": To("TreatMissingData"),
            "alarmActions": To("AlarmActions"),
            "tags": Tags("Tags"),
        },
        autonamed="AlarmName",
    ),
    "aws:cloudwatch/dashboard:Dashboard": Call(
        "cloudwatch",
        "PutDashboard",
        {"dashboardName": To("DashboardName"), "dashboardBody": To("DashboardBody")},
    ),
}
"""Every resource type the program registers -> the API call that creates it."""

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


def _shape_problems(shape: Any, value: Any, path: str, source: str) -> list[tuple[str, str]]:
    """(path, rule) for every way `value` breaks `shape` (botocore's model), at every depth."""
    found: list[tuple[str, str]] = []
    meta, kind = shape.metadata, shape.type_name
    where = f"botocore {source} {shape.name}"

    def bad(rule: str) -> None:
        found.append((path, f"{rule} ({where})"))

    if kind == "structure":
        if not isinstance(value, dict):
            bad("must be a structure")
            return found
        for name in shape.required_members:
            if name not in value and name not in _REFERENCES:
                found.append((f"{path}.{name}".lstrip("."), f"is required ({where})"))
        for name, item in value.items():
            member = shape.members.get(name)
            if member is None:
                found.append((f"{path}.{name}".lstrip("."), f"is not a member of {where}"))
            else:
                found += _shape_problems(member, item, f"{path}.{name}".lstrip("."), source)
        return found
    if kind == "list":
        if not isinstance(value, list):
            bad("must be a list")
            return found
        for broken in _bounds(meta, len(value), "items"):
            bad(broken)
        for index, item in enumerate(value):
            found += _shape_problems(shape.member, item, f"{path}[{index}]", source)
        return found
    if kind == "map":
        if not isinstance(value, dict):
            bad("must be a map")
            return found
        for broken in _bounds(meta, len(value), "entries"):
            bad(broken)
        for k, item in value.items():
            found += _shape_problems(shape.key, k, f"{path}.{k}", source)
            found += _shape_problems(shape.value, item, f"{path}.{k}", source)
        return found
    if kind == "string":
        if not isinstance(value, str):
            bad("must be a string")
            return found
        for broken in _bounds(meta, len(value), "characters"):
            bad(broken)
        if "pattern" in meta and not _pattern(meta["pattern"]).fullmatch(value):
            bad(f"must match {meta['pattern']}, is {json.dumps(value)[:80]}")
        if shape.enum and value not in shape.enum:
            bad(f"must be one of {', '.join(shape.enum)}, is {json.dumps(value)[:80]}")
        return found
    if kind in ("integer", "long"):
        # The engine passes numbers as floats; AWS needs whole numbers in range.
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            bad("must be an integer")
            return found
        if "min" in meta and value < meta["min"]:
            bad(f"must be at least {meta['min']}, is {value}")
        if "max" in meta and value > meta["max"]:
            bad(f"must be at most {meta['max']}, is {value}")
        return found
    if kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            bad("must be a number")
        return found
    if kind == "boolean":
        if not isinstance(value, bool):
            bad("must be a boolean")
        return found
    bad(f"has type {kind}, which this check does not know")
    return found


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
        return [Problem(label, "region", "an explicit provider must name the stack's region")]
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
