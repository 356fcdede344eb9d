"""The policy pack as the Pulumi CLI runs it: `python __main__.py` in policy/, which prints the port
of its Analyzer gRPC service; then GetAnalyzerInfo, Configure, Analyze and AnalyzeStack."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi.runtime.proto import analyzer_pb2_grpc

from tests.engine import KMS_KEY_ARN

POLICY_DIR = Path(__file__).resolve().parent.parent / "policy"
LEVELS = {"advisory": pb.ADVISORY, "mandatory": pb.MANDATORY, "disabled": pb.DISABLED}


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


def compliant_repository(name: str, stack: str = "prod") -> Resource:
    """A repository of some other project that passes every policy (when protected)."""
    props = {
        "name": name,
        "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": KMS_KEY_ARN}],
        "imageScanningConfiguration": {"scanOnPush": True},
        "imageTagMutability": "IMMUTABLE",
        "tags": {
            "Owner": "a@b.io",
            "CostCenter": "c",
            "Environment": stack,
            "Lifecycle": "production",
            "DataClass": "internal",
            "Service": name,
        },
    }
    urn = f"urn:pulumi:{stack}::other::aws:ecr/repository:Repository::{name}"
    return Resource("aws:ecr/repository:Repository", name, props, urn, protect=True)


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    level: str
    message: str
    urn: str


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(dict(values))
    return struct


def _diagnostics(response: Any) -> list[Diagnostic]:
    names = {v: k for k, v in LEVELS.items()}
    return [
        Diagnostic(d.policyName, names.get(d.enforcementLevel, "?"), d.message, d.urn)
        for d in response.diagnostics
    ]


class RunningPack:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "__main__.py"],
            cwd=POLICY_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode().strip()
        if not line.isdigit():
            self.close()
            raise RuntimeError(f"policy pack did not print a port: {line!r}")
        self.port = int(line)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)

    def info(self) -> Any:
        return self.stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)

    def configure(self, config: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        """`{policy: {"enforcementLevel": "advisory", "prop": value}}`, as a config file holds it."""
        # Like the CLI: every policy gets its default level unless the config names one.
        request = pb.ConfigureAnalyzerRequest()
        for policy in self.info().policies:
            request.policyConfig[policy.name].enforcementLevel = policy.enforcementLevel
        for policy, values in (config or {}).items():
            values = dict(values)
            level = values.pop("enforcementLevel", None)
            entry = request.policyConfig[policy]
            if level is not None:
                entry.enforcementLevel = LEVELS[level]
            entry.properties.CopyFrom(_struct(values))
        self.stub.Configure(request, timeout=30)

    def analyze(self, resource: Resource) -> list[Diagnostic]:
        request = pb.AnalyzeRequest(
            type=resource.type,
            properties=_struct(resource.props),
            urn=resource.urn,
            name=resource.name,
            options=pb.AnalyzerResourceOptions(protect=resource.protect, parent=resource.parent),
        )
        return _diagnostics(self.stub.Analyze(request, timeout=30))

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
            )
            for key, urns in (r.property_dependencies or {}).items():
                entry.propertyDependencies[key].urns.extend(urns)
        return _diagnostics(self.stub.AnalyzeStack(request, timeout=60))

    def preview(self, resources: list[Resource]) -> list[Diagnostic]:
        """What `pulumi preview --policy-pack` asks: every resource, then the stack."""
        found = [d for r in resources for d in self.analyze(r)]
        return found + self.analyze_stack(resources)

    def close(self) -> None:
        if hasattr(self, "channel"):
            self.channel.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
