"""Serialising policy documents."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def to_json(document: Mapping[str, Any]) -> str:
    """Documents are serialised once, keys sorted, so diffs between runs are stable."""
    return json.dumps(document, sort_keys=True)


def sent_size(document: Mapping[str, Any]) -> int:
    """A document's size as the provider sends it: normalised JSON without whitespace (the AWS
    provider re-encodes policy documents before the call)."""
    return len(json.dumps(document, separators=(",", ":")))
