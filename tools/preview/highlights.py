"""The inputs that matter, one line each, as the offline plan shows a resource: settings
flattened, tags on one line, policy documents as their grants, lifecycle policies as their rules,
secrets hidden."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from tools.preview.mock_engine import Registration

SECRET = "[secret]"


def _json_document(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _listing(value: Any) -> str:
    values = value if isinstance(value, list) else [value]
    return ", ".join(str(v) for v in values)


def _principal(principal: Any) -> str:
    if isinstance(principal, dict):
        return "; ".join(f"{kind} {_listing(who)}" for kind, who in principal.items())
    return str(principal)


def grants(document: Mapping[str, Any]) -> Iterator[str]:
    """One line per statement of an IAM-style policy document."""
    statements = document.get("Statement")
    for s in statements if isinstance(statements, list) else [statements]:
        if not isinstance(s, dict):
            continue
        who = f" to {_principal(s['Principal'])}" if "Principal" in s else ""
        actions = s.get("Action", s.get("NotAction"))
        what = ("not " if "NotAction" in s else "") + _listing(actions)
        on = f" on {_listing(s['Resource'])}" if "Resource" in s else ""
        when = f" when {json.dumps(s['Condition'], sort_keys=True)}" if "Condition" in s else ""
        sid = f"{s['Sid']}: " if "Sid" in s else ""
        yield f"{sid}{s.get('Effect', '?')} {what}{who}{on}{when}"


def lifecycle_rules(document: Mapping[str, Any]) -> Iterator[str]:
    """One line per lifecycle rule: priority, what it selects, what it does."""
    for rule in document.get("rules") or []:
        if not isinstance(rule, dict):
            continue
        sel = rule.get("selection") or {}
        chosen = [str(sel.get("tagStatus", "?"))]
        chosen += [f"{p}*" for p in sel.get("tagPrefixList") or []]
        chosen += list(sel.get("tagPatternList") or [])
        unit = f" {sel['countUnit']}" if "countUnit" in sel else ""
        count = f"{sel.get('countType', '?')} {sel.get('countNumber', '?')}{unit}"
        action = rule.get("action") or {}
        target = f" to {action['targetStorageClass']}" if "targetStorageClass" in action else ""
        described = f" ({rule['description']})" if rule.get("description") else ""
        yield (
            f"{rule.get('rulePriority', '?')}: {' '.join(chosen)}, {count} -> "
            f"{action.get('type', '?')}{target}{described}"
        )


def flatten(prefix: str, value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            yield from flatten(f"{prefix}.{key}", inner)
    elif isinstance(value, list) and value and any(isinstance(v, dict | list) for v in value):
        for index, inner in enumerate(value):
            yield from flatten(f"{prefix}[{index}]", inner)
    else:
        yield prefix, value


def scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)


def highlights(resource: Registration) -> list[tuple[str, str]]:
    """The inputs that matter, one (label, text) per line: settings flattened, tags on one line,
    policy documents as grants, lifecycle policies as rules, secrets hidden."""
    lines: list[tuple[str, str]] = []
    for key, value in sorted(
        resource.inputs.items(), key=lambda item: (item[0] != "name", item[0])
    ):
        if key in resource.secret_inputs:
            lines.append((key, SECRET))
        elif key in ("tags", "tagsAll", "resourceTags") and isinstance(value, dict):
            if key != "tagsAll" or value != resource.inputs.get("tags"):
                lines.append((key, ", ".join(f"{k}={v}" for k, v in sorted(value.items()))))
        elif isinstance(value, str) and value[:1] in "{[" and _json_document(value) is not None:
            document = json.loads(value)
            if isinstance(document, dict) and "Statement" in document:
                lines += [(f"{key} grant", line) for line in grants(document)]
            elif isinstance(document, dict) and "rules" in document:
                lines += [(f"{key} rule", line) for line in lifecycle_rules(document)]
            else:
                lines.append((key, f"(JSON document, {len(value)} characters)"))
        else:
            lines += [(path, scalar(v)) for path, v in flatten(key, value)]
    return lines
