"""Stack config -> typed, validated settings.

The whole `ecr:` namespace is parsed here before the program registers a single resource. Every
problem is collected and reported at once, each naming the key, the value and what is allowed, so a
typo costs one `pulumi preview`, not one per mistake. Nothing in this module creates resources.

The keys are declared once, in `STACK_KEYS` and `SERVICE_KEYS`; the README's config reference and
the checks against `Pulumi.yaml` are derived from these declarations.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

NAMESPACE = "ecr"
ENVIRONMENTS = ("dev", "staging", "prod")
PRODUCTION = "prod"
MUTABILITIES = ("MUTABLE", "IMMUTABLE")

# ECR's repository naming rule (CreateRepository API reference): 2..256 characters, lowercase
# alphanumerics separated by single `.`, `_` or `-`, optionally in `/`-separated namespaces.
_REPOSITORY_NAME = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
# SSM parameter names (PutParameter): a fully qualified path of a-zA-Z0-9_.- segments.
_SSM_PATH = re.compile(r"(?:/[A-Za-z0-9_.-]+)+")

Check = Callable[[Any], "str | None"]
"""Returns None when a value is acceptable, else a sentence saying what is allowed."""


@dataclass(frozen=True)
class Key:
    """One config key: its JSON type, its default, what it means and what values it takes."""

    name: str
    type: str
    """`string`, `integer`, `boolean` or `object`, as the value arrives after JSON decoding."""
    description: str
    default: Any = None
    """The default; None means required, or derived when `default_doc` says so."""
    default_doc: str = ""
    """How the default reads in docs when it is not a literal (e.g. derived from environment)."""
    check: Check | None = None

    @property
    def documented_default(self) -> str:
        if self.default_doc:
            return self.default_doc
        if self.default is None:
            return "required"
        return f"`{json.dumps(self.default)}`"


def _int_in(low: int, high: int) -> Check:
    return lambda v: None if low <= v <= high else f"must be an integer from {low} to {high}"


def _one_of(*allowed: str) -> Check:
    return lambda v: None if v in allowed else f"must be one of {', '.join(allowed)}"


def _matches(pattern: re.Pattern[str], what: str) -> Check:
    return lambda v: None if pattern.fullmatch(v) else f"must be {what}"


def _non_empty(v: str) -> str | None:
    return None if v.strip() else "must be a non-empty string"


_REPOSITORY_KEYS = (
    Key(
        "imageTagMutability",
        "string",
        "Tag mutability of the repositories: MUTABLE or IMMUTABLE.",
        default_doc="`IMMUTABLE` in prod, `MUTABLE` elsewhere",
        check=_one_of(*MUTABILITIES),
    ),
    Key("scanOnPush", "boolean", "Scan every image for vulnerabilities when it is pushed.", True),
    Key(
        "lifecyclePolicyMaxImageCount",
        "integer",
        "How many images whose tags start with `v` to keep; older ones expire.",
        30,
        # ECR lifecycle rules: countNumber for imageCountMoreThan is 1..10000.
        check=_int_in(1, 10000),
    ),
    Key(
        "untaggedImageExpiryDays",
        "integer",
        "Days after which untagged images expire.",
        7,
        # ECR requires countNumber >= 1; the upper bound (ten years) is ours, to catch typos.
        check=_int_in(1, 3650),
    ),
)

STACK_KEYS: tuple[Key, ...] = (
    Key(
        "environment",
        "string",
        "Deployment environment; prod turns on protection and immutable tags.",
        check=_one_of(*ENVIRONMENTS),
    ),
    Key(
        "owner",
        "string",
        "Owner e-mail, tag `Owner`.",
        "platform-team@ryuqqq.com",
        check=_matches(_EMAIL, "an e-mail address"),
    ),
    Key("costCenter", "string", "Tag `CostCenter`.", "engineering", check=_non_empty),
    Key(
        "lifecycleStage",
        "string",
        "Tag `Lifecycle`.",
        default_doc="`production` in prod, else the environment name",
        check=_non_empty,
    ),
    Key("dataClass", "string", "Tag `DataClass`.", "confidential", check=_non_empty),
    *_REPOSITORY_KEYS,
    Key(
        "kmsKeyParameter",
        "string",
        "SSM parameter holding the ARN of the customer-managed KMS key that encrypts images.",
        "/shared/kms/ecs-secrets-key-arn",
        check=_matches(_SSM_PATH, "an SSM parameter path such as /shared/kms/key-arn"),
    ),
    Key(
        "ssmParameterPrefix",
        "string",
        "Path under which each repository URL is published as `<prefix>/<service>-repository-url`.",
        "/shared/ecr",
        check=_matches(_SSM_PATH, "an SSM parameter path such as /shared/ecr"),
    ),
    Key(
        "services",
        "object",
        "Map of service name -> overrides of the repository keys "
        f"({', '.join(k.name for k in _REPOSITORY_KEYS)}); one repository per service.",
    ),
)

SERVICE_KEYS: tuple[Key, ...] = _REPOSITORY_KEYS
"""The keys a service may override under `services.<name>`."""

_STACK_KEYS_BY_NAME = {k.name: k for k in STACK_KEYS}
_SERVICE_KEYS_BY_NAME = {k.name: k for k in SERVICE_KEYS}


class SettingsError(ValueError):
    """The stack config is invalid; `problems` lists every reason, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid stack config ({len(problems)} problem(s)):\n{lines}")


@dataclass(frozen=True)
class RepositorySettings:
    """One service's repository: the stack's repository keys with its overrides applied."""

    name: str
    """Service name, also the ECR repository name."""
    image_tag_mutability: str
    scan_on_push: bool
    max_image_count: int
    """Images tagged `v*` to keep."""
    untagged_expiry_days: int


@dataclass(frozen=True)
class StackSettings:
    """Everything the program needs from the stack config, validated."""

    environment: str
    owner: str
    cost_center: str
    lifecycle_stage: str
    data_class: str
    kms_key_parameter: str
    ssm_parameter_prefix: str
    services: tuple[RepositorySettings, ...]

    @property
    def is_production(self) -> bool:
        """Production stacks protect what holds data and refuse anything that could delete it."""
        return self.environment == PRODUCTION

    def url_parameter_name(self, service: str) -> str:
        return f"{self.ssm_parameter_prefix}/{service}-repository-url"

    def tags(self, service: str) -> dict[str, str]:
        """The governance tags of the seed's tag section, for one service's resources."""
        return {
            "Owner": self.owner,
            "CostCenter": self.cost_center,
            "Environment": self.environment,
            "Lifecycle": self.lifecycle_stage,
            "DataClass": self.data_class,
            "Service": service,
            "Name": f"ecr-{service}",
            "Component": "container-registry",
        }


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _decode(raw: Any, key: Key) -> Any:
    """The engine passes every top-level value as a string; non-string keys arrive JSON-encoded."""
    if key.type == "string" or not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw  # the type check below names it


def _type_problem(value: Any, key: Key) -> str | None:
    expected = {"string": str, "integer": int, "boolean": bool, "object": dict}[key.type]
    # bool is a subclass of int in Python; `true` is not a number in a config file.
    if isinstance(value, expected) and not (key.type == "integer" and isinstance(value, bool)):
        return None
    article = "an" if key.type[0] in "aeiou" else "a"
    return f"must be {article} {key.type}"


class _Collector:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, path: str, value: Any, allowed: str) -> None:
        self.problems.append(f"{path} = {_show(value)}: {allowed}")

    def value(self, path: str, key: Key, value: Any) -> Any:
        """The value if it has the key's type and passes its check; otherwise records why and
        returns the default, so the remaining keys are still checked."""
        problem = _type_problem(value, key) or (key.check(value) if key.check else None)
        if problem is None:
            return value
        self.add(path, value, problem)
        return key.default

    def unknown(self, path: str, value: Any, known: Mapping[str, Key]) -> None:
        self.add(path, value, f"unknown key; allowed keys are {', '.join(sorted(known))}")


def load_settings(raw: Mapping[str, Any]) -> StackSettings:
    """Validates the `ecr:` namespace (keys without the prefix, values as the engine passes them).

    Raises SettingsError listing every problem; returns fully resolved settings otherwise.
    """
    problems = _Collector()
    for name in sorted(set(raw) - set(_STACK_KEYS_BY_NAME)):
        problems.unknown(f"{NAMESPACE}:{name}", raw[name], _STACK_KEYS_BY_NAME)

    values: dict[str, Any] = {}
    for key in STACK_KEYS:
        path = f"{NAMESPACE}:{key.name}"
        if key.name not in raw:
            values[key.name] = key.default
            continue
        values[key.name] = problems.value(path, key, _decode(raw[key.name], key))

    environment = values["environment"]
    if "environment" not in raw:
        problems.problems.append(
            f"{NAMESPACE}:environment is not set: must be one of {', '.join(ENVIRONMENTS)}"
        )
    production = environment == PRODUCTION
    if values["imageTagMutability"] is None:
        values["imageTagMutability"] = "IMMUTABLE" if production else "MUTABLE"
    if values["lifecycleStage"] is None:
        values["lifecycleStage"] = "production" if production else (environment or "")

    services = _services(raw, values, problems)
    if problems.problems:
        raise SettingsError(problems.problems)
    return StackSettings(
        environment=environment,
        owner=values["owner"],
        cost_center=values["costCenter"],
        lifecycle_stage=values["lifecycleStage"],
        data_class=values["dataClass"],
        kms_key_parameter=values["kmsKeyParameter"],
        ssm_parameter_prefix=values["ssmParameterPrefix"],
        services=services,
    )


def _services(
    raw: Mapping[str, Any], stack: Mapping[str, Any], problems: _Collector
) -> tuple[RepositorySettings, ...]:
    path = f"{NAMESPACE}:services"
    declared = stack["services"]
    if "services" not in raw or declared == {}:
        problems.problems.append(
            f"{path} has no services: add at least one, e.g. `{path}: {{fileflow: {{}}}}`"
        )
        return ()
    if not isinstance(declared, dict):
        return ()  # the type problem is already recorded

    services = []
    for name in sorted(declared):
        overrides = declared[name]
        service_path = f"{path}.{name}"
        if not _REPOSITORY_NAME.fullmatch(name) or not 2 <= len(name) <= 256:
            problems.add(
                service_path,
                name,
                "service names are ECR repository names: 2-256 lowercase letters, digits and "
                "single . _ - separators, optionally namespaced with /",
            )
        if overrides is None:
            overrides = {}
        if not isinstance(overrides, dict):
            problems.add(service_path, overrides, "must be a map of overrides (or {})")
            continue
        for unknown in sorted(set(overrides) - set(_SERVICE_KEYS_BY_NAME)):
            problems.unknown(f"{service_path}.{unknown}", overrides[unknown], _SERVICE_KEYS_BY_NAME)
        merged = {
            key.name: (
                problems.value(f"{service_path}.{key.name}", key, overrides[key.name])
                if key.name in overrides
                else stack[key.name]
            )
            for key in SERVICE_KEYS
        }
        services.append(
            RepositorySettings(
                name=name,
                image_tag_mutability=merged["imageTagMutability"] or "MUTABLE",
                scan_on_push=merged["scanOnPush"],
                max_image_count=merged["lifecyclePolicyMaxImageCount"],
                untagged_expiry_days=merged["untaggedImageExpiryDays"],
            )
        )
    return tuple(services)


def stack_config() -> dict[str, Any]:
    """Every `ecr:*` key the engine passed to this program, with the prefix removed.

    `pulumi.Config` can only look keys up by name; enumerating them is what lets a misspelt key be
    reported instead of silently ignored.
    """
    from pulumi.runtime import config as runtime_config

    passed = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{NAMESPACE}:"
    return {k[len(prefix) :]: v for k, v in passed.items() if k.startswith(prefix)}
