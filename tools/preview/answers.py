"""The program's reads from AWS, answered offline: `--answers FILE` (YAML or JSON) with every
`--assume KEY=VALUE` over it. What is not answered gets a labelled placeholder (mock_engine)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tools.cli import ToolError, one_line
from tools.strict_load import yaml_load

_REGION = r"[a-z]{2}(?:-[a-z]+)+-[0-9]"
# Length: botocore's ssm PSParameterName (1..2048); characters: the SSM user guide's naming rule.
_SSM_NAME = r"[A-Za-z0-9_./-]{1,2048}"


class Answers(BaseModel):
    """What the program reads from AWS, answered offline (`--answers FILE`, `--assume K=V`)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    account_id: str | None = Field(
        None, alias="accountId", pattern=r"^[0-9]{12}$", description="the AWS account id"
    )
    region: str | None = Field(
        None,
        pattern=f"^{_REGION}$",
        description="the provider's region, when the stack sets no aws:region",
    )
    ssm: dict[str, str] = Field(
        default_factory=dict,
        description="SSM parameter values: NAME in the stack's region, REGION:NAME elsewhere",
    )

    @field_validator("ssm")
    @classmethod
    def _ssm_keys(cls, value: dict[str, str]) -> dict[str, str]:
        for key, answer in value.items():
            if not re.fullmatch(f"(?:{_REGION}:)?{_SSM_NAME}", key):
                raise ValueError(f"{key!r} is not NAME or REGION:NAME of an SSM parameter")
            if not isinstance(answer, str) or not answer:
                raise ValueError(f"{key}: the value must be a non-empty string")
        return value


def _validation_problem(source: str, error: ValidationError) -> str:
    problems = []
    for e in error.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(top)"
        problems.append(f"{where} = {json.dumps(e.get('input'), default=str)}: {e['msg']}")
    return f"{source}: " + "; ".join(problems)


def read_answers(path: str | None, assumed: Sequence[str]) -> Answers:
    """The answers file (if any) with every `--assume KEY=VALUE` over it; ToolError if wrong."""
    data: dict[str, Any] = {}
    if path:
        try:
            loaded = yaml_load(Path(path).read_text())
        except (OSError, yaml.YAMLError) as error:
            raise ToolError(f"--answers {path}: {one_line(error)}") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ToolError(f"--answers {path}: must be a mapping of accountId, region, ssm")
        try:
            data = Answers.model_validate(loaded or {}).model_dump(by_alias=True)
        except ValidationError as error:
            raise ToolError(_validation_problem(f"--answers {path}", error)) from None
    for item in assumed:
        key, sep, value = item.partition("=")
        if not sep or not value:
            raise ToolError(f"--assume {item!r}: must be KEY=VALUE")
        if key.startswith("ssm:"):
            data.setdefault("ssm", {})[key[len("ssm:") :]] = value
        elif key in ("accountId", "region"):
            data[key] = value
        else:
            raise ToolError(
                f"--assume {item!r}: KEY must be accountId, region, ssm:NAME or ssm:REGION:NAME"
            )
    try:
        return Answers.model_validate(data)
    except ValidationError as error:
        raise ToolError(_validation_problem("--assume", error)) from None
