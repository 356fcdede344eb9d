"""ECR guardrails: the validators of the `ecr-guardrails` CrossGuard policy pack.

The pack runs on every stack of the organisation, most of which never use our component, so each
policy judges raw `aws:*` resources by their properties alone — never by resource names.

Conventions, following the pulumi-policy SDK:
- a validator guards on `args.resource_type`, reads camelCase props with `.get()`, and reports a
  message saying what to change;
- a value that is merely unknown during preview is not a violation: reading it raises the SDK's
  `UnknownValueError`, which the SDK turns into a "can't run during preview" note, so validators let
  it through;
- a missing or malformed property (wrong type, unparsable JSON) and bad policy config are reported
  as violations with a clear message, never raised.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

PREFIX = "ecr-"
REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
REPOSITORY_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
REGISTRY_POLICY = "aws:ecr/registryPolicy:RegistryPolicy"
IAM_POLICY_TYPES = (
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)

# ECR actions that write to a repository; granting them on "*" lets a role overwrite any image.
PUSH_ACTIONS = frozenset(
    {
        "ecr:putimage",
        "ecr:initiatelayerupload",
        "ecr:uploadlayerpart",
        "ecr:completelayerupload",
        "ecr:batchdeleteimage",
        "ecr:deleterepository",
        "ecr:setrepositorypolicy",
        "ecr:putlifecyclepolicy",
    }
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_ACCOUNT = re.compile(r"\d{12}")
_ACCOUNT_IN_ARN = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}):")
_AWS_MANAGED_ECR_KEY = re.compile(r"(^|:)alias/aws/ecr$")


# --- policy config ------------------------------------------------------------------------------

DEFAULTS: dict[str, list[str]] = {
    "prodEnvironments": ["prod", "production"],
    "allowedExclusionFilters": [],
    "requiredTags": ["Owner", "CostCenter", "Environment", "Lifecycle", "DataClass", "Service"],
    "allowedEnvironments": ["dev", "staging", "prod"],
    "allowedAccounts": [],
    "allowedOrganizations": [],
}

_DESCRIPTIONS = {
    "prodEnvironments": "Environment tag values or stack names that mean production.",
    "allowedExclusionFilters": "Tag-mutability exclusion filters allowed in production "
    "(e.g. `latest`); everything else must be immutable.",
    "requiredTags": "Tags every ECR repository must carry, non-empty.",
    "allowedEnvironments": "Values the Environment tag may take.",
    "allowedAccounts": "12-digit account ids that repository and registry policies may name as "
    "principals. Empty: any account, but never `*`.",
    "allowedOrganizations": "AWS Organization ids (o-...) that may be granted access through an "
    "aws:PrincipalOrgID condition on a `*` principal. Empty: no organisation grants.",
}

_ITEM_PATTERNS = {"allowedAccounts": r"^\d{12}$", "allowedOrganizations": r"^o-[a-z0-9]{10,32}$"}


def _schema(*names: str) -> PolicyConfigSchema:
    """The JSON schema the CLI checks policy config against, defaults included."""
    properties = {}
    for name in names:
        items: dict[str, Any] = {"type": "string", "minLength": 1}
        if name in _ITEM_PATTERNS:
            items["pattern"] = _ITEM_PATTERNS[name]
        properties[name] = {
            "type": "array",
            "items": items,
            "uniqueItems": True,
            "default": DEFAULTS[name],
            "description": _DESCRIPTIONS[name],
        }
    return PolicyConfigSchema(properties=properties)


class PolicyConfigError(ValueError):
    """Policy config that the schema should have refused (e.g. sent by another engine)."""


def config_list(config: Mapping[str, Any], name: str) -> list[str]:
    """A list-of-strings policy config value, its default when unset."""
    value = config.get(name, DEFAULTS[name])
    pattern = _ITEM_PATTERNS.get(name)
    if (
        not isinstance(value, list)
        or not all(isinstance(v, str) and v for v in value)
        or (pattern and not all(re.fullmatch(pattern, v) for v in value))
    ):
        allowed = f"strings matching {pattern}" if pattern else "non-empty strings"
        raise PolicyConfigError(
            f"policy config {name} = {json.dumps(value)}: must be a list of {allowed}"
        )
    return value


# --- reading properties -------------------------------------------------------------------------


class MalformedPropertyError(ValueError):
    """A property has the wrong shape; reported as a violation naming the property."""


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise MalformedPropertyError(f"{path} must be an object, got {_show(value)}")
    return value


def _sequence(value: Any, path: str) -> Sequence[Any]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise MalformedPropertyError(f"{path} must be a list, got {_show(value)}")
    return value


def _show(value: Any) -> str:
    if isinstance(value, Mapping):
        value = dict(value)
    elif isinstance(value, Sequence) and not isinstance(value, str):
        value = list(value)
    return json.dumps(value, default=str)[:200]


def _string_or_list(value: Any) -> list[Any]:
    """IAM's `"x"` or `["x", "y"]`."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence):
        return list(value)
    return [value]


def _guarded(check: Callable[[Any, ReportViolation], None]) -> Callable[..., None]:
    """Bad config and malformed properties become violations; unknown values pass through."""

    @functools.wraps(check)
    def validate(args: Any, report_violation: ReportViolation) -> None:
        try:
            check(args, report_violation)
        except (PolicyConfigError, MalformedPropertyError) as problem:
            report_violation(str(problem), None)

    return validate


def stack_name(urn: str) -> str:
    """`urn:pulumi:<stack>::<project>::<type>::<name>` -> `<stack>`."""
    parts = urn.split("::")
    return parts[0].rsplit(":", 1)[-1] if parts and parts[0].startswith("urn:pulumi:") else ""


def effective_tags(args: ResourceValidationArgs) -> dict[str, Any]:
    """The resource's tags over the provider's `defaultTags`, as AWS will apply them."""
    tags: dict[str, Any] = {}
    if args.provider is not None:
        default_tags = _mapping(args.provider.props.get("defaultTags"), "provider defaultTags")
        tags.update(_mapping(default_tags.get("tags"), "provider defaultTags.tags"))
    tags.update(_mapping(args.props.get("tags"), "tags"))
    return tags


def is_production(args: ResourceValidationArgs) -> bool:
    """Production = the Environment tag, or else the stack name, is one of `prodEnvironments`."""
    production = {e.lower() for e in config_list(args.get_config(), "prodEnvironments")}
    environment = effective_tags(args).get("Environment")
    if isinstance(environment, str) and environment.lower() in production:
        return True
    return stack_name(args.urn).lower() in production


# --- 1. customer-managed KMS key ----------------------------------------------------------------


@_guarded
def require_kms_cmk(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != REPOSITORY:
        return
    configs = _sequence(args.props.get("encryptionConfigurations"), "encryptionConfigurations")
    if not configs:
        report_violation(
            "No encryptionConfigurations: set encryptionType KMS with the ARN of a "
            "customer-managed key (kmsKey). Without it ECR uses AES256.",
            None,
        )
        return
    config = _mapping(configs[0], "encryptionConfigurations[0]")
    encryption_type = config.get("encryptionType")
    if encryption_type != "KMS":
        report_violation(
            f"encryptionType is {_show(encryption_type)}: set it to KMS, with kmsKey the ARN of a "
            "customer-managed key.",
            None,
        )
        return
    key = config.get("kmsKey")
    if not isinstance(key, str) or not key.strip():
        report_violation(
            "encryptionType KMS without kmsKey uses the AWS-managed key aws/ecr: set kmsKey to "
            "the ARN of a customer-managed key.",
            None,
        )
    elif _AWS_MANAGED_ECR_KEY.search(key):
        report_violation(
            f"kmsKey {key} is the AWS-managed key: use a customer-managed key's ARN.", None
        )


# --- 2. scan on push ----------------------------------------------------------------------------


@_guarded
def require_scan_on_push(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != REPOSITORY:
        return
    scanning = _mapping(args.props.get("imageScanningConfiguration"), "imageScanningConfiguration")
    if scanning.get("scanOnPush") is not True:
        report_violation(
            f"imageScanningConfiguration.scanOnPush is {_show(scanning.get('scanOnPush'))}: "
            "set it to true so every pushed image is scanned.",
            None,
        )


# --- 3. immutable tags in production ------------------------------------------------------------


@_guarded
def immutable_tags_in_production(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != REPOSITORY or not is_production(args):
        return
    # ECR's default, when the property is absent, is MUTABLE.
    mutability = args.props.get("imageTagMutability") or "MUTABLE"
    if mutability == "IMMUTABLE":
        return
    if mutability != "IMMUTABLE_WITH_EXCLUSION":
        report_violation(
            f"imageTagMutability is {_show(mutability)} in production: set it to IMMUTABLE so a "
            "released tag always names the same image.",
            None,
        )
        return
    allowed = set(config_list(args.get_config(), "allowedExclusionFilters"))
    filters = _sequence(
        args.props.get("imageTagMutabilityExclusionFilters"), "imageTagMutabilityExclusionFilters"
    )
    names = [_mapping(f, "imageTagMutabilityExclusionFilters[]").get("filter") for f in filters]
    outside = [n for n in names if n not in allowed]
    if outside:
        report_violation(
            f"Tag-mutability exclusion filters {_show(outside)} are not in allowedExclusionFilters "
            f"{_show(sorted(allowed))}: remove them or have the filter allowed in policy config.",
            None,
        )


# --- 4. governance tags -------------------------------------------------------------------------


@_guarded
def required_tags(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != REPOSITORY:
        return
    config = args.get_config()
    tags = effective_tags(args)
    missing = [
        t
        for t in config_list(config, "requiredTags")
        if not isinstance(tags.get(t), str) or not tags[t].strip()
    ]
    if missing:
        report_violation(f"Missing or empty tags {', '.join(missing)}: add them.", None)
    owner = tags.get("Owner")
    if isinstance(owner, str) and owner.strip() and not _EMAIL.fullmatch(owner):
        report_violation(f"Tag Owner {_show(owner)} is not an e-mail address.", None)
    environments = config_list(config, "allowedEnvironments")
    environment = tags.get("Environment")
    if isinstance(environment, str) and environment.strip() and environment not in environments:
        report_violation(
            f"Tag Environment {_show(environment)} is not one of {', '.join(environments)}.", None
        )


# --- 5. least-privilege repository and registry policies ----------------------------------------


def _principals(statement: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(kind, value) pairs: kind is "*", "AWS", "Service", "Federated", ..."""
    principal = statement.get("Principal")
    if principal is None:
        return []
    if isinstance(principal, str):
        return [("*" if principal == "*" else "AWS", principal)]
    return [
        (kind, value)
        for kind, values in _mapping(principal, "Principal").items()
        for value in _string_or_list(values)
    ]


def _org_ids(statement: Mapping[str, Any]) -> list[str]:
    """Organisation ids of an aws:PrincipalOrgID condition (StringEquals or StringLike)."""
    conditions = _mapping(statement.get("Condition"), "Condition")
    found: list[str] = []
    for operator in ("StringEquals", "StringLike", "ForAnyValue:StringEquals"):
        block = _mapping(conditions.get(operator), f"Condition.{operator}")
        for key, value in block.items():
            if key.lower() == "aws:principalorgid":
                found.extend(str(v) for v in _string_or_list(value))
    return found


def _account_of(principal: Any) -> str | None:
    if not isinstance(principal, str):
        return None
    if _ACCOUNT.fullmatch(principal):
        return principal
    match = _ACCOUNT_IN_ARN.match(principal)
    return match.group(1) if match else None


def _policy_document(args: ResourceValidationArgs | PolicyResource, prop: str) -> Any:
    raw = args.props.get(prop)
    if isinstance(raw, Mapping):
        return raw
    if not isinstance(raw, str) or not raw.strip():
        raise MalformedPropertyError(f"{prop} is missing or not a JSON policy document")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise MalformedPropertyError(
            f"{prop} is not valid JSON ({error.msg}): fix the document"
        ) from None


def _statements(document: Any) -> list[Mapping[str, Any]]:
    if not isinstance(document, Mapping):
        raise MalformedPropertyError("the policy document must be a JSON object")
    statements = document.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    return [_mapping(s, "Statement[]") for s in _sequence(statements, "Statement")]


def grant_problems(document: Any, config: Mapping[str, Any]) -> list[str]:
    """Why a resource-based ECR policy grants more than least privilege (empty when it does not)."""
    accounts = set(config_list(config, "allowedAccounts"))
    organizations = set(config_list(config, "allowedOrganizations"))
    problems = []
    for index, statement in enumerate(_statements(document)):
        if statement.get("Effect") != "Allow":
            continue
        sid = statement.get("Sid") or f"Statement[{index}]"
        actions = [str(a).lower() for a in _string_or_list(statement.get("Action", []))]
        if "NotAction" in statement:
            problems.append(f"{sid}: Allow with NotAction grants everything else; list Actions")
        wild = sorted({a for a in actions if a in ("*", "ecr:*")})
        if wild:
            problems.append(f"{sid}: action {', '.join(wild)}: list the ECR actions needed")
        if "NotPrincipal" in statement:
            problems.append(f"{sid}: Allow with NotPrincipal grants everyone else; name principals")
        for kind, principal in _principals(statement):
            if principal == "*":
                orgs = _org_ids(statement)
                if not orgs:
                    problems.append(
                        f"{sid}: principal {'*' if kind == '*' else kind + ':*'} is anyone: "
                        "name accounts or roles"
                    )
                elif not organizations or not set(orgs) <= organizations:
                    problems.append(
                        f"{sid}: organisation grant to {', '.join(orgs)} is not in "
                        f"allowedOrganizations {_show(sorted(organizations))}"
                    )
                continue
            account = _account_of(principal) if kind == "AWS" else None
            if accounts and kind == "AWS" and account not in accounts:
                problems.append(
                    f"{sid}: principal {principal} is not in allowedAccounts "
                    f"{_show(sorted(accounts))}"
                )
    return problems


@_guarded
def repository_policy_least_privilege(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type not in (REPOSITORY_POLICY, REGISTRY_POLICY):
        return
    for problem in grant_problems(_policy_document(args, "policy"), args.get_config()):
        report_violation(problem, None)


# --- 6. no forceDelete in production ------------------------------------------------------------


@_guarded
def no_force_delete_in_production(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != REPOSITORY or args.props.get("forceDelete") is not True:
        return
    if is_production(args):
        report_violation(
            "forceDelete is true in production: `pulumi destroy` or a replacement would delete "
            "every image. Remove forceDelete.",
            None,
        )


# --- 7. every repository has a lifecycle policy (stack) -----------------------------------------


def _known(resource: PolicyResource, prop: str) -> tuple[bool, Any]:
    try:
        return True, resource.props.get(prop)
    except UnknownValueError:
        return False, None


def repositories_have_lifecycle_policies(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    repositories = [r for r in args.resources if r.resource_type == REPOSITORY]
    if not repositories:
        return
    policies = [r for r in args.resources if r.resource_type == LIFECYCLE_POLICY]
    named: set[Any] = set()
    depended_on: set[str] = set()
    unresolved = False
    for policy in policies:
        depended_on.update(d.urn for d in policy.property_dependencies.get("repository", []))
        known, name = _known(policy, "repository")
        if known:
            named.add(name)
        elif not policy.property_dependencies.get("repository"):
            unresolved = True  # an unknown name we cannot trace: it may be anyone's
    for repository in repositories:
        known, name = _known(repository, "name")
        if repository.urn in depended_on or (known and name in named):
            continue
        if unresolved or not known:
            continue  # merely unknown during preview: no false violation
        report_violation(
            f"Repository {name or repository.name} has no aws.ecr.LifecyclePolicy: images pile up "
            "forever. Attach one (e.g. keep the last N release images, expire untagged ones).",
            repository.urn,
        )


# --- 8. production repositories are protected ---------------------------------------------------


@_guarded
def protect_in_production(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != REPOSITORY or not is_production(args):
        return
    if not args.opts.protect:
        report_violation(
            "Production repository without the protect resource option: set "
            "opts=ResourceOptions(protect=True) so it cannot be deleted by accident.",
            None,
        )


# --- 9. IAM policies do not grant ecr:* or push on everything -----------------------------------


def iam_problems(document: Any) -> list[str]:
    problems = []
    for index, statement in enumerate(_statements(document)):
        if statement.get("Effect") != "Allow":
            continue
        sid = statement.get("Sid") or f"Statement[{index}]"
        actions = {str(a).lower() for a in _string_or_list(statement.get("Action", []))}
        resources = [str(r) for r in _string_or_list(statement.get("Resource", []))]
        if "ecr:*" in actions:
            problems.append(f"{sid}: grants ecr:*: list the ECR actions needed")
        # Wildcards count for what they match: `ecr:Put*` or `*` on "*" is push everywhere.
        push = sorted({p for p in PUSH_ACTIONS for a in actions if fnmatch.fnmatchcase(p, a)})
        if push and any(r == "*" or r.endswith(":repository/*") for r in resources):
            problems.append(
                f"{sid}: {', '.join(push)} on {', '.join(resources)}: scope write actions to "
                "repository ARNs"
            )
    return problems


@_guarded
def iam_least_privilege(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in IAM_POLICY_TYPES:
        return
    for problem in iam_problems(_policy_document(args, "policy")):
        report_violation(problem, None)


# --- the policies -------------------------------------------------------------------------------


def _resource_policy(
    name: str,
    description: str,
    validate: Callable[..., None],
    severity: Severity,
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
    config: Iterable[str] = (),
) -> ResourceValidationPolicy:
    names = tuple(config)
    return ResourceValidationPolicy(
        name=PREFIX + name,
        description=description,
        validate=validate,
        enforcement_level=enforcement_level,
        severity=severity,
        config_schema=_schema(*names) if names else None,
    )


POLICIES = [
    _resource_policy(
        "repository-require-kms-cmk",
        "ECR repositories are encrypted with a customer-managed KMS key.",
        require_kms_cmk,
        Severity.HIGH,
    ),
    _resource_policy(
        "repository-require-scan-on-push",
        "ECR repositories scan images on push.",
        require_scan_on_push,
        Severity.HIGH,
    ),
    _resource_policy(
        "repository-immutable-tags-in-production",
        "Production ECR repositories have immutable tags.",
        immutable_tags_in_production,
        Severity.HIGH,
        config=("prodEnvironments", "allowedExclusionFilters"),
    ),
    _resource_policy(
        "repository-required-tags",
        "ECR repositories carry the governance tags.",
        required_tags,
        Severity.MEDIUM,
        config=("requiredTags", "allowedEnvironments"),
    ),
    _resource_policy(
        "repository-policy-least-privilege",
        "ECR repository and registry policies grant least privilege to known principals.",
        repository_policy_least_privilege,
        Severity.CRITICAL,
        config=("allowedAccounts", "allowedOrganizations"),
    ),
    _resource_policy(
        "repository-no-force-delete-in-production",
        "Production ECR repositories do not set forceDelete.",
        no_force_delete_in_production,
        Severity.HIGH,
        config=("prodEnvironments",),
    ),
    StackValidationPolicy(
        name=PREFIX + "stack-repositories-have-lifecycle-policy",
        description="Every ECR repository in the stack has a lifecycle policy.",
        validate=repositories_have_lifecycle_policies,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.MEDIUM,
    ),
    _resource_policy(
        "repository-protected-in-production",
        "Production ECR repositories are protected from deletion.",
        protect_in_production,
        Severity.MEDIUM,
        EnforcementLevel.ADVISORY,
        config=("prodEnvironments",),
    ),
    _resource_policy(
        "iam-least-privilege",
        "IAM policies grant neither ecr:* nor ECR write actions on every repository.",
        iam_least_privilege,
        Severity.HIGH,
    ),
]
