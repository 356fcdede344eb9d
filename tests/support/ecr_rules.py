"""ECR's own acceptance rules for documents, written down once for the tests that build them."""

from __future__ import annotations

from typing import Any

from policy.ecr_guardrails.lifecycle_eval import policy_problems


def lifecycle_problems(document: dict[str, Any]) -> list[str]:
    """What ECR's PutLifecyclePolicy would reject: the evaluator's own grammar check, one place."""
    return policy_problems(document)


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    return list(document["Statement"])


def actions(statement: dict[str, Any]) -> list[str]:
    value = statement["Action"]
    return [value] if isinstance(value, str) else list(value)
