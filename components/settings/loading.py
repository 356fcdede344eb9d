"""Loading: the config the engine passed -> validated, resolved settings, with the checks no
single field can make (cross-field: combinations AWS, the provider or our safety rules refuse), and
the checks of values read at run time.

Every problem is reported at once, one line each, naming the key, the value and what is allowed:
field problems and cross-field problems together (the cross-field checks run on the config without
the values that failed)."""

from __future__ import annotations

import configparser
import copy
import json
import os
import re
from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any, TypeVar

from pydantic import ValidationError

from components import access, limits
from components.config_messages import Formatter, key, show
from components.documents import sent_size, to_json
from components.lifecycle import Retention, lifecycle_policy
from components.settings.extras import issue29_problems
from components.settings.grants import canonical
from components.settings.provider import ProviderSettings
from components.settings.registry import SCAN_FREQUENCIES, PullThroughCacheRule
from components.settings.replication import ReplicationDestination, destination_problems
from components.settings.repository import RepositorySettings, ServiceConfig, iam_policy_name
from components.settings.stack import StackConfig, StackSettings
from components.settings.types import (
    AWS_REGIONS,
    ENVIRONMENTS,
    LIFECYCLE_POLICY_MAX,
    NAMESPACE,
    PRODUCTION,
    SSM_MAX_LEVELS,
    SSM_MAX_NAME,
    needs_credential,
    partition_of,
)
from policy.ecr_guardrails.lifecycle_eval import policy_problems

T = TypeVar("T")
# The longest region name, for the SSM ARN length when the stack's region is not known.
_LONGEST_REGION = max(AWS_REGIONS, key=len)
# Placeholders of the right length for documents measured before the account is known.
_ACCOUNT = "123456789012"


class SettingsError(ValueError):
    """The stack config is invalid; `problems` lists every reason, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid stack config ({len(problems)} problem(s)):\n{lines}")


# --- loading -------------------------------------------------------------------------------------


def load_settings(
    raw: Mapping[str, Any], region: str | None = None, provider: ProviderSettings | None = None
) -> StackSettings:
    """Validates the `ecr:` namespace (keys without the prefix, values as the engine passes them:
    strings, structured values JSON-encoded).

    `region` is the region the provider deploys to (`provider_region`): replication must not
    target it, pull-through secrets must be in it, SSM names are measured with it. `provider` is
    the stack's `aws:` config: when the program creates a provider of its own (managed signing),
    whatever that provider could not take as the aws provider has it is a problem too. Raises
    SettingsError listing every problem (field and cross-field together); returns fully resolved
    settings otherwise.
    """
    decoded = {k: _decode(k, v) for k, v in raw.items()}
    too_deep = [
        f"{NAMESPACE}:{name} nests lists and maps deeper than {MAX_DEPTH} levels: no key of the "
        f"namespace goes deeper than {_DEEPEST} (docs/configuration.md)"
        for name, value in decoded.items()
        if _deeper_than(value, MAX_DEPTH)
    ]
    if too_deep:
        # Refused before validation: copying or validating such a value recurses once a level.
        raise SettingsError(too_deep)
    field_problems: list[str] = []
    failed: set[str] = set()
    try:
        config: StackConfig | None = StackConfig.model_validate(decoded)
    except ValidationError as error:
        field_problems = [_MESSAGES.problem(e) for e in error.errors()]
        failed = {_failed_key(e["loc"]) for e in error.errors()} - {""}
        config = _valid_part(decoded, error)
    if config is None:
        raise SettingsError(field_problems)
    settings = _resolve(config)
    # A combination involving a key that failed on its own says nothing new: leave it out.
    combined = [
        problem
        for problem in [
            *_cross_field_problems(config, settings, region),
            *_partition_problems(config, region),
        ]
        if not any(re.search(rf"\b{re.escape(name)}\b", problem) for name in failed)
    ]
    problems = field_problems + combined + _provider_problems(settings, provider)
    if problems:
        raise SettingsError(problems)
    return settings


def _partition_problems(config: StackConfig, region: str | None) -> list[str]:
    """Replication stays in the stack's partition (aws, aws-cn, aws-us-gov): ECR replicates
    between regions of one partition only."""
    if not region:
        return []
    partition = partition_of(region)
    elsewhere = [r for r in config.replication_regions if partition_of(r) != partition]
    if not elsewhere:
        return []
    return [
        f"{NAMESPACE}:replicationRegions = {show(list(config.replication_regions))}: "
        f"{show(elsewhere)} not in the stack's partition {partition} (region {region}): ECR "
        "replicates only between regions of one partition"
    ]


MAX_DEPTH = 20
"""How deeply a key's value may nest lists and maps (the deepest key needs _DEEPEST)."""
# services.<name>.extraPolicyStatements[i].Condition.<operator>.<key>[j]
_DEEPEST = 6


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether `value` nests lists and maps more than `limit` levels (without recursing)."""
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth >= limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return False


def _provider_problems(settings: StackSettings, provider: ProviderSettings | None) -> list[str]:
    """What stops the aws-native provider that writes the signing configuration from calling
    AWS where and as the aws provider does."""
    if provider is None or not (settings.registry_owner and settings.signing_rules):
        return []
    what = "the registry's signing configuration (ecr:signing, mode managed)"
    local = provider.cloud_control_problem(what)
    return [*([local] if local else []), *provider.problems]


_DROPPED = object()


def _failed_key(loc: tuple[int | str, ...]) -> str:
    """The innermost key named in an error location (`expireTaggedAfterDays`)."""
    return next((str(p) for p in reversed(loc) if isinstance(p, str) and p != "[key]"), "")


def _valid_part(decoded: dict[str, Any], error: ValidationError) -> StackConfig | None:
    """The config without the values that failed (defaults in their place), so that the
    cross-field checks still run and every problem is reported at once; None when what failed
    has no default (a required key)."""
    data = copy.deepcopy(decoded)
    for _ in range(4):
        for problem in error.errors():
            _drop(data, problem["loc"], missing=problem["type"] == "missing")
        data = _without_dropped(data)
        try:
            return StackConfig.model_validate(data)
        except ValidationError as again:
            error = again
    return None


def _drop(data: Any, loc: tuple[int | str, ...], missing: bool) -> None:
    """Marks the value at `loc` (for a missing key: its parent) to be removed."""
    parts = [part for part in loc if part != "[key]"]
    if missing:
        parts = parts[:-1]
    if not parts:
        return
    node = data
    for part in parts[:-1]:
        if not _holds(node, part):
            return
        node = node[part]
    if _holds(node, parts[-1]):
        node[parts[-1]] = _DROPPED


def _holds(node: Any, part: int | str) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and part < len(node)


def _without_dropped(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_dropped(v) for k, v in value.items() if v is not _DROPPED}
    if isinstance(value, list):
        return [_without_dropped(v) for v in value if v is not _DROPPED]
    return value


def provider_region(configured: str | None) -> str | None:
    """The region the AWS provider deploys to: `aws:region`, else (as the AWS SDKs resolve it)
    AWS_REGION, AWS_DEFAULT_REGION, then the profile's `region` in the shared config file."""
    if configured:
        return configured
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if os.environ.get(variable):
            return os.environ[variable]
    profile = os.environ.get("AWS_PROFILE") or "default"
    path = os.environ.get("AWS_CONFIG_FILE") or os.path.expanduser("~/.aws/config")
    parser = configparser.ConfigParser()
    try:
        parser.read(path)
    except (OSError, configparser.Error):
        return None
    section = profile if profile == "default" else f"profile {profile}"
    return parser.get(section, "region", fallback=None)


_MESSAGES = Formatter(
    StackConfig,
    NAMESPACE,
    missing={
        ("environment",): f"is not set: must be one of {', '.join(ENVIRONMENTS)}",
        ("services",): f"has no services: add at least one, e.g. `{NAMESPACE}:services: "
        "{fileflow: {}}`",
    },
)
_KEYS = {field.alias for field in StackConfig.model_fields.values()}
# Keys whose values are strings; the engine JSON-encodes the others.
_STRING_KEYS = {
    name
    for name, schema in StackConfig.model_json_schema(by_alias=True)["properties"].items()
    if {option.get("type") for option in schema.get("anyOf", [schema])} <= {"string", "null"}
}


def _decode(name: str, value: Any) -> Any:
    """Undecodable values are passed on as they are, and the type check names them."""
    if not isinstance(value, str) or name in _STRING_KEYS or name not in _KEYS:
        return value
    try:
        return json.loads(value)
    except (ValueError, RecursionError):  # bad JSON, a number over 4,300 digits, deep nesting
        return value


def _service(
    config: StackConfig, name: str, given: ServiceConfig | None, stack_mutability: str
) -> RepositorySettings:
    """One service's settings, its own keys over the stack's."""
    service = given or ServiceConfig()
    mutability = service.image_tag_mutability or stack_mutability
    exclusions = tuple(service.image_tag_mutability_exclusions)
    return RepositorySettings(
        name=name,
        image_tag_mutability=f"{mutability}_WITH_EXCLUSION" if exclusions else mutability,
        scan_on_push=_first(service.scan_on_push, config.scan_on_push),
        retention=_retention(config, service, signed=config.signing is not None),
        mutability_exclusions=exclusions,
        pull_accounts=tuple(service.pull_accounts),
        pull_organization_id=service.pull_organization_id,
        lambda_pull_functions=tuple(service.lambda_pull_functions),
        extra_statements=tuple(canonical(s) for s in service.extra_policy_statements),
        adopt=service.adopt,
        force_delete=service.force_delete,
    )


def _resolve(config: StackConfig) -> StackSettings:
    production = config.environment == PRODUCTION
    stack_mutability = config.image_tag_mutability or ("IMMUTABLE" if production else "MUTABLE")
    services = [
        _service(config, name, given, stack_mutability)
        for name, given in sorted(config.services.items())
    ]
    return StackSettings(
        environment=config.environment,
        owner=config.owner,
        cost_center=config.cost_center,
        lifecycle_stage=config.lifecycle_stage
        or ("production" if production else config.environment),
        data_class=config.data_class,
        kms_key_parameter=config.kms_key_parameter,
        ssm_parameter_prefix=config.ssm_parameter_prefix,
        services=tuple(services),
        dashboard=config.dashboard,
        alerts=config.alerts,
        registry_owner=config.registry_owner is not False,
        registry_scanning=config.registry_scanning,
        replication_regions=tuple(config.replication_regions),
        replication_destinations=tuple(
            ReplicationDestination(d.region, d.account, d.role_arn)
            for d in config.replication_destinations
        ),
        pull_through_cache=tuple(
            PullThroughCacheRule(
                prefix,
                rule.upstream,
                rule.credential_arn,
                rule.custom_role_arn,
                rule.upstream_repository_prefix,
            )
            for prefix, rule in sorted(config.pull_through_cache.items())
        ),
        cache_floating_tags=tuple(config.cache_floating_tags),
        dual_stack_url_parameters=config.dual_stack_url_parameters,
        blob_mounting=config.blob_mounting,
        registry_policy_scope=config.registry_policy_scope,
        pull_time_exclusions=tuple(config.pull_time_exclusions),
        create_on_push_prefixes=tuple(config.create_on_push_prefixes),
        replication_kms_key_id=config.replication_kms_key_id,
        signing_profile_name=(
            (config.signing.profile_name or f"ecr_{config.environment}")
            if config.signing and not config.signing.profile_arn
            else None
        ),
        signing_validity_years=config.signing.validity_years if config.signing else 5,
        signing_mode=config.signing.mode if config.signing else None,
        signing_profile_arn=config.signing.profile_arn if config.signing else None,
        signing_rules=_signing_rules(config),
        stack_retention=_retention(config, ServiceConfig(), signed=config.signing is not None),
        stack_mutability=stack_mutability,
    )


def signing_filters(services: list[str], extra: list[str]) -> list[str]:
    """The repository filters of the registry's signing rules: the extra wildcards, then each
    service not already matched by one of them (a WILDCARD_MATCH filter without * is the exact
    name; * matches any characters, / included, as fnmatch's does)."""
    return [*extra, *(s for s in sorted(services) if not any(fnmatchcase(s, f) for f in extra))]


def _signing_rules(config: StackConfig) -> tuple[tuple[str, ...], ...]:
    """The filters split into rules of at most SIGNING_FILTERS each (more than SIGNING_RULES
    rules is refused by `_cross_field_problems`)."""
    signing = config.signing
    if signing is None or signing.mode != "managed" or signing.profile_arn:
        return ()
    filters = signing_filters(list(config.services), list(signing.repository_filters))
    size = limits.SIGNING_FILTERS.max or 1
    return tuple(tuple(filters[i : i + size]) for i in range(0, len(filters), size))


def _retention(stack: StackConfig, service: ServiceConfig, signed: bool = False) -> Retention:
    """The stack's retention keys with the service's overrides (a list replaces the stack's).
    With signing, untagged images are not expired: signatures are untagged artifacts, and ECR's
    lifecycle rules cannot tell them from untagged images."""
    return Retention(
        expire_untagged=not signed,
        keep_release_images=_first(
            service.lifecycle_policy_max_image_count, stack.lifecycle_policy_max_image_count
        ),
        untagged_expiry_days=_first(
            service.untagged_image_expiry_days, stack.untagged_image_expiry_days
        ),
        protected_tags=tuple(_first(service.protected_tags, stack.protected_tags)),
        expire_tagged_after_days=_first(
            service.expire_tagged_after_days, stack.expire_tagged_after_days
        ),
        expire_tagged_patterns=tuple(
            _first(service.expire_tagged_patterns, stack.expire_tagged_patterns)
        ),
        archive_after_days=_first(service.archive_after_days, stack.archive_after_days),
        release_patterns=tuple(_first(service.release_tag_patterns, stack.release_tag_patterns)),
        archive_old_releases=_first(service.archive_old_releases, stack.archive_old_releases),
        expire_archived_after_days=_first(
            service.expire_archived_after_days, stack.expire_archived_after_days
        ),
        extra_rules=tuple(_first(service.extra_lifecycle_rules, stack.extra_lifecycle_rules)),
    )


def _first(override: T | None, default: T) -> T:
    return default if override is None else override


def _cross_field_problems(
    config: StackConfig, settings: StackSettings, region: str | None
) -> list[str]:
    """What no single field can say: combinations AWS, the provider or our safety rules refuse."""
    problems = []
    if settings.is_production and config.image_tag_mutability == "MUTABLE":
        problems.append(
            _problem(
                "imageTagMutability",
                "MUTABLE",
                "not allowed in prod: released tags must not move; exempt named tags with "
                "services.<name>.imageTagMutabilityExclusions instead",
            )
        )
    problems += _services_problems(config, settings, region)
    problems += _ownership_problems(config)
    problems += _replication_problems(config, region)
    problems += _scanning_problems(config)
    problems += _cache_problems(config, region)
    problems += _signing_problems(config, settings)
    problems += _template_problems(config, settings, region)
    problems += issue29_problems(config, settings, region)
    return problems


def _problem(path: str, value: Any, allowed: str) -> str:
    return f"{NAMESPACE}:{path} = {show(value)}: {allowed}"


def _services_problems(
    config: StackConfig, settings: StackSettings, region: str | None
) -> list[str]:
    """Each service's combinations, and two services whose IAM policies would share a name."""
    problems: list[str] = []
    policy_names: dict[str, str] = {}
    resolved = {s.name: s for s in settings.services}
    for name, given in sorted(config.services.items()):
        path = f"services.{key(name)}"
        service = given or ServiceConfig()
        problems += _service_flag_problems(path, service, settings.is_production)
        policy = iam_policy_name(name, "push")
        if policy in policy_names:
            problems.append(
                _problem(
                    path,
                    name,
                    f"its IAM policies would be named like those of {policy_names[policy]} "
                    f"({policy}): rename one of them",
                )
            )
        policy_names.setdefault(policy, name)
        problems += _retention_problems(path, resolved[name].retention)
        problems += _service_size_problems(path, service, resolved[name], settings, region)
    return problems


def _service_flag_problems(path: str, service: ServiceConfig, production: bool) -> list[str]:
    problems = []
    if production and service.image_tag_mutability == "MUTABLE":
        problems.append(
            _problem(
                f"{path}.imageTagMutability",
                "MUTABLE",
                "not allowed in prod: exempt named tags with imageTagMutabilityExclusions instead",
            )
        )
    if production and service.force_delete:
        problems.append(
            _problem(
                f"{path}.forceDelete",
                True,
                "not allowed in prod: a destroy or replacement would delete every image",
            )
        )
    if service.adopt and service.force_delete:
        # The provider never reads force_delete back from AWS, so an import with it set
        # differs from the real resource and fails.
        problems.append(
            _problem(f"{path}.forceDelete", True, "not allowed with adopt: the import would fail")
        )
    return problems


def _service_size_problems(
    path: str,
    service: ServiceConfig,
    resolved: RepositorySettings,
    settings: StackSettings,
    region: str | None,
) -> list[str]:
    """What AWS measures: the URL parameter's name as an ARN, the repository policy's size."""
    problems = []
    parameter = settings.url_parameter_name(resolved.name)
    where = f"{partition_of(region) if region else 'aws-us-gov'}:ssm:{region or _LONGEST_REGION}"
    arn = f"arn:{where}:{_ACCOUNT}:parameter/{parameter[1:]}"
    if parameter.count("/") > SSM_MAX_LEVELS or len(arn) > SSM_MAX_NAME:
        problems.append(
            _problem(
                path,
                resolved.name,
                f"its URL parameter {parameter} exceeds SSM's {SSM_MAX_LEVELS} levels or "
                f"{SSM_MAX_NAME} characters counted as the parameter's ARN ({len(arn)}): "
                "shorten ssmParameterPrefix or the name",
            )
        )
    document = access.repository_policy(
        _ACCOUNT,
        resolved.pull_accounts,
        resolved.pull_organization_id,
        lambda_functions=resolved.lambda_pull_functions,
        extra_statements=resolved.policy_statements,
    )
    size = sent_size(document)
    if size > (limits.REPOSITORY_POLICY.max or 0):
        problems.append(
            _problem(
                f"{path}.pullAccounts",
                list(service.pull_accounts),
                f"the repository policy would be {size:,} characters; "
                f"{limits.REPOSITORY_POLICY.rule}: grant an organisation with "
                "pullOrganizationId instead"
                + (
                    " (lambdaPullFunctions and extraPolicyStatements count too)"
                    if service.lambda_pull_functions or service.extra_policy_statements
                    else ""
                ),
            )
        )
    return problems


def _replication_problems(config: StackConfig, region: str | None) -> list[str]:
    """The KMS key parameter's depth, and where and how much the registry replicates."""
    problems = []
    if config.kms_key_parameter.count("/") > SSM_MAX_LEVELS:
        problems.append(
            _problem(
                "kmsKeyParameter", config.kms_key_parameter, f"SSM allows {SSM_MAX_LEVELS} levels"
            )
        )
    if region and region in config.replication_regions:
        problems.append(
            _problem(
                "replicationRegions",
                config.replication_regions,
                f"must not include the stack's own region {region}",
            )
        )
    # One replication rule, one repository filter per service.
    filters = limits.REPLICATION_FILTERS.max or 0
    if config.replication_regions and len(config.services) > filters:
        problems.append(
            _problem(
                "replicationRegions",
                config.replication_regions,
                f"replication covers at most {filters} services per stack ("
                f"{limits.REPLICATION_FILTERS.rule}); this stack has {len(config.services)}",
            )
        )
    problems += destination_problems(
        config.replication_destinations,
        config.replication_accounts,
        config.replication_regions,
        len(config.services),
        region,
    )
    return problems


def _scanning_problems(config: StackConfig) -> list[str]:
    """Registry scanning rules: a frequency the scan type offers, and no rule twice."""
    if config.registry_scanning is None:
        return []
    problems = []
    scan_type = config.registry_scanning.type
    allowed = SCAN_FREQUENCIES[scan_type]
    seen: set[tuple[str, frozenset[str]]] = set()
    for index, rule in enumerate(config.registry_scanning.rules):
        if rule.frequency not in allowed:
            problems.append(
                _problem(
                    f"registryScanning.rules[{index}].frequency",
                    rule.frequency,
                    f"must be one of {', '.join(allowed)} with type {scan_type}",
                )
            )
        # The provider keeps rules (and their filters) as sets: equal rules collapse into one,
        # and every preview would then show a change that never settles.
        same = (rule.frequency, frozenset(rule.filters))
        if same in seen:
            problems.append(
                _problem(
                    f"registryScanning.rules[{index}]",
                    rule.model_dump(by_alias=True),
                    "repeats an earlier rule (same frequency and filters): remove it",
                )
            )
        seen.add(same)
    return problems


def _cache_problems(config: StackConfig, region: str | None) -> list[str]:
    """Pull-through cache rules: the credential an upstream needs, in the stack's region."""
    problems = []
    for prefix, cache in sorted(config.pull_through_cache.items()):
        path = f"pullThroughCache.{key(prefix)}.credentialArn"
        if needs_credential(cache.upstream) and not cache.credential_arn:
            problems.append(_problem(path, None, f"is required for {cache.upstream}"))
        secret_region = cache.credential_arn.split(":")[3] if cache.credential_arn else None
        if secret_region and region and secret_region != region:
            problems.append(
                _problem(
                    path,
                    cache.credential_arn,
                    f"the secret must be in the stack's region {region} (ECR reads it from the "
                    "rule's own region and account)",
                )
            )
    return problems


def _signing_problems(config: StackConfig, settings: StackSettings) -> list[str]:
    """Managed signing's registry-wide configuration: written by one stack, within ECR's limits."""
    signing = config.signing
    if signing is None:
        return []
    problems = []
    path = f"{NAMESPACE}:signing"
    if signing.profile_arn and signing.profile_name:
        problems.append(
            f"{path}.profileArn = {show(signing.profile_arn)}: not with profileName "
            f"({show(signing.profile_name)}): use the other stack's profile or create one here"
        )
    if signing.profile_arn and "validity_years" in signing.model_fields_set:
        problems.append(
            f"{path}.validityYears = {show(signing.validity_years)}: not with profileArn: the "
            "profile's owner sets its validity"
        )
    if signing.repository_filters and (signing.mode != "managed" or signing.profile_arn):
        problems.append(
            f"{path}.repositoryFilters = {show(list(signing.repository_filters))}: only for the "
            "stack that writes the registry's signing configuration (mode managed, no profileArn)"
        )
    if settings.signing_rules and config.registry_owner is None:
        # PutSigningConfiguration replaces the registry's whole configuration, and a destroy
        # deletes it: two stacks of one account writing it would undo each other silently.
        problems.append(
            f"{path} = {show(signing.model_dump(by_alias=True, exclude_defaults=True))}: managed "
            "signing writes the account's one registry signing configuration, so this stack "
            f"must be declared its owner: set `{NAMESPACE}:registryOwner: true` here (and "
            "`false` in every other stack of the account and region), or sign with the owner's "
            "profile (signing.profileArn) or with mode notation"
        )
    # ECR names any repository for itself, but a signing filter takes single separators only.
    filter_pattern = re.compile(limits.SIGNING_FILTER.pattern or "")
    for service in sorted(
        {f for rule in settings.signing_rules for f in rule} & set(config.services)
    ):
        if not filter_pattern.fullmatch(service):
            problems.append(
                f"{NAMESPACE}:services.{key(service)}: managed signing names each service in a "
                "signing rule's repository filter, and ECR's filters (PutSigningConfiguration "
                "SigningRepositoryFilterValue) take only single . _ - between letters and digits, "
                "not __ or --: cover it with a wildcard in signing.repositoryFilters (e.g. "
                f"{show(_wildcard(service))}), or sign with mode notation"
            )
    rules = settings.signing_rules
    if len(rules) > (limits.SIGNING_RULES.max or 0):
        count = sum(len(rule) for rule in rules)
        problems.append(
            f"{path}.repositoryFilters = {show(list(signing.repository_filters))}: {count} "
            f"repository filters (the wildcards and the services they do not match) need "
            f"{len(rules)} signing rules; {limits.SIGNING_RULES.rule}, "
            f"{limits.SIGNING_FILTERS.rule}: cover services with wildcards such as team-a/*"
        )
    return problems


def _wildcard(name: str) -> str:
    """A signing filter that matches `name`: each `__` or run of `-` becomes `_*` or `-*`."""
    return re.sub(r"__|-{2,}", lambda m: m.group()[0] + "*", name)


# The keys that make registry-wide resources: only the account's and region's owner stack may
# set them (two stacks managing them overwrite each other on every update).
_REGISTRY_WIDE_KEYS = (
    "registry_scanning",
    "replication_regions",
    "replication_destinations",
    "replication_kms_key_id",
    "pull_through_cache",
    "create_on_push_prefixes",
    "pull_time_exclusions",
    "cache_floating_tags",
    "blob_mounting",
    "registry_policy_scope",
)


def _ownership_problems(config: StackConfig) -> list[str]:
    if config.registry_owner is not False:
        return []
    fields = StackConfig.model_fields
    named = [
        f"{NAMESPACE}:{fields[name].alias}"
        for name in _REGISTRY_WIDE_KEYS
        if getattr(config, name) not in (None, [], {})
    ]
    signing = config.signing
    if signing is not None and signing.mode == "managed" and not signing.profile_arn:
        # Managed signing without the owner's profile writes the registry's signing configuration.
        named.append(f"{NAMESPACE}:signing (managed, without profileArn)")
    if not named:
        return []
    return [
        f"{NAMESPACE}:registryOwner = false: this stack does not manage the registry-wide "
        f"settings, so it must not set {', '.join(named)}: set them in the stack that owns the "
        "account's registry (registryOwner: true), or make this stack the owner"
    ]


def _template_problems(
    config: StackConfig, settings: StackSettings, region: str | None
) -> list[str]:
    """What the repository creation templates need: one template per namespace, their role's
    policy within IAM's limit, and the stack-level retention they apply."""
    problems: list[str] = []
    namespaces: dict[str, str] = {}
    for index, prefix in enumerate(config.create_on_push_prefixes):
        namespace = prefix.rstrip("/")
        if namespace in namespaces:
            problems.append(
                f"{NAMESPACE}:createOnPushPrefixes[{index}] = {show(prefix)}: the same namespace "
                f"as {show(namespaces[namespace])}: ECR treats a prefix with and without a "
                "trailing / as one template"
            )
        namespaces.setdefault(namespace, prefix)
    scope = [*config.create_on_push_prefixes, *config.pull_through_cache]
    if config.replication_regions:
        scope += [s.name for s in settings.services]
    if not scope:
        return problems
    problems += _retention_problems("", settings.stack_retention)
    # The role's repository scope goes to managed policies when the inline policy cannot hold it.
    groups = access.template_scopes(scope, key_count=1 + len(config.replication_regions))
    if len(groups) > 1 and len(groups) > (limits.IAM_ATTACHED_POLICIES.max or 0):
        problems.append(
            f"{NAMESPACE}:createOnPushPrefixes = {show(list(config.create_on_push_prefixes))}: "
            f"the creation templates' role would need {len(groups)} managed policies for "
            f"{len(scope)} prefixes and replicated services; {limits.IAM_ATTACHED_POLICIES.rule}"
            ": use fewer or shorter prefixes (a shared parent prefix covers its children)"
        )
    return problems


def _retention_problems(path: str, retention: Retention) -> list[str]:
    """Retention combinations ECR would reject or that would silently do nothing (`path`: the
    service's keys, or "" for the stack's)."""
    found = []
    path = f"{path}." if path else ""
    days, patterns = retention.expire_tagged_after_days, retention.expire_tagged_patterns
    if (days is None) != (not patterns):
        found.append(
            f"{NAMESPACE}:{path}expireTaggedPatterns = {show(list(patterns))}: "
            "expireTaggedAfterDays and expireTaggedPatterns go together: set both or neither "
            f"(expireTaggedAfterDays = {show(days)})"
        )
    both = sorted(set(patterns) & set(retention.protected_tags))
    if both:
        found.append(
            f"{NAMESPACE}:{path}expireTaggedPatterns = {show(list(patterns))}: {show(both)} "
            "also in protectedTags; a pattern cannot be both protected and expired"
        )
    releases = list(retention.release_patterns)
    protected_releases = sorted(set(releases) & set(retention.protected_tags))
    if protected_releases:
        found.append(
            f"{NAMESPACE}:{path}releaseTagPatterns = {show(releases)}: {show(protected_releases)} "
            "also in protectedTags, so its keep-the-newest rule could never act (the protect "
            "rule comes first); drop it from one of the lists"
        )
    expired_releases = sorted(set(patterns) & set(releases))
    if expired_releases:
        found.append(
            f"{NAMESPACE}:{path}expireTaggedPatterns = {show(list(patterns))}: "
            f"{show(expired_releases)} is a release pattern (releaseTagPatterns), so its expire "
            "rule could never act (the release rule comes first); drop it from one of the lists"
        )
    found += _extra_rule_problems(path, retention)
    size = len(to_json(lifecycle_policy(retention)))
    if size > LIFECYCLE_POLICY_MAX:
        found.append(
            f"{NAMESPACE}:{path}protectedTags = {show(list(retention.protected_tags))}: the "
            f"lifecycle policy would be {size} characters; ECR allows {LIFECYCLE_POLICY_MAX}"
        )
    return found


def _extra_rule_problems(path: str, retention: Retention) -> list[str]:
    """The team's own rules: each in ECR's grammar on its own, then in the policy they join (a
    second untagged rule, a prefix twice), and none unreachable behind one of ours."""
    found = []
    key = f"{NAMESPACE}:{path}extraLifecycleRules"
    for index, extra in enumerate(retention.extra_rules):
        name = f"{key}[{index}] ({extra.description})"
        for problem in policy_problems({"rules": [extra.rule(1)]}):
            found.append(f"{name}: {problem.split(': ', 1)[-1]}")
        standard = extra.storage_class == "standard"
        if extra.tag_status == "untagged" and not retention.expire_untagged:
            found.append(
                f"{name}: tagStatus untagged is refused with image signing: signatures are "
                "untagged artifacts, and the rule would delete those of images that stay"
            )
        if extra.tag_status == "any" and standard and retention.archive_after_days is not None:
            found.append(
                f"{name}: tagStatus any in standard storage could never act: the archiveAfterDays "
                "rule (also any) comes first and sees every image"
            )
        if extra.tag_status == "any" and not standard and retention.expire_archived_after_days:
            found.append(
                f"{name}: tagStatus any in archive storage would make the expireArchivedAfterDays "
                "rule unreachable; use one or the other"
            )
    if found or not retention.extra_rules:
        return found
    return [f"{key}: {p}" for p in policy_problems(lifecycle_policy(retention))]


# --- the config the engine passed -----------------------------------------------------------------


def stack_config() -> dict[str, Any]:
    """Every `ecr:*` key the engine passed to this program, with the prefix removed.

    `pulumi.Config` can only look keys up by name; enumerating them is what lets a misspelt key be
    reported instead of silently ignored.
    """
    from pulumi.runtime import config as runtime_config

    passed = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{NAMESPACE}:"
    return {k[len(prefix) :]: v for k, v in passed.items() if k.startswith(prefix)}


# --- values read at run time ---------------------------------------------------------------------


def credential_account_problem(prefix: str, credential_arn: str, account: str) -> str | None:
    """Why a pull-through cache rule's secret cannot be used from `account` (None if it can):
    ECR reads the secret in the rule's own account and region, and the account is only known
    once the program runs."""
    if credential_arn.split(":")[4] == account:
        return None
    return (
        f"{NAMESPACE}:pullThroughCache.{key(prefix)}.credentialArn = {show(credential_arn)}: the "
        f"secret must be in this stack's account {account} (ECR reads it from the rule's own "
        "account and region); nothing was changed"
    )


_KMS_KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:([a-z0-9-]+):([0-9]{12}):key/[A-Za-z0-9-]+")


def kms_key_arn_problem(parameter: str, value: str, region: str, account: str) -> str | None:
    """Why the key ARN read from SSM cannot encrypt this stack's repositories (None if it can).

    The repository's encryption configuration is ForceNew: an alias, a bare key id or a key of
    another region or account would differ from what AWS stores and plan a replacement of every
    repository, deleting its images. So only the full ARN of a key in the stack's own region and
    account is accepted; key material changes by rotation, which keeps the ARN.
    """
    match = _KMS_KEY_ARN.fullmatch(value)
    if match and match.groups() == (region, account):
        return None
    return (
        f"SSM parameter {parameter} holds {show(value)}: it must hold the full ARN of a KMS key "
        f"in this stack's region and account (arn:aws:kms:{region}:{account}:key/<id>). An "
        "alias, key id or key elsewhere would replace every repository and delete its images; "
        "nothing was changed. Put the key's ARN in the parameter (rotate the key to change its "
        "material: the ARN stays)."
    )
