"""Run the Pulumi program the way the engine would, with Pulumi's mock runtime in place of AWS.

- `engine_config` (tools/stack_file.py) builds the config map the CLI hands a program.
- `run_program` runs `__main__.py` under `pulumi.runtime.set_mocks` with that config and returns
  every registered resource (inputs and options), every invoke and the resolved stack outputs.
"""

from __future__ import annotations

import runpy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.config import set_all_config

from tools.stack_file import engine_config

ROOT = Path(__file__).resolve().parent.parent
PROJECT = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
ACCOUNT_ID = "123456789012"
REGION = "ap-northeast-2"
KMS_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/0b6b2a1e-1f0e-4c43-9a51-1a7f0e2d1c11"

_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # pulumi's wire marker for a secret value


def _reveal(value: Any) -> Any:
    """Inputs with secrets unwrapped (e.g. an SSM parameter's value is secret by schema)."""
    if isinstance(value, dict):
        if _SECRET_SIG in value.values() and "value" in value:
            return _reveal(value["value"])
        return {k: _reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_reveal(v) for v in value]
    return value


@dataclass
class Registration:
    """One registered resource: what a test can see of it."""

    type: str
    name: str
    inputs: dict[str, Any]
    protect: bool
    import_id: str
    parent: str
    urn: str
    property_dependencies: dict[str, list[str]]


@dataclass
class ProgramRun:
    resources: list[Registration] = field(default_factory=list)
    invokes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str) -> Registration:
        (match,) = [r for r in self.of_type(type_) if r.name == name]
        return match

    def invoked(self, token: str) -> list[dict[str, Any]]:
        return [args for tok, args in self.invokes if tok == token]


def _fake_outputs(type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Outputs AWS would compute, in the wire format (camelCase)."""
    outputs = dict(inputs)
    if type_ == "aws:ecr/repository:Repository":
        repo = inputs["name"]
        outputs |= {
            "arn": f"arn:aws:ecr:{REGION}:{ACCOUNT_ID}:repository/{repo}",
            "registryId": ACCOUNT_ID,
            "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/{repo}",
        }
    elif type_ == "aws:iam/policy:Policy":
        outputs["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:policy/{inputs.get('name', name)}"
    elif "arn" not in outputs and ":" in type_:
        outputs["arn"] = f"arn:aws:mock:{REGION}:{ACCOUNT_ID}:{name}"
    return outputs


class RecordingMocks(pulumi_mocks.Mocks):
    def __init__(self, run: ProgramRun, parameters: Mapping[str, str]) -> None:
        self.run = run
        self.parameters = parameters

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return (
            args.resource_id or f"{args.name}-id",
            _fake_outputs(args.typ, args.name, args.inputs),
        )

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        self.run.invokes.append((args.token, dict(args.args)))
        if args.token == "aws:ssm/getParameter:getParameter":
            name = args.args["name"]
            if name not in self.parameters:
                raise RuntimeError(f"ParameterNotFound: {name}")
            value = self.parameters[name]
            # The same parameter in another region holds that region's key (as the README asks).
            if args.args.get("region") and f"{args.args['region']}:{name}" in self.parameters:
                value = self.parameters[f"{args.args['region']}:{name}"]
            elif args.args.get("region"):
                value = value.replace(f":{REGION}:", f":{args.args['region']}:")
            return {"name": name, "type": "String", "value": value}
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            arn = f"arn:aws:iam::{ACCOUNT_ID}:user/ci"
            return {"accountId": ACCOUNT_ID, "arn": arn, "userId": "AIDA", "id": ACCOUNT_ID}
        if args.token == "aws:index/getRegion:getRegion":
            return {"name": REGION, "region": REGION, "id": REGION}
        raise NotImplementedError(f"unexpected invoke {args.token}")


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The mock monitor, also recording the resource options the mocks do not see."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.run = mocks.run

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.run.resources.append(
                Registration(
                    type=request.type,
                    name=request.name,
                    inputs=_reveal(rpc.deserialize_properties(request.object)),
                    protect=bool(request.protect),
                    import_id=request.importId,
                    parent=request.parent,
                    urn=response.urn,
                    property_dependencies={
                        k: list(v.urns) for k, v in request.propertyDependencies.items()
                    },
                )
            )
        return response


def run_program(
    stack: str,
    overrides: Mapping[str, Any] | None = None,
    parameters: Mapping[str, str] | None = None,
    program: Path = ROOT / "__main__.py",
    run: ProgramRun | None = None,
) -> ProgramRun:
    """Runs `__main__.py` for `stack` under mocks; raises what the program raises (pass `run` to
    see what was registered before it did)."""
    run = ProgramRun() if run is None else run
    if parameters is None:
        parameters = {"/shared/kms/ecs-secrets-key-arn": KMS_KEY_ARN}
    mocks = RecordingMocks(run, parameters)
    runtime_settings.ROOT.set(None)  # a fresh root stack resource per run
    set_all_config(engine_config(stack, overrides))
    pulumi.runtime.set_mocks(
        mocks, project=PROJECT["name"], stack=stack, preview=False, monitor=RecordingMonitor(mocks)
    )

    @pulumi.runtime.test
    def execute() -> pulumi.Output[Any]:
        runpy.run_path(str(program), run_name="__main__")
        root = runtime_settings.get_root_resource()
        return pulumi.Output.from_input(root.outputs).apply(run.outputs.update)  # type: ignore[union-attr]

    execute()
    return run
