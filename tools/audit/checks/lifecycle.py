"""The lifecycle checks: the live policy, as ECR evaluates it (policy/ecr_guardrails/
lifecycle_eval.py, every rule and storage class), is being applied, and takes no image in use; and
the pack's rule that a repository has a lifecycle policy at all."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from policy.ecr_guardrails.lifecycle_eval import Action, Image, evaluate
from policy.ecr_guardrails.policies import LIFECYCLE
from policy.ecr_guardrails.props import MalformedPropertyError, document, sequence
from tools.audit.checks.base import Check, Seen
from tools.audit.pack import PackConfig, judged
from tools.audit.report import Finding
from tools.images import pushed_at
from tools.usage import Use, users_by_digest

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import ImageDetailTypeDef

GRACE = datetime.timedelta(hours=24)  # ECR applies lifecycle rules within 24 hours


def _parsed_policy(policy_text: str) -> dict[str, Any] | None:
    """The lifecycle policy document (JSON as the user wrote it); None when it cannot be read."""
    try:
        found = document(policy_text, "lifecyclePolicyText")
        rules = sequence(found.get("rules"), "rules")
    except (MalformedPropertyError, AttributeError):
        return None
    if not all(isinstance(r, Mapping) and isinstance(r.get("rulePriority"), int) for r in rules):
        return None
    return dict(found)


def _evaluate(
    policy: Mapping[str, Any], images: Sequence[ImageDetailTypeDef], at: datetime.datetime
) -> list[Action] | None:
    """ECR's evaluation (lifecycle_eval) of the live policy; None when it cannot be evaluated."""
    try:
        return evaluate(policy, [Image.from_details(i) for i in images], at).actions
    except (KeyError, TypeError, ValueError):
        return None


def described(action: Action) -> str:
    tags = ", ".join(action.image.tags) or "untagged"
    return f"{action.image.digest} ({tags})"


LIFECYCLE_WORKING = Check(
    "ecr-live-lifecycle-working",
    ("mandatory",),
    "no image the live lifecycle policy should have expired or archived a day ago is still there",
)


def lifecycle_problems(
    policy_text: str | None, images: Sequence[ImageDetailTypeDef], now: datetime.datetime
) -> list[str]:
    """Signs that the lifecycle policy is not being applied: images that ECR's evaluation of the
    live policy would have expired or archived more than a day ago are still there (ECR applies
    rules within 24 hours)."""
    if not policy_text:
        return []
    policy = _parsed_policy(policy_text)
    then = now - GRACE
    actions = (
        None
        if policy is None
        else _evaluate(policy, [i for i in images if pushed_at(i) < then], then)
    )
    if actions is None:
        return ["the lifecycle policy cannot be read"]
    by_rule: dict[tuple[int, str], list[Action]] = {}
    for action in actions:
        by_rule.setdefault((action.rule, action.type), []).append(action)
    problems = []
    for (rule, kind), taken in sorted(by_rule.items()):
        verb = "expired" if kind == "expire" else "archived"
        shown = ", ".join(described(a) for a in taken[:5]) + (" ..." if len(taken) > 5 else "")
        problems.append(
            f"rule {rule} should have {verb} {len(taken)} images more than a day ago, still "
            f"here: {shown}: the lifecycle policy is not working"
        )
    return problems


LIFECYCLE_IN_USE = Check(
    "ecr-live-lifecycle-in-use",
    ("mandatory",),
    "the live lifecycle policy expires or archives no image ECS, Lambda or --in-use uses",
)


def lifecycle_takes_in_use(
    name: str,
    policy_text: str | None,
    images: Sequence[ImageDetailTypeDef],
    in_use: Iterable[Use],
    registry: str | None,
    now: datetime.datetime,
) -> list[str]:
    """Images in use (ECS task definitions, Lambda functions, --in-use) that the live lifecycle
    policy, as ECR evaluates it, expires or archives now: the same judgement as the retention
    check makes of a proposed policy."""
    policy = _parsed_policy(policy_text) if policy_text else None
    if policy is None:
        return []
    actions = _evaluate(policy, images, now) or []
    users = users_by_digest(in_use, name, images, registry)
    problems = []
    for action in actions:
        if action.image.digest in users:
            verb = "expires" if action.type == "expire" else "archives"
            problems.append(
                f"{name}@{described(action)} is used by {', '.join(users[action.image.digest])}, "
                f"but lifecycle rule {action.rule} {verb} it"
            )
    return problems


def lifecycle_findings(
    seen: Seen,
    lifecycle: str | None,
    stored: Sequence[ImageDetailTypeDef],
    in_use: Iterable[Use],
    now: datetime.datetime,
) -> list[Finding]:
    """Both live lifecycle checks of one repository."""
    registry_id = seen.repository.get("registryId")
    return [
        *(seen.finding(LIFECYCLE_WORKING, p) for p in lifecycle_problems(lifecycle, stored, now)),
        *(
            seen.finding(LIFECYCLE_IN_USE, p)
            for p in lifecycle_takes_in_use(seen.name, lifecycle, stored, in_use, registry_id, now)
        ),
    ]


def missing_lifecycle(seen: Seen, lifecycle: str | None, config: PackConfig) -> list[Finding]:
    """The pack's rule: a repository has a lifecycle policy (at the policy config's level)."""
    if lifecycle is not None:
        return []
    problem = f"Repository {seen.name} has no lifecycle policy: images pile up forever."
    return judged(LIFECYCLE, config, seen.name, [problem], seen.region)
