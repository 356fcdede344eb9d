"""A stack's config as the Pulumi CLI hands it to the program, without the CLI.

`Pulumi.yaml`'s declared keys (type-checked, defaults applied) overlaid by `Pulumi.<stack>.yaml`,
every value a string and structured values JSON-encoded — then the same `load_settings` the program
calls. The tools use it to judge what a stack file proposes before it is applied; the tests use it
to run the program under mocks with the config the CLI would pass.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from components.settings import NAMESPACE, StackSettings, load_settings
from tools.strict_load import yaml_load

ROOT = Path(__file__).resolve().parents[2]
_CLI_TYPES = {"string": str, "integer": int, "boolean": bool, "array": list, "object": dict}


def add_stack_arguments(parser: argparse.ArgumentParser, purpose: str, note: str = "") -> None:
    """`--stack` (a Pulumi stack name) and `--project-dir`, as every tool that reads a stack file
    takes them."""
    parser.add_argument(
        "--stack",
        required=True,
        type=_stack_name,
        help=f"stack whose Pulumi.<stack>.yaml to {purpose}",
    )
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=ROOT,
        metavar="DIR",
        help=f"directory with Pulumi.yaml and the stack files (default: this checkout){note}",
    )


def _stack_name(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a stack name")
    return value


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
    if isinstance(value, datetime.date):  # YAML reads 2026-01-01 as a date; Pulumi as text
        return value.isoformat()
    return json.dumps(value, default=str)


def engine_config(
    stack: str, overrides: Mapping[str, Any] | None = None, root: Path = ROOT
) -> dict[str, str]:
    """The config map for `stack`, as the CLI builds it; `overrides` are stack-file keys
    (`ecr:owner`), set or (with value None) removed, as `pulumi config set/rm` would."""
    project = _mapping(root / "Pulumi.yaml")
    stack_file = _mapping(root / f"Pulumi.{stack}.yaml")
    config = stack_file.get("config") or {}
    if not isinstance(config, dict):
        raise StackFileError(
            f"Pulumi.{stack}.yaml: config must be a mapping of key: value, not "
            f"{type(config).__name__}"
        )
    values: dict[str, Any] = dict(config)
    for key, value in (overrides or {}).items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    namespace = project.get("name")
    declarations = project.get("config") or {}
    if not isinstance(namespace, str) or not isinstance(declarations, dict):
        raise StackFileError("Pulumi.yaml: needs a name and a config mapping")
    for name, declared in declarations.items():
        key = name if ":" in name else f"{namespace}:{name}"
        if key in values:
            if not isinstance(values[key], _CLI_TYPES[declared["type"]]):
                raise StackFileError(f"Stack '{stack}': {key} is not a {declared['type']}")
        elif "default" in declared:
            values[key] = declared["default"]
        else:
            raise StackFileError(f"Stack '{stack}' is missing configuration value '{key}'")
    return {key: wire(value) for key, value in values.items()}


def _mapping(path: Path) -> dict[str, Any]:
    """A YAML file whose top level is a mapping (an empty file is an empty one), read as UTF-8."""
    try:
        found = yaml_load(path.read_bytes().decode("utf-8")) or {}
    except OSError as error:
        raise StackFileError(f"cannot read {path.name}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise StackFileError(f"{path.name} is not UTF-8 (byte {error.start})") from None
    except (yaml.YAMLError, RecursionError) as error:
        problem = " ".join(str(error).split()) if isinstance(error, yaml.YAMLError) else "too deep"
        raise StackFileError(f"{path.name} is not valid YAML: {problem}") from None
    if not isinstance(found, dict):
        kind = type(found).__name__
        raise StackFileError(f"{path.name}: the top level must be a mapping, not {kind}")
    return found


def stack_settings(stack: str, root: Path = ROOT) -> StackSettings:
    """The settings the program would compute for `stack` (SettingsError when it would refuse)."""
    config = engine_config(stack, root=root)
    prefix = f"{NAMESPACE}:"
    raw = {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}
    return load_settings(raw, region=config.get("aws:region"))
