"""ECR guardrails: the policies of the `ecr-guardrails` CrossGuard pack, as thin adapters around
the rules (rules_repository, rules_access, rules_stack), which the live audit
(`python -m tools.audit`) runs too.

The pack runs on every stack of the organisation, most of which never use our component, so each
policy judges what a resource makes — by the model's views (model.py), whatever the route: either
AWS provider, a CloudFormation template, a Cloud Control resource — never by names.

Conventions, following the pulumi-policy SDK:
- an adapter asks the model for the resource's views and reports each problem its rules return;
- a value unknown during preview is not a violation: reading it raises the SDK's
  `UnknownValueError`, which the SDK turns into a "can't run during preview" note (after every
  other view of the resource has been judged);
- malformed properties and bad policy config are violations saying what to fix; a config key the
  policy does not take is refused, never ignored; no input makes a validator raise anything else;
- the pack-wide settings (production, the account allowlist, release tags) are defined once, in
  `ecr-pack-settings`'s config, built into one immutable object when the CLI configures the pack
  (serving.py) and handed to every policy explicitly: no result depends on the policies' order;
- exemptions (policy config, never the stack's own tags) waive a policy for matching repositories
  until they expire; the waived problems, and what a stack policy could not judge, appear as
  advisory notes of `ecr-exemption-notes` / `ecr-stack-exemption-notes`.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
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

from .config import (
    DEFAULTS,
    PACK_SETTINGS,
    Allowlist,
    Horizon,
    PackSettings,
    PolicyConfigError,
    apply_exemptions,
    checked,
    config_problems,
    schema,
)
from .lifecycle_eval import release_problems
from .model import (
    GRANT,
    IDENTITY,
    MANAGED,
    PUBLIC,
    REPLICATION,
    REPOSITORY,
    ROUTED_TYPES,
    TEMPLATE,
    TRUST,
    UNREADABLE,
    View,
    unseen_creator,
    views,
)
from .model import LIFECYCLE as LIFECYCLE_VIEW
from .props import MalformedPropertyError, document, mapping, tags_of
from .rules_access import (
    broad_policy_note,
    grant_problems,
    iam_problems,
    managed_policy_problem,
    replication_problems,
    trust_problems,
)
from .rules_repository import (
    Context,
    Rule,
    kms_cmk,
    no_force_delete,
    public_repository,
    required_tags,
    scan_on_push,
    template_lifecycle,
)
from .rules_repository import immutable_tags as immutable_tags_rule
from .rules_signing import configuration_findings, production_signing, unsigned_pushes
from .rules_stack import (
    Finding,
    Owner,
    provider_account,
    registry_owner_problems,
    registry_wide_groups,
    repositories_without_lifecycle,
    roles_with_open_trust,
    uncovered_creations,
    unscanned_repositories,
    view_writes,
)
from .serving import SettingsSource

__all__ = ["DEFAULTS", "POLICIES", "PREFIX", "check_config", "stack_name"]

PREFIX = "ecr-"

# Advisory notes, by URN: written by a policy that waived its problems (or could not judge part
# of a stack), reported by the advisory `ecr-exemption-notes` policies, which run after the
# others for the same resource (resource policies) or the same stack (stack policies). The SDK
# gives each policy one enforcement level, so an advisory note from a mandatory policy has to
# travel this way.
_NOTES: dict[str, list[str]] = {}
_NOTES_LOCK = threading.Lock()


def _note(urn: str, note: str) -> None:
    with _NOTES_LOCK:
        _NOTES.setdefault(urn, []).append(note)


# The pack-wide settings: built from the whole pack config when the CLI configures the pack
# (serving.py), read by every policy through this source. The defaults hold until then.
SETTINGS = SettingsSource()


def _settings_problem(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """`ecr-pack-settings` judges nothing: it reports its own config when the pack refuses it
    (the settings source then holds the defaults, which are the strictest)."""
    try:
        checked(PACK_SETTINGS, args.get_config())
    except PolicyConfigError as error:
        report_violation(f"{error}; the defaults apply until it is fixed", None)


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


def check_config(raw: Any) -> list[str]:
    """Every problem of a whole policy config file for this pack (empty: the pack accepts it)."""
    return config_problems(raw, [p.name for p in POLICIES])


def _view_name(view: View) -> str | None:
    if view.name_key is None:
        return None
    try:
        name = view.props.get(view.name_key)
    except UnknownValueError:
        return None
    return name if isinstance(name, str) else None


def _waived(
    policy: str,
    urn: str,
    name: str | None,
    config: Mapping[str, Any],
    problems: list[str],
    settings: PackSettings,
) -> list[str]:
    """`problems` after the policy's exemptions: [] with a note when one applies, each marked
    when the matching exemption has expired."""
    horizon = Horizon(settings.horizon_days, today())
    waiver = apply_exemptions(config, name, stack_name(urn) or None, problems, today(), horizon)
    if waiver.note:
        _note(urn, f"{policy} {waiver.note}")
    return waiver.problems


def _could_not_judge(policy: str, error: Exception) -> str:
    return (
        f"{policy} could not judge this resource ({type(error).__name__}): check that its "
        "properties have the provider's documented shapes."
    )


def _report_safely(policy: str, report_violation: ReportViolation, run: Callable[[], None]) -> None:
    try:
        run()
    except UnknownValueError:
        raise  # unknown during preview: the SDK notes it, never a violation
    except (PolicyConfigError, MalformedPropertyError) as problem:
        report_violation(str(problem), None)
    except Exception as error:
        report_violation(_could_not_judge(policy, error), None)


@dataclass(frozen=True)
class Judging:
    """What a view's rule knows: the resource, the policy's (checked) config, all its views,
    and the pack settings."""

    args: ResourceValidationArgs
    config: Mapping[str, Any]
    views: Sequence[View]
    settings: PackSettings

    def production(self, tags: Mapping[str, Any]) -> bool:
        return self.settings.production.decides(
            tags, stack_name(self.args.urn), getattr(self.args, "stack_tags", None)
        )

    @property
    def allowlist(self) -> Allowlist:
        """The pack's allowlist, with the resource's own account when its provider pins one."""
        return self.settings.allowlist.with_own(provider_account(self.args))


ViewRule = Callable[[View, Judging], list[str]]


def _resource_adapter(
    name: str, rules: Mapping[str, ViewRule], settings: Callable[[], PackSettings]
) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    """Judge each of the resource's views of the kinds `rules` names; a view that cannot be read
    yet (preview) or is malformed stops only its own judgement."""
    policy = PREFIX + name

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in ROUTED_TYPES:
            return
        unknown: list[UnknownValueError] = []

        def run() -> None:
            config = checked(policy, args.get_config())
            found = views(args.resource_type, args.props)
            pack = settings()
            judging = Judging(args, config, found, pack)
            for view in found:
                rule = rules.get(view.kind)
                if rule is None:
                    continue
                try:
                    problems = [view.label(p) for p in rule(view, judging)]
                    if problems:
                        problems = _waived(
                            policy, args.urn, _view_name(view), config, problems, pack
                        )
                except UnknownValueError as error:
                    unknown.append(error)
                    continue
                except MalformedPropertyError as error:
                    problems = [view.label(str(error))]
                except PolicyConfigError:
                    raise
                except Exception as error:
                    problems = [view.label(_could_not_judge(policy, error))]
                for problem in problems:
                    report_violation(problem, None)

        _report_safely(policy, report_violation, run)
        if unknown:
            raise unknown[0]

    validate.__name__ = name.replace("-", "_")
    return validate


# --- the view rules ---------------------------------------------------------------------------


class _WithTags(Mapping[str, Any]):
    """A repository view with `tags` read as the effective tags (the provider's defaultTags
    apply to a repository resource itself, not to what a template or another stack creates)."""

    def __init__(self, view: View, judging: Judging) -> None:
        self._view = view
        self._judging = judging

    def __getitem__(self, key: str) -> Any:
        value = self._view.props.get(key)
        if key != "tags":
            return value
        if self._view.kind == REPOSITORY and not self._view.where:
            return effective_tags(self._judging.args, value)
        return tags_of(value)

    def __iter__(self) -> Iterator[str]:
        return iter(self._view.props)

    def __len__(self) -> int:
        return len(self._view.props)


def _repository(rule: Rule, production_matters: bool = False) -> ViewRule:
    def judge(view: View, judging: Judging) -> list[str]:
        props = _WithTags(view, judging)
        production = production_matters and judging.production(props["tags"])
        return rule(props, Context(production=production, config=judging.config))

    return judge


def _grant(view: View, judging: Judging) -> list[str]:
    raw = view.props.get("document")
    if raw is None and view.props.get("optional"):
        return []  # no policy: nobody else is let in
    return grant_problems(document(raw, str(view.props.get("prop"))), judging.allowlist)


def _replication(view: View, judging: Judging) -> list[str]:
    return replication_problems(view.props, judging.allowlist)


def _identity(view: View, judging: Judging) -> list[str]:
    label = view.props.get("prop")
    found = iam_problems(document(view.props.get("document"), str(label)))
    return [f"{label}: {p}" if label != "policy" else p for p in found]


def _managed(view: View, judging: Judging) -> list[str]:
    what = f"{view.props.get('prop')}" if view.props.get("prop") else "This attachment"
    problem = managed_policy_problem(view.props.get("arn"), what)
    return [problem] if problem else []


def _broad(view: View, judging: Judging) -> list[str]:
    what = f"{view.props.get('prop')}" if view.props.get("prop") else "This attachment"
    note = broad_policy_note(view.props.get("arn"), what)
    return [note] if note else []


def _writes_of(found: Sequence[View]) -> list[str]:
    """The ECR writes a role's own inline and managed policies give it."""
    return [w for view in found for w in view_writes(view)]


def _trust(view: View, judging: Judging) -> list[str]:
    writes = _writes_of([v for v in judging.views if v.where == view.where])
    if not writes:
        return []
    raw = view.props.get("document")
    if raw is None:
        return []
    found = trust_problems(document(raw, str(view.props.get("prop"))), judging.allowlist)
    return [
        f"Role with ECR write ({', '.join(writes[:3])}): {problem}: restrict who can assume it"
        for problem in found
    ]


def _protected(view: View, judging: Judging) -> list[str]:
    if view.where:
        return []  # a resource inside a template: protect the stack that holds it
    props = _WithTags(view, judging)
    if judging.args.opts.protect or not judging.production(props["tags"]):
        return []
    return [
        "Production repository without the protect resource option: set "
        "opts=ResourceOptions(protect=True) so it cannot be deleted by accident."
    ]


def _lifecycle_text(view: View) -> Any:
    """The lifecycle policy a view sets (None: none)."""
    if view.kind == LIFECYCLE_VIEW:
        return view.props.get("policy")
    policy = view.props.get("lifecyclePolicy")
    if view.kind == REPOSITORY and isinstance(policy, Mapping):
        return policy.get("lifecyclePolicyText")
    return policy


def _releases_kept(view: View, judging: Judging) -> list[str]:
    """In production, no lifecycle rule expires or archives release images (the pack's
    releaseTagPatterns and protectedTags) before keeping minReleaseImagesKept of them or
    before minReleaseAgeDays: expiry frees an immutable tag, which can then be pushed again
    with other content. A policy unknown during preview is the worst case."""
    tags = None if view.kind == LIFECYCLE_VIEW else _WithTags(view, judging)["tags"]
    if not judging.production(tags or {}):
        return []
    settings = judging.settings
    try:
        raw = _lifecycle_text(view)
    except UnknownValueError:
        return [
            "Production lifecycle policy unknown during preview: the pack cannot prove it keeps "
            "release images. Build it from known values (or judge it with `pulumi up`'s "
            "preview after its inputs are known)."
        ]
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return []
    found = release_problems(
        mapping(document(raw, "lifecycle policy"), "lifecycle policy"),
        settings.release_patterns,
        settings.min_release_images,
        settings.min_release_days,
    )
    return [
        f"Production lifecycle policy: {problem} (expired, an immutable release tag can be "
        "pushed again with other content)"
        for problem in found
    ]


def _unreadable(view: View, judging: Judging) -> list[str]:
    return [f"{view.props['problem']}: the pack cannot see what it creates, so it cannot pass it."]


def _exemption_notes(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if unseen_creator(args.resource_type):
        report_violation(
            f"{args.resource_type} {args.name} runs code the pack cannot read: this stack may "
            "create ECR resources the pack cannot judge. Declare them as Pulumi resources (or "
            "review what this one creates)",
            None,
        )
    with _NOTES_LOCK:
        notes = _NOTES.pop(args.urn, [])
    for note in notes:
        report_violation(note, None)


# --- stack policies -------------------------------------------------------------------------------


StackFinding = tuple[str | None, str | None, str]
"""(urn of the resource at fault or None, repository name for exemptions or None, problem)."""


StackRule = Callable[[StackValidationArgs, str, PackSettings], list[StackFinding]]


def _stack_adapter(
    name: str, problems_of: StackRule, settings: Callable[[], PackSettings]
) -> Callable[[StackValidationArgs, ReportViolation], None]:
    """The stack counterpart of `_resource_adapter`: exemptions, bad config and odd input."""
    policy = PREFIX + name

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        def run() -> None:
            config = checked(policy, args.get_config())
            pack = settings()
            for urn, repository, problem in problems_of(args, policy, pack):
                waived = (
                    _waived(policy, urn, repository, config, [problem], pack) if urn else [problem]
                )
                for kept in waived:
                    report_violation(kept, urn)

        _report_safely(policy, report_violation, run)

    validate.__name__ = name.replace("-", "_")
    return validate


def _stack_findings(
    policy: str, found: list[Finding], notes: list[Finding], name_of: Callable[[Any], Any]
) -> list[StackFinding]:
    for resource, note in notes:
        _note(resource.urn, f"{policy} could not judge {resource.name} yet: {note}")
    return [(r.urn, name_of(r), problem) for r, problem in found]


# Where each repository type keeps the repository's name. Any other resource at fault (a
# CloudFormation stack, a Cloud Control resource) has a name of its own, never the repository's:
# an exemption cannot match it.
_NAME_FIELD = {
    "aws:ecr/repository:Repository": "name",
    "aws-native:ecr:Repository": "repositoryName",
}


def _repository_name(resource: Any) -> str | None:
    field = _NAME_FIELD.get(resource.resource_type)
    if field is None:
        return None
    try:
        name = resource.props.get(field)
    except UnknownValueError:
        return None
    return name if isinstance(name, str) else None


def _without_lifecycle(
    args: StackValidationArgs, policy: str, settings: PackSettings
) -> list[StackFinding]:
    found, notes = repositories_without_lifecycle(args.resources)
    return _stack_findings(policy, found, notes, _repository_name)


def _unscanned(
    args: StackValidationArgs, policy: str, settings: PackSettings
) -> list[StackFinding]:
    found, notes = unscanned_repositories(args.resources)
    for resource, note in notes:
        _note(resource.urn, f"{policy} could not judge {resource.name} yet: {note}")
    return [(r.urn, name, problem) for r, name, problem in found]


def _uncovered(
    args: StackValidationArgs, policy: str, settings: PackSettings
) -> list[StackFinding]:
    found, notes = uncovered_creations(args.resources, args.get_config() or {})
    return _stack_findings(policy, found, notes, lambda r: None)


def _open_trust(
    args: StackValidationArgs, policy: str, settings: PackSettings
) -> list[StackFinding]:
    found, notes = roles_with_open_trust(args.resources, settings.allowlist)
    return _stack_findings(policy, found, notes, lambda r: None)


def _unsigned_production(
    args: StackValidationArgs, policy: str, settings: PackSettings
) -> list[StackFinding]:
    production = settings.production
    stack_tags = getattr(args, "stack_tags", None)
    central = bool(checked(policy, args.get_config()).get("centralSigning", False))

    def is_production(item: Any) -> bool:
        ok, tags = item.read("tags")
        try:
            own = tags_of(tags) if ok else None
        except MalformedPropertyError:
            own = None  # the required-tags policy reports it
        return production.decides(own, stack_name(item.resource.urn), stack_tags)

    found, notes = production_signing(args.resources, is_production, central)
    stack_wide = [(None, None, problem) for at, problem in found if at is None]
    on_resource = [(at, problem) for at, problem in found if at is not None]
    return stack_wide + _stack_findings(policy, on_resource, notes, lambda r: None)


def _signing_configuration(
    args: StackValidationArgs, policy: str, settings: PackSettings
) -> list[StackFinding]:
    found, notes = configuration_findings(args.resources)
    return _stack_findings(policy, found, notes, lambda r: None)


def _signing_push(
    args: StackValidationArgs, policy: str, settings: PackSettings
) -> list[StackFinding]:
    central = bool(checked(policy, args.get_config()).get("centralSigning", False))
    found, notes = unsigned_pushes(args.resources, central)
    return _stack_findings(policy, found, notes, lambda r: None)


def _registry_owner(
    args: StackValidationArgs, policy: str, settings: PackSettings
) -> list[StackFinding]:
    """The stack's registry-wide resources against the owners the config names for their
    account and region; with none named, an advisory note of what the stack manages, so a
    second owner is visible before it is refused."""
    config = checked(policy, args.get_config())
    owners = [
        Owner(o["account"], o["region"], tuple(o["stacks"])) for o in config.get("owners", [])
    ]
    groups, notes = registry_wide_groups(args.resources)
    found: list[StackFinding] = []
    allow = settings.allowlist
    for group in groups:
        first = group.items[0].resource
        stack = stack_name(first.urn)
        # An account the provider pins but the allowlist does not name: this stack manages
        # another account's registry. (An account the pack cannot tell is the owner rule's
        # worst case below.)
        if allow.accounts and group.account is not None and not allow.allows(group.account):
            found.append(
                (
                    first.urn,
                    None,
                    f"Stack {stack} manages registry-wide ECR settings of {group.where()} "
                    f"({group.what()}), which is not in {allow.shown()}: manage them from an "
                    "allowed account",
                )
            )
            continue
        if not owners:
            _note(
                first.urn,
                f"{policy}: stack {stack} manages the registry-wide ECR settings of "
                f"{group.where()}: {group.what()}. No owner is configured: name the one stack "
                f"that owns them in {policy}.owners, so a second stack managing them is refused.",
            )
            continue
        problem, note = registry_owner_problems(group, stack, owners)
        if note:
            _note(first.urn, f"{policy}: {note}")
        if problem:
            found.append((first.urn, None, problem))
    return found + _stack_findings(policy, [], notes, lambda r: None)


def _stack_notes(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for resource in args.resources:
        with _NOTES_LOCK:
            notes = _NOTES.pop(resource.urn, [])
        for note in notes:
            report_violation(note, resource.urn)


# --- the policies ---------------------------------------------------------------------------------


Settings = Callable[[], PackSettings]


def _policy(
    settings: Settings,
    name: str,
    description: str,
    rules: Mapping[str, ViewRule],
    severity: Severity,
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> ResourceValidationPolicy:
    return ResourceValidationPolicy(
        name=PREFIX + name,
        description=description,
        validate=_resource_adapter(name, rules, settings),
        enforcement_level=enforcement_level,
        severity=severity,
        config_schema=schema(PREFIX + name),
    )


def _stack_policy(
    settings: Settings,
    name: str,
    description: str,
    problems_of: StackRule,
    severity: Severity,
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> StackValidationPolicy:
    return StackValidationPolicy(
        name=PREFIX + name,
        description=description,
        validate=_stack_adapter(name, problems_of, settings),
        enforcement_level=enforcement_level,
        severity=severity,
        config_schema=schema(PREFIX + name),
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
# A registry scanning configuration that leaves repositories unscanned breaks the scanning
# guarantee itself, so the scan-on-push policy judges it.
REGISTRY_SCANNING_POLICY = PREFIX + "repository-require-scan-on-push"


def _named(name: str, *kinds: str) -> dict[str, ViewRule]:
    rule, production_matters = REPOSITORY_RULES[PREFIX + name]
    return {kind: _repository(rule, production_matters) for kind in kinds}


def _template_lifecycle(view: View, judging: Judging) -> list[str]:
    return template_lifecycle(view.props, Context(config=judging.config))


Policy = ResourceValidationPolicy | StackValidationPolicy


# long because: the pack's policy table, one declaration per policy in the order the pack lists them
def build_policies(settings: Settings) -> list[Policy]:
    """Every policy of the pack, in the order the pack runs them, each reading the pack-wide
    settings from `settings` (the served pack: the source Configure fills; tests: any)."""
    return [
        ResourceValidationPolicy(
            name=PACK_SETTINGS,
            description="Pack-wide settings: which stacks and Environment tags are production, how "
            "far ahead an exemption may expire, which accounts and organisations every policy "
            "allows, which tags production lifecycle rules keep. Reports only a refused config.",
            validate=_settings_problem,
            enforcement_level=EnforcementLevel.MANDATORY,
            severity=Severity.LOW,
            config_schema=schema(PACK_SETTINGS),
        ),
        _policy(
            settings,
            "repository-require-kms-cmk",
            "ECR repositories and creation templates (every route) use a customer-managed KMS key.",
            _named("repository-require-kms-cmk", REPOSITORY, TEMPLATE),
            Severity.HIGH,
        ),
        _stack_policy(
            settings,
            "repository-require-scan-on-push",
            "ECR repositories scan images on push (their own scanOnPush, or a registry scanning "
            "configuration of the stack, provider and region that scans every repository), and "
            "no registry scanning configuration turns scanning off for any of them.",
            _unscanned,
            Severity.HIGH,
        ),
        _policy(
            settings,
            "repository-immutable-tags-in-production",
            "Production ECR repositories and creation templates have immutable tags.",
            _named("repository-immutable-tags-in-production", REPOSITORY, TEMPLATE),
            Severity.HIGH,
        ),
        _policy(
            settings,
            "repository-required-tags",
            "ECR repositories (private, public, created by templates) carry the governance tags.",
            _named("repository-required-tags", REPOSITORY, TEMPLATE, PUBLIC),
            Severity.MEDIUM,
        ),
        _policy(
            settings,
            "repository-policy-least-privilege",
            "ECR repository, registry, creation-template and ECR Public policies grant least "
            "privilege to known principals; replication stays within the allowed accounts.",
            {GRANT: _grant, REPLICATION: _replication},
            Severity.CRITICAL,
        ),
        _policy(
            settings,
            "repository-no-force-delete-in-production",
            "Production ECR repositories do not set forceDelete (aws-native: emptyOnDelete).",
            {REPOSITORY: _repository(no_force_delete, production_matters=True)},
            Severity.HIGH,
        ),
        _stack_policy(
            settings,
            "stack-repositories-have-lifecycle-policy",
            "Every ECR repository in the stack has a lifecycle policy in its region.",
            _without_lifecycle,
            Severity.MEDIUM,
        ),
        _policy(
            settings,
            "lifecycle-keeps-releases-in-production",
            "In production, no lifecycle rule (lifecycle policies, aws-native and CloudFormation "
            "repositories, creation templates) expires or archives release-tagged images before "
            "keeping minReleaseImagesKept of them or before minReleaseAgeDays.",
            {LIFECYCLE_VIEW: _releases_kept, REPOSITORY: _releases_kept, TEMPLATE: _releases_kept},
            Severity.HIGH,
        ),
        _policy(
            settings,
            "creation-template-has-lifecycle-policy",
            "Repository creation templates give the repositories they create a lifecycle policy.",
            {TEMPLATE: _template_lifecycle},
            Severity.MEDIUM,
        ),
        _stack_policy(
            settings,
            "stack-created-repositories-covered-by-templates",
            "Every pull-through cache rule, replication destination and inbound replication grant "
            "in the stack is covered by a repository creation template.",
            _uncovered,
            Severity.HIGH,
        ),
        _policy(
            settings,
            "repository-protected-in-production",
            "Production ECR repositories are protected from deletion.",
            {REPOSITORY: _protected},
            Severity.MEDIUM,
            EnforcementLevel.ADVISORY,
        ),
        _policy(
            settings,
            "iam-least-privilege",
            "IAM grants no ECR writes on every repository (policies of every type and "
            "provider, inline policies, managed policy attachments, SSO permission sets), and a "
            "role with ECR writes cannot be assumed by anyone, any OIDC or SAML subject or an "
            "account outside the allowlist.",
            {IDENTITY: _identity, MANAGED: _managed, TRUST: _trust},
            Severity.HIGH,
        ),
        _stack_policy(
            settings,
            "stack-role-trust",
            "A role given ECR writes by another resource of the stack (a role policy, an "
            "attachment) cannot be assumed by anyone, any OIDC or SAML subject or an account "
            "outside the allowlist.",
            _open_trust,
            Severity.HIGH,
        ),
        _policy(
            settings,
            "iam-broad-managed-policy",
            "AdministratorAccess and PowerUserAccess attachments include every ECR write: noted.",
            {MANAGED: _broad},
            Severity.MEDIUM,
            EnforcementLevel.ADVISORY,
        ),
        _policy(
            settings,
            "public-repository",
            "ECR Public repositories are reviewed (mandatory when the org allows none).",
            {PUBLIC: _repository(public_repository)},
            Severity.HIGH,
            EnforcementLevel.ADVISORY,
        ),
        _policy(
            settings,
            "embedded-templates-judged",
            "CloudFormation templates (stacks, stack sets) and Cloud Control resources are "
            "readable, so the pack can judge the repositories and grants inside them.",
            {UNREADABLE: _unreadable},
            Severity.HIGH,
        ),
        _stack_policy(
            settings,
            "stack-production-signing-profile",
            "Production ECR repositories are signed: covered by a signing configuration of the "
            "stack (ECR managed signing, either provider), or signed by CI with a Notation "
            "profile, or (centralSigning) by a configuration managed elsewhere.",
            _unsigned_production,
            Severity.MEDIUM,
            EnforcementLevel.ADVISORY,
        ),
        _stack_policy(
            settings,
            "stack-signing-configuration",
            "ECR signing configurations have valid rules (at most 10, 1-100 WILDCARD_MATCH filters "
            "each) and name only Signer profiles on the Notation platform.",
            _signing_configuration,
            Severity.HIGH,
        ),
        _stack_policy(
            settings,
            "stack-signing-push-permission",
            "Identity policies that push to repositories under ECR managed signing allow "
            "signer:SignPayload (without it pushes succeed unsigned).",
            _signing_push,
            Severity.MEDIUM,
            EnforcementLevel.ADVISORY,
        ),
        _stack_policy(
            settings,
            "stack-registry-owner",
            "Registry-wide ECR settings (registry policy and scanning, replication, pull-through "
            "cache rules, creation templates, pull-time exclusions, account settings, signing) are "
            "managed only by the stacks the config names as owners of their account and region "
            "(advisory notes while it names none).",
            _registry_owner,
            Severity.HIGH,
        ),
        # Last, so they see the notes the policies above left for the same resource or stack.
        ResourceValidationPolicy(
            name=PREFIX + "exemption-notes",
            description="Exempted resources (which policy was waived, why, until when), and "
            "resources running code that may create ECR resources the pack cannot judge.",
            validate=_exemption_notes,
            enforcement_level=EnforcementLevel.ADVISORY,
            severity=Severity.LOW,
        ),
        StackValidationPolicy(
            name=PREFIX + "stack-exemption-notes",
            description="Exempted repositories of stack policies, and what a stack policy could "
            "not judge yet (values unknown during preview).",
            validate=_stack_notes,
            enforcement_level=EnforcementLevel.ADVISORY,
            severity=Severity.LOW,
        ),
    ]


POLICIES = build_policies(SETTINGS)
"""Every policy of the pack, in the order the pack runs them, reading the served settings."""
