"""Reading resource properties safely: the shapes the rules expect, or a MalformedPropertyError that
names the property.

Properties arrive from the policy SDK as read-only proxies that raise `UnknownValueError` for values
unknown during preview; `plain` turns them into ordinary dicts and lists (the audit passes ordinary
values already). Nothing here lets an input crash a validator: deep nesting, huge numbers and odd
types become MalformedPropertyError, and values are printed as JSON, never as a Python repr.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

# Deeper than any real policy document; deeper input is refused before anything recurses on it.
MAX_DEPTH = 64
MAX_DOCUMENT = 100_000  # characters; IAM policies are at most 6,144, repository policies 10,240


class MalformedPropertyError(ValueError):
    """A property has the wrong shape; reported as a violation naming the property."""


def plain(value: Any, depth: int = 0) -> Any:
    """`value` with the SDK's proxies replaced by dicts and lists (UnknownValueError propagates)."""
    if depth > MAX_DEPTH:
        raise MalformedPropertyError(f"a value is nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str | bool | int | float) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, Sequence):
        return [plain(v, depth + 1) for v in value]
    return str(value)


def show(value: Any) -> str:
    """A value as short, one-line JSON, whatever it is."""
    try:
        shown = json.dumps(plain(value), default=str)
    except (ValueError, RecursionError):
        shown = "(unprintable)"
    return shown if len(shown) <= 200 else shown[:197] + "..."


def mapping(value: Any, path: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise MalformedPropertyError(f"{path} must be an object, got {show(value)}")
    return value


def sequence(value: Any, path: str) -> Sequence[Any]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise MalformedPropertyError(f"{path} must be a list, got {show(value)}")
    return value


def text(value: Any, path: str) -> str | None:
    """A string property, None when absent."""
    if value is None or isinstance(value, str):
        return value
    raise MalformedPropertyError(f"{path} must be a string, got {show(value)}")


def string_or_list(value: Any) -> list[Any]:
    """IAM's `"x"` or `["x", "y"]`."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence):
        return list(value)
    return [value]


def tags_of(value: Any, path: str = "tags") -> dict[str, Any]:
    """Tags as a map, from pulumi-aws's `{key: value}` or aws-native's `[{key, value}]`."""
    if isinstance(value, Mapping) or value is None:
        return dict(mapping(value, path))
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise MalformedPropertyError(
            f"{path} must be an object (aws-native: a list of {{key, value}}), got {show(value)}"
        )
    tags: dict[str, Any] = {}
    for index, tag in enumerate(sequence(value, path)):
        entry = mapping(tag, f"{path}[{index}]")
        name = entry.get("key")
        if not isinstance(name, str):
            raise MalformedPropertyError(f"{path}[{index}].key must be a string")
        tags[name] = entry.get("value")
    return tags


def document(raw: Any, prop: str) -> Any:
    """A JSON policy document from a string (or an object, as aws-native passes it)."""
    if isinstance(raw, Mapping):
        return plain(raw)
    if not isinstance(raw, str) or not raw.strip():
        raise MalformedPropertyError(f"{prop} is missing or not a JSON policy document")
    if len(raw) > MAX_DOCUMENT:
        raise MalformedPropertyError(f"{prop} is over {MAX_DOCUMENT} characters: not a policy")
    try:
        return plain(json.loads(raw))
    except json.JSONDecodeError as error:
        raise MalformedPropertyError(
            f"{prop} is not valid JSON ({error.msg}): fix the document"
        ) from None
    except (ValueError, RecursionError):  # a number over 4,300 digits, nesting beyond the parser
        raise MalformedPropertyError(f"{prop} is not a usable JSON policy document") from None


def statements(doc: Any) -> list[Mapping[str, Any]]:
    if not isinstance(doc, Mapping):
        raise MalformedPropertyError("the policy document must be a JSON object")
    found = doc.get("Statement")
    if isinstance(found, Mapping):
        found = [found]
    return [mapping(s, f"Statement[{i}]") for i, s in enumerate(sequence(found, "Statement"))]
