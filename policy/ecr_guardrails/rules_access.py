"""Access rules: who a repository or registry policy lets in, and which ECR writes IAM grants.

Pure functions of policy documents (already parsed) and policy config; they return problems as
sentences. The CrossGuard policies and the live audit are adapters around them.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator, Mapping
from typing import Any

from .config import config_list
from .props import mapping, show, statements, string_or_list

# Every ECR action IAM knows: the ECR API's operations (a test checks this list against botocore's
# service model) plus the IAM-only ReplicateImage and BatchImportUpstreamImage.
ECR_ACTIONS = (
    "BatchCheckLayerAvailability", "BatchDeleteImage", "BatchGetImage",
    "BatchGetRepositoryScanningConfiguration", "BatchImportUpstreamImage", "CompleteLayerUpload",
    "CreatePullThroughCacheRule", "CreateRepository", "CreateRepositoryCreationTemplate",
    "DeleteLifecyclePolicy", "DeletePullThroughCacheRule", "DeleteRegistryPolicy",
    "DeleteRepository", "DeleteRepositoryCreationTemplate", "DeleteRepositoryPolicy",
    "DeleteSigningConfiguration", "DeregisterPullTimeUpdateExclusion",
    "DescribeImageReplicationStatus", "DescribeImageScanFindings", "DescribeImageSigningStatus",
    "DescribeImages", "DescribePullThroughCacheRules", "DescribeRegistry",
    "DescribeReplicationBackfillResults", "DescribeRepositories",
    "DescribeRepositoryCreationTemplates", "GetAccountSetting", "GetAuthorizationToken",
    "GetDownloadUrlForLayer", "GetLifecyclePolicy", "GetLifecyclePolicyPreview",
    "GetRegistryPolicy", "GetRegistryScanningConfiguration", "GetRepositoryPolicy",
    "GetSigningConfiguration", "InitiateLayerUpload", "ListImageReferrers", "ListImages",
    "ListPullTimeUpdateExclusions", "ListReplicationBackfills", "ListTagsForResource",
    "PutAccountSetting", "PutImage", "PutImageScanningConfiguration", "PutImageTagMutability",
    "PutLifecyclePolicy", "PutRegistryPolicy", "PutRegistryScanningConfiguration",
    "PutReplicationConfiguration", "PutSigningConfiguration", "RegisterPullTimeUpdateExclusion",
    "ReplicateImage", "SetRepositoryPolicy", "StartImageScan", "StartLifecyclePolicyPreview",
    "StartReplicationBackfill", "StopReplicationBackfill", "TagResource", "UntagResource",
    "UpdateImageStorageClass", "UpdatePullThroughCacheRule", "UpdateRepositoryCreationTemplate",
    "UploadLayerPart", "ValidatePullThroughCacheRule",
)  # fmt: skip
# Read-only = the action's verb is Describe, List, Get, BatchGet or BatchCheck; every other ECR
# action changes something (an image, a repository, a policy, a registry setting).
READ_ONLY_PREFIXES = ("Describe", "List", "Get", "BatchGet", "BatchCheck")
WRITE_ACTIONS = tuple(f"ecr:{a}" for a in ECR_ACTIONS if not a.startswith(READ_ONLY_PREFIXES))

# AWS managed policies that grant ECR writes on every repository.
MANAGED_WRITE_POLICIES = (
    "AmazonEC2ContainerRegistryFullAccess",
    "AmazonEC2ContainerRegistryPowerUser",
    "AmazonElasticContainerRegistryPublicFullAccess",
    "AmazonElasticContainerRegistryPublicPowerUser",
)
_MANAGED_POLICY = re.compile(
    r"arn:aws[a-z-]*:iam::aws:policy/(?:[A-Za-z0-9_-]+/)*([A-Za-z0-9_+=,.@-]+)"
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


def _lower(values: Any) -> list[str]:
    return [str(v).lower() for v in string_or_list(values)]


# --- resource-based policies (repository and registry policies) -----------------------------------


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


def grant_problems(document: Any, config: Mapping[str, Any]) -> list[str]:
    """Why a resource-based ECR policy grants more than least privilege (empty when it does not)."""
    accounts = set(config_list(config, "allowedAccounts"))
    organizations = set(config_list(config, "allowedOrganizations"))
    problems = []
    for sid, statement in allow_statements(document):
        if "NotAction" in statement:
            problems.append(f"{sid}: Allow with NotAction grants everything else; list Actions")
        wild = sorted({a for a in _lower(statement.get("Action", [])) if a in ("*", "ecr:*")})
        if wild:
            problems.append(f"{sid}: action {', '.join(wild)}: list the ECR actions needed")
        if "NotPrincipal" in statement:
            problems.append(f"{sid}: Allow with NotPrincipal grants everyone else; name principals")
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
            account = account_of(principal) if kind == "AWS" else None
            if accounts and kind == "AWS" and account not in accounts:
                problems.append(
                    f"{sid}: principal {_text(principal)} is not in allowedAccounts "
                    f"{show(sorted(accounts))}"
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


def _matches(action: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), p) for p in patterns)


def _every_repository(resources: list[str]) -> bool:
    return any(
        r == "*" or r.endswith(":repository/*") or r.endswith(":ecr:*") or r.endswith(":*:*")
        for r in resources
    )


def iam_problems(document: Any) -> list[str]:
    """Why an identity-based policy grants ECR writes beyond named repositories."""
    problems = []
    for sid, statement in allow_statements(document):
        if "NotAction" in statement:
            # Allow + NotAction grants every action except those listed.
            excluded = _lower(statement.get("NotAction"))
            writes = [w for w in WRITE_ACTIONS if not _matches(w, excluded)]
            how = "NotAction leaves"
        else:
            actions = _lower(statement.get("Action", []))
            writes = [w for w in WRITE_ACTIONS if _matches(w, actions)]
            how = "grants"
            if "ecr:*" in actions:
                problems.append(f"{sid}: grants ecr:*: list the ECR actions needed")
                continue
        if not writes:
            continue
        if "NotResource" in statement:
            # Allow + NotResource applies to every resource except those listed.
            where = f"every resource but {show(statement.get('NotResource'))} (NotResource)"
        else:
            resources = [str(r) for r in string_or_list(statement.get("Resource", []))]
            if not _every_repository(resources):
                continue
            where = ", ".join(resources)
        shown = ", ".join(writes[:4]) + (f" and {len(writes) - 4} more" if len(writes) > 4 else "")
        problems.append(
            f"{sid}: {how} ECR write actions ({shown}) on {where}: scope writes to repository ARNs"
        )
    return problems


def managed_policy_problem(policy_arn: Any, what: str) -> str | None:
    """Why attaching `policy_arn` opens ECR writes on every repository (None when it does not)."""
    match = _MANAGED_POLICY.fullmatch(policy_arn) if isinstance(policy_arn, str) else None
    if match and match.group(1) in MANAGED_WRITE_POLICIES:
        return (
            f"{what} attaches the AWS managed policy {match.group(1)}, which grants ECR writes on "
            "every repository: attach a policy scoped to the repositories (e.g. ecr-<service>-push)"
        )
    return None
