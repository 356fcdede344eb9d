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
SEVERITIES = ("CRITICAL", "HIGH")
SCAN_TYPES = ("BASIC", "ENHANCED")
SCAN_FREQUENCIES = {
    "BASIC": ("SCAN_ON_PUSH", "MANUAL"),
    "ENHANCED": ("SCAN_ON_PUSH", "CONTINUOUS_SCAN"),
}
# Public AWS regions (commercial partition) as of 2026; replication targets must be one of them.
AWS_REGIONS = (
    "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
    "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1",
    "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
    "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1",
    "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
)  # fmt: skip
# Upstreams ECR pull-through cache supports, and whether they need a Secrets Manager credential.
PULL_THROUGH_UPSTREAMS = {
    "public.ecr.aws": False,
    "registry.k8s.io": False,
    "quay.io": False,
    "registry-1.docker.io": True,
    "ghcr.io": True,
    "registry.gitlab.com": True,
    "mcr.microsoft.com": False,
}
# AWS limits: ImageTagMutabilityExclusionFilter allows 1..5 filters of [0-9a-zA-Z._*-]{1,128}.
MAX_EXCLUSION_FILTERS = 5

# ECR's repository naming rule (CreateRepository API reference): 2..256 characters, lowercase
# alphanumerics separated by single `.`, `_` or `-`, optionally in `/`-separated namespaces.
_REPOSITORY_NAME = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
# SSM parameter names (PutParameter): a fully qualified path of a-zA-Z0-9_.- segments.
_SSM_PATH = re.compile(r"(?:/[A-Za-z0-9_.-]+)+")
_ACCOUNT_ID = re.compile(r"\d{12}")
_ORGANIZATION_ID = re.compile(r"o-[a-z0-9]{10,32}")
_TAG_FILTER = re.compile(r"[0-9A-Za-z._*-]{1,128}")
# ScanningRepositoryFilter: repository name characters plus the * wildcard.
_SCAN_FILTER = re.compile(r"[a-z0-9*](?:[a-z0-9._/*-]){0,254}")
_CACHE_PREFIX = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")
_SECRET_ARN = re.compile(
    r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:ecr-pullthroughcache/.+"
)
_LOG_GROUP = re.compile(r"[\w#/.-]{1,512}")
_EMAIL_LIST_MAX = 20

Check = Callable[[Any], "str | None"]
"""Returns None when a value is acceptable, else a sentence saying what is allowed."""


@dataclass(frozen=True)
class Key:
    """One config key: its JSON type, its default, what it means and what values it takes."""

    name: str
    type: str
    """`string`, `integer`, `boolean`, `array` or `object`, as the value is after JSON decoding."""
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


def _list_of(pattern: re.Pattern[str], what: str, most: int | None = None) -> Check:
    """A list of unique strings each matching `pattern`, at most `most` of them."""

    def check(values: list[Any]) -> str | None:
        limit = f", at most {most}" if most is not None else ""
        if (
            not all(isinstance(v, str) and pattern.fullmatch(v) for v in values)
            or len(set(values)) != len(values)
            or (most is not None and len(values) > most)
        ):
            return f"must be a list of unique {what}{limit}"
        return None

    return check


def _regions(values: list[Any]) -> str | None:
    unknown = [v for v in values if v not in AWS_REGIONS]
    # ECR replication: at most 25 unique destinations.
    if unknown or len(set(values)) != len(values) or len(values) > 25:
        return f"must be a list of at most 25 unique AWS regions ({', '.join(AWS_REGIONS)})"
    return None


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
        "How many images whose tags start with `v` to keep (1-10000); older ones expire.",
        30,
        # ECR lifecycle rules: countNumber for imageCountMoreThan is 1..10000.
        check=_int_in(1, 10000),
    ),
    Key(
        "untaggedImageExpiryDays",
        "integer",
        "Days after which untagged images expire (1-3650).",
        7,
        # ECR requires countNumber >= 1; the upper bound (ten years) is ours, to catch typos.
        check=_int_in(1, 3650),
    ),
)

_SERVICE_ONLY_KEYS = (
    Key(
        "imageTagMutabilityExclusions",
        "array",
        "Wildcard tag filters (e.g. `latest`, `cache-*`) exempt from the tag mutability setting: "
        "IMMUTABLE becomes IMMUTABLE_WITH_EXCLUSION, MUTABLE becomes MUTABLE_WITH_EXCLUSION.",
        [],
        check=_list_of(_TAG_FILTER, "tag filters of 0-9 a-z A-Z . _ * -", MAX_EXCLUSION_FILTERS),
    ),
    Key(
        "pullAccounts",
        "array",
        "12-digit AWS account ids whose principals may pull (pull actions only).",
        [],
        check=_list_of(_ACCOUNT_ID, "12-digit account ids"),
    ),
    Key(
        "pullOrganizationId",
        "string",
        "AWS Organization id (o-...) whose principals may pull (aws:PrincipalOrgID condition).",
        default_doc="none",
        check=_matches(_ORGANIZATION_ID, "an AWS Organization id such as o-a1b2c3d4e5"),
    ),
    Key(
        "adopt",
        "boolean",
        "Import the existing repository, its policies and URL parameter instead of creating them "
        "(migration from Terraform; see the runbook).",
        False,
    ),
    Key(
        "forceDelete",
        "boolean",
        "Let a destroy delete the repository with its images. Refused in prod.",
        False,
    ),
)

STACK_KEYS: tuple[Key, ...] = (
    Key(
        "environment",
        "string",
        "Deployment environment: dev, staging or prod (prod: protection, immutable tags).",
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
        "Map of service name -> its settings: overrides of the repository keys above and the "
        "per-service keys below; one repository per service.",
    ),
    Key(
        "dashboard",
        "boolean",
        "A CloudWatch dashboard `ecr-<environment>` of daily pulls per repository (and "
        "AccessDenied counts with alerts.cloudTrailLogGroup).",
        True,
    ),
    Key(
        "alerts",
        "object",
        "Scan-finding and access-denied alerts for this stack's repositories (see Alerts keys).",
        default_doc="off",
    ),
    Key(
        "registryScanning",
        "object",
        "Registry-wide scanning configuration (see Registry scanning keys).",
        default_doc="unmanaged",
    ),
    Key(
        "replicationRegions",
        "array",
        "Regions to replicate this stack's repositories to (disaster recovery).",
        [],
        check=_regions,
    ),
    Key(
        "pullThroughCache",
        "object",
        "Map of repository prefix -> {upstream, credentialArn}: pull-through cache rules.",
        default_doc="none",
    ),
)

SERVICE_KEYS: tuple[Key, ...] = _REPOSITORY_KEYS + _SERVICE_ONLY_KEYS
"""The keys allowed under `services.<name>`."""

ALERT_KEYS: tuple[Key, ...] = (
    Key(
        "minSeverity",
        "string",
        "Lowest scan-finding severity that alerts: CRITICAL or HIGH.",
        "CRITICAL",
        check=_one_of(*SEVERITIES),
    ),
    Key(
        "emails",
        "array",
        "E-mail addresses subscribed to the alert topic (each confirms by mail).",
        [],
        check=_list_of(_EMAIL, "e-mail addresses", _EMAIL_LIST_MAX),
    ),
    Key(
        "cloudTrailLogGroup",
        "string",
        "CloudWatch log group of the account's CloudTrail: adds an alarm when ECR returns "
        "AccessDenied more than 5 times in 5 minutes.",
        default_doc="none",
        check=_matches(_LOG_GROUP, "a CloudWatch log group name"),
    ),
)

SCANNING_KEYS: tuple[Key, ...] = (
    Key(
        "type",
        "string",
        "BASIC or ENHANCED (Amazon Inspector).",
        "BASIC",
        check=_one_of(*SCAN_TYPES),
    ),
    Key(
        "rules",
        "array",
        "List of {frequency, filters}: frequency SCAN_ON_PUSH, CONTINUOUS_SCAN (ENHANCED) or "
        "MANUAL (BASIC); filters are repository-name wildcards.",
        default_doc='`[{"frequency": "SCAN_ON_PUSH", "filters": ["*"]}]`',
    ),
)

SCANNING_RULE_KEYS: tuple[Key, ...] = (
    Key("frequency", "string", "SCAN_ON_PUSH, CONTINUOUS_SCAN or MANUAL.", "SCAN_ON_PUSH"),
    Key(
        "filters",
        "array",
        "Repository-name wildcards.",
        ["*"],
        check=_list_of(_SCAN_FILTER, "repository-name wildcards such as * or team-*", 100),
    ),
)

PULL_THROUGH_KEYS: tuple[Key, ...] = (
    Key(
        "upstream",
        "string",
        f"Upstream registry: {', '.join(PULL_THROUGH_UPSTREAMS)}.",
        check=_one_of(*PULL_THROUGH_UPSTREAMS),
    ),
    Key(
        "credentialArn",
        "string",
        "Secrets Manager secret (name prefix ecr-pullthroughcache/) for upstreams that need one.",
        default_doc="none",
        check=_matches(
            _SECRET_ARN, "a Secrets Manager ARN of a secret named ecr-pullthroughcache/..."
        ),
    ),
)

_STACK_KEYS_BY_NAME = {k.name: k for k in STACK_KEYS}


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
    """MUTABLE or IMMUTABLE, with `_WITH_EXCLUSION` when there are exclusion filters."""
    scan_on_push: bool
    max_image_count: int
    """Images tagged `v*` to keep."""
    untagged_expiry_days: int
    mutability_exclusions: tuple[str, ...] = ()
    pull_accounts: tuple[str, ...] = ()
    pull_organization_id: str | None = None
    adopt: bool = False
    """Import the existing repository and its companions instead of creating them."""
    force_delete: bool = False


@dataclass(frozen=True)
class AlertSettings:
    min_severity: str
    emails: tuple[str, ...]
    cloudtrail_log_group: str | None


@dataclass(frozen=True)
class ScanningRule:
    frequency: str
    filters: tuple[str, ...]


@dataclass(frozen=True)
class RegistryScanningSettings:
    type: str
    rules: tuple[ScanningRule, ...]


@dataclass(frozen=True)
class PullThroughCacheRule:
    prefix: str
    upstream: str
    credential_arn: str | None


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
    dashboard: bool = True
    alerts: AlertSettings | None = None
    registry_scanning: RegistryScanningSettings | None = None
    replication_regions: tuple[str, ...] = ()
    pull_through_cache: tuple[PullThroughCacheRule, ...] = ()

    @property
    def is_production(self) -> bool:
        """Production stacks protect what holds data and refuse anything that could delete it."""
        return self.environment == PRODUCTION

    def url_parameter_name(self, service: str) -> str:
        return f"{self.ssm_parameter_prefix}/{service}-repository-url"

    def shared_tags(self, name: str) -> dict[str, str]:
        """The seed's governance tags for a resource that belongs to no one service."""
        return {
            "Owner": self.owner,
            "CostCenter": self.cost_center,
            "Environment": self.environment,
            "Lifecycle": self.lifecycle_stage,
            "DataClass": self.data_class,
            "Name": name,
            "Component": "container-registry",
        }

    def tags(self, service: str) -> dict[str, str]:
        """The governance tags of the seed's tag section, for one service's resources."""
        return self.shared_tags(f"ecr-{service}") | {"Service": service}


def _join(path: str, name: str) -> str:
    """`ecr:` + `owner` -> `ecr:owner`; `ecr:services.api` + `scanOnPush` -> `...api.scanOnPush`."""
    return f"{path}{name}" if path.endswith(":") else f"{path}.{name}"


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
    expected = {"string": str, "integer": int, "boolean": bool, "array": list, "object": dict}
    # bool is a subclass of int in Python; `true` is not a number in a config file.
    if isinstance(value, expected[key.type]) and not (
        key.type == "integer" and isinstance(value, bool)
    ):
        return None
    article = "an" if key.type[0] in "aeiou" else "a"
    return f"must be {article} {key.type}" + (" (a map)" if key.type == "object" else "")


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

    def fields(
        self,
        path: str,
        given: Any,
        keys: tuple[Key, ...],
        inherited: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """Validates a map of `keys` at `path`: unknown keys, types and checks. Unset keys take
        `inherited`, then their default. None when `given` is not a map at all."""
        if given is None:
            given = {}
        if not isinstance(given, dict):
            self.add(path, given, "must be a map of " + ", ".join(k.name for k in keys))
            return None
        known = {k.name: k for k in keys}
        for name in sorted(set(given) - set(known)):
            allowed = ", ".join(sorted(known))
            self.add(_join(path, name), given[name], f"unknown key; allowed keys are {allowed}")
        return {
            key.name: (
                self.value(_join(path, key.name), key, given[key.name])
                if key.name in given
                else (inherited or {}).get(key.name, key.default)
            )
            for key in keys
        }


def load_settings(raw: Mapping[str, Any], region: str | None = None) -> StackSettings:
    """Validates the `ecr:` namespace (keys without the prefix, values as the engine passes them).

    `region` is the stack's `aws:region`, which replication must not target. Raises SettingsError
    listing every problem; returns fully resolved settings otherwise.
    """
    problems = _Collector()
    decoded = {
        name: _decode(value, _STACK_KEYS_BY_NAME[name]) if name in _STACK_KEYS_BY_NAME else value
        for name, value in raw.items()
    }
    values = problems.fields(NAMESPACE + ":", decoded, STACK_KEYS) or {}
    if "environment" not in raw:
        problems.problems.append(
            f"{NAMESPACE}:environment is not set: must be one of {', '.join(ENVIRONMENTS)}"
        )
    environment = values["environment"]
    production = environment == PRODUCTION
    if values["imageTagMutability"] is None:
        values["imageTagMutability"] = "IMMUTABLE" if production else "MUTABLE"
    if values["lifecycleStage"] is None:
        values["lifecycleStage"] = "production" if production else (environment or "")
    if region and region in values["replicationRegions"]:
        problems.add(
            f"{NAMESPACE}:replicationRegions",
            values["replicationRegions"],
            f"must not include the stack's own region {region}",
        )

    services = _services(raw, values, production, problems)
    # ECR replication: at most 100 repository filters per rule; we use one filter per service.
    if values["replicationRegions"] and len(services) > 100:
        problems.add(
            f"{NAMESPACE}:replicationRegions",
            values["replicationRegions"],
            f"replication covers at most 100 services per stack; this stack has {len(services)}",
        )

    settings = StackSettings(
        environment=environment,
        owner=values["owner"],
        cost_center=values["costCenter"],
        lifecycle_stage=values["lifecycleStage"],
        data_class=values["dataClass"],
        kms_key_parameter=values["kmsKeyParameter"],
        ssm_parameter_prefix=values["ssmParameterPrefix"],
        services=services,
        dashboard=values["dashboard"],
        alerts=_alerts(values["alerts"], problems),
        registry_scanning=_registry_scanning(values["registryScanning"], problems),
        replication_regions=tuple(values["replicationRegions"]),
        pull_through_cache=_pull_through_cache(values["pullThroughCache"], problems),
    )
    if problems.problems:
        raise SettingsError(problems.problems)
    return settings


def _services(
    raw: Mapping[str, Any], stack: Mapping[str, Any], production: bool, problems: _Collector
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
        service_path = f"{path}.{name}"
        if not _REPOSITORY_NAME.fullmatch(name) or not 2 <= len(name) <= 256:
            problems.add(
                service_path,
                name,
                "service names are ECR repository names: 2-256 lowercase letters, digits and "
                "single . _ - separators, optionally namespaced with /",
            )
        merged = problems.fields(service_path, declared[name], SERVICE_KEYS, stack)
        if merged is None:
            continue
        if production and merged["forceDelete"]:
            problems.add(
                f"{service_path}.forceDelete",
                True,
                "not allowed in prod: a destroy or replacement would delete every image",
            )
        mutability = merged["imageTagMutability"] or "MUTABLE"
        exclusions = tuple(merged["imageTagMutabilityExclusions"])
        services.append(
            RepositorySettings(
                name=name,
                image_tag_mutability=f"{mutability}_WITH_EXCLUSION" if exclusions else mutability,
                scan_on_push=merged["scanOnPush"],
                max_image_count=merged["lifecyclePolicyMaxImageCount"],
                untagged_expiry_days=merged["untaggedImageExpiryDays"],
                mutability_exclusions=exclusions,
                pull_accounts=tuple(merged["pullAccounts"]),
                pull_organization_id=merged["pullOrganizationId"],
                adopt=merged["adopt"],
                force_delete=merged["forceDelete"],
            )
        )
    return tuple(services)


def _alerts(given: Any, problems: _Collector) -> AlertSettings | None:
    if given is None:
        return None
    values = problems.fields(f"{NAMESPACE}:alerts", given, ALERT_KEYS)
    if values is None:
        return None
    return AlertSettings(
        values["minSeverity"], tuple(values["emails"]), values["cloudTrailLogGroup"]
    )


def _registry_scanning(given: Any, problems: _Collector) -> RegistryScanningSettings | None:
    path = f"{NAMESPACE}:registryScanning"
    if given is None:
        return None
    values = problems.fields(path, given, SCANNING_KEYS)
    if values is None:
        return None
    scan_type = values["type"]
    rules_given = values["rules"] if values["rules"] is not None else [{}]
    rules = []
    for index, rule in enumerate(rules_given):
        rule_path = f"{path}.rules[{index}]"
        fields = problems.fields(rule_path, rule, SCANNING_RULE_KEYS)
        if fields is None:
            continue
        allowed = SCAN_FREQUENCIES.get(scan_type, ())
        if fields["frequency"] not in allowed:
            problems.add(
                f"{rule_path}.frequency",
                fields["frequency"],
                f"must be one of {', '.join(allowed)} with type {scan_type}",
            )
        rules.append(ScanningRule(fields["frequency"], tuple(fields["filters"])))
    if not rules_given:
        problems.add(f"{path}.rules", [], "must list at least one rule")
    return RegistryScanningSettings(scan_type, tuple(rules))


def _pull_through_cache(given: Any, problems: _Collector) -> tuple[PullThroughCacheRule, ...]:
    path = f"{NAMESPACE}:pullThroughCache"
    if not given:
        return ()
    rules = []
    for prefix in sorted(given):
        rule_path = f"{path}.{prefix}"
        # ECR: ecrRepositoryPrefix is 2-30 characters of the repository-name alphabet.
        if not _CACHE_PREFIX.fullmatch(prefix) or not 2 <= len(prefix) <= 30:
            problems.add(rule_path, prefix, "prefixes are 2-30 lowercase letters, digits, . _ -")
        fields = problems.fields(rule_path, given[prefix], PULL_THROUGH_KEYS)
        if fields is None:
            continue
        if fields["upstream"] is None:
            problems.add(f"{rule_path}.upstream", None, "is required")
        elif PULL_THROUGH_UPSTREAMS.get(fields["upstream"]) and not fields["credentialArn"]:
            problems.add(
                f"{rule_path}.credentialArn",
                None,
                f"is required for {fields['upstream']}",
            )
        rules.append(PullThroughCacheRule(prefix, fields["upstream"], fields["credentialArn"]))
    return tuple(rules)


def stack_config() -> dict[str, Any]:
    """Every `ecr:*` key the engine passed to this program, with the prefix removed.

    `pulumi.Config` can only look keys up by name; enumerating them is what lets a misspelt key be
    reported instead of silently ignored.
    """
    from pulumi.runtime import config as runtime_config

    passed = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{NAMESPACE}:"
    return {k[len(prefix) :]: v for k, v in passed.items() if k.startswith(prefix)}
