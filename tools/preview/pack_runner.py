"""The policy pack as the Pulumi CLI runs it: `python __main__.py` in policy/, which prints the port
of its Analyzer gRPC service; then GetAnalyzerInfo, Configure, Analyze and AnalyzeStack.

    with RunningPack() as pack:
        pack.configure(read_policy_config(path))   # what --policy-pack-config FILE gives the CLI
        diagnostics = pack.preview(resources)      # every resource, then the stack

The pack runs under this interpreter (`sys.executable`, where `make setup` installed its SDK), and
its process ends on every path out of the `with` block.
"""

from __future__ import annotations

import contextlib
import json
import selectors
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi.runtime.proto import analyzer_pb2_grpc

from policy.ecr_guardrails.config import expanded
from tools.preview.mock_engine import Registration

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"
LEVELS = {
    "advisory": pb.ADVISORY,
    "mandatory": pb.MANDATORY,
    "disabled": pb.DISABLED,
    "remediate": pb.REMEDIATE,
}
_LEVEL_NAMES = {v: k for k, v in LEVELS.items()}
START_SECONDS = 60.0


class PackError(Exception):
    """The pack could not be started, configured or asked (one line: what and why)."""


@dataclass(frozen=True)
class Resource:
    """A resource as the engine describes it to an analyzer."""

    type: str
    name: str
    props: Mapping[str, Any]
    urn: str
    protect: bool = False
    parent: str = ""
    property_dependencies: Mapping[str, list[str]] | None = None
    provider: Resource | None = None
    """The provider resource it is created with (its props: region, allowedAccountIds...)."""

    def provider_message(self) -> pb.AnalyzerProviderResource | None:
        p = self.provider
        if p is None:
            return None
        return pb.AnalyzerProviderResource(
            type=p.type, properties=_struct(p.props), urn=p.urn, name=p.name
        )

    @classmethod
    def registered(cls, r: Registration, provider: Resource | None = None) -> Resource:
        """What the engine hands the pack for a resource the program registered (with the
        provider it is created with, when given)."""
        return cls(
            r.type, r.name, r.inputs, r.urn, r.protect, r.parent, r.property_dependencies, provider
        )

    @classmethod
    def all_registered(
        cls, registrations: Sequence[Registration], default: Resource | None = None
    ) -> list[Resource]:
        """Every registered resource, each with its provider as the engine hands it to the pack
        (its region and allowedAccountIds): the explicit one it names, else `default` for the
        aws resources (the stack's default aws provider)."""
        providers = {
            r.urn: cls.registered(r)
            for r in registrations
            if r.type.startswith("pulumi:providers:")
        }

        def provider_of(r: Registration) -> Resource | None:
            explicit = providers.get(r.provider.rsplit("::", 1)[0]) if r.provider else None
            if explicit is not None:
                return explicit
            return default if r.type.startswith("aws:") else None

        return [cls.registered(r, provider_of(r)) for r in registrations]


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    level: str
    message: str
    urn: str
    """Empty for a stack-wide diagnostic that names no resource."""
    description: str = ""
    """The policy's one-line description."""


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(dict(values))
    return struct


def _diagnostics(response: Any) -> list[Diagnostic]:
    return [
        Diagnostic(
            d.policyName,
            _LEVEL_NAMES.get(d.enforcementLevel, "?"),
            d.message,
            d.urn,
            d.description,
        )
        for d in response.diagnostics
    ]


def read_policy_config(path: Path) -> dict[str, Any]:
    """A `--policy-pack-config` file, in the CLI's format: a JSON object of policy name -> an object
    (its properties and an optional `enforcementLevel`) or just a level; `all` sets the level of
    every policy (a policy's own entry wins). PackError naming the file and entry when wrong."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise PackError(f"policy config {path}: {error}") from None
    if not isinstance(data, dict):
        raise PackError(f"policy config {path}: must be a JSON object of policy name -> settings")
    for policy, values in data.items():
        if isinstance(values, str):
            values = {"enforcementLevel": values}
        if not isinstance(values, dict):
            raise PackError(
                f"policy config {path}: {policy} must be an object or a level, not {values!r}"
            )
        level = values.get("enforcementLevel")
        if level is not None and level not in LEVELS:
            raise PackError(
                f"policy config {path}: {policy}.enforcementLevel = {level!r}: "
                f"must be one of {', '.join(LEVELS)}"
            )
    return data


class RunningPack:
    """The pack's process and a gRPC stub to it. Use as a context manager (or call `close`)."""

    def __init__(self, policy_dir: Path = POLICY_DIR, start_seconds: float = START_SECONDS) -> None:
        # stderr to a file, not a pipe: a pack that logs a lot must never block on a full pipe.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        try:
            self.process = subprocess.Popen(
                # -u: the port line must arrive now, not when a block buffer fills.
                [sys.executable, "-u", "__main__.py"],
                cwd=policy_dir,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
            )
        except OSError as error:
            self._stderr.close()
            raise PackError(f"cannot start the policy pack in {policy_dir}: {error}") from None
        try:
            self.port = self._read_port(start_seconds)
        except BaseException:
            self.close()
            raise
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)

    def _read_port(self, seconds: float) -> int:
        """The port the pack prints on its first line of stdout."""
        stdout = self.process.stdout
        assert stdout is not None
        deadline = time.monotonic() + seconds
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            while not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                if time.monotonic() >= deadline:
                    raise PackError(f"the policy pack printed no port within {seconds:.0f} s")
        line = stdout.readline().decode(errors="replace").strip()
        if not line.isdigit():
            if not line:  # its stdout ended: it is exiting; let it finish writing why
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=10)
            said = self._said() or line or "nothing"
            raise PackError(f"the policy pack did not start: {said}")
        return int(line)

    def _said(self) -> str:
        """The last line the pack wrote on stderr (why it failed, usually)."""
        self._stderr.seek(0)
        lines = self._stderr.read().decode(errors="replace").strip().splitlines()
        return lines[-1] if lines else ""

    def __enter__(self) -> RunningPack:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, method: str, request: Any, timeout: float) -> Any:
        try:
            return getattr(self.stub, method)(request, timeout=timeout)
        except grpc.RpcError as error:
            details = error.details() if hasattr(error, "details") else error
            raise PackError(f"policy pack {method} failed: {details}") from None

    def info(self) -> Any:
        return self._call("GetAnalyzerInfo", empty_pb2.Empty(), 30)

    def config_problems(self, config: Mapping[str, Any]) -> list[str]:
        """What the CLI refuses in a policy config: a policy the pack does not have, or values
        that break the policy's config schema (one line each, naming the policy and property)."""
        import jsonschema
        from google.protobuf import json_format

        policies = {p.name: p for p in self.info().policies}
        found = []
        for name, values in expanded(config, policies).items():
            policy = policies.get(name)
            if policy is None:
                found.append(f"{name}: the pack has no such policy")
                continue
            schema = {
                "type": "object",
                "properties": json_format.MessageToDict(policy.configSchema.properties)
                | {"enforcementLevel": {"enum": list(LEVELS)}},
                "required": list(policy.configSchema.required),
            }
            for error in jsonschema.Draft7Validator(schema).iter_errors(dict(values)):
                where = ".".join(str(p) for p in error.absolute_path)
                found.append(f"{name}{'.' + where if where else ''}: {error.message}")
        return found

    def configure(self, config: Mapping[str, Any] | None = None) -> None:
        """`{policy: {"enforcementLevel": "advisory", "prop": value}}`, as a config file has it
        (with the CLI's shorthands: `"policy": "advisory"`, `"all": "mandatory"`)."""
        # Like the CLI: every policy gets its default level unless the config names one.
        request = pb.ConfigureAnalyzerRequest()
        policies = self.info().policies
        for policy in policies:
            request.policyConfig[policy.name].enforcementLevel = policy.enforcementLevel
        for policy, values in expanded(config or {}, [p.name for p in policies]).items():
            level = values.pop("enforcementLevel", None)
            entry = request.policyConfig[policy]
            if level is not None:
                entry.enforcementLevel = LEVELS[level]
            entry.properties.CopyFrom(_struct(values))
        self._call("Configure", request, 30)

    def configure_stack(self, stack: str, project: str, config: Mapping[str, str]) -> None:
        """What the CLI tells the pack about the stack of a preview (no tags: they live in the
        backend, which an offline run has none of)."""
        request = pb.AnalyzerStackConfigureRequest(
            stack=stack, project=project, dry_run=True, config=dict(config)
        )
        self._call("ConfigureStack", request, 30)

    def analyze(self, resource: Resource) -> list[Diagnostic]:
        request = pb.AnalyzeRequest(
            type=resource.type,
            properties=_struct(resource.props),
            urn=resource.urn,
            name=resource.name,
            options=pb.AnalyzerResourceOptions(protect=resource.protect, parent=resource.parent),
            provider=resource.provider_message(),
        )
        # The SDK leaves a resource's own URN out; the CLI knows which resource it asked about.
        return [
            d if d.urn else replace(d, urn=resource.urn)
            for d in _diagnostics(self._call("Analyze", request, 30))
        ]

    def analyze_stack(self, resources: Iterable[Resource]) -> list[Diagnostic]:
        request = pb.AnalyzeStackRequest()
        for r in resources:
            entry = request.resources.add(
                type=r.type,
                properties=_struct(r.props),
                urn=r.urn,
                name=r.name,
                options=pb.AnalyzerResourceOptions(protect=r.protect, parent=r.parent),
                parent=r.parent,
                provider=r.provider_message(),
            )
            for key, urns in (r.property_dependencies or {}).items():
                entry.propertyDependencies[key].urns.extend(urns)
        return _diagnostics(self._call("AnalyzeStack", request, 60))

    def preview(self, resources: list[Resource]) -> list[Diagnostic]:
        """What `pulumi preview --policy-pack` asks: every resource, then the stack."""
        found = [d for r in resources for d in self.analyze(r)]
        return found + self.analyze_stack(resources)

    def close(self) -> None:
        """Ends the pack's process (terminate, then kill) and releases the channel; idempotent."""
        if hasattr(self, "channel"):
            self.channel.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()
