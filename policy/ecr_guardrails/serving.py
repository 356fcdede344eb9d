"""How the pack's settings reach its policies: built once from the whole pack config when the CLI
configures the pack (the Analyzer's Configure call), and read by every policy through the
`SettingsSource` it was built with.

The pulumi-policy SDK hands each policy only its own config (`args.get_config()`), so a setting
that several policies share (production, the account allowlist, the release tags) would otherwise
have to travel through whichever policy runs first. Here the Configure call that carries every
policy's config builds one immutable `PackSettings`; no policy's result depends on the order the
policies run in. The hook is the SDK's analyzer servicer with Configure extended
(tests/policy/test_settings_order.py guards the SDK internals it relies on).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import pulumi_policy.policy as sdk
from google.protobuf import json_format

from .config import PackSettings


class SettingsSource:
    """The pack settings in force: replaced as a whole, never edited."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings = PackSettings()
        self._problem = ""

    def __call__(self) -> PackSettings:
        return self._settings

    @property
    def problem(self) -> str:
        """Why the defaults apply instead of the configured settings ("" when they do not)."""
        return self._problem

    def configure(self, config: Mapping[str, Any] | None) -> None:
        """Take the whole pack config (`{policy: {key: value}}`)."""
        settings, problem = PackSettings.from_pack_config(config)
        with self._lock:
            self._settings, self._problem = settings, problem


def hand_configure_to(source: SettingsSource) -> None:
    """Make the SDK's analyzer hand every Configure call's whole config to `source` (call before
    building the PolicyPack, which creates the analyzer)."""
    base = sdk._PolicyAnalyzerServicer
    if getattr(base, "_hands_configure_to", None) is not None:
        base._hands_configure_to = source  # type: ignore[attr-defined]
        return

    class Configured(base):  # type: ignore[valid-type,misc]
        _hands_configure_to = source

        def Configure(self, request: Any, context: Any) -> Any:
            type(self)._hands_configure_to.configure(whole_config(request))
            return super().Configure(request, context)

    sdk._PolicyAnalyzerServicer = Configured  # type: ignore[misc]


def whole_config(request: Any) -> dict[str, dict[str, Any]]:
    """Every policy's properties from a ConfigureAnalyzerRequest, as the SDK reads them."""
    return {
        name: json_format.MessageToDict(request.policyConfig[name].properties)
        for name in request.policyConfig
    }
