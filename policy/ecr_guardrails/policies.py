"""ECR guardrails: the policies of the `ecr-guardrails` CrossGuard pack, as thin adapters around
the rules (ecr_rules_repository, ecr_rules_access, ecr_rules_stack), which the live audit
(`python -m tools.audit`) runs too.

The pack runs on every stack of the organisation, most of which never use our component, so each
policy judges raw resources of either AWS provider by their properties alone — never by names.

Conventions, following the pulumi-policy SDK:
- an adapter guards on `args.resource_type`, builds the rule's view of the properties and reports
  each problem the rule returns;
- a value unknown during preview is not a violation: reading it raises the SDK's
  `UnknownValueError`, which the SDK turns into a "can't run during preview" note;
- malformed properties and bad policy config are violations saying what to fix; no input makes a
  validator raise anything else (a guardrail that crashes would let nothing through, or all);
- exemptions (policy config, never the stack's own tags) waive a policy for matching repositories
  until they expire; the waived problems appear as advisory notes of `ecr-exemption-notes`.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from .config import DEFAULTS, PolicyConfigError, config_list, exemptions, schema
from .props import MalformedPropertyError, document, mapping, sequence, show, tags_of
from .rules_access import grant_problems, iam_problems, managed_policy_problem
from .rules_repository import (
    CREATION_TEMPLATE,
    NATIVE_REPOSITORY,
    PRIVATE_REPOSITORIES,
    PUBLIC_REPOSITORY,
    REGISTRY_SCANNING,
    REPOSITORY,
    Context,
    Rule,
    is_production,
    kms_cmk,
    no_force_delete,
    public_repository,
    registry_scanning,
    repository_view,
    required_tags,
    scan_on_push,
    template_lifecycle,
)
from .rules_repository import immutable_tags as immutable_tags_rule
from .rules_stack import (
    LIFECYCLE_POLICY,
    repositories_without_lifecycle,
    signing_missing,
    uncovered_creations,
)

__all__ = ["DEFAULTS", "POLICIES", "PREFIX", "stack_name"]

PREFIX = "ecr-"
REPOSITORY_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
REGISTRY_POLICY = "aws:ecr/registryPolicy:RegistryPolicy"
# Identity policies: a document in `policy`.
IAM_POLICY_TYPES = (
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
# Identities with inline policies and managed policy ARNs of their own.
AWS_ROLE = "aws:iam/role:Role"
NATIVE_IDENTITIES = ("aws-native:iam:Role", "aws-native:iam:User", "aws-native:iam:Group")
# Attachments of a managed policy (`policyArn`).
ATTACHMENT_TYPES = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)

# Exemption notes, by URN: written by a policy that waived its problems, reported by the advisory
# `ecr-exemption-notes` policies, which run after the others for the same resource (resource
# policies) or the same stack (stack policies). The SDK gives each policy one enforcement level,
# so an advisory note from a mandatory policy has to travel this way.
_NOTES: dict[str, list[str]] = {}
_NOTES_LOCK = threading.Lock()


def today() -> datetime.date:
    return datetime.datetime.now(datetime.timezone.utc).date()


def stack_name(urn: str) -> str:
    """`urn:pulumi:<stack>::<project>::<type>::<name>` -> `<stack>`."""
    parts = urn.split("::")
    return parts[0].rsplit(":", 1)[-1] if parts and parts[0].startswith("urn:pulumi:") else ""


def effective_tags(args: ResourceValidationArgs, tags: Any) -> dict[str, Any]:
    """The resource's tags over the provider's `defaultTags`, as AWS will apply them."""
    merged: dict[str, Any] = {}
    if args.provider is not None:
        default_tags = mapping(args.provider.props.get("defaultTags"), "provider defaultTags")
        merged.update(tags_of(default_tags.get("tags"), "provider defaultTags.tags"))
    merged.update(tags_of(tags))
    return merged


def repository_name(args: ResourceValidationArgs) -> str | None:
    """The repository a resource makes or configures, when it names one (for exemptions)."""
    prop = {
        REPOSITORY: "name",
        NATIVE_REPOSITORY: "repositoryName",
        PUBLIC_REPOSITORY: "repositoryName",
        REPOSITORY_POLICY: "repository",
        LIFECYCLE_POLICY: "repository",
        CREATION_TEMPLATE: "prefix",
    }.get(args.resource_type)
    try:
        name = args.props.get(prop) if prop else None
    except UnknownValueError:
        return None
    return name if isinstance(name, str) else None


class _WithTags(Mapping[str, Any]):
    """A repository's properties with `tags` read as the effective tags."""

    def __init__(self, args: ResourceValidationArgs) -> None:
        self._args = args
        self._props = repository_view(args.resource_type, args.props)

    def __getitem__(self, key: str) -> Any:
        value = self._props.get(key)
        return effective_tags(self._args, value) if key == "tags" else value

    def __iter__(self) -> Iterator[str]:
        return iter(self._props)

    def __len__(self) -> int:
        return len(self._props)


def _waived(
    policy: str, urn: str, name: str | None, config: Mapping[str, Any], problems: list[str]
) -> list[str]:
    """`problems` after the policy's exemptions: [] with a note when one applies, each marked
    when the matching exemption has expired."""
    stack = stack_name(urn) or None
    for exemption in exemptions(config):
        if not exemption.covers(name, stack):
            continue
        if exemption.active(today()):
            note = f"{policy} waived by the {exemption.describe()}: {'; '.join(problems)}"
            with _NOTES_LOCK:
                _NOTES.setdefault(urn, []).append(note)
            return []
        return [f"{p} (the {exemption.describe()} has expired)" for p in problems]
    return problems


def _report_safely(policy: str, report_violation: ReportViolation, run: Callable[[], None]) -> None:
    try:
        run()
    except UnknownValueError:
        raise  # unknown during preview: the SDK notes it, never a violation
    except (PolicyConfigError, MalformedPropertyError) as problem:
        report_violation(str(problem), None)
    except Exception as error:
        report_violation(
            f"{policy} could not judge this resource ({type(error).__name__}): check that its "
            "properties have the provider's documented shapes.",
            None,
        )


def _resource_adapter(
    name: str,
    types: Sequence[str],
    problems_of: Callable[[ResourceValidationArgs], list[str]],
) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    policy = PREFIX + name

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in types:
            return

        def run() -> None:
            config = args.get_config()
            problems = problems_of(args)
            if problems:
                problems = _waived(policy, args.urn, repository_name(args), config, problems)
            for problem in problems:
                report_violation(problem, None)

        _report_safely(policy, report_violation, run)

    validate.__name__ = name.replace("-", "_")
    return validate


def _repository_rule(rule: Rule, production_matters: bool = False) -> Callable[..., list[str]]:
    """A repository rule applied to the resource's effective properties and context."""

    def problems_of(args: ResourceValidationArgs) -> list[str]:
        props = _WithTags(args)
        config = args.get_config()
        production = production_matters and is_production(
            props["tags"], stack_name(args.urn), config
        )
        return rule(props, Context(production=production, config=config))

    return problems_of


def _protected(args: ResourceValidationArgs) -> list[str]:
    props = _WithTags(args)
    if args.opts.protect or not is_production(
        props["tags"], stack_name(args.urn), args.get_config()
    ):
        return []
    return [
        "Production repository without the protect resource option: set "
        "opts=ResourceOptions(protect=True) so it cannot be deleted by accident."
    ]


def _grants(args: ResourceValidationArgs) -> list[str]:
    prop = "repositoryPolicyText" if args.resource_type == NATIVE_REPOSITORY else "policy"
    raw = args.props.get(prop)
    if raw is None and args.resource_type == NATIVE_REPOSITORY:
        return []  # no repository policy: nobody else is let in
    return grant_problems(document(raw, prop), args.get_config())


def _identity_documents(args: ResourceValidationArgs) -> Iterable[tuple[str, Any]]:
    """(label, raw document) of every identity policy a resource carries."""
    props = args.props
    if args.resource_type in IAM_POLICY_TYPES:
        yield "policy", props.get("policy")
    elif args.resource_type == AWS_ROLE:
        for index, inline in enumerate(sequence(props.get("inlinePolicies"), "inlinePolicies")):
            entry = mapping(inline, f"inlinePolicies[{index}]")
            if entry.get("policy") is not None:
                yield f"inline policy {show(entry.get('name'))}", entry.get("policy")
    elif args.resource_type in NATIVE_IDENTITIES:
        for index, inline in enumerate(sequence(props.get("policies"), "policies")):
            entry = mapping(inline, f"policies[{index}]")
            yield f"inline policy {show(entry.get('policyName'))}", entry.get("policyDocument")


def _managed_arns(args: ResourceValidationArgs) -> Iterable[tuple[str, Any]]:
    if args.resource_type in ATTACHMENT_TYPES:
        yield "This attachment", args.props.get("policyArn")
    elif args.resource_type in (AWS_ROLE, *NATIVE_IDENTITIES):
        for arn in sequence(args.props.get("managedPolicyArns"), "managedPolicyArns"):
            yield "managedPolicyArns", arn


def _iam(args: ResourceValidationArgs) -> list[str]:
    problems = []
    for label, raw in _identity_documents(args):
        found = iam_problems(document(raw, label))
        problems += [f"{label}: {p}" if label != "policy" else p for p in found]
    for label, arn in _managed_arns(args):
        problem = managed_policy_problem(arn, label)
        if problem:
            problems.append(problem)
    return problems


def _exemption_notes(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    with _NOTES_LOCK:
        notes = _NOTES.pop(args.urn, [])
    for note in notes:
        report_violation(note, None)


# --- stack policies -------------------------------------------------------------------------------


StackFinding = tuple[str | None, str | None, str]
"""(urn of the resource at fault or None, repository name for exemptions or None, problem)."""


def _stack_adapter(
    name: str, problems_of: Callable[[StackValidationArgs], list[StackFinding]]
) -> Callable[[StackValidationArgs, ReportViolation], None]:
    """The stack counterpart of `_resource_adapter`: exemptions, bad config and odd input."""
    policy = PREFIX + name

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        def run() -> None:
            config = args.get_config()
            for urn, repository, problem in problems_of(args):
                waived = _waived(policy, urn, repository, config, [problem]) if urn else [problem]
                for kept in waived:
                    report_violation(kept, urn)

        _report_safely(policy, report_violation, run)

    validate.__name__ = name.replace("-", "_")
    return validate


def _without_lifecycle(args: StackValidationArgs) -> list[StackFinding]:
    found: list[StackFinding] = []
    for repository, problem in repositories_without_lifecycle(args.resources):
        field = "repositoryName" if repository.resource_type == NATIVE_REPOSITORY else "name"
        name = repository.props.get(field)
        found.append((repository.urn, name if isinstance(name, str) else None, problem))
    return found


def _uncovered(args: StackValidationArgs) -> list[StackFinding]:
    return [(r.urn, None, problem) for r, problem in uncovered_creations(args.resources)]


def _unsigned_production(args: StackValidationArgs) -> list[StackFinding]:
    production = {e.lower() for e in config_list(args.get_config(), "prodEnvironments")}
    stacks = {stack_name(r.urn).lower() for r in args.resources}
    problem = signing_missing(args.resources, bool(stacks & production))
    return [(None, None, problem)] if problem else []


def _stack_exemption_notes(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for resource in args.resources:
        with _NOTES_LOCK:
            notes = _NOTES.pop(resource.urn, [])
        for note in notes:
            report_violation(note, resource.urn)


# --- the policies ---------------------------------------------------------------------------------


def _policy(
    name: str,
    description: str,
    types: Sequence[str],
    problems_of: Callable[[ResourceValidationArgs], list[str]],
    severity: Severity,
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
    config: Iterable[str] = (),
) -> ResourceValidationPolicy:
    return ResourceValidationPolicy(
        name=PREFIX + name,
        description=description,
        validate=_resource_adapter(name, types, problems_of),
        enforcement_level=enforcement_level,
        severity=severity,
        config_schema=schema(*config),
    )


# The repository rules by policy name, and whether production matters to them: the pack adapts
# them below, and the live audit runs the same ones on repositories read from AWS.
REPOSITORY_RULES: dict[str, tuple[Rule, bool]] = {
    PREFIX + "repository-require-kms-cmk": (kms_cmk, False),
    PREFIX + "repository-require-scan-on-push": (scan_on_push, False),
    PREFIX + "repository-immutable-tags-in-production": (immutable_tags_rule, True),
    PREFIX + "repository-required-tags": (required_tags, False),
}
LEAST_PRIVILEGE = PREFIX + "repository-policy-least-privilege"
LIFECYCLE = PREFIX + "stack-repositories-have-lifecycle-policy"
REGISTRY_SCANNING_POLICY = PREFIX + "registry-scanning-covers-everything"


def _named_rule(name: str) -> Callable[[ResourceValidationArgs], list[str]]:
    rule, production_matters = REPOSITORY_RULES[PREFIX + name]
    return _repository_rule(rule, production_matters)


def _stack_policy(
    name: str,
    description: str,
    problems_of: Callable[[StackValidationArgs], list[StackFinding]],
    severity: Severity,
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
    config: Iterable[str] = (),
) -> StackValidationPolicy:
    return StackValidationPolicy(
        name=PREFIX + name,
        description=description,
        validate=_stack_adapter(name, problems_of),
        enforcement_level=enforcement_level,
        severity=severity,
        config_schema=schema(*config),
    )


REPOSITORY_TYPES = PRIVATE_REPOSITORIES
# Creation templates are judged as the repositories they create (encryption, mutability, tags).
TEMPLATED_TYPES = (*PRIVATE_REPOSITORIES, CREATION_TEMPLATE)
TAGGED_TYPES = (*TEMPLATED_TYPES, PUBLIC_REPOSITORY)
IAM_TYPES = (*IAM_POLICY_TYPES, AWS_ROLE, *NATIVE_IDENTITIES, *ATTACHMENT_TYPES)

POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    _policy(
        "repository-require-kms-cmk",
        "ECR repositories and creation templates use a customer-managed KMS key.",
        TEMPLATED_TYPES,
        _named_rule("repository-require-kms-cmk"),
        Severity.HIGH,
        config=("allowedKmsKeys",),
    ),
    _policy(
        "repository-require-scan-on-push",
        "ECR repositories scan images on push.",
        REPOSITORY_TYPES,
        _named_rule("repository-require-scan-on-push"),
        Severity.HIGH,
    ),
    _policy(
        "repository-immutable-tags-in-production",
        "Production ECR repositories and creation templates have immutable tags.",
        TEMPLATED_TYPES,
        _named_rule("repository-immutable-tags-in-production"),
        Severity.HIGH,
        config=("prodEnvironments", "allowedExclusionFilters"),
    ),
    _policy(
        "repository-required-tags",
        "ECR repositories carry the governance tags.",
        TAGGED_TYPES,
        _named_rule("repository-required-tags"),
        Severity.MEDIUM,
        config=("requiredTags", "allowedEnvironments"),
    ),
    _policy(
        "repository-policy-least-privilege",
        "ECR repository and registry policies grant least privilege to known principals.",
        (REPOSITORY_POLICY, REGISTRY_POLICY, NATIVE_REPOSITORY),
        _grants,
        Severity.CRITICAL,
        config=("allowedAccounts", "allowedOrganizations"),
    ),
    _policy(
        "repository-no-force-delete-in-production",
        "Production ECR repositories do not set forceDelete (aws-native: emptyOnDelete).",
        REPOSITORY_TYPES,
        _repository_rule(no_force_delete, production_matters=True),
        Severity.HIGH,
        config=("prodEnvironments",),
    ),
    _stack_policy(
        "stack-repositories-have-lifecycle-policy",
        "Every ECR repository in the stack has a lifecycle policy.",
        _without_lifecycle,
        Severity.MEDIUM,
    ),
    _policy(
        "creation-template-has-lifecycle-policy",
        "Repository creation templates give the repositories they create a lifecycle policy.",
        (CREATION_TEMPLATE,),
        lambda args: template_lifecycle(args.props, Context(config=args.get_config())),
        Severity.MEDIUM,
    ),
    _stack_policy(
        "stack-created-repositories-covered-by-templates",
        "Every pull-through cache rule and replication destination in the stack is covered by a "
        "repository creation template.",
        _uncovered,
        Severity.HIGH,
    ),
    _policy(
        "repository-protected-in-production",
        "Production ECR repositories are protected from deletion.",
        REPOSITORY_TYPES,
        _protected,
        Severity.MEDIUM,
        EnforcementLevel.ADVISORY,
        config=("prodEnvironments",),
    ),
    _policy(
        "iam-least-privilege",
        "IAM grants no ECR writes (every non-read-only action) on every repository: policies, "
        "inline policies of roles, users and groups, and AWS managed policy attachments.",
        IAM_TYPES,
        _iam,
        Severity.HIGH,
    ),
    _policy(
        "public-repository",
        "ECR Public repositories are reviewed (mandatory when the org allows none).",
        (PUBLIC_REPOSITORY,),
        _repository_rule(public_repository),
        Severity.HIGH,
        EnforcementLevel.ADVISORY,
    ),
    _policy(
        "registry-scanning-covers-everything",
        "The registry scanning configuration scans every repository on push or continuously.",
        (REGISTRY_SCANNING,),
        lambda args: registry_scanning(args.props, Context(config=args.get_config())),
        Severity.MEDIUM,
        EnforcementLevel.ADVISORY,
    ),
    _stack_policy(
        "stack-production-signing-profile",
        "Production stacks with ECR repositories have an AWS Signer (Notation) signing profile.",
        _unsigned_production,
        Severity.MEDIUM,
        EnforcementLevel.ADVISORY,
        config=("prodEnvironments",),
    ),
    # Last, so they see the notes the policies above left for the same resource or stack.
    ResourceValidationPolicy(
        name=PREFIX + "exemption-notes",
        description="Exempted resources: which policy was waived, why, and until when.",
        validate=_exemption_notes,
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.LOW,
    ),
    StackValidationPolicy(
        name=PREFIX + "stack-exemption-notes",
        description="Exempted repositories of stack policies: which, why, and until when.",
        validate=_stack_exemption_notes,
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.LOW,
    ),
]
"""Every policy of the pack, in the order the pack runs them."""
