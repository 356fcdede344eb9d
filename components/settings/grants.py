"""The per-service grants beyond pull accounts and organisations (issue 29): Lambda functions that
pull their container image, and the team's own repository-policy statements.

The value types here; the checks of the statements (the policy pack's own least-privilege rule,
`policy.ecr_guardrails.rules_access.grant_problems`) and of the functions' region and partition
are `statement_problems` and `lambda_problems`, which `loading` runs per service.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import StringConstraints

from components import access
from components.config_messages import Allowed, show
from components.settings.types import NAMESPACE, partition_of
from policy.ecr_guardrails.rules_access import grant_problems_before_deploy

# A Lambda function's ARN, or a StringLike pattern of them (`*` and `?`), as `aws:SourceArn`
# takes it: the partition, region and account named (the pack pins a service principal only to a
# source whose account is named before any wildcard), wildcards in the function name and the
# qualifier only. Lambda function names are 1-64 of A-Z a-z 0-9 - _ (Lambda API FunctionName);
# a qualifier is a version ($LATEST, 1) or an alias.
LAMBDA_ARN = re.compile(
    r"arn:(aws|aws-cn|aws-us-gov):lambda:([a-z]{2}(?:-gov)?-[a-z]+-[0-9]):([0-9]{12}):"
    r"function:[A-Za-z0-9_*?-]{1,64}(?::[A-Za-z0-9_$*?-]{1,128})?"
)
LambdaFunctionArn = Annotated[
    str,
    StringConstraints(pattern=f"^{LAMBDA_ARN.pattern}$"),
    Allowed(
        "must be a Lambda function ARN, or a pattern of them with * or ? in the function name "
        "(arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]); the partition, "
        "region and account are named, never wildcards"
    ),
]
# At most: ours, to keep the repository policy readable; the policy's size is measured too.
LAMBDA_FUNCTIONS_MAX = 50
EXTRA_STATEMENTS_MAX = 20
PolicyStatement = dict[str, Any]

_SID = re.compile(r"[A-Za-z0-9]*")
_EFFECTS = ("Allow", "Deny")


def lambda_problems(path: str, functions: Sequence[str], region: str | None) -> list[str]:
    """Functions Lambda could never pull for: another partition, or another region (Lambda pulls
    a container image only from a repository in the function's own region)."""
    if not region:
        return []
    problems = []
    for index, arn in enumerate(functions):
        match = LAMBDA_ARN.fullmatch(arn)
        if match is None:  # refused by its type
            continue
        partition, function_region, _ = match.groups()
        if partition != partition_of(region) or function_region != region:
            problems.append(
                f"{NAMESPACE}:{path}.lambdaPullFunctions[{index}] = {show(arn)}: Lambda pulls a "
                f"container image only from a repository in the function's own region: name "
                f"functions in the stack's region {region} (partition {partition_of(region)})"
            )
    return problems


def statement_problems(
    path: str, statements: Sequence[Mapping[str, Any]], organization_id: str | None
) -> list[str]:
    """What ECR or the policy pack would refuse in the service's extra statements, each named by
    its index: the shape a repository policy statement needs, a Sid of ours or twice, and every
    problem of the pack's own least-privilege rule (`ecr-repository-policy-least-privilege`).

    The program does not read the pack's config, so the rule runs without its account allowlist
    (any named account passes here; the pack judges the accounts at preview) and with the
    service's own pullOrganizationId as the one organisation it may name."""
    problems = []
    seen: set[str] = set()
    organizations = [organization_id] if organization_id else []
    for index, statement in enumerate(statements):
        where = f"{NAMESPACE}:{path}.extraPolicyStatements[{index}]"
        shape = _shape_problems(statement)
        if shape:
            problems += [f"{where} = {show(statement)}: {p}" for p in shape]
            continue
        sid = statement.get("Sid", "")
        if sid in access.REPOSITORY_POLICY_SIDS or (sid and sid in seen):
            whose = (
                "the program's own statement"
                if sid in access.REPOSITORY_POLICY_SIDS
                else "an earlier statement"
            )
            problems.append(
                f"{where}.Sid = {show(sid)}: already used by {whose}; Sids of the repository "
                f"policy are unique (ours: {', '.join(access.REPOSITORY_POLICY_SIDS)})"
            )
        seen.add(sid)
        document = {"Version": access.POLICY_VERSION, "Statement": [statement]}
        for reason in grant_problems_before_deploy(document, organizations):
            reason = reason.removeprefix("Statement[0]: ")
            problems.append(
                f"{where}: the policy pack would refuse it "
                f"(ecr-repository-policy-least-privilege): {reason}"
            )
    return problems


def _shape_problems(statement: Mapping[str, Any]) -> list[str]:
    """The elements a repository policy statement must have (IAM JSON policy elements; ECR
    SetRepositoryPolicy refuses a statement without a principal: the repository is the
    resource)."""
    found = []
    if statement.get("Effect") not in _EFFECTS:
        found.append("Effect must be Allow or Deny")
    if "Principal" not in statement and "NotPrincipal" not in statement:
        found.append("a repository policy statement names a Principal")
    if "Action" not in statement and "NotAction" not in statement:
        found.append("a statement needs Action (or NotAction)")
    sid = statement.get("Sid")
    if sid is not None and not (isinstance(sid, str) and _SID.fullmatch(sid)):
        found.append("Sid must be letters and digits only (IAM JSON policy elements: Sid)")
    return found


def canonical(statement: Mapping[str, Any]) -> str:
    """A statement as stored in the settings: its JSON with sorted keys (hashable, stable)."""
    return json.dumps(statement, sort_keys=True, separators=(",", ":"))
