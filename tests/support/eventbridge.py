"""EventBridge's pattern matching, for the operators our patterns use (EventBridge User Guide,
"Event patterns" and "Content filtering"): a pattern field lists the values it accepts (any of
them); nested objects match nested fields; when the event's value is an array, the field matches if
any element does (arrays of objects are matched element-wise); `{"numeric": [op, n]}` compares
numbers; `{"prefix": s}` compares string starts; `$or` accepts any of its alternatives. Every
field of the pattern must match, and a field the event lacks never matches."""

from __future__ import annotations

import operator
from typing import Any

_MISSING = object()
_NUMERIC = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "=": operator.eq,
}


def _value_matches(accepted: Any, value: Any) -> bool:
    if isinstance(accepted, dict):
        if "numeric" in accepted:
            ops = accepted["numeric"]
            if isinstance(value, bool) or not isinstance(value, int | float):
                return False
            return all(_NUMERIC[ops[i]](value, ops[i + 1]) for i in range(0, len(ops), 2))
        if "prefix" in accepted:
            return isinstance(value, str) and value.startswith(accepted["prefix"])
        raise NotImplementedError(f"operator {accepted}")
    return accepted == value


def _field_matches(pattern: Any, value: Any) -> bool:
    if value is _MISSING:
        return False
    if isinstance(value, list):
        return any(_field_matches(pattern, v) for v in value)
    if isinstance(pattern, dict):
        return isinstance(value, dict) and matches(pattern, value)
    return any(_value_matches(accepted, value) for accepted in pattern)


def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    for key, sub in pattern.items():
        if key == "$or":
            if not any(matches(alternative, event) for alternative in sub):
                return False
        elif not _field_matches(sub, event.get(key, _MISSING)):
            return False
    return True
