"""The mock engine (tools/preview/mock_engine.py) overrides Pulumi SDK internals: the mock monitor's
URN maker and RegisterResource, the root stack resource set_mocks makes, the Mocks callbacks' argument
objects and the fields of a RegisterResourceRequest. None of that is public API, so an SDK upgrade
may change it without notice, and the plan would then quietly register resources under other URNs
or record nothing. These tests hold the SDK to the shape the overrides were written against and
name the attribute that changed."""

from __future__ import annotations

import contextvars
import inspect
from collections.abc import Callable
from typing import Any

import pulumi
from pulumi.runtime import mocks, rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.proto import resource_pb2

from tools.preview import mock_engine

# (what, the callable, the parameters the override relies on, in order). Parameters the SDK adds
# after these with defaults keep the overrides working; anything else is a change of shape.
SIGNATURES: list[tuple[str, Callable[..., Any], list[str]]] = [
    ("pulumi.runtime.mocks.MockMonitor.__init__", mocks.MockMonitor.__init__, ["self", "mocks"]),
    (
        "pulumi.runtime.mocks.MockMonitor.make_urn",
        mocks.MockMonitor.make_urn,
        ["self", "parent", "type_", "name"],
    ),
    (
        "pulumi.runtime.mocks.MockMonitor.RegisterResource",
        mocks.MockMonitor.RegisterResource,
        ["self", "request"],
    ),
    ("pulumi.runtime.mocks.Mocks.new_resource", mocks.Mocks.new_resource, ["self", "args"]),
    ("pulumi.runtime.mocks.Mocks.call", mocks.Mocks.call, ["self", "args"]),
    ("pulumi.runtime.rpc.deserialize_properties", rpc.deserialize_properties, ["props_struct"]),
    ("pulumi.runtime.settings.get_root_resource", runtime_settings.get_root_resource, []),
    ("pulumi.runtime.config.set_all_config", set_all_config, ["config"]),
]
# The keywords run_program passes to pulumi.runtime.set_mocks.
SET_MOCKS_KEYWORDS = ["mocks", "project", "stack", "preview", "logger", "monitor"]
# What RecordingMonitor.RegisterResource reads of the request.
REQUEST_FIELDS = [
    "type", "name", "object", "protect", "importId", "parent", "propertyDependencies", "custom",
    "dependencies",
]  # fmt: skip
# (what, the source, the call the override relies on being made there, why)
CALLS = [
    (
        "pulumi.runtime.mocks.MockMonitor.RegisterResource",
        mocks.MockMonitor.RegisterResource,
        "self.make_urn(request.parent, request.type, request.name)",
        "RecordingMonitor.make_urn gives the engine's URNs only if RegisterResource asks it",
    ),
    (
        "pulumi.runtime.mocks.set_mocks",
        mocks.set_mocks,
        "if get_root_resource() is None:",
        "run_program resets settings.ROOT so that each run gets a fresh root stack resource",
    ),
]


def signature_problems(what: str, function: Callable[..., Any], expected: list[str]) -> list[str]:
    """What no longer fits an override: other leading parameters, or new ones without defaults."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError) as error:
        return [f"{what}: no signature to check ({error})"]
    names = [p.name for p in parameters]
    if names[: len(expected)] != expected:
        return [
            f"{what}: expected parameters ({', '.join(expected)}, ...), found ({', '.join(names)})"
        ]
    required = [
        p.name
        for p in parameters[len(expected) :]
        if p.default is inspect.Parameter.empty
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    if required:
        return [f"{what}: new required parameters {', '.join(required)}"]
    return []


def test_the_sdk_functions_the_engine_overrides_keep_their_signatures():
    problems = [
        p
        for what, function, expected in SIGNATURES
        for p in signature_problems(what, function, expected)
    ]
    assert not problems, "; ".join(problems) + " (tools/preview/mock_engine.py overrides them)"


def test_set_mocks_takes_the_keywords_run_program_passes():
    accepted = inspect.signature(pulumi.runtime.set_mocks).parameters
    missing = [k for k in SET_MOCKS_KEYWORDS if k not in accepted]
    assert not missing, f"pulumi.runtime.set_mocks no longer takes {', '.join(missing)}"


def test_the_sdk_still_makes_the_calls_the_overrides_rely_on():
    for what, function, call, why in CALLS:
        assert call in inspect.getsource(function), f"{what} no longer contains `{call}`: {why}"


def test_the_root_resource_is_still_a_context_variable():
    assert isinstance(runtime_settings.ROOT, contextvars.ContextVar), (
        "pulumi.runtime.settings.ROOT is no longer a ContextVar: run_program calls ROOT.set(None)"
    )


def test_the_mock_callbacks_arguments_keep_the_attributes_the_mocks_read():
    resource = mocks.MockResourceArgs(typ="t", name="n", inputs={"k": "v"}, resource_id="i")
    assert (resource.typ, resource.name, resource.inputs, resource.resource_id) == (
        "t",
        "n",
        {"k": "v"},
        "i",
    )
    call = mocks.MockCallArgs(token="tok", args={"a": 1}, provider="")
    assert (call.token, call.args) == ("tok", {"a": 1})


def test_a_register_resource_request_keeps_the_fields_the_monitor_records():
    fields = resource_pb2.RegisterResourceRequest.DESCRIPTOR.fields_by_name
    missing = [f for f in REQUEST_FIELDS if f not in fields]
    assert not missing, (
        f"RegisterResourceRequest lost {', '.join(missing)} (RecordingMonitor reads them)"
    )


def test_the_overrides_still_override_what_the_sdk_defines():
    for name in ("make_urn", "RegisterResource"):
        assert name in vars(mock_engine.RecordingMonitor), name
        assert callable(getattr(mocks.MockMonitor, name, None)), (
            f"pulumi.runtime.mocks.MockMonitor.{name} is gone: RecordingMonitor.{name} overrides nothing"
        )


def test_a_changed_signature_is_named():
    """The check itself: an SDK whose make_urn took other parameters would be reported by name."""

    class Changed:
        def make_urn(self, parent: str, type_: str, name: str, alias: str) -> str:
            return ""

    found = signature_problems(
        "MockMonitor.make_urn", Changed.make_urn, ["self", "parent", "type_", "name"]
    )
    assert found == ["MockMonitor.make_urn: new required parameters alias"]
    found = signature_problems("MockMonitor.make_urn", lambda self, urn: "", ["self", "parent"])
    assert found == [
        "MockMonitor.make_urn: expected parameters (self, parent, ...), found (self, urn)"
    ]
