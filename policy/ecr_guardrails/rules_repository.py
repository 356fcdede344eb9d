"""Repository rules: encryption, scanning, tag immutability, governance tags, deletion, and the
registry's scanning coverage.

Each rule is a pure function of a repository's properties in the pulumi-aws camelCase shape
(`encryptionConfigurations`, `imageScanningConfiguration.scanOnPush`, `tags` as a map, ...) and a
Context; it returns its problems as sentences. Other shapes are converted first: `native_view`
presents an `aws-native:ecr:Repository` in that shape, and the live audit builds it from
DescribeRepositories. Reading a value unknown during preview raises the SDK's UnknownValueError,
which the CrossGuard adapter lets through (never a violation).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .config import config_list
from .props import mapping, sequence, show, tags_of, text

REPOSITORY = "aws:ecr/repository:Repository"
NATIVE_REPOSITORY = "aws-native:ecr:Repository"
PUBLIC_REPOSITORY = "aws:ecrpublic/repository:Repository"
REGISTRY_SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
CREATION_TEMPLATE = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"
PRIVATE_REPOSITORIES = (REPOSITORY, NATIVE_REPOSITORY)

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_AWS_MANAGED_ECR_KEY = re.compile(r"(^|:)alias/aws/ecr$")


@dataclass(frozen=True)
class Context:
    """What a rule knows beyond the properties."""

    production: bool = False
    config: Mapping[str, Any] = field(default_factory=dict)
    """The policy's config (tunables)."""


Rule = Callable[[Mapping[str, Any], Context], list[str]]


def is_production(tags: Mapping[str, Any], stack: str | None, config: Mapping[str, Any]) -> bool:
    """Production = the Environment tag, or else the stack name, is one of `prodEnvironments`."""
    production = {e.lower() for e in config_list(config, "prodEnvironments")}
    environment = tags.get("Environment")
    if isinstance(environment, str) and environment.lower() in production:
        return True
    return stack is not None and stack.lower() in production


class _NativeView(Mapping[str, Any]):
    """An aws-native:ecr:Repository read as the pulumi-aws shape, one property at a time (so an
    unknown property only stops the rules that read it)."""

    _READERS: ClassVar[dict[str, Callable[[Mapping[str, Any]], Any]]] = {
        "name": lambda p: p.get("repositoryName"),
        "encryptionConfigurations": lambda p: (
            [p["encryptionConfiguration"]] if p.get("encryptionConfiguration") is not None else []
        ),
        "imageScanningConfiguration": lambda p: p.get("imageScanningConfiguration"),
        "imageTagMutability": lambda p: p.get("imageTagMutability"),
        "imageTagMutabilityExclusionFilters": lambda p: [
            {
                "filter": mapping(f, "imageTagMutabilityExclusionFilters[]").get(
                    "imageTagMutabilityExclusionFilterValue"
                )
            }
            for f in sequence(
                p.get("imageTagMutabilityExclusionFilters"), "imageTagMutabilityExclusionFilters"
            )
        ],
        "tags": lambda p: tags_of(p.get("tags")),
        # aws-native's emptyOnDelete is the same hazard as forceDelete: deleting the images.
        "forceDelete": lambda p: p.get("emptyOnDelete"),
    }

    def __init__(self, props: Mapping[str, Any]) -> None:
        self._props = props

    def __getitem__(self, key: str) -> Any:
        return self._READERS[key](self._props)

    def __iter__(self) -> Iterator[str]:
        return iter(self._READERS)

    def __len__(self) -> int:
        return len(self._READERS)


class _TemplateView(Mapping[str, Any]):
    """A repository creation template read as the repositories it creates: its `resourceTags`
    are their tags, its prefix their name."""

    _RENAMED: ClassVar[dict[str, str]] = {"tags": "resourceTags", "name": "prefix"}

    def __init__(self, props: Mapping[str, Any]) -> None:
        self._props = props

    def __getitem__(self, key: str) -> Any:
        return self._props.get(self._RENAMED.get(key, key))

    def __iter__(self) -> Iterator[str]:
        return iter(self._props)

    def __len__(self) -> int:
        return len(self._props)


def repository_view(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any]:
    """Properties of either provider's repository, or of a creation template, in the pulumi-aws
    repository shape."""
    if resource_type == NATIVE_REPOSITORY:
        return _NativeView(props)
    if resource_type == CREATION_TEMPLATE:
        return _TemplateView(props)
    return props


# --- the rules ------------------------------------------------------------------------------------


def kms_cmk(props: Mapping[str, Any], context: Context) -> list[str]:
    configs = sequence(props.get("encryptionConfigurations"), "encryptionConfigurations")
    if not configs:
        return [
            "No encryptionConfigurations: set encryptionType KMS with the ARN of a "
            "customer-managed key (kmsKey). Without it ECR uses AES256."
        ]
    config = mapping(configs[0], "encryptionConfigurations[0]")
    encryption_type = config.get("encryptionType")
    if encryption_type not in ("KMS", "KMS_DSSE"):
        return [
            f"encryptionType is {show(encryption_type)}: set it to KMS, with kmsKey the ARN of a "
            "customer-managed key."
        ]
    key = text(config.get("kmsKey"), "kmsKey")
    if not key or not key.strip():
        return [
            "encryptionType KMS without kmsKey uses the AWS-managed key aws/ecr: set kmsKey to "
            "the ARN of a customer-managed key."
        ]
    if _AWS_MANAGED_ECR_KEY.search(key):
        return [f"kmsKey {key} is the AWS-managed key: use a customer-managed key's ARN."]
    allowed = config_list(context.config, "allowedKmsKeys")
    if allowed and key not in allowed:
        return [f"kmsKey {key} is not in allowedKmsKeys {show(allowed)}: use one of them."]
    return []


def scan_on_push(props: Mapping[str, Any], context: Context) -> list[str]:
    scanning = mapping(props.get("imageScanningConfiguration"), "imageScanningConfiguration")
    if scanning.get("scanOnPush") is True:
        return []
    return [
        f"imageScanningConfiguration.scanOnPush is {show(scanning.get('scanOnPush'))}: set it to "
        "true so every pushed image is scanned."
    ]


def immutable_tags(props: Mapping[str, Any], context: Context) -> list[str]:
    if not context.production:
        return []
    # ECR's default, when the property is absent, is MUTABLE.
    mutability = props.get("imageTagMutability") or "MUTABLE"
    if mutability == "IMMUTABLE":
        return []
    if mutability != "IMMUTABLE_WITH_EXCLUSION":
        return [
            f"imageTagMutability is {show(mutability)} in production: set it to IMMUTABLE so a "
            "released tag always names the same image."
        ]
    allowed = set(config_list(context.config, "allowedExclusionFilters"))
    filters = sequence(
        props.get("imageTagMutabilityExclusionFilters"), "imageTagMutabilityExclusionFilters"
    )
    names = [mapping(f, "imageTagMutabilityExclusionFilters[]").get("filter") for f in filters]
    outside = [n for n in names if not isinstance(n, str) or n not in allowed]
    if outside:
        return [
            f"Tag-mutability exclusion filters {show(outside)} are not in allowedExclusionFilters "
            f"{show(sorted(allowed))}: remove them or have the filter allowed in policy config."
        ]
    return []


def required_tags(props: Mapping[str, Any], context: Context) -> list[str]:
    """`props["tags"]` are the effective tags (the provider's defaultTags included)."""
    tags = tags_of(props.get("tags"))
    problems = []
    missing = [
        t
        for t in config_list(context.config, "requiredTags")
        if not isinstance(tags.get(t), str) or not tags[t].strip()
    ]
    if missing:
        problems.append(f"Missing or empty tags {', '.join(missing)}: add them.")
    owner = tags.get("Owner")
    if isinstance(owner, str) and owner.strip() and not _EMAIL.fullmatch(owner):
        problems.append(f"Tag Owner {show(owner)} is not an e-mail address.")
    environments = config_list(context.config, "allowedEnvironments")
    environment = tags.get("Environment")
    if isinstance(environment, str) and environment.strip() and environment not in environments:
        problems.append(
            f"Tag Environment {show(environment)} is not one of {', '.join(environments)}."
        )
    return problems


def no_force_delete(props: Mapping[str, Any], context: Context) -> list[str]:
    if props.get("forceDelete") is not True or not context.production:
        return []
    return [
        "forceDelete is true in production (aws-native: emptyOnDelete): `pulumi destroy` or a "
        "replacement would delete every image. Remove it."
    ]


def public_repository(props: Mapping[str, Any], context: Context) -> list[str]:
    name = props.get("repositoryName")
    return [
        f"ECR Public repository {show(name)}: every image in it can be pulled by anyone on the "
        "internet. Use a private repository unless the images are meant to be public."
    ]


def template_lifecycle(props: Mapping[str, Any], context: Context) -> list[str]:
    policy = props.get("lifecyclePolicy")
    if isinstance(policy, str) and policy.strip():
        return []
    return [
        f"Repository creation template {show(props.get('prefix'))} sets no lifecyclePolicy: the "
        "repositories ECR creates from it keep every image. Set the stack's lifecycle policy."
    ]


def registry_scanning(props: Mapping[str, Any], context: Context) -> list[str]:
    """Scanning covers every repository: a rule whose filters include `*`, scanning on push or
    continuously (MANUAL scans nothing by itself)."""
    rules = sequence(props.get("rules"), "rules")
    for index, rule in enumerate(rules):
        entry = mapping(rule, f"rules[{index}]")
        frequency = entry.get("scanFrequency")
        filters = sequence(entry.get("repositoryFilters"), f"rules[{index}].repositoryFilters")
        names = [mapping(f, "repositoryFilters[]").get("filter") for f in filters]
        if frequency in ("SCAN_ON_PUSH", "CONTINUOUS_SCAN") and "*" in names:
            return []
    return [
        f"Registry scanning rules {show(rules)} do not scan every repository: add a rule with "
        'scanFrequency SCAN_ON_PUSH or CONTINUOUS_SCAN and the filter "*".'
    ]
