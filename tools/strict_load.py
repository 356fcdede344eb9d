"""JSON and YAML that refuse a key given twice in one mapping, naming the key and its place.

Python's `json` and PyYAML keep the last of two equal keys without a word, so a snapshot with
`{"fileflow": [...35 images], "fileflow": []}` would be judged as 0 images, and a stack file with a
key twice (which the Pulumi CLI refuses) would be read as something it is not.
"""

from __future__ import annotations

import json
from typing import Any

import yaml


class DuplicateKeyError(ValueError):
    """A mapping with a key twice: the message names the key and where."""


class _Duplicate(dict[str, Any]):
    """An object that had a key twice (found after parsing, to name its path)."""

    key = ""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            marked = _Duplicate(pairs)
            marked.key = key
            return marked
        found[key] = value
    return found


def _first_duplicate(value: Any, path: str) -> tuple[str, str] | None:
    if isinstance(value, _Duplicate):
        return value.key, path or "(top level)"
    children = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, child in children:
        place = f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if path else key
        found = _first_duplicate(child, place)
        if found:
            return found
    return None


def json_loads(text: str) -> Any:
    """`json.loads`, but DuplicateKeyError for a key twice in one object."""
    data = json.loads(text, object_pairs_hook=_pairs)
    duplicate = _first_duplicate(data, "")
    if duplicate:
        key, place = duplicate
        raise DuplicateKeyError(f"key {key!r} appears twice in the object at {place}")
    return data


class _StrictLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                repeated = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: SafeLoader refuses it itself
                continue
            if repeated:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"key {key!r} appears twice (the Pulumi CLI refuses this too)",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


def yaml_load(text: str) -> Any:
    """`yaml.safe_load`, but a key twice in one mapping is a YAMLError naming the key and line."""
    return yaml.load(text, Loader=_StrictLoader)


if __name__ == "__main__":
    from tools.cli import not_a_command

    raise SystemExit(not_a_command("tools.strict_load"))
