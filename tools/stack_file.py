"""A stack's config as the Pulumi CLI hands it to the program, without the CLI.

`Pulumi.yaml`'s declared keys (type-checked, defaults applied) overlaid by `Pulumi.<stack>.yaml`,
every value a string and structured values JSON-encoded — then the same `load_settings` the program
calls. The tools use it to judge what a stack file proposes before it is applied; the tests use it
to run the program under mocks with the config the CLI would pass.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from components.settings import NAMESPACE, StackSettings, load_settings

ROOT = Path(__file__).resolve().parent.parent
_CLI_TYPES = {"string": str, "integer": int, "boolean": bool, "array": list, "object": dict}


class StackFileError(ValueError):
    """The stack file is missing, unreadable, or lacks what Pulumi.yaml requires."""


def wire(value: Any) -> str:
    """How the engine passes one config value to a language host."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value)


def engine_config(
    stack: str, overrides: Mapping[str, Any] | None = None, root: Path = ROOT
) -> dict[str, str]:
    """The config map for `stack`, as the CLI builds it; `overrides` are stack-file keys
    (`ecr:owner`), set or (with value None) removed, as `pulumi config set/rm` would."""
    path = root / f"Pulumi.{stack}.yaml"
    try:
        project = yaml.safe_load((root / "Pulumi.yaml").read_text())
        stack_file = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise StackFileError(f"cannot read {path.name}: {error}") from None
    values: dict[str, Any] = dict(stack_file.get("config") or {})
    for key, value in (overrides or {}).items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    namespace = project["name"]
    for name, declared in (project.get("config") or {}).items():
        key = name if ":" in name else f"{namespace}:{name}"
        if key in values:
            if not isinstance(values[key], _CLI_TYPES[declared["type"]]):
                raise StackFileError(f"Stack '{stack}': {key} is not a {declared['type']}")
        elif "default" in declared:
            values[key] = declared["default"]
        else:
            raise StackFileError(f"Stack '{stack}' is missing configuration value '{key}'")
    return {key: wire(value) for key, value in values.items()}


def stack_settings(stack: str, root: Path = ROOT) -> StackSettings:
    """The settings the program would compute for `stack` (SettingsError when it would refuse)."""
    config = engine_config(stack, root=root)
    prefix = f"{NAMESPACE}:"
    raw = {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}
    return load_settings(raw, region=config.get("aws:region"))
