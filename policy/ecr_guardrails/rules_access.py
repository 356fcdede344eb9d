"""Access rules: who a repository or registry policy lets in, and which ECR writes IAM grants.

Pure functions of policy documents (already parsed) and policy config; they return problems as
sentences. The CrossGuard policies and the live audit are adapters around them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from .actions import action_matches, actions, iam_glob, unknown_actions, write_actions
from .config import config_list
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
    """The Action patterns that match every ECR (or every ECR Public) action: `ecr:*`, `ECR:**`,
    `ecr:?*`, `*`, ..."""
    return sorted(
        {
            a
            for a in actions
            for family in (("ecr:", ECR_ACTIONS), ("ecr-public:", PUBLIC_ACTIONS))
            if all(action_matches(a, family[0] + name) for name in family[1])
        }
    )


def _sample(field: str, default: str) -> str:
    """A value an ARN field pattern matches (`*` matching nothing), or `default` for no field."""
    return field.replace("*", "").replace("?", "a") if field else default


def matches_every_repository(pattern: str) -> bool:
    """Whether a Resource pattern matches every repository of some registry: tried as IAM would
    on two unrelated repository names in the region and account the pattern names."""
    fields = pattern.split(":", 5) + [""] * 5
    partition, service = _sample(fields[1], "aws"), fields[2] or "ecr"
    if not any(resource_matches(service, s) for s in ("ecr", "ecr-public")):
        return pattern == "*"
    services = [s for s in ("ecr", "ecr-public") if resource_matches(fields[2] or "*", s)]
    region, account = _sample(fields[3], "us-east-1"), _sample(fields[4], "123456789012")
    for svc in services:
        where = "" if svc == "ecr-public" and not fields[3] else region
        arns = [f"arn:{partition}:{svc}:{where}:{account}:repository/{n}" for n in ("zq9", "x/y-1")]
        if all(resource_matches(pattern, arn) for arn in arns):
            return True
    return False


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


def _condition_values(statement: Mapping[str, Any], key: str) -> list[str]:
    """Values of a condition key under any operator (keys compare case-insensitively)."""
    conditions = mapping(statement.get("Condition"), "Condition")
    found: list[str] = []
    for operator, block in conditions.items():
        for name, value in mapping(block, f"Condition.{operator}").items():
            if str(name).lower() == key.lower():
                found.extend(_strings(value))
    return found


def _org_ids(statement: Mapping[str, Any]) -> list[str]:
    """Organisation ids of an aws:PrincipalOrgID condition (StringEquals or StringLike)."""
    conditions = mapping(statement.get("Condition"), "Condition")
    found: list[str] = []
    for operator in ("StringEquals", "StringLike", "ForAnyValue:StringEquals"):
        block = mapping(conditions.get(operator), f"Condition.{operator}")
        for name, value in block.items():
            if str(name).lower() == "aws:principalorgid":
                found.extend(str(v) for v in string_or_list(value))
    return found


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


def _who_problems(
    sid: str, statement: Mapping[str, Any], accounts: set[str], organizations: set[str]
) -> list[str]:
    problems = []
    for kind, principal in _principals(statement):
        if is_anyone(principal):
            orgs = _org_ids(statement)
            who = "*" if kind == "*" else f"{kind}:{_text(principal)}"
            if not orgs:
                problems.append(f"{sid}: principal {who} is anyone: name accounts or roles")
            elif not organizations or not set(orgs) <= organizations:
                problems.append(
                    f"{sid}: organisation grant to {', '.join(orgs)} is not in "
                    f"allowedOrganizations {show(sorted(organizations))}"
                )
            continue
        if kind == "Service":
            if not any(_condition_values(statement, key) for key in SOURCE_KEYS):
                problems.append(
                    f"{sid}: service principal {_text(principal)} without an aws:SourceAccount "
                    "or aws:SourceArn condition acts for any account (confused deputy): add one"
                )
            continue
        account = account_of(principal) if kind == "AWS" else None
        if accounts and kind == "AWS" and account not in accounts:
            problems.append(
                f"{sid}: principal {_text(principal)} is not in allowedAccounts "
                f"{show(sorted(accounts))}"
            )
    return problems


def grant_problems(document: Any, config: Mapping[str, Any]) -> list[str]:
    """Why a resource-based ECR policy grants more than least privilege (empty when it does not)."""
    accounts = set(config_list(config, "allowedAccounts"))
    organizations = set(config_list(config, "allowedOrganizations"))
    problems = []
    for sid, statement in allow_statements(document):
        if "NotAction" in statement:
            problems.append(f"{sid}: Allow with NotAction grants everything else; list Actions")
        wild = _every_action_wildcards(_strings(statement.get("Action", [])))
        if wild:
            problems.append(
                f"{sid}: action {', '.join(wild)} matches every ECR action: list the ECR "
                "actions needed"
            )
        if "NotPrincipal" in statement:
            problems.append(f"{sid}: Allow with NotPrincipal grants everyone else; name principals")
        problems += _who_problems(sid, statement, accounts, organizations)
    return problems


def replication_problems(props: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    """Replication destinations in accounts outside `allowedAccounts`: every image is copied
    there."""
    accounts = set(config_list(config, "allowedAccounts"))
    if not accounts:
        return []
    problems = []
    configuration = mapping(props.get("replicationConfiguration"), "replicationConfiguration")
    for rule in sequence(configuration.get("rules"), "replicationConfiguration.rules"):
        for destination in sequence(mapping(rule, "rules[]").get("destinations"), "destinations"):
            registry = mapping(destination, "destinations[]").get("registryId")
            if registry is not None and registry not in accounts:
                problems.append(
                    f"Replication to account {_text(registry)} (region "
                    f"{_text(mapping(destination, 'destinations[]').get('region'))}) copies every "
                    f"image out of the allowlist: allowedAccounts {show(sorted(accounts))}"
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
    """Why an identity-based policy grants ECR writes beyond named repositories."""
    problems = []
    for sid, statement in allow_statements(document):
        if "NotAction" not in statement:
            wild = [
                a
                for a in _every_action_wildcards(_strings(statement.get("Action", [])))
                if not action_matches(a, "s3:GetObject")  # `*` is judged by its resources below
            ]
            if wild:
                problems.append(
                    f"{sid}: grants {', '.join(wild)}, which matches every ECR action: list the "
                    "ECR actions needed"
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
            if not any(matches_every_repository(r) for r in resources):
                continue
            where = ", ".join(resources)
        shown = ", ".join(writes[:4]) + (f" and {len(writes) - 4} more" if len(writes) > 4 else "")
        problems.append(
            f"{sid}: {how} ECR write actions ({shown}) on {where}: scope writes to repository ARNs"
        )
    return problems


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


def trust_problems(document: Any, config: Mapping[str, Any]) -> list[str]:
    """Why a role's trust policy lets too many in: anyone (or an organisation outside
    `allowedOrganizations`), any repository of an OIDC provider (no `sub` condition), or an
    account outside `allowedAccounts`."""
    accounts = set(config_list(config, "allowedAccounts"))
    organizations = set(config_list(config, "allowedOrganizations"))
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
                elif not set(orgs) <= organizations:
                    problems.append(
                        f"{sid}: every account of organisation {', '.join(orgs)} can assume this "
                        f"role, and it is not in allowedOrganizations {show(sorted(organizations))}"
                    )
            elif kind == "Federated" and "oidc-provider/" in _text(principal):
                subjects = [
                    v
                    for k in _condition_keys(statement)
                    if k.lower().endswith(":sub")
                    for v in _condition_values(statement, k)
                ]
                if not subjects or any(v.strip("*") in ("", "repo:") for v in subjects):
                    problems.append(
                        f"{sid}: {_text(principal)} without a specific `sub` condition lets "
                        "every repository (or workload) of that identity provider assume this "
                        "role: pin sub to repo:<org>/<repo>:..."
                    )
            elif kind == "AWS" and accounts:
                account = account_of(principal)
                if account not in accounts:
                    problems.append(
                        f"{sid}: {_text(principal)} is not in allowedAccounts "
                        f"{show(sorted(accounts))} but can assume this role"
                    )
    return problems


def _condition_keys(statement: Mapping[str, Any]) -> list[str]:
    conditions = mapping(statement.get("Condition"), "Condition")
    return [
        str(name)
        for operator, block in conditions.items()
        for name in mapping(block, f"Condition.{operator}")
    ]
