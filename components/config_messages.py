"""pydantic validation errors -> our one-line config problems.

Each problem reads `<namespace>:<key path> = <value as JSON>: <what is allowed>`, e.g.
`ecr:services.fileflow.pullAccounts[0] = "1234": must be a 12-digit AWS account id`. The words for a
failed pattern come from the `Allowed` marker next to the constraint; unknown keys list the keys the
model allows. Values are shown as JSON on one line, shortened, so hostile input (newlines, huge or
deeply nested values) cannot break the one-line-per-problem format.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar, get_args, get_origin

from annotated_types import Ge, Le
from pydantic import BaseModel
from pydantic_core import ErrorDetails

T = TypeVar("T")


@dataclass(frozen=True)
class Allowed:
    """What a constrained value may be, in words: the message when the constraint fails."""

    text: str


_SIMPLE_KEY = re.compile(r"[A-Za-z0-9_./*-]+")
_TYPE_NAMES = {
    "bool_type": "a boolean",
    "int_type": "an integer",
    "string_type": "a string",
    "list_type": "an array",
    "dict_type": "an object (a map)",
}


def show(value: Any) -> str:
    """A value as one line of JSON, shortened; never fails."""
    try:
        shown = json.dumps(value, sort_keys=True, default=str)
    except (ValueError, RecursionError):
        shown = "(unprintable)"
    return shown if len(shown) <= 120 else shown[:117] + "..."


def key(name: Any) -> str:
    """A map key in a path; anything unusual (newlines, spaces, non-ASCII) is shown as JSON."""
    return name if isinstance(name, str) and _SIMPLE_KEY.fullmatch(name) else show(name)


def keys_of(model: type[BaseModel]) -> str:
    return ", ".join(sorted(f.alias or n for n, f in model.model_fields.items()))


@dataclass(frozen=True)
class Formatter:
    """Formats the errors of validating `root` (the model of a whole namespace)."""

    root: type[BaseModel]
    namespace: str
    missing: dict[tuple[int | str, ...], str]
    """Messages for required keys, by location (else "is required")."""

    def path(self, loc: tuple[int | str, ...]) -> str:
        """pydantic's location -> `ecr:services.fileflow.pullAccounts[0]`."""
        path = f"{self.namespace}:"
        for part in loc:
            if part == "[key]":
                continue  # the key itself is the part before
            if isinstance(part, int):
                path += f"[{part}]"
            else:
                path += ("" if path.endswith(":") else ".") + key(part)
        return path

    def problem(self, error: ErrorDetails) -> str:
        loc = tuple(error["loc"])
        path = self.path(loc)
        if error["type"] == "missing" or (error["type"] == "too_short" and loc in self.missing):
            return f"{path} {self.missing.get(loc, 'is required')}"
        value = show(error["input"])
        if error["type"] == "extra_forbidden":
            model = self._model_at(loc[:-1])
            return f"{path} = {value}: unknown key; allowed keys are {keys_of(model)}"
        return f"{path} = {value}: {self._allowed(error, loc)}"

    def _allowed(self, error: ErrorDetails, loc: tuple[int | str, ...]) -> str:
        kind, ctx = error["type"], error.get("ctx", {})
        marker = self._metadata_at(loc, Allowed)
        if marker is not None and kind.startswith("string_"):
            return marker.text
        if kind in _TYPE_NAMES:
            return f"must be {_TYPE_NAMES[kind]}"
        if kind in ("model_type", "model_attributes_type"):
            return f"must be an object (a map) of {keys_of(self._model_at(loc))}"
        if kind == "literal_error":
            return "must be one of " + str(ctx["expected"]).replace("'", "").replace(" or ", ", ")
        if kind in ("greater_than_equal", "less_than_equal"):
            low, high = self._metadata_at(loc, Ge), self._metadata_at(loc, Le)
            if low is not None and high is not None:
                return f"must be an integer from {low.ge} to {high.le}"
        if kind == "too_long":
            return f"must have at most {ctx['max_length']} items"
        if kind == "too_short":
            return f"must have at least {ctx['min_length']} item(s)"
        return str(error["msg"]).rstrip(".").replace("\n", " ")

    def _walk(self, loc: tuple[int | str, ...]) -> tuple[Any, list[Any]]:
        """The declared type at an error location, and its constraints."""
        annotation: Any = self.root
        metadata: list[Any] = []
        for index, part in enumerate(loc):
            if index + 1 < len(loc) and loc[index + 1] == "[key]":
                continue  # a map key is reported as (..., key, "[key]"): one step from the map
            args = get_args(annotation)
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                fields = annotation.model_fields.items()
                field = next((f for n, f in fields if part in (n, f.alias)), None)
                if field is None:
                    return None, []
                annotation, metadata = _unwrap(field.annotation, list(field.metadata))
            elif get_origin(annotation) is dict:
                annotation, metadata = _unwrap(args[0] if part == "[key]" else args[1], [])
            elif get_origin(annotation) is list:
                annotation, metadata = _unwrap(args[0], [])
            else:
                return None, []
        return annotation, metadata

    def _model_at(self, loc: tuple[int | str, ...]) -> type[BaseModel]:
        annotation, _ = self._walk(loc)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return annotation
        return self.root

    def _metadata_at(self, loc: tuple[int | str, ...], kind: type[T]) -> T | None:
        _, metadata = self._walk(loc)
        return next((m for m in metadata if isinstance(m, kind)), None)


def _unwrap(annotation: Any, metadata: list[Any]) -> tuple[Any, list[Any]]:
    """`annotation` without Annotated and Optional wrappers, and the metadata they carried."""
    while True:
        origin, args = get_origin(annotation), get_args(annotation)
        if origin is Annotated:
            annotation, metadata = args[0], metadata + list(args[1:])
        elif args and type(None) in args and origin is not Literal:
            annotation = next(a for a in args if a is not type(None))
        else:
            return annotation, metadata
