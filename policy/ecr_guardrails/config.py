"""Policy config: the tunables, their JSON schemas, one strict validation of a whole config, the
pack-wide settings (what production is, how long an exemption may run) and exemptions.

One table (`SETTINGS_OF`) says which settings each policy takes; the CLI checks a policy's config
against the schema built from it before the pack runs. The CLI's schema check cannot refuse an
unknown key (the Analyzer protocol carries only a policy's `properties` and `required`, and the CLI
builds an open object around them), so the pack refuses unknown keys itself, as do the tools:
`config_problems` validates a whole config file, `policy_config_problems` one policy's config.
A misspelled key is never ignored: the grant it was meant to restrict would pass.
"""

from __future__ import annotations

import datetime
import fnmatch
import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema
from pulumi_policy import PolicyConfigSchema

from .patterns import name_globs_cover_every_name

PACK_SETTINGS = "ecr-pack-settings"
"""The policy whose config holds the pack-wide settings (production, exemption horizon, the one
account allowlist, the release tags production lifecycle rules keep)."""
LEVELS = ("advisory", "mandatory", "remediate", "disabled")

DEFAULTS: dict[str, Any] = {
    "productionStacks": ["prod", "prod-*", "prod_*", "production*", "prd", "prd-*"],
    "productionEnvironments": ["prod", "production", "prd"],
    "maxExemptionDays": 365,
    "allowedExclusionFilters": [],
    "requiredTags": ["Owner", "CostCenter", "Environment", "Lifecycle", "DataClass", "Service"],
    "allowedEnvironments": ["dev", "staging", "prod"],
    "allowedAccounts": [],
    "allowedOrganizations": [],
    "releaseTagPatterns": ["v*"],
    "protectedTags": [],
    "minReleaseImagesKept": 10,
    "minReleaseAgeDays": 90,
    "allowedKmsKeys": [],
    "exemptions": [],
    "centralSigning": False,
    "owners": [],
    "externalReplicationTemplates": [],
}

DESCRIPTIONS = {
    "productionStacks": "Globs over stack names (case-insensitive) that mean production. A stack "
    "is production when its name matches one, or its Environment tag (the stack's or the "
    "resource's) is one of productionEnvironments. Never empty.",
    "productionEnvironments": "Environment tag values (case-insensitive) that mean production, on "
    "a resource or on the stack. Never empty.",
    "maxExemptionDays": "How far ahead an exemption's expiry may lie, in days (default a year).",
    "allowedExclusionFilters": "Tag-mutability exclusion filters allowed in production "
    "(e.g. `latest`); everything else must be immutable.",
    "requiredTags": "Tags every ECR repository must carry, non-empty.",
    "allowedEnvironments": "Values the Environment tag may take.",
    "allowedAccounts": "12-digit account ids every policy that judges an account accepts: "
    "principals of repository, registry, creation-template and ECR Public policies, replication "
    "destinations, accounts a role with ECR writes trusts, and the registry owners. The stack's "
    "own account (its provider's `aws:allowedAccountIds`, when that names exactly one) is "
    "always allowed. Empty: only that account; any other account, or one the pack cannot tell, "
    "fails.",
    "allowedOrganizations": "AWS Organization ids (o-...) that may be granted access (or, for a "
    "role with ECR writes, trusted) through an aws:PrincipalOrgID (or aws:PrincipalOrgPaths) "
    "condition on a `*` principal. Empty: no organisation grants.",
    "releaseTagPatterns": "Tag patterns of release images (lifecycle `*` wildcards; the program's "
    "own default is `v*`). In production no lifecycle rule may expire or archive images carrying "
    "such a tag except after keeping minReleaseImagesKept of them or after minReleaseAgeDays.",
    "protectedTags": "Tags (or patterns) protected like release tags in production lifecycle "
    "policies.",
    "minReleaseImagesKept": "In production, the fewest release images a lifecycle rule that can "
    "select them must keep (imageCountMoreThan), unless it acts only after minReleaseAgeDays.",
    "minReleaseAgeDays": "In production, the fewest days after which a lifecycle rule may expire "
    "or archive release images (sinceImagePushed, sinceImagePulled, sinceImageTransitioned).",
    "allowedKmsKeys": "ARNs of the customer-managed KMS keys repositories may use. Empty: any "
    "customer-managed key.",
    "centralSigning": "The organisation's ECR signing configuration is managed outside this "
    "stack (another stack or account signs every repository): production stacks need no "
    "signing of their own, and every push grant needs signer:SignPayload.",
    "owners": "The stacks that own each registry's registry-wide settings (registry policy and "
    "scanning, replication, pull-through cache rules, creation templates, pull-time exclusions, "
    "account settings, signing): [{account: 12-digit id or `*`, region: e.g. ap-northeast-2 or "
    "`*`, stacks: [globs over stack names]}]. The most specific entry for an account and region "
    "decides (an account or region named beats `*`). Empty: no owner is enforced, and each stack "
    "with registry-wide settings gets an advisory note saying which it manages.",
    "externalReplicationTemplates": "Registries outside the stack whose own stack keeps a ROOT "
    "REPLICATION creation template, which the pack cannot see: [{account: 12-digit id, region}]. "
    "Replication to one of them counts as covered (a destination whose registry policy and "
    "template its own stack writes). Empty: every destination needs a template in the stack.",
    "exemptions": "Time-boxed exceptions: [{repository: glob over the repository name, narrower "
    'than `*`; stacks: globs over stack names (`["*"]` for every stack, said explicitly); '
    "reason; expires: YYYY-MM-DD, at most maxExemptionDays ahead}]. An exempted resource passes "
    "with an advisory note; an expired exemption no longer applies.",
}

# Which settings each policy takes (every policy but the notes also takes `exemptions`).
SETTINGS_OF: dict[str, tuple[str, ...]] = {
    PACK_SETTINGS: (
        "productionStacks",
        "productionEnvironments",
        "maxExemptionDays",
        "allowedAccounts",
        "allowedOrganizations",
        "releaseTagPatterns",
        "protectedTags",
        "minReleaseImagesKept",
        "minReleaseAgeDays",
    ),
    "ecr-repository-require-kms-cmk": ("allowedKmsKeys",),
    "ecr-repository-immutable-tags-in-production": ("allowedExclusionFilters",),
    "ecr-repository-required-tags": ("requiredTags", "allowedEnvironments"),
    "ecr-stack-production-signing-profile": ("centralSigning",),
    "ecr-stack-signing-push-permission": ("centralSigning",),
    "ecr-stack-registry-owner": ("owners",),
    "ecr-stack-created-repositories-covered-by-templates": ("externalReplicationTemplates",),
}
# Exemptions name repositories; these policies judge none.
NO_EXEMPTIONS = (
    PACK_SETTINGS,
    "ecr-exemption-notes",
    "ecr-stack-exemption-notes",
    "ecr-stack-registry-owner",
)
# Settings that moved: a config still naming them is told where they went.
MOVED = {
    "prodEnvironments": f"{PACK_SETTINGS}.productionEnvironments (production is defined once "
    "for the whole pack)",
    "allowedAccounts": f"{PACK_SETTINGS}.allowedAccounts (pack 3.0: one allowlist for every "
    "policy that judges an account)",
    "allowedOrganizations": f"{PACK_SETTINGS}.allowedOrganizations (pack 3.0: one allowlist for "
    "every policy that judges an account)",
}

ITEM_PATTERNS = {
    "allowedAccounts": r"^[0-9]{12}$",
    "allowedOrganizations": r"^o-[a-z0-9]{10,32}$",
    "allowedKmsKeys": r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$",
}
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# A repository glob with a literal character outside wildcards and [...] classes: `legacy/*`,
# never `*`, `?*` or `[a-z]*` (ECR names start with a letter or digit, so that is every one).
_NARROW = r"^(?:[*?]|\[[^\]]*\])*[^*?\[\]]"
EXEMPTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "repository": {"type": "string", "minLength": 1, "pattern": _NARROW},
        "stacks": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "minItems": 1,
            "uniqueItems": True,
        },
        "reason": {"type": "string", "minLength": 1, "pattern": r"\S"},
        "expires": {"type": "string", "pattern": _DATE},
    },
    "required": ["repository", "stacks", "reason", "expires"],
    "additionalProperties": False,
}
OWNER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "account": {"type": "string", "pattern": r"^(?:[0-9]{12}|\*)$"},
        # ECR's region names (botocore's endpoints: e.g. ap-northeast-2, us-gov-west-1)
        "region": {"type": "string", "pattern": r"^(?:[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}|\*)$"},
        "stacks": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "minItems": 1,
            "uniqueItems": True,
        },
    },
    "required": ["account", "region", "stacks"],
    "additionalProperties": False,
}


EXTERNAL_TEMPLATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "account": {"type": "string", "pattern": r"^[0-9]{12}$"},
        "region": {"type": "string", "pattern": r"^[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}$"},
    },
    "required": ["account", "region"],
    "additionalProperties": False,
}


class PolicyConfigError(ValueError):
    """Policy config the pack refuses: names the policy, the key, the value, what is allowed."""


_INTEGERS = {
    "maxExemptionDays": (1, 1096),
    "minReleaseImagesKept": (1, 10000),  # ECR's imageCountMoreThan limit
    "minReleaseAgeDays": (1, 3650),
}


def _property_schema(name: str) -> dict[str, Any]:
    if name in _INTEGERS:
        low, high = _INTEGERS[name]
        return {"type": "integer", "minimum": low, "maximum": high}
    if name == "centralSigning":
        return {"type": "boolean"}
    items: dict[str, Any]
    if name == "exemptions":
        items = EXEMPTION_SCHEMA
    elif name == "owners":
        items = OWNER_SCHEMA
    elif name == "externalReplicationTemplates":
        items = EXTERNAL_TEMPLATE_SCHEMA
    else:
        items = {"type": "string", "minLength": 1}
        if name in ITEM_PATTERNS:
            items["pattern"] = ITEM_PATTERNS[name]
    schema: dict[str, Any] = {"type": "array", "items": items, "uniqueItems": True}
    if name in ("productionStacks", "productionEnvironments"):
        schema["minItems"] = 1  # an empty definition would silently turn production rules off
    return schema


def settings_of(policy: str) -> tuple[str, ...]:
    """The config keys `policy` takes."""
    own = SETTINGS_OF.get(policy, ())
    return own if policy in NO_EXEMPTIONS else (*own, "exemptions")


def schema(policy: str) -> PolicyConfigSchema:
    """The JSON schema the CLI checks `policy`'s config against, defaults and descriptions
    included."""
    return PolicyConfigSchema(
        properties={
            name: _property_schema(name)
            | {"default": DEFAULTS[name], "description": DESCRIPTIONS[name]}
            for name in settings_of(policy)
        }
    )


def _allowed(name: str) -> str:
    shape = _property_schema(name)
    if shape["type"] == "boolean":
        return "true or false"
    if shape["type"] == "integer":
        return f"an integer {shape['minimum']}..{shape['maximum']}"
    if name == "exemptions":
        return (
            'a list of {repository (narrower than *), stacks: [globs] or ["*"], reason, '
            "expires: YYYY-MM-DD}"
        )
    if name == "owners":
        return (
            "a list of {account: 12 digits or *, region: a region name or *, stacks: [globs]}, "
            "one entry per account and region"
        )
    if name == "externalReplicationTemplates":
        return "a list of {account: 12 digits, region: a region name}"
    pattern = ITEM_PATTERNS.get(name)
    what = f"strings matching {pattern}" if pattern else "non-empty strings"
    return f"a list of unique {what}" + (", at least one" if shape.get("minItems") else "")


def policy_config_problems(policy: str, config: Mapping[str, Any] | None) -> list[str]:
    """Every problem of one policy's config (without `enforcementLevel`), each naming
    `policy.key`, the value and what is allowed."""
    problems: list[str] = []
    allowed = settings_of(policy)
    for key in sorted(config or {}):
        value = (config or {})[key]
        where = f"{policy}.{key}"
        if key not in allowed:
            hint = f"; it moved to {MOVED[key]}" if key in MOVED else ""
            accepts = ", ".join(allowed) if allowed else "no settings"
            problems.append(f"{where} is not a setting of this policy (it takes {accepts}){hint}")
            continue
        validator = jsonschema.Draft7Validator(_property_schema(key))
        try:
            errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
        except RecursionError:
            problems.append(f"{where} is nested too deeply: must be {_allowed(key)}")
            continue
        if errors:
            error = errors[0]
            path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
            problems.append(
                f"{where}{path} = {_json(error.instance)}: {_schema_reason(error)}; "
                f"must be {_allowed(key)}"
            )
        elif key == "exemptions":
            for index, entry in enumerate(value):
                problem = _date_problem(entry["expires"]) or _glob_problem(entry["repository"])
                if problem:
                    problems.append(f"{where}[{index}].{problem}")
        elif key == "owners":
            seen: dict[tuple[str, str], int] = {}
            for index, entry in enumerate(value):
                first = seen.setdefault((entry["account"], entry["region"]), index)
                if first != index:
                    problems.append(
                        f"{where}[{index}] names account {entry['account']} region "
                        f"{entry['region']} again ({where}[{first}]): one entry per account and "
                        "region, so the owner is never ambiguous"
                    )
    return problems


def _schema_reason(error: jsonschema.ValidationError) -> str:
    if error.validator == "pattern" and error.validator_value == _NARROW:
        return "matches every repository"
    if error.validator == "additionalProperties":
        return "has unknown keys"
    if error.validator == "required":
        return str(error.message).replace("'", "")
    if error.validator == "minItems" and error.validator_value == 1:
        return "is empty"
    return {
        "type": "wrong type",
        "pattern": "wrong format",
        "uniqueItems": "has duplicates",
        "minLength": "is empty",
        "minimum": "too small",
        "maximum": "too large",
    }.get(str(error.validator), "not allowed")


def config_problems(raw: Any, policies: Sequence[str]) -> list[str]:
    """Every problem of a whole policy config file (`{policy: {enforcementLevel?, key: value}}`)
    for a pack of `policies`; empty when the pack accepts it."""
    if not isinstance(raw, Mapping):
        return ["must be a JSON object of policy name -> {enforcementLevel, settings}"]
    problems = []
    for policy in sorted(raw):
        values = raw[policy]
        if policy not in (*policies, "all"):  # the CLI's `all` sets every policy's level
            problems.append(f"{policy} is not a policy of this pack")
            continue
        if isinstance(values, str):  # the CLI takes a bare level too: {"policy": "advisory"}
            values = {"enforcementLevel": values}
        if not isinstance(values, Mapping):
            problems.append(f"{policy} = {_json(values)}: must be an object or a level")
            continue
        if policy == "all" and set(values) - {"enforcementLevel"}:
            problems.append("all takes only enforcementLevel")
            continue
        level = values.get("enforcementLevel", "mandatory")
        if level not in LEVELS:
            problems.append(
                f"{policy}.enforcementLevel = {_json(level)}: must be one of {', '.join(LEVELS)}"
            )
        settings = {k: v for k, v in values.items() if k != "enforcementLevel"}
        if policy != "all":
            problems += policy_config_problems(policy, settings)
    problems += exemption_problems(raw)
    return problems


def expanded(config: Mapping[str, Any], policies: Iterable[str]) -> dict[str, dict[str, Any]]:
    """A policy config with its shorthands spelt out: `"policy": "advisory"` becomes
    `{"enforcementLevel": "advisory"}`, and `all`'s level goes to every policy of `policies`
    that names none."""
    found: dict[str, dict[str, Any]] = {}
    every = config.get("all")
    level = every if isinstance(every, str) else (every or {}).get("enforcementLevel")
    if level is not None:
        found = {name: {"enforcementLevel": level} for name in policies}
    for name, values in config.items():
        if name != "all":
            values = {"enforcementLevel": values} if isinstance(values, str) else dict(values)
            found[name] = found.get(name, {}) | values
    return found


def exemption_problems(raw: Mapping[str, Any], today: datetime.date | None = None) -> list[str]:
    """Exemptions whose expiry lies beyond the horizon `ecr-pack-settings.maxExemptionDays`."""
    settings = raw.get(PACK_SETTINGS)
    days = settings.get("maxExemptionDays") if isinstance(settings, Mapping) else None
    try:
        horizon = Horizon(DEFAULTS["maxExemptionDays"] if days is None else days, today)
    except PolicyConfigError:
        return []  # reported by the schema check
    problems = []
    for policy, values in raw.items():
        entries = values.get("exemptions") if isinstance(values, Mapping) else None
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            problem = horizon.problem(entry)
            if problem:
                problems.append(f"{policy}.exemptions[{index}].expires {problem}")
    return problems


def config_list(config: Mapping[str, Any], name: str) -> list[str]:
    """A list-of-strings policy config value, its default when unset; PolicyConfigError when bad."""
    value = config.get(name, DEFAULTS[name])
    if not _valid_once(name, _json(value, limit=None)):
        raise PolicyConfigError(f"policy config {name} = {_json(value)}: must be {_allowed(name)}")
    return list(value)


@functools.lru_cache(maxsize=256)
def _valid_once(name: str, value: str) -> bool:
    """Whether a setting's value (as JSON) fits its schema; read on every resource, checked once."""
    try:
        parsed = json.loads(value)
    except ValueError:
        return False
    return bool(jsonschema.Draft7Validator(_property_schema(name)).is_valid(parsed))


def checked(policy: str, config: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """`config` when the policy accepts it, else PolicyConfigError naming every problem."""
    problems = _problems_once(policy, _json(config or {}, limit=None))
    if problems:
        raise PolicyConfigError("policy config refused: " + "; ".join(problems))
    return config or {}


@functools.lru_cache(maxsize=256)
def _problems_once(policy: str, config: str) -> tuple[str, ...]:
    """The same config is checked on every resource: once is enough."""
    try:
        parsed = json.loads(config)
    except ValueError:
        return ("policy config is not JSON",)
    return tuple(policy_config_problems(policy, parsed))


# --- production --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Production:
    """What production is, for the whole pack: a stack name pattern, or an Environment tag value
    (on the stack or on the resource). Any one of them makes it production."""

    stacks: tuple[str, ...] = tuple(DEFAULTS["productionStacks"])
    environments: tuple[str, ...] = tuple(DEFAULTS["productionEnvironments"])

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> Production:
        config = checked(PACK_SETTINGS, config)
        return cls(
            tuple(config_list(config, "productionStacks")),
            tuple(config_list(config, "productionEnvironments")),
        )

    def why(
        self,
        tags: Mapping[str, Any] | None = None,
        stack: str | None = None,
        stack_tags: Mapping[str, Any] | None = None,
    ) -> str | None:
        """Why this is production (None: it is not)."""
        environments = {e.lower() for e in self.environments}
        for where, source in (("tag", tags), ("stack tag", stack_tags)):
            value = (source or {}).get("Environment")
            if isinstance(value, str) and value.strip().lower() in environments:
                return f"its {where} Environment is {value}"
        if stack:
            for candidate in _stack_name_parts(stack):
                for pattern in self.stacks:
                    if fnmatch.fnmatchcase(candidate, _separators_as_dash(pattern.lower())):
                        return f"stack {stack} matches {pattern}"
        return None

    def decides(
        self,
        tags: Mapping[str, Any] | None = None,
        stack: str | None = None,
        stack_tags: Mapping[str, Any] | None = None,
    ) -> bool:
        return self.why(tags, stack, stack_tags) is not None


def _whole(value: Any) -> int:
    """A whole-number setting: the CLI sends policy config as a protobuf Struct, whose numbers are
    all doubles (365 arrives as 365.0)."""
    return int(value)


@dataclass(frozen=True)
class Allowlist:
    """Which accounts and organisations every policy that judges an account accepts: the
    `ecr-pack-settings` allowlists, and the stack's own account when the pack can tell it (the
    provider's `allowedAccountIds` naming exactly one; the live audit: the audited account).
    An account the pack cannot tell (unknown, computed, not 12 digits) is never allowed."""

    accounts: frozenset[str] = frozenset()
    organizations: frozenset[str] = frozenset()
    own: str | None = None
    """The stack's own account, when known."""
    every_account: bool = False
    """Any well-formed account passes: only for the program's own check before deploy, which
    cannot read the organisation's allowlist (the pack judges the accounts at preview)."""

    def allows(self, account: Any) -> bool:
        if not isinstance(account, str) or not _ACCOUNT_ID.fullmatch(account):
            return False
        return self.every_account or account in self.accounts or account == self.own

    def allows_organization(self, organization: Any) -> bool:
        return isinstance(organization, str) and organization in self.organizations

    def shown(self) -> str:
        own = f" and this stack's own account {self.own}" if self.own else ""
        return f"{PACK_SETTINGS}.allowedAccounts {_json(sorted(self.accounts))}{own}"

    def how_to_allow(self, account: Any) -> str:
        """What makes `account` allowed, for a violation's message."""
        if self.own is None and not self.accounts:
            return (
                f"the pack cannot tell whether {account} is this stack's own account: list it in "
                f"{PACK_SETTINGS}.allowedAccounts, or pin the provider's aws:allowedAccountIds "
                "to it"
            )
        return f"list it in {PACK_SETTINGS}.allowedAccounts if it should be"

    def with_own(self, own: str | None) -> Allowlist:
        return Allowlist(self.accounts, self.organizations, own, self.every_account)


_ACCOUNT_ID = re.compile(r"[0-9]{12}")


@dataclass(frozen=True)
class PackSettings:
    """Every pack-wide setting (`ecr-pack-settings`'s config), immutable. Built once from the
    whole pack config when the CLI configures the pack, and handed to every policy explicitly,
    so no policy's result depends on which policy ran first."""

    production: Production = Production()
    horizon_days: int = DEFAULTS["maxExemptionDays"]
    allowlist: Allowlist = Allowlist()
    release_tags: tuple[str, ...] = tuple(DEFAULTS["releaseTagPatterns"])
    protected_tags: tuple[str, ...] = tuple(DEFAULTS["protectedTags"])
    min_release_images: int = DEFAULTS["minReleaseImagesKept"]
    min_release_days: int = DEFAULTS["minReleaseAgeDays"]

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> PackSettings:
        """From `ecr-pack-settings`'s config; PolicyConfigError naming every problem."""
        config = checked(PACK_SETTINGS, config)

        def number(name: str) -> int:
            return _whole(config.get(name, DEFAULTS[name]))

        return cls(
            production=Production.from_config(config),
            horizon_days=number("maxExemptionDays"),
            allowlist=Allowlist(
                frozenset(config_list(config, "allowedAccounts")),
                frozenset(config_list(config, "allowedOrganizations")),
            ),
            release_tags=tuple(config_list(config, "releaseTagPatterns")),
            protected_tags=tuple(config_list(config, "protectedTags")),
            min_release_images=number("minReleaseImagesKept"),
            min_release_days=number("minReleaseAgeDays"),
        )

    @classmethod
    def from_pack_config(cls, config: Mapping[str, Any] | None) -> tuple[PackSettings, str]:
        """From a whole pack config (`{policy: {key: value}}`, as Configure carries it): the
        settings, and why the defaults apply instead ("" when they do not). A refused config
        falls back to the defaults, which are the strictest: production is never silently
        empty, and no account is allowed but the stack's own."""
        own = (config or {}).get(PACK_SETTINGS)
        try:
            return cls.from_config(own if isinstance(own, Mapping) else None), ""
        except PolicyConfigError as error:
            return cls(), f"{error}; the defaults apply until it is fixed"

    @property
    def release_patterns(self) -> tuple[str, ...]:
        """The tags production lifecycle rules must keep: release patterns and protected tags."""
        return tuple(dict.fromkeys((*self.release_tags, *self.protected_tags)))


def _separators_as_dash(text: str) -> str:
    return re.sub(r"[^a-z0-9*?\[\]!]+", "-", text)


def _stack_name_parts(stack: str) -> list[str]:
    """A stack name, lower-cased with any separator read as `-`, and every run of its words: so
    `prod.eu`, `apne2-prod` and `eu_west_1.production` meet the globs `prod` and `production*`
    as `prod-eu` does. Reading more names as production only makes the pack stricter."""
    words = [w for w in re.split(r"[^a-z0-9]+", stack.lower()) if w]
    runs = {"-".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)}
    return [stack.lower(), _separators_as_dash(stack.lower()), *sorted(runs)]


# --- exemptions ----------------------------------------------------------------------------------


class Horizon:
    """How far ahead an exemption may expire."""

    def __init__(self, days: float, today: datetime.date | None = None) -> None:
        # The CLI sends policy config as a protobuf Struct, whose numbers are all doubles: 365
        # arrives as 365.0.
        if (
            isinstance(days, bool)
            or not isinstance(days, int | float)
            or not float(days).is_integer()
            or not 1 <= days <= 1096
        ):
            raise PolicyConfigError(f"maxExemptionDays = {_json(days)}: must be 1..1096")
        self.days = int(days)
        self.today = today or datetime.datetime.now(datetime.timezone.utc).date()

    def problem(self, entry: Any) -> str | None:
        expires = entry.get("expires") if isinstance(entry, Mapping) else None
        try:
            date = datetime.date.fromisoformat(expires) if isinstance(expires, str) else None
        except ValueError:
            return f"{expires} is not a calendar date YYYY-MM-DD"
        if date is not None and date > self.today + datetime.timedelta(days=self.days):
            return (
                f"{expires} is more than {self.days} days ahead (maxExemptionDays): exemptions "
                "are time-boxed; renew it when it runs out"
            )
        return None


@dataclass(frozen=True)
class Exemption:
    repository: str
    """Glob over the repository name (never `*`)."""
    stacks: tuple[str, ...]
    """Globs over the stack name; `("*",)` names every stack explicitly."""
    reason: str
    expires: datetime.date
    """The last day the exemption applies."""

    def covers(self, repository: str | None, stack: str | None) -> bool:
        if repository is None or not fnmatch.fnmatchcase(repository, self.repository):
            return False
        if self.stacks == ("*",):
            return True
        return stack is not None and any(fnmatch.fnmatchcase(stack, s) for s in self.stacks)

    def active(self, today: datetime.date) -> bool:
        return today <= self.expires

    def describe(self) -> str:
        where = "" if self.stacks == ("*",) else f" in stacks {', '.join(self.stacks)}"
        return f"exemption for {self.repository}{where} ({self.reason}; expires {self.expires})"


def exemptions(config: Mapping[str, Any], horizon: Horizon | None = None) -> list[Exemption]:
    """The policy's exemptions; a malformed entry, or one expiring beyond `horizon` (when given;
    `config_problems` checks a whole file against its own horizon), is a PolicyConfigError
    naming it."""
    entries = config.get("exemptions", [])
    if not isinstance(entries, list):
        raise PolicyConfigError(f"policy config exemptions = {_json(entries)}: must be a list")
    validator = jsonschema.Draft7Validator(EXEMPTION_SCHEMA)
    found = []
    for index, entry in enumerate(entries):
        errors = list(validator.iter_errors(entry))
        problem = (
            f"{_schema_reason(errors[0])}; must be {_allowed('exemptions')[10:]}"
            if errors
            else _date_problem(entry["expires"])
            or _glob_problem(entry["repository"])
            or (horizon and horizon.problem(entry))
        )
        if problem:
            raise PolicyConfigError(
                f"policy config exemptions[{index}] = {_json(entry)}: {problem}"
            )
        found.append(
            Exemption(
                repository=entry["repository"],
                stacks=tuple(entry["stacks"]),
                reason=entry["reason"],
                expires=datetime.date.fromisoformat(entry["expires"]),
            )
        )
    return found


@dataclass(frozen=True)
class Waiver:
    """What a policy's exemptions leave of its problems for one repository."""

    problems: list[str]
    """The problems that still count: all of them, each marked when its exemption has expired."""
    note: str = ""
    """When an active exemption waived them: `waived by the <exemption>: <problems>`."""


def apply_exemptions(
    config: Mapping[str, Any],
    repository: str | None,
    stack: str | None,
    problems: Sequence[str],
    today: datetime.date,
    horizon: Horizon | None = None,
) -> Waiver:
    """The policy's first exemption that covers the repository (and stack) decides: an active one
    waives every problem, with a note the caller reports as advisory; an expired one marks each.
    The pack and the live audit both judge with this, so an exemption means the same in both.
    A malformed entry raises PolicyConfigError (see `exemptions`)."""
    for exemption in exemptions(config, horizon):
        if not exemption.covers(repository, stack):
            continue
        if exemption.active(today):
            return Waiver([], f"waived by the {exemption.describe()}: {'; '.join(problems)}")
        return Waiver([f"{p} (the {exemption.describe()} has expired)" for p in problems])
    return Waiver(list(problems))


def _glob_problem(glob: str) -> str | None:
    """Why an exemption's repository glob is too wide: judged by what it can match (every valid
    ECR name but finitely many, as `[!]/]*` or `??*` do), not by its shape."""
    if name_globs_cover_every_name((glob,)):
        return (
            f"repository {_json(glob)} matches every repository name ECR accepts: name the "
            "repositories (e.g. legacy/*)"
        )
    return None


def _date_problem(value: str) -> str | None:
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return f"expires {_json(value)} is not a date YYYY-MM-DD"
    return None


def _json(value: Any, limit: int | None = 200) -> str:
    try:
        return json.dumps(value, default=str, sort_keys=True)[:limit]
    except (ValueError, RecursionError, TypeError):
        return "(unprintable)"
