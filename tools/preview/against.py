"""`tools.plan --against REF`: what a change would create, update, replace or delete.

The other side is a saved `--json` plan, or a git ref whose tree is planned by its own
`python -m tools.plan --json` (the same stack, the same answers). Resources are matched by URN,
and a resource's aliases match the URNs it had before. A matched resource whose inputs differ is
replaced when one of its type's ForceNew inputs differs (components/options.py, with the provider
source of each), else updated.

Unsafe, and the plan exits 1:
- a replacement of a protected resource (the engine refuses it);
- a replacement that keeps the resource's AWS key without deleteBeforeReplace: the new resource
  is created under the key the old one still holds, which AWS refuses.
Deletions of registry-wide resources (retained: the setting stays in AWS, unmanaged) and of
protected ones (the engine refuses) are marked.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.options import OPTIONS
from tools.cli import ToolError, one_line


@dataclass(frozen=True)
class Change:
    action: str
    """create, update, replace or delete."""
    urn: str
    type: str
    inputs: tuple[str, ...] = ()
    """The inputs that differ (for a replacement: the ForceNew ones)."""
    note: str = ""
    unsafe: bool = False


@dataclass
class Changes:
    against: str
    changes: list[Change] = field(default_factory=list)

    @property
    def unsafe(self) -> list[Change]:
        return [c for c in self.changes if c.unsafe]

    def as_json(self) -> dict[str, Any]:
        return {
            "against": self.against,
            "changes": [
                {
                    "action": c.action,
                    "urn": c.urn,
                    "type": c.type,
                    "inputs": list(c.inputs),
                    "note": c.note,
                    "unsafe": c.unsafe,
                }
                for c in self.changes
            ],
        }

    def as_text(self) -> list[str]:
        out = ["", f"Changes against {self.against}:"]
        if not self.changes:
            return [*out, "    none: the same resources with the same inputs"]
        marks = {"create": "+", "update": "~", "replace": "+-", "delete": "-"}
        for c in self.changes:
            what = f" ({', '.join(c.inputs)})" if c.inputs else ""
            flag = "  [unsafe]" if c.unsafe else ""
            out.append(f" {marks[c.action]:<2}  {c.action:<7}  {c.urn}{what}{flag}")
            if c.note:
                out.append(f"              {c.note}")
        counts = {a: sum(c.action == a for c in self.changes) for a in marks}
        out.append("    " + ", ".join(f"{n} to {a}" for a, n in counts.items() if n))
        return out


def read_against(ref: str, stack: str, project_dir: Path, plan_args: list[str]) -> dict[str, Any]:
    """The other side's `--json` plan: the file `ref`, or the plan of git ref `ref`'s tree."""
    path = Path(ref)
    if path.is_file():
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise ToolError(f"--against {ref}: {one_line(error)}") from None
        if not isinstance(document, dict) or not isinstance(document.get("resources"), list):
            raise ToolError(f"--against {ref}: not a `tools.plan --json` plan (no resources list)")
        return document
    return _plan_of_ref(ref, stack, project_dir, plan_args)


def _plan_of_ref(ref: str, stack: str, project_dir: Path, plan_args: list[str]) -> dict[str, Any]:
    top = _git(project_dir, "rev-parse", "--show-toplevel").strip()
    _git(project_dir, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    with tempfile.TemporaryDirectory(prefix="plan-against-") as tmp:
        archive = subprocess.run(
            ["git", "-C", top, "archive", "--format=tar", ref],
            capture_output=True,
            check=False,
        )
        if archive.returncode:
            raise ToolError(f"--against {ref}: git archive: {one_line(archive.stderr.decode())}")
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        sub = Path(tmp) / Path(project_dir).resolve().relative_to(Path(top).resolve())
        result = subprocess.run(
            [sys.executable, "-m", "tools.plan", "--stack", stack, "--json", *plan_args],
            cwd=sub,
            capture_output=True,
            text=True,
            check=False,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(sub), "HOME": tmp},
        )
    if result.returncode not in (0, 1) or not result.stdout.strip():
        raise ToolError(
            f"--against {ref}: its plan failed: {one_line(result.stderr) or 'no output'}"
        )
    try:
        document: dict[str, Any] = json.loads(result.stdout)
    except ValueError as error:
        raise ToolError(f"--against {ref}: its plan printed no JSON: {one_line(error)}") from None
    return document


def _git(where: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(where), *args], capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise ToolError(f"--against: git {args[0]} {' '.join(args[1:])}: not a git ref here")
    return result.stdout


def compare(against: str, before: list[dict[str, Any]], after: list[dict[str, Any]]) -> Changes:
    """What turns `before`'s resources into `after`'s (both `--json` plan resource lists)."""
    old = {r["urn"]: r for r in before if r.get("custom", True)}
    found = Changes(against)
    claimed: set[str] = set()
    for new in (r for r in after if r.get("custom", True)):
        options = new.get("options") or {}
        urns = [new["urn"], *options.get("aliases", [])]
        match = next((old[u] for u in urns if u in old and u not in claimed), None)
        if match is None:
            found.changes.append(Change("create", new["urn"], new["type"]))
            continue
        claimed.add(match["urn"])
        change = _changed(match, new)
        if change is not None:
            found.changes.append(change)
    for urn, gone in old.items():
        if urn not in claimed:
            found.changes.append(_deleted(gone))
    return found


def _changed(before: dict[str, Any], after: dict[str, Any]) -> Change | None:
    was, now = before.get("inputs") or {}, after.get("inputs") or {}
    differ = tuple(sorted(k for k in set(was) | set(now) if was.get(k) != now.get(k)))
    if not differ:
        return None
    row = OPTIONS.get(after["type"])
    if row is None:
        return Change("update", after["urn"], after["type"], differ, "type not in the table")
    forcing = tuple(k for k in differ if k in row.force_new)
    if not forcing:
        return Change("update", after["urn"], after["type"], differ)
    options = after.get("options") or {}
    protected = bool(options.get("protect") or (before.get("options") or {}).get("protect"))
    same_key = bool(row.key) and all(was.get(k) == now.get(k) for k in row.key)
    first = bool(options.get("deleteBeforeReplace"))
    note, unsafe = f"ForceNew in {row.source}", False
    if protected:
        note, unsafe = "protected: the engine refuses to replace it", True
    elif same_key and not first:
        keys = ", ".join(row.key)
        note = f"same {keys}: AWS refuses a second one before the first is deleted"
        unsafe = True
    elif same_key:
        note = f"deleted first (deleteBeforeReplace), then created: {row.source}"
    return Change("replace", after["urn"], after["type"], forcing, note, unsafe)


def _deleted(gone: dict[str, Any]) -> Change:
    row = OPTIONS.get(gone["type"])
    options = gone.get("options") or {}
    if options.get("protect"):
        note = "protected: the engine refuses to delete it (unprotect first)"
    elif row is not None and row.registry_wide:
        note = "registry-wide: retained in AWS (retainOnDelete), no longer managed by this stack"
        if not options.get("retainOnDelete"):
            note = "registry-wide and NOT retained: deleting it resets the registry's setting"
    else:
        note = ""
    return Change("delete", gone["urn"], gone["type"], note=note)
