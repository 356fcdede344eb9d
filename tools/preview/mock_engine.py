"""Run the Pulumi program the way the engine would, with Pulumi's mock runtime in place of AWS.

- `engine_config` (tools/preview/stack_file.py) builds the config map the CLI hands a program.
- `run_program` runs `__main__.py` under `pulumi.runtime.set_mocks` with that config and returns
  every registered resource (inputs and options), every invoke, the resolved stack outputs and
  what each read from AWS was answered with.

Nothing here talks to AWS. The program's reads are answered offline:

- `aws:getCallerIdentity`: `account_id` (else the placeholder account);
- `aws:getRegion` (only when the stack sets no `aws:region`): `region` (else the placeholder);
- `aws:getPartition`: the partition of the stack's region (aws, aws-cn, aws-us-gov);
- `aws:ssm/getParameter` (the KMS key parameter, once per region): `parameters[name]` for the
  stack's region and `parameters["<region>:<name>"]` for another region; a read that is not answered
  gets a placeholder key ARN in that region and account, which the program's key check accepts.
  As pulumi-aws 7 answers it, `value` is a secret on the wire and `insecureValue` is not.

Values AWS computes when it creates a resource (ARNs, URLs, ids) are derived from its name, account
and region. Every placeholder is recorded in `ProgramRun.reads` with `placeholder=True`, so whoever
shows a result can say which values were made up.
"""

from __future__ import annotations

import asyncio
import logging
import runpy
import warnings
from collections import Counter
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

from components.settings.types import partition_of
from tools.preview.stack_file import engine_config

ROOT = Path(__file__).resolve().parents[2]
# AWS's documentation example account and key id: recognisably not a real account or key.
PLACEHOLDER_ACCOUNT_ID = "123456789012"
PLACEHOLDER_KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
# The organisation's home region (every shipped stack sets it); used only when a stack sets none.
PLACEHOLDER_REGION = "ap-northeast-2"

GET_PARAMETER = "aws:ssm/getParameter:getParameter"
GET_CALLER_IDENTITY = "aws:index/getCallerIdentity:getCallerIdentity"
GET_REGION = "aws:index/getRegion:getRegion"
GET_PARTITION = "aws:index/getPartition:getPartition"
STACK_TYPE = "pulumi:pulumi:Stack"

_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # pulumi's wire marker for a secret value
_SIG_KEY = "4dabf18193072939515e22adb298388d"  # the key that marker sits under


def _wire_secret(value: Any) -> dict[str, Any]:
    """`value` as a provider sends a secret (pulumi.runtime.rpc's wire form)."""
    return {_SIG_KEY: _SECRET_SIG, "value": value}


def placeholder_key_arn(region: str, account_id: str = PLACEHOLDER_ACCOUNT_ID) -> str:
    """The placeholder answer to a KMS key parameter read in `region`."""
    return f"arn:{partition_of(region)}:kms:{region}:{account_id}:key/{PLACEHOLDER_KEY_ID}"


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and _SECRET_SIG in value.values() and "value" in value


def _reveal(value: Any) -> Any:
    """Inputs with secrets unwrapped (e.g. an SSM parameter's value is secret by schema)."""
    if _is_secret(value):
        return _reveal(value["value"])
    if isinstance(value, dict):
        return {k: _reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_reveal(v) for v in value]
    return value


@dataclass
class Registration:
    """One registered resource, as the engine would see it."""

    type: str
    name: str
    inputs: dict[str, Any]
    protect: bool
    import_id: str
    parent: str
    urn: str
    property_dependencies: dict[str, list[str]]
    custom: bool = True
    """False for components (they have no cloud resource of their own)."""
    secret_inputs: tuple[str, ...] = ()
    """Top-level input keys whose value is a secret (shown as `[secret]` by renderers)."""
    dependencies: tuple[str, ...] = ()
    """URNs of explicit `depends_on`."""
    retain_on_delete: bool = False
    delete_before_replace: bool = False
    aliases: tuple[str, ...] = ()
    """The URNs this resource had before (its `aliases`, resolved as the engine does)."""

    @property
    def options(self) -> dict[str, Any]:
        """The resource options that were set, as `pulumi preview --json` names them."""
        found: dict[str, Any] = {}
        if self.parent:
            found["parent"] = self.parent
        if self.protect:
            found["protect"] = True
        if self.import_id:
            found["import"] = self.import_id
        if self.dependencies:
            found["dependsOn"] = list(self.dependencies)
        if self.retain_on_delete:
            found["retainOnDelete"] = True
        if self.delete_before_replace:
            found["deleteBeforeReplace"] = True
        if self.aliases:
            found["aliases"] = list(self.aliases)
        return found


@dataclass(frozen=True)
class Read:
    """One read from AWS the program made, and what answered it."""

    token: str
    """The invoke: `aws:ssm/getParameter:getParameter`, ..."""
    subject: str
    """What was read: `accountId`, `region`, an SSM parameter name (`<region>:<name>` elsewhere)."""
    value: str
    placeholder: bool
    """True when no answer was given and the value is made up."""


@dataclass
class ProgramRun:
    resources: list[Registration] = field(default_factory=list)
    invokes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    reads: list[Read] = field(default_factory=list)
    region: str = PLACEHOLDER_REGION
    """The region the stack's provider works in (its `aws:region`, else the answered region)."""
    config: dict[str, str] = field(default_factory=dict)
    """The config map the program ran with, as the CLI passes it."""
    messages: list[tuple[str, str]] = field(default_factory=list)
    """What the program logged (`pulumi.log.warn`, ...): (severity, message), as the CLI shows."""

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str) -> Registration:
        (match,) = [r for r in self.of_type(type_) if r.name == name]
        return match

    def invoked(self, token: str) -> list[dict[str, Any]]:
        return [args for tok, args in self.invokes if tok == token]

    def duplicate_urns(self) -> list[str]:
        """URNs registered twice: the engine refuses the update for each (the mocks do not)."""
        counts = Counter(r.urn for r in self.resources)
        return sorted(urn for urn, count in counts.items() if count > 1)


class RecordingMocks(pulumi_mocks.Mocks):
    """Answers the program's reads and fakes what AWS computes, recording both."""

    def __init__(
        self,
        run: ProgramRun,
        parameters: Mapping[str, str],
        account_id: str | None,
        region: str | None,
    ) -> None:
        self.run = run
        self.parameters = parameters
        self.account_id = account_id or PLACEHOLDER_ACCOUNT_ID
        self.account_placeholder = account_id is None
        self.region = region or PLACEHOLDER_REGION
        self.region_placeholder = region is None

    def _read(self, token: str, subject: str, value: str, placeholder: bool) -> str:
        read = Read(token, subject, value, placeholder)
        if read not in self.run.reads:
            self.run.reads.append(read)
        return value

    def _fake_outputs(self, type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """Outputs AWS would compute, in the wire format (camelCase)."""
        account, region = self.account_id, self.run.region
        arn = f"arn:{partition_of(region)}"
        outputs = dict(inputs)
        if type_ == "aws:ecr/repository:Repository":
            repo = inputs["name"]
            outputs |= {
                "arn": f"{arn}:ecr:{region}:{account}:repository/{repo}",
                "registryId": account,
                "repositoryUrl": f"{account}.dkr.ecr.{region}.amazonaws.com/{repo}",
            }
        elif type_ == "aws:iam/policy:Policy":
            outputs["arn"] = f"{arn}:iam::{account}:policy/{inputs.get('name', name)}"
        elif type_ == "aws:iam/role:Role":
            outputs["arn"] = f"{arn}:iam::{account}:role/{inputs.get('name', name)}"
        elif type_ == "aws:signer/signingProfile:SigningProfile":
            profile = inputs.get("name", name)
            outputs["arn"] = f"{arn}:signer:{region}:{account}:/signing-profiles/{profile}"
        elif "arn" not in outputs and ":" in type_:
            outputs["arn"] = f"{arn}:mock:{region}:{account}:{name}"
        return outputs

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return (
            args.resource_id or f"{args.name}-id",
            self._fake_outputs(args.typ, args.name, args.inputs),
        )

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        token = args.token
        self.run.invokes.append((token, dict(args.args)))
        if token == GET_PARAMETER:
            name = args.args["name"]
            region = args.args.get("region")
            key = f"{region}:{name}" if region and region != self.run.region else name
            value = self.parameters.get(key)
            placeholder = value is None
            if value is None:
                value = placeholder_key_arn(region or self.run.region, self.account_id)
            self._read(token, key, value, placeholder)
            # pulumi-aws 7 marks the data source's `value` secret (terraform's Sensitive) and not
            # its twin `insecureValue`. The SDK then marks the whole result secret
            # (pulumi.runtime.invoke: deserialize_properties_unwrap_secrets).
            return {
                "name": name,
                "type": "String",
                "value": _wire_secret(value),
                "insecureValue": value,
            }
        if token == GET_CALLER_IDENTITY:
            account = self.account_id
            self._read(token, "accountId", account, self.account_placeholder)
            arn = f"arn:aws:iam::{account}:user/ci"
            return {"accountId": account, "arn": arn, "userId": "AIDA", "id": account}
        if token == GET_PARTITION:
            partition = partition_of(self.run.region)
            suffix = {"aws-cn": "amazonaws.com.cn"}.get(partition, "amazonaws.com")
            return {"partition": partition, "dnsSuffix": suffix, "id": partition,
                    "reverseDnsPrefix": ".".join(reversed(suffix.split(".")))}  # fmt: skip
        if token == GET_REGION:
            self._read(token, "region", self.region, self.region_placeholder)
            return {"name": self.region, "region": self.region, "id": self.region}
        raise NotImplementedError(f"the offline engine cannot answer the invoke {token}")


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The mock monitor, also recording the resource options the mocks do not see.

    It overrides SDK internals (make_urn, RegisterResource; run_program also resets the root
    stack resource): tests/tools/preview/test_mock_engine_sdk.py fails, naming the attribute,
    when a Pulumi upgrade changes their shape."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.run = mocks.run

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN the engine gives: the parent's whole qualified type, and none for the stack's
        children (the mocks use the parent's last type and keep the stack's)."""
        if parent:
            qualified = parent.split("::")[2]
            if qualified != STACK_TYPE:
                type_ = f"{qualified}${type_}"
        return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{type_}::{name}"

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != STACK_TYPE:
            raw = rpc.deserialize_properties(request.object)
            self.run.resources.append(
                Registration(
                    type=request.type,
                    name=request.name,
                    inputs=_reveal(raw),
                    protect=bool(request.protect),
                    import_id=request.importId,
                    parent=request.parent,
                    urn=response.urn,
                    property_dependencies={
                        k: list(v.urns) for k, v in request.propertyDependencies.items()
                    },
                    custom=bool(request.custom),
                    secret_inputs=tuple(sorted(k for k, v in raw.items() if _is_secret(v))),
                    dependencies=tuple(request.dependencies),
                    retain_on_delete=bool(request.retainOnDelete),
                    delete_before_replace=bool(request.deleteBeforeReplace),
                    aliases=tuple(self._aliases(request)),
                )
            )
        return response

    def _aliases(self, request: Any) -> list[str]:
        """The former URNs an alias names: by URN, or by name (and type) under the same parent."""
        urns = list(request.aliasURNs)
        for alias in request.aliases:
            if alias.urn:
                urns.append(alias.urn)
                continue
            spec = alias.spec
            parent = spec.parentUrn or ("" if spec.noParent else request.parent)
            urns.append(self.make_urn(parent, spec.type or request.type, spec.name or request.name))
        return urns


class _Messages(logging.Handler):
    """The program's log messages, kept for whoever shows the run (the CLI prints them)."""

    def __init__(self, run: ProgramRun) -> None:
        super().__init__(logging.DEBUG)
        self.run = run

    def emit(self, record: logging.LogRecord) -> None:
        self.run.messages.append((record.levelname.lower(), record.getMessage()))


def _event_loop() -> asyncio.AbstractEventLoop:
    """The event loop the mock runtime runs on (it uses the thread's loop, making one if none)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            return asyncio.get_event_loop()
        except RuntimeError:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            return loop


def _quiet(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """When the program fails, the runtime's other pending futures fail with it, and asyncio would
    print each one's traceback when it is collected: `run_program` raises the error instead."""
    if "exception" not in context:
        loop.default_exception_handler(context)


def run_program(
    stack: str,
    overrides: Mapping[str, Any] | None = None,
    parameters: Mapping[str, str] | None = None,
    *,
    account_id: str | None = None,
    region: str | None = None,
    root: Path = ROOT,
    program: Path = ROOT / "__main__.py",
    run: ProgramRun | None = None,
) -> ProgramRun:
    """Runs `program` for `stack` (its config from `root`'s Pulumi.yaml and stack file, with
    `overrides` as `pulumi config set/rm` would make them) under mocks.

    `parameters`, `account_id` and `region` answer the program's reads (see the module docstring);
    what is not given is answered with a placeholder.
    Raises what the program raises (pass `run` to see what was registered before it did);
    StackFileError when the stack file cannot be read.
    """
    run = ProgramRun() if run is None else run
    config = engine_config(stack, overrides, root=root)
    run.config = config
    run.region = config.get("aws:region") or region or PLACEHOLDER_REGION
    mocks = RecordingMocks(run, parameters or {}, account_id, region)
    project = yaml.safe_load((root / "Pulumi.yaml").read_text())["name"]
    logger = logging.getLogger(f"{__name__}.program")
    logger.propagate = False
    logger.handlers = [_Messages(run)]
    _event_loop().set_exception_handler(_quiet)
    runtime_settings.ROOT.set(None)  # a fresh root stack resource per run
    set_all_config(config)
    pulumi.runtime.set_mocks(
        mocks,
        project=project,
        stack=stack,
        preview=False,
        logger=logger,
        monitor=RecordingMonitor(mocks),
    )

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def execute() -> pulumi.Output[Any]:
        runpy.run_path(str(program), run_name="__main__")
        root_resource = runtime_settings.get_root_resource()
        return pulumi.Output.from_input(root_resource.outputs).apply(run.outputs.update)  # type: ignore[union-attr]

    execute()
    return run
