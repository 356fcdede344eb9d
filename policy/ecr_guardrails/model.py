"""One model of what makes a repository, a grant or an identity: every route to one (pulumi-aws and
aws-native resources, resources inside CloudFormation templates of stacks and stack sets, Cloud
Control resources) mapped onto the views the rules judge, so each rule is written once.

`views(resource_type, props)` returns a resource's views: a repository in the pulumi-aws
`aws:ecr/repository:Repository` shape, a repository creation template in the pulumi-aws template
shape, a resource-based policy document (a grant), an identity policy document, a managed policy
ARN, a role's trust policy, a registry scanning configuration, ... Views read the properties
lazily, so a value unknown during preview stops only the rules that read it. Embedded templates
that cannot be read are an UNREADABLE view: a violation, never a pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from . import cfn_eval
from .props import MAX_DOCUMENT, MalformedPropertyError, mapping, plain, sequence, show, tags_of

# View kinds.
REPOSITORY = "repository"
TEMPLATE = "creation template"
PUBLIC = "public repository"
GRANT = "resource policy"
REPLICATION = "replication"
PULL_THROUGH = "pull-through cache rule"
SCANNING = "registry scanning"
LIFECYCLE = "lifecycle policy"
IDENTITY = "identity policy"
MANAGED = "managed policy attachment"
TRUST = "role trust policy"
SIGNING = "signing configuration"
REGISTRY_SETTING = "registry setting"
"""A registry-wide setting no rule judges but its ownership (pull-time exclusions, account
settings): `{"setting": what it is}`."""
UNREADABLE = "unreadable"

# pulumi-aws types.
AWS_REPOSITORY = "aws:ecr/repository:Repository"
AWS_TEMPLATE = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"
AWS_REPOSITORY_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
AWS_REGISTRY_POLICY = "aws:ecr/registryPolicy:RegistryPolicy"
AWS_PUBLIC_REPOSITORY = "aws:ecrpublic/repository:Repository"
AWS_PUBLIC_POLICY = "aws:ecrpublic/repositoryPolicy:RepositoryPolicy"
AWS_SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
AWS_REPLICATION = "aws:ecr/replicationConfiguration:ReplicationConfiguration"
AWS_PULL_THROUGH = "aws:ecr/pullThroughCacheRule:PullThroughCacheRule"
AWS_LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
AWS_PULL_TIME_EXCLUSION = "aws:ecr/pullTimeUpdateExclusion:PullTimeUpdateExclusion"
AWS_ACCOUNT_SETTING = "aws:ecr/accountSetting:AccountSetting"
AWS_ROLE = "aws:iam/role:Role"
# Not in pulumi-aws 7.x yet (terraform-provider-aws #45233): mapped in the shape its schema
# generator gives the API's (rules[].signingProfileArn, rules[].repositoryFilters[]), as aws-native.
AWS_SIGNING = "aws:ecr/signingConfiguration:SigningConfiguration"
AWS_IAM_POLICIES = (
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
AWS_ATTACHMENTS = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)
AWS_EXCLUSIVE_ATTACHMENTS = (
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
)
AWS_SSO_MANAGED = "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment"
AWS_SSO_INLINE = "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy"
AWS_CFN_STACK = "aws:cloudformation/stack:Stack"
AWS_CFN_STACK_SET = "aws:cloudformation/stackSet:StackSet"
AWS_CLOUD_CONTROL = "aws:cloudcontrol/resource:Resource"

# aws-native types: generated from the CloudFormation registry, so `aws-native:<service>:<Type>`
# is `AWS::<SERVICE>::<Type>` and the properties are the CloudFormation ones in camelCase.
NATIVE_REPOSITORY = "aws-native:ecr:Repository"
NATIVE_TEMPLATE = "aws-native:ecr:RepositoryCreationTemplate"
NATIVE_REGISTRY_POLICY = "aws-native:ecr:RegistryPolicy"
NATIVE_PUBLIC_REPOSITORY = "aws-native:ecr:PublicRepository"
NATIVE_SCANNING = "aws-native:ecr:RegistryScanningConfiguration"
NATIVE_REPLICATION = "aws-native:ecr:ReplicationConfiguration"
NATIVE_PULL_THROUGH = "aws-native:ecr:PullThroughCacheRule"
NATIVE_PULL_TIME_EXCLUSION = "aws-native:ecr:PullTimeUpdateExclusion"
NATIVE_SIGNING = "aws-native:ecr:SigningConfiguration"
NATIVE_ROLE = "aws-native:iam:Role"
NATIVE_IDENTITIES = ("aws-native:iam:User", "aws-native:iam:Group")
NATIVE_IAM_POLICIES = (
    "aws-native:iam:ManagedPolicy",
    "aws-native:iam:RolePolicy",
    "aws-native:iam:UserPolicy",
    "aws-native:iam:GroupPolicy",
    "aws-native:iam:Policy",
)
NATIVE_PERMISSION_SET = "aws-native:sso:PermissionSet"
NATIVE_CFN_STACK = "aws-native:cloudformation:Stack"
NATIVE_CFN_STACK_SET = "aws-native:cloudformation:StackSet"

# CloudFormation properties that hold a document or JSON text: their content keeps its keys.
_OPAQUE = cfn_eval.DOCUMENTS | {"LifecyclePolicyText", "RepositoryCatalogData"}
MAX_TEMPLATE_RESOURCES = 500  # CloudFormation's own limit per template


Maker = Callable[[Mapping[str, Any]], Iterator["View"]]


@dataclass(frozen=True)
class View:
    """What one route makes, in the shape its rule reads."""

    kind: str
    props: Mapping[str, Any]
    where: str = ""
    """"" for the resource itself; else which part of it (e.g. a resource inside a template)."""
    name_key: str | None = None
    """The property of `props` naming the repository (for exemptions), if any."""

    def label(self, problem: str) -> str:
        return f"{self.where}: {problem}" if self.where else problem


class _Renamed(Mapping[str, Any]):
    """`props` read under other names, one property at a time (an unknown one stops only its
    reader)."""

    def __init__(self, props: Mapping[str, Any], readers: Mapping[str, Callable[[Any], Any]]):
        self._props = props
        self._readers = readers

    def __getitem__(self, key: str) -> Any:
        reader = self._readers.get(key)
        if reader is None:
            raise KeyError(key)
        return reader(self._props)

    def __iter__(self) -> Iterator[str]:
        return iter(self._readers)

    def __len__(self) -> int:
        return len(self._readers)


def _get(name: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda p: p.get(name)


def _exclusion_filters(p: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "filter": mapping(f, "imageTagMutabilityExclusionFilters[]").get(
                "imageTagMutabilityExclusionFilterValue"
            )
        }
        for f in sequence(
            p.get("imageTagMutabilityExclusionFilters"), "imageTagMutabilityExclusionFilters"
        )
    ]


def _one_encryption(p: Mapping[str, Any]) -> list[Any]:
    config = p.get("encryptionConfiguration")
    return [config] if config is not None else []


def native_repository(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """An aws-native (CloudFormation) repository read in the pulumi-aws shape."""
    return _Renamed(
        props,
        {
            "name": _get("repositoryName"),
            "encryptionConfigurations": _one_encryption,
            "imageScanningConfiguration": _get("imageScanningConfiguration"),
            "imageTagMutability": _get("imageTagMutability"),
            "imageTagMutabilityExclusionFilters": _exclusion_filters,
            "tags": lambda p: tags_of(p.get("tags")),
            # aws-native's emptyOnDelete is the same hazard as forceDelete: deleting the images.
            "forceDelete": _get("emptyOnDelete"),
            "lifecyclePolicy": _get("lifecyclePolicy"),
        },
    )


def aws_template(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """A pulumi-aws creation template read as the repositories it creates: its resourceTags are
    their tags, its prefix their name."""
    return _Renamed(
        props,
        {
            "name": _get("prefix"),
            "prefix": _get("prefix"),
            "encryptionConfigurations": _get("encryptionConfigurations"),
            "imageTagMutability": _get("imageTagMutability"),
            "imageTagMutabilityExclusionFilters": _get("imageTagMutabilityExclusionFilters"),
            "tags": lambda p: tags_of(p.get("resourceTags"), "resourceTags"),
            "lifecyclePolicy": _get("lifecyclePolicy"),
            "appliedFors": _get("appliedFors"),
            "region": _get("region"),
        },
    )


def native_template(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """An aws-native (CloudFormation) creation template in the same shape."""
    return _Renamed(
        props,
        {
            "name": _get("prefix"),
            "prefix": _get("prefix"),
            "encryptionConfigurations": _one_encryption,
            "imageTagMutability": _get("imageTagMutability"),
            "imageTagMutabilityExclusionFilters": _exclusion_filters,
            "tags": lambda p: tags_of(p.get("resourceTags"), "resourceTags"),
            "lifecyclePolicy": _get("lifecyclePolicy"),
            "appliedFors": _get("appliedFor"),
            "region": _get("region"),
        },
    )


def _document(
    prop: str, optional: bool = False
) -> Callable[[Mapping[str, Any]], Mapping[str, Any]]:
    """A policy document view: `{"document": raw, "prop": name, "optional": bool}`."""
    return lambda props: _Renamed(
        props,
        {"document": _get(prop), "prop": lambda p: prop, "optional": lambda p: optional},
    )


def _grant(
    prop: str, name_key: str | None = None, optional: bool = False, registry: bool = False
) -> Callable[[Mapping[str, Any]], Iterator[View]]:
    """A resource-based policy: `{document, prop, optional, registry, repository?}`."""

    def make(props: Mapping[str, Any]) -> Iterator[View]:
        view = _Renamed(
            props,
            {
                "document": _get(prop),
                "prop": lambda p: prop,
                "optional": lambda p: optional,
                "registry": lambda p: registry,
                **({"repository": _get(name_key)} if name_key else {}),
            },
        )
        yield View(GRANT, view, name_key="repository" if name_key else None)

    return make


class Malformed(Mapping[str, Any]):
    """The view of a property list that has the wrong shape: reading it raises the error, so only
    the policies that judge its kind report it."""

    def __init__(self, error: MalformedPropertyError) -> None:
        self.error = error

    def __getitem__(self, key: str) -> Any:
        raise self.error

    def __iter__(self) -> Iterator[str]:
        raise self.error

    def __len__(self) -> int:
        return 0


def _guarded(kind: str) -> Callable[[Maker], Maker]:
    """A maker whose malformed input becomes one Malformed view of its kind."""

    def wrap(maker: Maker) -> Maker:
        def make(props: Mapping[str, Any]) -> Iterator[View]:
            try:
                found = list(maker(props))
            except MalformedPropertyError as error:
                found = [View(kind, Malformed(error))]
            yield from found

        return make

    return wrap


def _identity_list(
    prop: str, name: str, document: str
) -> Callable[[Mapping[str, Any]], Iterator[View]]:
    """Inline policies of a role, user or group: `[{name, document}]`."""

    @_guarded(IDENTITY)
    def make(props: Mapping[str, Any]) -> Iterator[View]:
        for index, inline in enumerate(sequence(props.get(prop), prop)):
            entry = mapping(inline, f"{prop}[{index}]")
            if entry.get(document) is None:
                continue
            label = f"inline policy {show(entry.get(name))}"
            yield View(
                IDENTITY, {"document": entry.get(document), "prop": label, "optional": False}
            )

    return make


def _managed_list(prop: str) -> Callable[[Mapping[str, Any]], Iterator[View]]:
    @_guarded(MANAGED)
    def make(props: Mapping[str, Any]) -> Iterator[View]:
        for arn in sequence(props.get(prop), prop):
            yield View(MANAGED, {"arn": arn, "prop": prop})

    return make


def _one(kind: str, shape: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None,
         name_key: str | None = None) -> Callable[[Mapping[str, Any]], Iterator[View]]:  # fmt: skip
    def make(props: Mapping[str, Any]) -> Iterator[View]:
        yield View(kind, shape(props) if shape else props, name_key=name_key)

    return make


def _setting(what: str) -> Callable[[Mapping[str, Any]], Iterator[View]]:
    def make(props: Mapping[str, Any]) -> Iterator[View]:
        yield View(REGISTRY_SETTING, {"setting": what})

    return make


def _all(*makers: Callable[[Mapping[str, Any]], Iterator[View]]) -> Callable[..., Iterator[View]]:
    def make(props: Mapping[str, Any]) -> Iterator[View]:
        for maker in makers:
            yield from maker(props)

    return make


def _trust(prop: str) -> Callable[[Mapping[str, Any]], Iterator[View]]:
    def make(props: Mapping[str, Any]) -> Iterator[View]:
        yield View(TRUST, _Renamed(props, {"document": _get(prop), "prop": lambda p: prop}))

    return make


def _sso_inline(props: Mapping[str, Any]) -> Iterator[View]:
    if props.get("inlinePolicy") is not None:
        yield View(IDENTITY, _document("inlinePolicy")(props))


ROUTES: dict[str, Callable[[Mapping[str, Any]], Iterator[View]]] = {
    AWS_REPOSITORY: _one(REPOSITORY, name_key="name"),
    NATIVE_REPOSITORY: _all(
        _one(REPOSITORY, native_repository, name_key="name"),
        _grant("repositoryPolicyText", "repositoryName", optional=True),
    ),
    AWS_TEMPLATE: _all(
        _one(TEMPLATE, aws_template, name_key="prefix"),
        _grant("repositoryPolicy", "prefix", optional=True),
    ),
    NATIVE_TEMPLATE: _all(
        _one(TEMPLATE, native_template, name_key="prefix"),
        _grant("repositoryPolicy", "prefix", optional=True),
    ),
    AWS_REPOSITORY_POLICY: _grant("policy", "repository"),
    AWS_REGISTRY_POLICY: _grant("policy", registry=True),
    NATIVE_REGISTRY_POLICY: _grant("policyText", registry=True),
    AWS_PUBLIC_REPOSITORY: _one(PUBLIC, name_key="repositoryName"),
    NATIVE_PUBLIC_REPOSITORY: _all(
        _one(PUBLIC, name_key="repositoryName"),
        _grant("repositoryPolicyText", "repositoryName", optional=True),
    ),
    AWS_PUBLIC_POLICY: _grant("policy", "repositoryName"),
    AWS_SCANNING: _one(SCANNING),
    NATIVE_SCANNING: _one(SCANNING),
    AWS_REPLICATION: _one(REPLICATION),
    NATIVE_REPLICATION: _one(REPLICATION),
    AWS_PULL_THROUGH: _one(PULL_THROUGH),
    NATIVE_PULL_THROUGH: _one(PULL_THROUGH),
    AWS_LIFECYCLE: _one(LIFECYCLE, name_key="repository"),
    AWS_PULL_TIME_EXCLUSION: _setting("pull-time update exclusion"),
    NATIVE_PULL_TIME_EXCLUSION: _setting("pull-time update exclusion"),
    AWS_ACCOUNT_SETTING: _setting("account setting"),
    AWS_SIGNING: _one(SIGNING),
    NATIVE_SIGNING: _one(SIGNING),
    **{t: _one(IDENTITY, _document("policy")) for t in AWS_IAM_POLICIES},
    AWS_ROLE: _all(
        _identity_list("inlinePolicies", "name", "policy"),
        _managed_list("managedPolicyArns"),
        _trust("assumeRolePolicy"),
    ),
    **{
        t: _one(MANAGED, lambda p: _Renamed(p, {"arn": _get("policyArn"), "prop": lambda _: ""}))
        for t in AWS_ATTACHMENTS
    },
    **{t: _managed_list("policyArns") for t in AWS_EXCLUSIVE_ATTACHMENTS},
    AWS_SSO_MANAGED: _one(
        MANAGED, lambda p: _Renamed(p, {"arn": _get("managedPolicyArn"), "prop": lambda _: ""})
    ),
    AWS_SSO_INLINE: _one(IDENTITY, _document("inlinePolicy")),
    NATIVE_ROLE: _all(
        _identity_list("policies", "policyName", "policyDocument"),
        _managed_list("managedPolicyArns"),
        _trust("assumeRolePolicyDocument"),
    ),
    **{
        t: _all(
            _identity_list("policies", "policyName", "policyDocument"),
            _managed_list("managedPolicyArns"),
        )
        for t in NATIVE_IDENTITIES
    },
    **{t: _one(IDENTITY, _document("policyDocument")) for t in NATIVE_IAM_POLICIES},
    NATIVE_PERMISSION_SET: _all(_sso_inline, _managed_list("managedPolicies")),
}


_REGISTRY_WIDE = {
    SCANNING: "registry scanning configuration",
    REPLICATION: "replication configuration",
    PULL_THROUGH: "pull-through cache rule",
    TEMPLATE: "repository creation template",
    SIGNING: "signing configuration",
}


def registry_wide(view: View) -> str | None:
    """What registry-wide setting a view is (one per account and region, whichever stack makes
    it), or None for a view of something else."""
    if view.kind == REGISTRY_SETTING:
        return str(view.props["setting"])
    if view.kind == GRANT:
        return "registry policy" if view.props.get("registry") else None
    return _REGISTRY_WIDE.get(view.kind)


def views(resource_type: str, props: Mapping[str, Any]) -> list[View]:
    """Every view of a resource (none when it makes nothing the rules judge)."""
    if resource_type in EMBEDDING:
        return list(EMBEDDING[resource_type](props))
    route = ROUTES.get(resource_type)
    return list(route(props)) if route else []


# --- CloudFormation templates and Cloud Control -----------------------------------------------


def cfn_to_native(type_name: str) -> str | None:
    """`AWS::ECR::Repository` -> `aws-native:ecr:Repository`."""
    parts = type_name.split("::") if isinstance(type_name, str) else []
    if len(parts) != 3 or parts[0] != "AWS":
        return None
    return f"aws-native:{parts[1].lower()}:{parts[2]}"


def _intrinsic(value: Any) -> bool:
    if not isinstance(value, Mapping) or len(value) != 1:
        return False
    (key,) = value
    return key == "Ref" or (isinstance(key, str) and key.startswith("Fn::"))


def _camel(value: Any, depth: int = 0) -> Any:
    """CloudFormation properties (PascalCase) as aws-native's camelCase; documents untouched,
    intrinsic functions as `${...}` text."""
    if _intrinsic(value):
        return _resolved(value)
    if isinstance(value, Mapping):
        return {
            (k[:1].lower() + k[1:] if isinstance(k, str) else k): (
                _resolved(v) if k in _OPAQUE else _camel(v, depth + 1)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_camel(v, depth + 1) for v in value]
    return value


def _resolved(value: Any) -> Any:
    """A document property's value with intrinsic functions kept as `${...}` text."""
    if isinstance(value, Mapping) and len(value) == 1:
        (key, arg), = value.items()  # fmt: skip
        if key == "Ref":
            return f"${{{arg}}}"
        if key == "Fn::Sub":
            return arg[0] if isinstance(arg, list) and arg else arg
        if key == "Fn::GetAtt":
            return "${" + (".".join(map(str, arg)) if isinstance(arg, list) else str(arg)) + "}"
        if key == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            parts = [_resolved(p) for p in sequence(arg[1], "Fn::Join")]
            if all(isinstance(p, str) for p in parts) and isinstance(arg[0], str):
                return arg[0].join(parts)
    if isinstance(value, Mapping):
        return {k: _resolved(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolved(v) for v in value]
    return value


class _CfnLoader(yaml.SafeLoader):
    """YAML templates with CloudFormation's short forms (`!Ref`, `!Sub`, `!GetAtt`, ...)."""


def _short_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _short_form)


def parse_template(body: Any) -> Mapping[str, Any]:
    """A CloudFormation template body (JSON or YAML text, or an object) as a mapping; a
    MalformedPropertyError when it is not one."""
    if isinstance(body, Mapping):
        return dict(plain(body))
    if not isinstance(body, str) or not body.strip():
        raise MalformedPropertyError("the template body is empty")
    if len(body) > 1_000_000:  # CloudFormation's limit for a template is 1 MB (S3)
        raise MalformedPropertyError("the template body is over 1 MB")
    try:
        parsed = json.loads(body)
    except ValueError:
        try:
            parsed = yaml.load(body, Loader=_CfnLoader)  # a SafeLoader subclass
        except (yaml.YAMLError, RecursionError, ValueError) as error:
            reason = getattr(error, "problem", None) or type(error).__name__
            raise MalformedPropertyError(
                f"the template is neither JSON nor YAML ({reason})"
            ) from None
    except RecursionError:
        raise MalformedPropertyError("the template is nested too deeply") from None
    if not isinstance(parsed, Mapping):
        raise MalformedPropertyError("the template is not an object with Resources")
    return dict(plain(parsed))


# Template content the pack cannot read: what it expands to is decided elsewhere (a macro, a
# transform, a module, SAM, Service Catalog), so the pack cannot pass it.
_UNREADABLE_TYPES = (
    ("AWS::Serverless::", "a SAM (AWS::Serverless) resource expands through the SAM transform"),
    (
        "AWS::ServiceCatalog::CloudFormationProvisionedProduct",
        "a Service Catalog provisioned product deploys a product template the pack cannot see",
    ),
)


def _unreadable_type(type_name: Any) -> str | None:
    if not isinstance(type_name, str):
        return None
    if type_name.endswith("::MODULE"):
        return "a CloudFormation module (::MODULE) expands to resources the pack cannot see"
    return next((why for prefix, why in _UNREADABLE_TYPES if type_name.startswith(prefix)), None)


def _has_transform(value: Any) -> bool:
    """Whether `Fn::Transform` (a macro, AWS::Include) appears anywhere in `value`."""
    if isinstance(value, Mapping):
        return "Fn::Transform" in value or any(_has_transform(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_transform(v) for v in value)
    return False


def template_views(body: Any, what: str) -> Iterator[View]:
    """The views of every resource in a template, its values evaluated (cfn_eval); UNREADABLE
    when it, or part of it, cannot be read."""
    try:
        template = parse_template(body)
        resources = mapping(template.get("Resources"), "Resources")
    except MalformedPropertyError as error:
        yield View(UNREADABLE, {"problem": f"{what}: {error}"})
        return
    if len(resources) > MAX_TEMPLATE_RESOURCES:
        yield View(UNREADABLE, {"problem": f"{what}: over {MAX_TEMPLATE_RESOURCES} resources"})
        return
    transform = template.get("Transform")
    if transform is not None:
        yield View(
            UNREADABLE,
            {
                "problem": f"{what}: Transform {show(transform)} rewrites the template before "
                "CloudFormation reads it (a macro, SAM, AWS::LanguageExtensions): deploy the "
                "processed template, or the resources as Pulumi resources"
            },
        )
    context = cfn_eval.Context.of(template)
    for logical, resource in resources.items():
        entry = resource if isinstance(resource, Mapping) else {}
        type_name = entry.get("Type")
        where = f"{what} resource {logical} ({type_name})"
        if str(logical).startswith("Fn::ForEach"):
            yield View(
                UNREADABLE,
                {"problem": f"{what} {logical}: Fn::ForEach (AWS::LanguageExtensions) makes "
                 "resources the pack cannot enumerate: write them out"},
            )  # fmt: skip
            continue
        why = _unreadable_type(type_name)
        if why is None and _has_transform(entry):
            why = "Fn::Transform (a macro or AWS::Include) inserts content the pack cannot see"
        if why is not None:
            yield View(UNREADABLE, {"problem": f"{where}: {why}"})
            continue
        yield from _cfn_resource_views(type_name, entry.get("Properties"), where, context)


def _cfn_resource_views(
    type_name: Any, properties: Any, where: str, context: cfn_eval.Context | None = None
) -> Iterator[View]:
    if type_name in ("AWS::CloudFormation::Stack", "AWS::CloudFormation::StackSet"):
        body = mapping(properties, "Properties").get("TemplateBody") if properties else None
        if body is None:
            yield View(
                UNREADABLE,
                {"problem": f"{where}: a nested template by URL cannot be judged: inline it"},
            )
            return
        yield from template_views(body, where)
        return
    native = cfn_to_native(type_name) if isinstance(type_name, str) else None
    route = ROUTES.get(native) if native else None
    if route is None:
        return
    if properties is not None and not isinstance(properties, Mapping):
        yield View(UNREADABLE, {"problem": f"{where}: Properties is not an object"})
        return
    context = context or cfn_eval.Context()
    context.unknown_keys.clear()
    try:
        evaluated = cfn_eval.variants(properties or {}, context)
    except cfn_eval.TooManyVariantsError:
        yield View(
            UNREADABLE,
            {"problem": f"{where}: its values take over {cfn_eval.MAX_VARIANTS} combinations "
             "(Fn::If, parameters' AllowedValues): split it"},
        )  # fmt: skip
        return
    for key in sorted(set(context.unknown_keys)):
        yield View(
            UNREADABLE,
            {"problem": f"{where}: the KMS key {key} cannot be evaluated: name the key's ARN, "
             "or a parameter with AllowedValues"},
        )  # fmt: skip
    seen: set[str] = set()
    for variant in evaluated:
        shown = json.dumps(variant, sort_keys=True, default=str)
        if shown in seen:
            continue
        seen.add(shown)
        for view in route(_camel(variant)):
            yield View(view.kind, view.props, where, view.name_key)


def _stack_views(props: Mapping[str, Any]) -> Iterator[View]:
    body = props.get("templateBody")
    if body is None:
        url = props.get("templateUrl")
        yield View(
            UNREADABLE,
            {
                "problem": f"the template at templateUrl {show(url)} cannot be judged by the "
                "pack: pass it as templateBody"
            },
        )
        return
    yield from template_views(body, "template")


def _cloud_control_views(props: Mapping[str, Any]) -> Iterator[View]:
    type_name = props.get("typeName")
    state = props.get("desiredState")
    what = f"Cloud Control {show(type_name)} desiredState"
    if isinstance(state, str):
        if len(state) > MAX_DOCUMENT * 10:
            yield View(UNREADABLE, {"problem": f"{what} is too large to judge"})
            return
        try:
            state = json.loads(state)
        except (ValueError, RecursionError):
            yield View(UNREADABLE, {"problem": f"{what} is not JSON"})
            return
    if not isinstance(state, Mapping):
        yield View(UNREADABLE, {"problem": f"{what} is not a JSON object"})
        return
    yield from _cfn_resource_views(type_name, plain(state), f"Cloud Control {type_name}")


def _unseen(what: str) -> Callable[[Mapping[str, Any]], Iterator[View]]:
    def make(props: Mapping[str, Any]) -> Iterator[View]:
        yield View(UNREADABLE, {"problem": what})

    return make


EMBEDDING: dict[str, Callable[[Mapping[str, Any]], Iterator[View]]] = {
    "aws:servicecatalog/provisionedProduct:ProvisionedProduct": _unseen(
        "a Service Catalog provisioned product deploys a product template the pack cannot see"
    ),
    "aws-native:servicecatalog:CloudFormationProvisionedProduct": _unseen(
        "a Service Catalog provisioned product deploys a product template the pack cannot see"
    ),
    "aws:serverlessrepository/cloudFormationStack:CloudFormationStack": _unseen(
        "a Serverless Application Repository application deploys a template the pack cannot see"
    ),
    AWS_CFN_STACK: _stack_views,
    AWS_CFN_STACK_SET: _stack_views,
    NATIVE_CFN_STACK: _stack_views,
    NATIVE_CFN_STACK_SET: _stack_views,
    AWS_CLOUD_CONTROL: _cloud_control_views,
}
"""Resources that carry other resources: what they make is judged as if declared directly."""

ROUTED_TYPES = (*ROUTES, *EMBEDDING)

# Resources that run code the pack cannot read (a shell command, a dynamic provider, a Lambda
# invocation): they may create ECR resources no policy sees. Noted, never passed silently.
UNSEEN_CREATOR_TYPES = (
    "pulumi-python:dynamic:Resource",
    "pulumi-nodejs:dynamic:Resource",
    "aws:lambda/invocation:Invocation",
)


def unseen_creator(resource_type: str) -> bool:
    """Whether a resource runs code that may create ECR resources the pack cannot judge."""
    return resource_type.startswith("command:") or resource_type in UNSEEN_CREATOR_TYPES
