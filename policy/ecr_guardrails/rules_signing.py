"""Image signing rules: ECR managed signing (a registry's signing configuration signs every push to
a matching repository with an AWS Signer profile, as the pushing principal) and client-side
Notation signing (a Notation signing profile CI signs with).

Pure functions of the model's views (model.py: SIGNING views in the aws-native / CloudFormation /
Cloud Control shape `{rules: [{signingProfileArn, repositoryFilters: [{filter, filterType}]}]}`),
shared by the pack and the live audit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import PolicyResource

from .actions import action_matches
from .model import IDENTITY, REPOSITORY, SIGNING
from .props import MalformedPropertyError, document, mapping, sequence, show
from .rules_access import allow_statements
from .rules_stack import Finding, Item, read_known, stack_items

SIGNING_PROFILE = "aws:signer/signingProfile:SigningProfile"
NOTATION_PLATFORM = "Notation-OCI-SHA384-ECDSA"
SIGN_ACTION = "signer:SignPayload"
FILTER_TYPE = "WILDCARD_MATCH"
# botocore ecr PutSigningConfiguration: SigningRuleList max 10, SigningRepositoryFilterList 1-100,
# SigningRepositoryFilterValue 1-256 characters of this pattern, SigningProfileArn at most 200.
MAX_RULES = 10
MAX_FILTERS = 100
MAX_FILTER_LENGTH = 256
FILTER = re.compile(r"(?:[a-z0-9*]+(?:[._-][a-z0-9*]+)*/)*[a-z0-9*]+(?:[._-][a-z0-9*]+)*")
PROFILE_ARN = re.compile(
    r"arn:aws(?:-[a-z]+)*:signer:[a-z0-9-]+:[0-9]{12}:/signing-profiles/([a-zA-Z0-9_]{2,})"
)
PUSH_ACTION = "ecr:PutImage"
"""What a push calls last: the write managed signing signs after."""


def signing_rules(props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The configuration's rules (MalformedPropertyError when they are not a list of objects)."""
    return [
        mapping(rule, f"rules[{index}]")
        for index, rule in enumerate(sequence(props.get("rules"), "rules"))
    ]


def rule_filters(rule: Mapping[str, Any], index: int) -> list[str]:
    """A rule's filter values that are strings (the others are reported by
    `configuration_problems`)."""
    filters = sequence(rule.get("repositoryFilters"), f"rules[{index}].repositoryFilters")
    return [
        value
        for entry in filters
        if isinstance(entry, Mapping) and isinstance(value := entry.get("filter"), str)
    ]


def filters_of(props: Mapping[str, Any]) -> list[str]:
    """Every filter value of every rule."""
    return [f for index, rule in enumerate(signing_rules(props)) for f in rule_filters(rule, index)]


def covers(filters: Iterable[str], repository: str) -> bool:
    """Whether a WILDCARD_MATCH filter matches the repository (`*` any characters, / included;
    without `*` the exact name)."""
    return any(fnmatchcase(repository, f.replace("[", "[[]").replace("?", "[?]")) for f in filters)


def profile_arns(props: Mapping[str, Any]) -> list[Any]:
    """The signing profile ARN of each rule (as written; None while unknown during preview)."""
    return [_arn(rule) for rule in signing_rules(props)]


def _arn(rule: Mapping[str, Any]) -> Any:
    return read_known(lambda: rule.get("signingProfileArn"))[1]


def profile_name(arn: Any) -> str | None:
    """The profile name in a Signer profile ARN (None when it is not one)."""
    match = PROFILE_ARN.fullmatch(arn) if isinstance(arn, str) else None
    return match.group(1) if match else None


def configuration_problems(props: Mapping[str, Any]) -> list[str]:
    """What ECR would refuse in a signing configuration, or what would sign nothing."""
    problems = []
    rules = signing_rules(props)
    if not rules:
        problems.append("has no rules: it signs nothing (remove it, or add a rule)")
    if len(rules) > MAX_RULES:
        problems.append(f"has {len(rules)} rules; ECR allows at most {MAX_RULES} per registry")
    for index, rule in enumerate(rules):
        where = f"rules[{index}]"
        arn = _arn(rule)
        if isinstance(arn, str) and profile_name(arn) is None:
            problems.append(
                f"{where}.signingProfileArn = {show(arn)}: must be an AWS Signer profile ARN "
                "(arn:aws:signer:<region>:<account>:/signing-profiles/<name>)"
            )
        filters = sequence(rule.get("repositoryFilters"), f"{where}.repositoryFilters")
        if not 1 <= len(filters) <= MAX_FILTERS:
            problems.append(
                f"{where}.repositoryFilters has {len(filters)} filters; ECR allows 1-{MAX_FILTERS}"
            )
        for number, entry in enumerate(filters):
            at = f"{where}.repositoryFilters[{number}]"
            entry = mapping(entry, at)
            kind, value = entry.get("filterType"), entry.get("filter")
            if kind != FILTER_TYPE:
                problems.append(f"{at}.filterType = {show(kind)}: must be {FILTER_TYPE}")
            if not (
                isinstance(value, str)
                and len(value) <= MAX_FILTER_LENGTH
                and FILTER.fullmatch(value)
            ):
                problems.append(
                    f"{at}.filter = {show(value)}: must be a repository-name wildcard of 1-"
                    f"{MAX_FILTER_LENGTH} lowercase letters, digits, * and single . _ - "
                    "separators, / between parts (e.g. team-a/*)"
                )
    return problems


def platform_problem(arn: Any, platform: Any) -> str | None:
    """Why a profile a signing rule names cannot sign container images (None if it can)."""
    if platform == NOTATION_PLATFORM:
        return None
    return (
        f"signing profile {show(arn)} is on platform {show(platform)}: ECR signs container "
        f"images only with profiles on {NOTATION_PLATFORM}"
    )


def missing_signing(
    production_repositories: list[str],
    configurations: list[list[str]],
    notation_profile: bool,
) -> str | None:
    """Why a production stack's images would not be signed (None: they are).

    `configurations`: each signing configuration's filters. A configuration must cover every
    production repository; without one, a Notation profile means CI signs (client-side)."""
    if not production_repositories:
        return None
    if configurations:
        filters = [f for found in configurations for f in found]
        uncovered = [r for r in production_repositories if not covers(filters, r)]
        if not uncovered:
            return None
        return (
            f"Production repositories {', '.join(uncovered)} are not covered by this stack's "
            "ECR signing configuration: pushes to them are not signed. Add them (or a wildcard) "
            "to its repository filters."
        )
    if notation_profile:
        return None
    return (
        "This production stack has ECR repositories but neither an ECR signing configuration "
        f"covering them nor an AWS Signer profile on the {NOTATION_PLATFORM} platform: images "
        "cannot be signed and verified (`ecr:signing: {}` in this program; if the organisation "
        "signs centrally, set centralSigning: true in this policy's config)."
    )


def may_sign(document: Any) -> bool:
    """Whether an identity policy allows `signer:SignPayload` (on any resource)."""
    return any(
        any(action_matches(a, SIGN_ACTION) for a in _strings(statement.get("Action")))
        for _, statement in allow_statements(document)
    )


def pushed_repositories(document: Any) -> list[str] | None:
    """The repository names (or IAM wildcards) an identity policy may push to; None when it
    grants no push."""
    pushes = False
    names: list[str] = []
    for _, statement in allow_statements(document):
        if not any(action_matches(a, PUSH_ACTION) for a in _strings(statement.get("Action"))):
            continue
        pushes = True
        for resource in _strings(statement.get("Resource")):
            names.append(
                resource.split(":repository/", 1)[1] if ":repository/" in resource else "*"
            )
    return names if pushes else None


def push_without_signing(document: Any, filters: list[str], everything: bool) -> str | None:
    """Why an identity policy's pushes would be left unsigned under managed signing: ECR signs as
    the pushing principal, which needs signer:SignPayload on the profile; without it the push
    succeeds and the image is silently unsigned. `everything`: signing covers every repository
    (central signing)."""
    names = pushed_repositories(document)
    if names is None or may_sign(document):
        return None
    signed = [n for n in names if everything or _overlaps(n, filters)]
    if not signed:
        return None
    return (
        f"Grants ecr:PutImage on {', '.join(sorted(set(signed)))} under ECR managed signing but "
        f"not {SIGN_ACTION}: ECR signs as the pushing principal, so its pushes succeed unsigned. "
        f"Allow {SIGN_ACTION} on the signing profile."
    )


def _overlaps(pattern: str, filters: list[str]) -> bool:
    """Whether an IAM repository pattern and a signing filter can match one repository (tried
    each way: a `*` on either side may stand for the other's name)."""
    return any(
        fnmatchcase(pattern, f) or fnmatchcase(f, pattern.replace("?", "*")) for f in filters
    )


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


# --- the whole stack ------------------------------------------------------------------------------


def _configurations(items: list[Item]) -> tuple[list[tuple[Item, list[str]]], list[Finding]]:
    """(configuration, its filters) for each signing configuration whose filters are known, and
    a note for each whose filters are not (yet)."""
    found: list[tuple[Item, list[str]]] = []
    notes: list[Finding] = []
    for item in (i for i in items if i.view.kind == SIGNING):
        ok, filters = read_known(lambda i=item: filters_of(i.view.props))  # type: ignore[misc]
        if ok:
            found.append((item, filters))
        else:
            notes.append((item.resource, "its repository filters are unknown during preview"))
    return found, notes


def _notation(profile: PolicyResource) -> bool:
    """A Notation profile (or one whose platform is unknown during preview)."""
    ok, platform = read_known(lambda: profile.props.get("platformId"))
    return not ok or platform == NOTATION_PLATFORM


def production_signing(
    resources: Iterable[PolicyResource], is_production: Callable[[Item], bool], central: bool
) -> tuple[list[tuple[PolicyResource | None, str]], list[Finding]]:
    """(findings, notes) of the production signing rule: every production repository is covered
    by a signing configuration of this stack, or the stack signs client-side with a Notation
    profile, or (`central`) the organisation signs centrally outside this stack."""
    resources = list(resources)
    if central:
        return [], []
    items, notes = stack_items(resources)
    production: list[str] = []
    for item in (i for i in items if i.view.kind == REPOSITORY and is_production(i)):
        ok, name = item.read("name")
        if not ok:
            notes.append((item.resource, "its repository name is unknown during preview"))
        elif isinstance(name, str):
            production.append(name)
    configurations, unknown = _configurations(items)
    notes += unknown
    if unknown and not configurations:
        return [], notes
    notation = any(_notation(r) for r in resources if r.resource_type == SIGNING_PROFILE)
    problem = missing_signing(production, [f for _, f in configurations], notation)
    if problem is None:
        return [], notes
    # On the configuration that misses repositories; stack-wide when there is none.
    return [(configurations[0][0].resource if configurations else None, problem)], notes


def configuration_findings(
    resources: Iterable[PolicyResource],
) -> tuple[list[Finding], list[Finding]]:
    """(findings, notes): each signing configuration's rules within ECR's limits, and every
    profile it names on the Notation platform (a profile of this stack, found by name or, while
    its ARN is unknown, by dependency; another stack's profile is noted as not checked)."""
    resources = list(resources)
    items, notes = stack_items(resources)
    profiles = [r for r in resources if r.resource_type == SIGNING_PROFILE]
    found: list[Finding] = []
    for item in (i for i in items if i.view.kind == SIGNING):
        prefix = f"{item.view.where}: " if item.view.where else ""
        try:
            ok, problems = read_known(lambda i=item: configuration_problems(i.view.props))  # type: ignore[misc]
        except MalformedPropertyError as error:
            found.append((item.resource, f"{prefix}Signing configuration: {error}"))
            continue
        if not ok:
            notes.append((item.resource, "its rules are unknown during preview"))
            continue
        found += [(item.resource, f"{prefix}Signing configuration {p}") for p in problems]
        depended = {d.urn for d in item.resource.property_dependencies.get("rules", [])}
        for arn in profile_arns(item.view.props):
            name = profile_name(arn)  # None while the ARN is unknown: matched by dependency
            matching = [
                r
                for r in profiles
                if (name is not None and read_known(lambda r=r: r.props.get("name"))[1] == name)  # type: ignore[misc]
                or (arn is None and r.urn in depended)
            ]
            if not matching and name is not None:
                note = f"signing profile {arn} is not in this stack: its platform was not checked"
                notes.append((item.resource, note))
            for profile in matching:
                ok, platform = read_known(lambda p=profile: p.props.get("platformId"))  # type: ignore[misc]
                problem = platform_problem(arn or profile.name, platform) if ok else None
                if problem:
                    found.append((item.resource, f"{prefix}Signing configuration: {problem}"))
    return found, notes


def unsigned_pushes(
    resources: Iterable[PolicyResource], central: bool
) -> tuple[list[Finding], list[Finding]]:
    """(findings, notes): identity policies (pulumi-aws and aws-native IAM, every route) that
    push to repositories under managed signing without `signer:SignPayload`."""
    items, notes = stack_items(resources)
    configurations, unknown = _configurations(items)
    notes += unknown
    filters = [f for _, group in configurations for f in group]
    if not filters and not central:
        return [], notes
    found: list[Finding] = []
    for item in (i for i in items if i.view.kind == IDENTITY):
        ok, raw = item.read("document")
        if not ok:
            notes.append((item.resource, "its policy document is unknown during preview"))
            continue
        try:
            problem = push_without_signing(document(raw, "policy"), filters, central)
        except MalformedPropertyError:
            continue  # the least-privilege policy reports a malformed document
        if problem:
            prefix = f"{item.view.where}: " if item.view.where else ""
            found.append((item.resource, prefix + problem))
    return found, notes
