"""Access rules: who a repository or registry policy lets in, and which ECR writes IAM grants.

Pure functions of policy documents (already parsed) and policy config; they return problems as
sentences. The CrossGuard policies and the live audit are adapters around them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from .actions import action_matches, actions, catalogue, iam_glob, unknown_actions, write_actions
from .config import Allowlist
from .patterns import covers_every_repository, every_write_covered
from .props import mapping, sequence, show, statements, string_or_list

# The catalogue (IAM's dataset, pinned): names of every ECR / ECR Public action, and the writes.
ECR_ACTIONS = actions("ecr")
PUBLIC_ACTIONS = actions("ecr-public")
WRITE_ACTIONS = write_actions("ecr")
PUBLIC_WRITE_ACTIONS = write_actions("ecr-public")

# AWS managed policies that grant ECR writes on every repository.
MANAGED_WRITE_POLICIES = (
    "AmazonEC2ContainerRegistryFullAccess",
    "AmazonEC2ContainerRegistryPowerUser",
    "AmazonElasticContainerRegistryPublicFullAccess",
    "AmazonElasticContainerRegistryPublicPowerUser",
)
# AWS managed policies that grant every action, ECR writes among them: an advisory note.
MANAGED_BROAD_POLICIES = ("AdministratorAccess", "PowerUserAccess")
# IAM compares the ARN case-insensitively when it resolves a managed policy; so do we.
_MANAGED_POLICY = re.compile(
    r"arn:aws[a-z-]*:iam::aws:policy/(?:[A-Za-z0-9_-]+/)*([A-Za-z0-9_+=,.@-]+)", re.IGNORECASE
)
_ACCOUNT = re.compile(r"[0-9]{12}")
_ACCOUNT_IN_ARN = re.compile(r"arn:aws[a-z-]*:iam::([0-9]{12}|\*):")


def _sid(statement: Mapping[str, Any], index: int) -> str:
    sid = statement.get("Sid")
    return sid if isinstance(sid, str) and sid else f"Statement[{index}]"


def allow_statements(document: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(Sid or `Statement[i]`, statement) for each Allow statement of a policy document."""
    for index, statement in enumerate(statements(document)):
        if statement.get("Effect") == "Allow":
            yield _sid(statement, index), statement


def _text(value: Any) -> str:
    """A principal as written: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else show(value)


def _strings(values: Any) -> list[str]:
    return [v if isinstance(v, str) else show(v) for v in string_or_list(values)]


# --- IAM's matching -------------------------------------------------------------------------------


def resource_matches(pattern: str, arn: str) -> bool:
    """Whether a Resource element matches an ARN, as IAM matches it (`*` crosses `:`)."""
    return iam_glob(pattern, False).fullmatch(arn) is not None


def _every_action_wildcards(actions: list[str]) -> list[str]:
    """The Action patterns that together match every ECR (or every ECR Public) write action, as
    a set: `ecr:*`, `ECR:**`, `ecr:?*`, `*`, or `ecr:A*` ... `ecr:Z*` (empty when they do not)."""
    if not every_write_covered(actions):
        return []
    catalogued = [a.qualified for a in catalogue().values() if a.writes]
    return sorted({a for a in actions if any(action_matches(a, w) for w in catalogued)})


def matches_every_repository(pattern: str) -> bool:
    """Whether a Resource pattern matches every repository of some registry (patterns.py)."""
    return covers_every_repository((pattern,))


def every_repository(patterns: list[str]) -> bool:
    """Whether Resource patterns together match every repository of some registry."""
    return covers_every_repository(tuple(sorted(set(patterns))))


# --- resource-based policies (repository, registry, creation-template, ECR Public) ----------------


def _principals(statement: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(kind, value) pairs: kind is "*", "AWS", "Service", "Federated", ..."""
    principal = statement.get("Principal")
    if principal is None:
        return []
    if isinstance(principal, str):
        return [("*" if principal == "*" else "AWS", principal)]
    return [
        (kind, value)
        for kind, values in mapping(principal, "Principal").items()
        for value in string_or_list(values)
    ]


# Operators that, read as IAM evaluates them, can only narrow a grant: the request must carry
# the key with a matching value. Negated operators, `...IfExists` (true when the key is absent),
# `ForAllValues:` (true for an empty set) and `Null` narrow nothing.
_POSITIVE = frozenset(
    {
        "StringEquals",
        "StringLike",
        "ArnEquals",
        "ArnLike",
        "ForAnyValue:StringEquals",
        "ForAnyValue:StringLike",
        "ForAnyValue:ArnEquals",
        "ForAnyValue:ArnLike",
    }
)


@dataclass(frozen=True)
class Pin:
    """One value a positive condition requires for a key."""

    value: str
    like: bool
    """Whether the operator reads wildcards (`StringLike`, `ArnLike`, `ArnEquals`)."""

    @property
    def wild(self) -> bool:
        return self.like and ("*" in self.value or "?" in self.value)


def pins(statement: Mapping[str, Any], key: str) -> list[list[Pin]]:
    """The values positive operators require for `key` (compared case-insensitively), one list
    per condition: IAM ANDs the conditions, so any one list whose every value pins narrows."""
    found = []
    for operator, block in mapping(statement.get("Condition"), "Condition").items():
        if str(operator) not in _POSITIVE:
            continue
        like = "Like" in str(operator) or "Arn" in str(operator)
        for name, value in mapping(block, f"Condition.{operator}").items():
            if str(name).lower() == key.lower():
                found.append([Pin(v, like) for v in _strings(value)])
    return [values for values in found if values]


def _pinned(statement: Mapping[str, Any], key: str, test: Callable[[Pin], bool]) -> bool:
    return any(all(test(p) for p in values) for values in pins(statement, key))


_ORG_ID = re.compile(r"o-[a-z0-9]{10,32}")


def _org_of_path(pin: Pin) -> str | None:
    """The organisation an `aws:PrincipalOrgPaths` / `aws:SourceOrgPaths` value stays in: its
    first segment, when that has no wildcard."""
    head = pin.value.split("/", 1)[0]
    if pin.like and ("*" in head or "?" in head):
        return None
    return head if _ORG_ID.fullmatch(head) else None


def _org_ids(statement: Mapping[str, Any]) -> list[str]:
    """The organisations a statement's conditions confine its principals to (aws:PrincipalOrgID,
    or aws:PrincipalOrgPaths inside one organisation), under positive operators and without
    wildcards: empty when no condition confines them."""
    for values in pins(statement, "aws:PrincipalOrgID"):
        if all(not p.wild for p in values):
            return sorted({p.value for p in values})
    for values in pins(statement, "aws:PrincipalOrgPaths"):
        orgs = [_org_of_path(p) for p in values]
        if all(orgs):
            return sorted({o for o in orgs if o})
    return []


def account_of(principal: Any) -> str | None:
    """The account a principal belongs to: `123456789012`, an ARN's account, or `*`."""
    if not isinstance(principal, str):
        return None
    if _ACCOUNT.fullmatch(principal):
        return principal
    match = _ACCOUNT_IN_ARN.match(principal)
    return match.group(1) if match else None


def is_anyone(principal: Any) -> bool:
    """`*`, or an ARN in every account (`arn:aws:iam::*:root`)."""
    return principal == "*" or account_of(principal) == "*"


# A service principal acting for anyone (the confused deputy) unless one of these pins the source.
SOURCE_KEYS = ("aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID", "aws:SourceOrgPaths")


_ARN_ACCOUNT = re.compile(r"arn:[^:*?]+:[^:*?]+:[^:*?]*:([0-9]{12}):")


def source_pinned(statement: Mapping[str, Any], allow: Allowlist) -> bool:
    """Whether a service principal's conditions confine it to acting for one allowed source: an
    aws:SourceAccount the allowlist allows, an aws:SourceArn in such an account (wildcards only
    after it), an aws:SourceOrgID or aws:SourceOrgPaths inside an allowed organisation."""

    def account_ok(account: str) -> bool:
        return allow.allows(account)

    def arn_ok(pin: Pin) -> bool:
        match = _ARN_ACCOUNT.match(pin.value)
        if match is not None:
            return account_ok(match.group(1)) and "*" not in pin.value[: match.end()]
        return False  # an ARN without an account the pack can tell

    def org_ok(org: str | None) -> bool:
        return allow.allows_organization(org)

    return (
        _pinned(statement, "aws:SourceAccount", lambda p: not p.wild and account_ok(p.value))
        or _pinned(statement, "aws:SourceArn", arn_ok)
        or _pinned(statement, "aws:SourceOrgID", lambda p: not p.wild and org_ok(p.value))
        or _pinned(statement, "aws:SourceOrgPaths", lambda p: org_ok(_org_of_path(p)))
    )


def _who_problems(sid: str, statement: Mapping[str, Any], allow: Allowlist) -> list[str]:
    problems = []
    for kind, principal in _principals(statement):
        if is_anyone(principal):
            orgs = _org_ids(statement)
            who = "*" if kind == "*" else f"{kind}:{_text(principal)}"
            if not orgs:
                problems.append(f"{sid}: principal {who} is anyone: name accounts or roles")
            elif not all(allow.allows_organization(o) for o in orgs):
                problems.append(
                    f"{sid}: organisation grant to {', '.join(orgs)} is not in "
                    f"allowedOrganizations {show(sorted(allow.organizations))} "
                    "(ecr-pack-settings)"
                )
            continue
        if kind == "Service":
            if not source_pinned(statement, allow):
                problems.append(
                    f"{sid}: service principal {_text(principal)} without a positive "
                    "aws:SourceAccount or aws:SourceArn condition naming one allowed account (or "
                    "aws:SourceOrgID / aws:SourceOrgPaths in an allowed organisation) acts for "
                    "any account (confused deputy): add one (StringEquals, no wildcards)"
                )
            continue
        account = account_of(principal) if kind == "AWS" else None
        if kind == "AWS" and not allow.allows(account):
            problems.append(
                f"{sid}: principal {_text(principal)} is not in {allow.shown()}: "
                f"{allow.how_to_allow(account or _text(principal))}"
            )
    return problems


def grant_problems_before_deploy(document: Any, organizations: Iterable[str]) -> list[str]:
    """`grant_problems` as the program runs it on a team's own statements before deploy: it
    cannot read the organisation's allowlist, so every well-formed account passes here (the pack
    judges the accounts at preview); the organisations are the ones the stack itself names."""
    return grant_problems(
        document, Allowlist(organizations=frozenset(organizations), every_account=True)
    )


def grant_problems(document: Any, allow: Allowlist) -> list[str]:
    """Why a resource-based ECR policy grants more than least privilege (empty when it does not)."""
    problems = []
    for sid, statement in allow_statements(document):
        if "NotAction" in statement:
            problems.append(f"{sid}: Allow with NotAction grants everything else; list Actions")
        wild = _every_action_wildcards(_strings(statement.get("Action", [])))
        if wild:
            problems.append(
                f"{sid}: action {', '.join(wild)} together match every ECR write action: list "
                "the ECR actions needed"
            )
        if "NotPrincipal" in statement:
            problems.append(f"{sid}: Allow with NotPrincipal grants everyone else; name principals")
        problems += _who_problems(sid, statement, allow)
    return problems


def _known_or_none(read: Callable[[], Any]) -> tuple[bool, Any]:
    try:
        return True, read()
    except UnknownValueError:
        return False, None


def replication_problems(props: Mapping[str, Any], allow: Allowlist) -> list[str]:
    """Replication destinations in accounts the allowlist does not allow: every image is copied
    there. A destination account unknown during preview is the worst case: not allowed."""
    problems = []
    configuration = mapping(props.get("replicationConfiguration"), "replicationConfiguration")
    for rule in sequence(configuration.get("rules"), "replicationConfiguration.rules"):
        for destination in sequence(mapping(rule, "rules[]").get("destinations"), "destinations"):
            entry = mapping(destination, "destinations[]")
            known, registry = _known_or_none(lambda e=entry: e.get("registryId"))  # type: ignore[misc]
            if allow.allows(registry):
                continue
            shown = _text(registry) if known else "(unknown during preview)"
            _, region = _known_or_none(lambda e=entry: e.get("region"))  # type: ignore[misc]
            problems.append(
                f"Replication to account {shown} (region {_text(region)}) copies every image "
                f"outside {allow.shown()}: {allow.how_to_allow(shown)}"
            )
    return problems


def cross_account_principals(document: Any, own_account: str) -> list[str]:
    """Principals of other accounts and organisations a policy lets in (for periodic review)."""
    found = []
    for _, statement in allow_statements(document):
        found += [f"organisation {org}" for org in _org_ids(statement)]
        for kind, principal in _principals(statement):
            account = account_of(principal) if kind == "AWS" else None
            if account is not None and account != own_account:
                found.append(str(principal))
    return sorted(set(found))


# --- identity-based policies ----------------------------------------------------------------------


def _writes(statement: Mapping[str, Any]) -> tuple[list[str], str]:
    """The ECR (and ECR Public) write actions a statement allows, and how."""
    every = (*WRITE_ACTIONS, *PUBLIC_WRITE_ACTIONS)
    if "NotAction" in statement:
        # Allow + NotAction grants every action except those listed.
        excluded = _strings(statement.get("NotAction"))
        return [w for w in every if not any(action_matches(e, w) for e in excluded)], (
            "NotAction leaves"
        )
    granted = _strings(statement.get("Action", []))
    unknown = [
        f"{u} (not in IAM's catalogue: counted as a write)"
        for a in granted
        if (u := unknown_actions(a))
    ]
    return [w for w in every if any(action_matches(a, w) for a in granted)] + unknown, "grants"


def ecr_writes(document: Any) -> list[str]:
    """Every ECR write action a policy document allows, on any resource."""
    found: list[str] = []
    for _, statement in allow_statements(document):
        found += [w for w in _writes(statement)[0] if w not in found]
    return found


def iam_problems(document: Any) -> list[str]:
    """Why an identity-based policy grants ECR writes beyond named repositories: Action patterns
    and Resource patterns are read as sets, within a statement and across the document's
    statements (`repository/a*` in one, `repository/b*` ... in others)."""
    problems = []
    # write action -> the Resource patterns of the statements that grant it (no NotResource).
    granted_on: dict[str, list[str]] = {}
    flagged: set[str] = set()
    for sid, statement in allow_statements(document):
        if "NotAction" not in statement:
            wild = [
                a
                for a in _every_action_wildcards(_strings(statement.get("Action", [])))
                if not action_matches(a, "s3:GetObject")  # `*` is judged by its resources below
            ]
            if wild and every_write_covered(wild):
                problems.append(
                    f"{sid}: grants {', '.join(wild)}, which together match every ECR write "
                    "action: list the ECR actions needed"
                )
                continue
        writes, how = _writes(statement)
        if not writes:
            continue
        if "NotResource" in statement:
            # Allow + NotResource applies to every resource except those listed.
            where = f"every resource but {show(statement.get('NotResource'))} (NotResource)"
        else:
            resources = _strings(statement.get("Resource", []))
            if narrowed_by_tags(statement, writes):
                continue
            for write in writes:
                granted_on.setdefault(write, []).extend(resources)
            if not every_repository(resources):
                continue
            where = ", ".join(resources)
        flagged.update(writes)
        problems.append(f"{sid}: {how} ECR write actions ({_shown(writes)}) on {where}: scope "
                        "writes to repository ARNs")  # fmt: skip
    across = [
        w for w, patterns in granted_on.items() if w not in flagged and every_repository(patterns)
    ]
    if across:
        patterns = sorted({p for w in across for p in granted_on[w]})
        problems.append(
            f"statements together grant ECR write actions ({_shown(across)}) on "
            f"{', '.join(patterns)}, which together match every repository: scope writes to "
            "named repository ARNs"
        )
    return problems


def _shown(writes: list[str]) -> str:
    return ", ".join(writes[:4]) + (f" and {len(writes) - 4} more" if len(writes) > 4 else "")


_TAGGING = ("ecr:TagResource", "ecr:UntagResource", "ecr-public:TagResource",
            "ecr-public:UntagResource")  # fmt: skip


def narrowed_by_tags(statement: Mapping[str, Any], writes: list[str]) -> bool:
    """Whether a statement's writes are limited by tag (ABAC, as the ECR user guide documents:
    `aws:ResourceTag/<key>` equal to `${aws:PrincipalTag/<key>}` or to a value without wildcards,
    under a positive operator). Not when the statement may also tag: the principal could then
    tag any repository to match."""
    if any(t in writes for t in _TAGGING) or any("not in IAM's catalogue" in w for w in writes):
        return False
    for operator, block in mapping(statement.get("Condition"), "Condition").items():
        if str(operator) not in ("StringEquals", "ForAnyValue:StringEquals"):
            continue
        for key, value in mapping(block, f"Condition.{operator}").items():
            if not str(key).lower().startswith("aws:resourcetag/"):
                continue
            values = _strings(value)
            if values and all("*" not in v and "?" not in v for v in values):
                return True
    return False


def _managed(policy_arn: Any, names: tuple[str, ...]) -> str | None:
    """Which of the AWS managed policies `names` an ARN names (case-insensitively), if any."""
    match = _MANAGED_POLICY.fullmatch(policy_arn) if isinstance(policy_arn, str) else None
    name = match.group(1).lower() if match else None
    return next((known for known in names if name == known.lower()), None)


def managed_policy_problem(policy_arn: Any, what: str) -> str | None:
    """Why attaching `policy_arn` opens ECR writes on every repository (None when it does not)."""
    known = _managed(policy_arn, MANAGED_WRITE_POLICIES)
    if known is None:
        return None
    return (
        f"{what} attaches the AWS managed policy {known}, which grants ECR writes on every "
        "repository: attach a policy scoped to the repositories (e.g. ecr-<service>-push)"
    )


def broad_policy_note(policy_arn: Any, what: str) -> str | None:
    """A note for AdministratorAccess / PowerUserAccess: they include every ECR write."""
    known = _managed(policy_arn, MANAGED_BROAD_POLICIES)
    if known is None:
        return None
    return (
        f"{what} attaches the AWS managed policy {known}, which includes every ECR write "
        "(ecr:PutImage, ecr:BatchDeleteImage, ecr:SetRepositoryPolicy, ecr:DeleteRepository, "
        "...) on every repository: make sure this identity needs it"
    )


def grants_ecr_write(policy_arn: Any) -> bool:
    """Whether a managed policy ARN is one of AWS's that grant ECR writes."""
    return _managed(policy_arn, (*MANAGED_WRITE_POLICIES, *MANAGED_BROAD_POLICIES)) is not None


# --- who can assume a role ------------------------------------------------------------------------

_ASSUME = ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML")


def trust_problems(document: Any, allow: Allowlist) -> list[str]:
    """Why a role's trust policy lets too many in: anyone (or an organisation outside
    `allowedOrganizations`), any workload of an OIDC or SAML provider (no pinned subject), or an
    account the allowlist does not allow (with it empty: any account but the stack's own)."""
    problems = []
    for sid, statement in allow_statements(document):
        actions = _strings(statement.get("Action", []))
        if "NotAction" not in statement and not any(
            action_matches(a, x) for a in actions for x in _ASSUME
        ):
            continue
        for kind, principal in _principals(statement):
            if is_anyone(principal):
                orgs = _org_ids(statement)
                if not orgs:
                    problems.append(f"{sid}: anyone ({_text(principal)}) can assume this role")
                elif not all(allow.allows_organization(o) for o in orgs):
                    problems.append(
                        f"{sid}: every account of organisation {', '.join(orgs)} can assume this "
                        "role, and it is not in allowedOrganizations "
                        f"{show(sorted(allow.organizations))} (ecr-pack-settings)"
                    )
            elif kind == "Federated":
                problem = federated_problem(statement, _text(principal))
                if problem:
                    problems.append(f"{sid}: {problem}")
            elif kind == "AWS":
                account = account_of(principal)
                if not allow.allows(account):
                    problems.append(
                        f"{sid}: {_text(principal)} is not in {allow.shown()} but can assume "
                        f"this role ({allow.how_to_allow(account or _text(principal))})"
                    )
    return problems


# Subjects that pin one workload, per identity provider: GitHub `repo:<org>/<repo>:...`, GitLab
# `project_path:<group>/<project>:...` (both named without wildcards; the rest may have some).
_GITHUB_SUB = re.compile(r"repo:[^*?/:]+/[^*?/:]+(?::.*)?", re.DOTALL)
_GITLAB_SUB = re.compile(r"project_path:[^*?:]+/[^*?:]+(?::.*)?", re.DOTALL)
_COGNITO = "cognito-identity.amazonaws.com"
_GOOGLE = "accounts.google.com"


def federated_problem(statement: Mapping[str, Any], principal: str) -> str | None:
    """Why a federated principal's conditions let more than one workload assume the role (None
    when they pin one): OIDC `sub` pinned to one repository or project (any other OIDC provider:
    a `sub` without wildcards), Google `sub`, Cognito `aud` (one identity pool) and `amr`
    authenticated. Only positive operators count."""
    if principal == _COGNITO:
        pool = _pinned(statement, f"{_COGNITO}:aud", lambda p: not p.wild and bool(p.value))
        authenticated = _pinned(statement, f"{_COGNITO}:amr", lambda p: p.value == "authenticated")
        if pool and authenticated:
            return None
        return (
            f"{principal} without `{_COGNITO}:aud` naming one identity pool (StringEquals) and "
            f'`{_COGNITO}:amr` "authenticated" (ForAnyValue:StringLike) lets identities of '
            "any pool, or unauthenticated ones, assume this role: add both"
        )
    if principal == _GOOGLE:
        if _pinned(statement, f"{_GOOGLE}:sub", lambda p: not p.wild and bool(p.value)):
            return None
        return (
            f"{principal} without `{_GOOGLE}:sub` (StringEquals, one subject) lets every Google "
            "identity assume this role: pin sub"
        )
    if "saml-provider/" in principal:
        return _saml_problem(statement, principal)
    if "oidc-provider/" not in principal:
        # Neither SAML nor OIDC (an unknown or computed provider): the worst case.
        return (
            f"{principal} is not an OIDC or SAML provider ARN the pack can read: name the "
            "provider's ARN (oidc-provider/... or saml-provider/...) and pin its subject"
        )
    host = principal.split("oidc-provider/", 1)[1]
    key = f"{host}:sub"
    if host.startswith("token.actions.githubusercontent.com"):
        shape, how = (lambda p: bool(_GITHUB_SUB.fullmatch(p.value))), "repo:<org>/<repo>:..."
    elif "gitlab" in host:
        shape, how = (
            (lambda p: bool(_GITLAB_SUB.fullmatch(p.value))),
            "project_path:<group>/<project>:...",
        )
    else:
        shape, how = (lambda p: not p.wild and bool(p.value)), "one subject, without wildcards"
    if _pinned(statement, key, shape):
        return None
    return (
        f"{principal} without a specific `sub` condition lets every repository (or workload) of "
        f"that identity provider assume this role: pin {key} to {how} under StringEquals or "
        "StringLike"
    )


# The sign-in endpoints a SAML assertion for AWS is addressed to (IAM User Guide, "Configure SAML
# assertions for the authentication response": the Recipient, the `SAML:aud` context key).
_SAML_AUDIENCE = re.compile(r"https://([a-z0-9-]+\.)?signin\.(aws\.amazon\.com|amazonaws\.cn|"
                            r"amazonaws-us-gov\.com)/saml")  # fmt: skip


def _saml_problem(statement: Mapping[str, Any], principal: str) -> str | None:
    """A SAML provider pins one workload when the trust requires `SAML:aud` to be an AWS sign-in
    endpoint and `SAML:sub` (the assertion's NameID) to be one subject, both under positive
    operators without wildcards. `SAML:aud` alone (AWS's console example) admits every user the
    identity provider maps to the role; for a role with ECR writes that is too many."""
    audience = _pinned(
        statement, "SAML:aud", lambda p: not p.wild and bool(_SAML_AUDIENCE.fullmatch(p.value))
    )
    subject = _pinned(statement, "SAML:sub", lambda p: not p.wild and bool(p.value.strip()))
    if audience and subject:
        return None
    missing = [
        what
        for what, ok in (
            ("`SAML:aud` = an AWS sign-in endpoint (https://signin.aws.amazon.com/saml)", audience),
            ("`SAML:sub` = one subject (the NameID), without wildcards", subject),
        )
        if not ok
    ]
    return (
        f"{principal} without {' and '.join(missing)} lets every identity that provider maps to "
        "this role assume it: pin both under StringEquals"
    )
