"""CloudFormation values evaluated to every value they could take.

A resource's Properties become a list of variants, each free of intrinsic functions:

- `Fn::If` takes both branches (the pack does not evaluate Conditions);
- `Ref` to a parameter is each of its AllowedValues, or else the worst case (its Default is no
  bound: the stack's caller chooses the value);
- `Fn::Select`, `Fn::Join`, `Fn::Sub`, `Fn::ToJsonString` and `Fn::FindInMap` are evaluated over
  those inputs;
- pseudo parameters (`AWS::AccountId`, `AWS::Region`, ...) and `Ref` / `Fn::GetAtt` to a resource
  of the same template name one thing the stack itself makes: they stay as `${...}` text;
- anything else (`Fn::ImportValue`, `Fn::GetAZs`, `Fn::Base64`, an unknown function) is unknown.

An unknown value inside a policy document is the worst case, `*` (anyone, every action, every
resource); elsewhere it stays as `${...}` text, and the caller learns which unknowns it met in
KMS keys (`Evaluation.unknown_keys`), which it cannot judge at all. Over `MAX_VARIANTS`
combinations the resource is unreadable.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_VARIANTS = 64
WORST = "*"
# Properties whose content is a policy (or JSON text of one): an unknown there is `*`.
DOCUMENTS = frozenset(
    {
        "PolicyDocument",
        "PolicyText",
        "RepositoryPolicyText",
        "RepositoryPolicy",
        "AssumeRolePolicyDocument",
        "InlinePolicy",
    }
)
KEYS = frozenset({"KmsKey", "KmsKeyId", "KMSKey"})
_PSEUDO = re.compile(r"AWS::[A-Za-z]+")
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class TooManyVariantsError(Exception):
    """More combinations than the pack evaluates."""


@dataclass
class Context:
    """What a template declares that values refer to."""

    parameters: Mapping[str, Any] = field(default_factory=dict)
    mappings: Mapping[str, Any] = field(default_factory=dict)
    resources: frozenset[str] = frozenset()
    unknown_keys: list[str] = field(default_factory=list)
    """The KMS key expressions that could not be evaluated."""

    @classmethod
    def of(cls, template: Mapping[str, Any]) -> Context:
        def section(name: str) -> Mapping[str, Any]:
            value = template.get(name)
            return value if isinstance(value, Mapping) else {}

        return cls(section("Parameters"), section("Mappings"), frozenset(section("Resources")))


_ABSENT = object()  # AWS::NoValue: the property is removed


def _product(choices: list[list[Any]]) -> list[tuple[Any, ...]]:
    total = 1
    for options in choices:
        total *= max(len(options), 1)
        if total > MAX_VARIANTS:
            raise TooManyVariantsError
    return list(itertools.product(*choices))


def variants(value: Any, context: Context, worst: bool = False, where: str = "") -> list[Any]:
    """Every value `value` could take (intrinsics evaluated); `worst`: inside a document."""
    if isinstance(value, Mapping) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref" or (isinstance(key, str) and key.startswith("Fn::")):
            return _function(str(key), arg, context, worst, where)
    if isinstance(value, Mapping):
        keys = list(value)
        choices = [
            variants(
                value[k],
                context,
                worst or k in DOCUMENTS,
                k if k in KEYS else where,
            )
            for k in keys
        ]
        return [
            {k: v for k, v in zip(keys, combination, strict=True) if v is not _ABSENT}
            for combination in _product(choices)
        ]
    if isinstance(value, list):
        combinations = _product([variants(v, context, worst, where) for v in value])
        return [[v for v in combination if v is not _ABSENT] for combination in combinations]
    return [value]


def _unknown(text: str, context: Context, worst: bool, where: str) -> list[Any]:
    if where in KEYS:
        context.unknown_keys.append(text)
    return [WORST if worst else text]


def _strings(values: list[Any]) -> list[str] | None:
    if all(isinstance(v, str) for v in values):
        return [str(v) for v in values]
    return None


def _function(key: str, arg: Any, context: Context, worst: bool, where: str) -> list[Any]:
    shown = json.dumps({key: arg}, default=str, sort_keys=True)
    if key == "Ref":
        return _ref(arg, context, worst, where)
    if key == "Fn::GetAtt":
        parts = arg.split(".", 1) if isinstance(arg, str) else arg
        if isinstance(parts, list) and parts and parts[0] in context.resources:
            return ["${" + ".".join(map(str, parts)) + "}"]
        return _unknown(shown, context, worst, where)
    if key == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
        return [
            *variants(arg[1], context, worst, where),
            *variants(arg[2], context, worst, where),
        ]
    if key == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
        separators = variants(arg[0], context, worst, where)
        lists = variants(arg[1], context, worst, where)
        found = []
        for separator, parts in _product([separators, lists]):
            if not isinstance(separator, str) or not isinstance(parts, list):
                return _unknown(shown, context, worst, where)
            texts = _strings(parts)
            if texts is None:
                return _unknown(shown, context, worst, where)
            found.append(separator.join(texts))
        return found
    if key == "Fn::Select" and isinstance(arg, list) and len(arg) == 2:
        found = []
        for index, options in _product(
            [variants(arg[0], context, worst, where), variants(arg[1], context, worst, where)]
        ):
            if not isinstance(options, list) or not options:
                return _unknown(shown, context, worst, where)
            try:
                found.append(options[int(index)])
            except (TypeError, ValueError, IndexError):
                found.extend(options)  # an index the pack cannot read: any element
        return found
    if key == "Fn::Sub":
        return _sub(arg, context, worst, where, shown)
    if key == "Fn::ToJsonString":
        return [json.dumps(v, sort_keys=True) for v in variants(arg, context, worst, where)]
    if key == "Fn::FindInMap" and isinstance(arg, list) and len(arg) >= 3:
        return _find_in_map(arg, context, worst, where, shown)
    return _unknown(shown, context, worst, where)


def _ref(name: Any, context: Context, worst: bool, where: str) -> list[Any]:
    if not isinstance(name, str):
        return _unknown(json.dumps({"Ref": name}, default=str), context, worst, where)
    if name == "AWS::NoValue":
        return [_ABSENT]
    if name in context.resources or _PSEUDO.fullmatch(name):
        return ["${" + name + "}"]
    parameter = context.parameters.get(name)
    if isinstance(parameter, Mapping):
        allowed = parameter.get("AllowedValues")
        if isinstance(allowed, list) and allowed:
            if (
                str(parameter.get("Type", "String")).startswith("List<")
                or parameter.get("Type") == "CommaDelimitedList"
            ):
                return _unknown("${" + name + "}", context, worst, where)
            return list(allowed)
    return _unknown("${" + name + "}", context, worst, where)


def _sub(arg: Any, context: Context, worst: bool, where: str, shown: str) -> list[Any]:
    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], Mapping):
        text, names = arg[0], arg[1]
    else:
        text, names = arg, {}
    if not isinstance(text, str):
        return _unknown(shown, context, worst, where)
    pieces: list[list[str]] = []
    position = 0
    for match in _SUB_VARIABLE.finditer(text):
        pieces.append([text[position : match.start()]])
        inner = match.group(1)
        if inner.startswith("!"):
            pieces.append(["${" + inner[1:] + "}"])
        elif inner in names:
            options = _strings(variants(names[inner], context, worst, where))
            pieces.append(options or _unknown("${" + inner + "}", context, worst, where))
        elif "." in inner and inner.split(".", 1)[0] in context.resources:
            pieces.append(["${" + inner + "}"])
        else:
            options = _strings(_ref(inner, context, worst, where))
            pieces.append(options or _unknown("${" + inner + "}", context, worst, where))
        position = match.end()
    pieces.append([text[position:]])
    return ["".join(parts) for parts in _product(pieces)]


def _find_in_map(
    arg: list[Any], context: Context, worst: bool, where: str, shown: str
) -> list[Any]:
    found: list[Any] = []
    for name, first, second in _product([variants(a, context, worst, where) for a in arg[:3]]):
        table = context.mappings.get(name) if isinstance(name, str) else None
        if not isinstance(table, Mapping):
            return _unknown(shown, context, worst, where)
        rows = (
            [table.get(first)]
            if isinstance(first, str) and first in table
            else list(table.values())
        )
        for row in rows:
            if not isinstance(row, Mapping):
                return _unknown(shown, context, worst, where)
            if isinstance(second, str) and second in row:
                found.append(row[second])
            else:
                found.extend(row.values())
    return found or _unknown(shown, context, worst, where)
