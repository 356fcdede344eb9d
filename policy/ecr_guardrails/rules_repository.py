"""Repository rules: encryption, scanning, tag immutability, governance tags, deletion, and the
registry's scanning coverage.

Each rule is a pure function of a repository's properties in the pulumi-aws camelCase shape
(`encryptionConfigurations`, `imageScanningConfiguration.scanOnPush`, `tags` as a map, ...) and a
Context; it returns its problems as sentences. Other shapes are converted first: the model
(model.py) presents every route's repositories and creation templates in that shape, and the live
audit builds it from DescribeRepositories. Reading a value unknown during preview raises the
SDK's UnknownValueError, which the CrossGuard adapter lets through (never a violation).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .config import Production, config_list
from .props import mapping, sequence, show, tags_of, text

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_AWS_MANAGED_ECR_KEY = re.compile(r"(^|:)alias/aws/ecr$")


@dataclass(frozen=True)
class Context:
    """What a rule knows beyond the properties."""

    production: bool = False
    config: Mapping[str, Any] = field(default_factory=dict)
    """The policy's config (tunables)."""


Rule = Callable[[Mapping[str, Any], Context], list[str]]


def is_production(
    tags: Mapping[str, Any],
    stack: str | None,
    settings: Mapping[str, Any] | None = None,
    stack_tags: Mapping[str, Any] | None = None,
) -> bool:
    """Production as the pack defines it once (`ecr-pack-settings`, whose config `settings` is):
    the stack name, the stack's Environment tag or the resource's (see config.Production)."""
    return Production.from_config(settings).decides(tags, stack, stack_tags)


def blank(value: Any) -> bool:
    """A tag value that says nothing: not a string, or only whitespace and invisible characters
    (zero-width spaces, the Hangul filler U+3164, ...)."""
    if not isinstance(value, str):
        return True
    return all(
        c.isspace() or unicodedata.category(c) in ("Cf", "Cc", "Zs", "Mn") or c in _FILLERS
        for c in value
    )


# Letters that render as nothing (Unicode's Default_Ignorable_Code_Point fillers).
_FILLERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u034f"}


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
    missing = [t for t in config_list(context.config, "requiredTags") if blank(tags.get(t))]
    if missing:
        problems.append(f"Missing or empty tags {', '.join(missing)}: add them.")
    owner = tags.get("Owner")
    if not blank(owner) and not _EMAIL.fullmatch(str(owner)):
        problems.append(f"Tag Owner {show(owner)} is not an e-mail address.")
    environments = config_list(context.config, "allowedEnvironments")
    environment = tags.get("Environment")
    if not blank(environment) and environment not in environments:
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


def _covers_everything(pattern: Any) -> bool:
    """A WILDCARD repository filter that matches every repository name (`*`, `**`, `?*`)."""
    return (
        isinstance(pattern, str)
        and "*" in pattern
        and set(pattern) <= {"*", "?"}
        and (pattern.count("?") <= 1)
    )


def registry_scanning(props: Mapping[str, Any], context: Context) -> list[str]:
    """A registry scanning configuration replaces every repository's own scanOnPush: with
    ENHANCED, repositories no rule matches are not scanned at all; with BASIC they are scanned
    only when asked (MANUAL). So it must have a rule that matches every repository and scans on
    push or continuously. BASIC without rules is the registry's default: no filter overrides
    anything and each repository's own scanOnPush applies (judged per repository)."""
    rules = sequence(props.get("rules"), "rules")
    if not rules and props.get("scanType", "BASIC") == "BASIC":
        return []
    for index, rule in enumerate(rules):
        entry = mapping(rule, f"rules[{index}]")
        frequency = entry.get("scanFrequency")
        filters = sequence(entry.get("repositoryFilters"), f"rules[{index}].repositoryFilters")
        names = [mapping(f, "repositoryFilters[]").get("filter") for f in filters]
        if frequency in ("SCAN_ON_PUSH", "CONTINUOUS_SCAN") and any(
            _covers_everything(n) for n in names
        ):
            return []
    scan_type = props.get("scanType")
    consequence = (
        "leaves every repository it does not match unscanned (ENHANCED)"
        if scan_type == "ENHANCED"
        else "turns scan on push off for every repository it does not match (BASIC: manual)"
    )
    return [
        f"Registry scanning configuration {show(rules)} {consequence}, whatever each "
        "repository's scanOnPush says: add a rule with scanFrequency SCAN_ON_PUSH or "
        'CONTINUOUS_SCAN and the filter "*".'
    ]
