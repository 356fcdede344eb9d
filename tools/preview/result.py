"""What an offline plan found (`Plan`) and how it is shown: the resource tree and the inputs that
matter as `pulumi preview` prints them, JSON for machines (its fields: tools/preview/plan.py),
Markdown for the job summary."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from tools.cli import markdown_table, one_line
from tools.preview import conformance
from tools.preview.highlights import SECRET, flatten, highlights, scalar
from tools.preview.mock_engine import STACK_TYPE, ProgramRun, Registration
from tools.preview.pack_runner import Diagnostic

PLACEHOLDER = "[placeholder]"


@dataclass
class Plan:
    stack: str
    project: str
    run: ProgramRun
    pack_name: str = ""
    pack_version: str = ""
    pack_path: str = ""
    pack_config: str | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    problems: list[conformance.Problem] = field(default_factory=list)

    @property
    def stack_urn(self) -> str:
        return f"urn:pulumi:{self.stack}::{self.project}::{STACK_TYPE}::{self.project}-{self.stack}"

    @property
    def mandatory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "mandatory"]

    @property
    def ok(self) -> bool:
        return not self.mandatory and not self.problems

    @property
    def to_create(self) -> int:
        return len(self.run.resources) + 1  # the stack resource, as the CLI counts it

    def placeholders(self) -> list[str]:
        """Values that were made up (placeholders), longest first, for labelling."""
        return sorted({r.value for r in self.run.reads if r.placeholder}, key=len, reverse=True)

    def label(self, text: str) -> str:
        """`text`, marked when it holds a placeholder (or a value derived from one)."""
        made_up = any(p in text for p in self.placeholders())
        return f"{text} {PLACEHOLDER}" if made_up else text

    def resource_of(self, urn: str) -> Registration | None:
        return next((r for r in self.run.resources if r.urn == urn), None)


def _tree(plan: Plan) -> list[tuple[str, Registration | None]]:
    """(tree prefix, resource) in registration order under their parents; None is the stack."""
    children: dict[str, list[Registration]] = defaultdict(list)
    known = {r.urn for r in plan.run.resources}
    for r in plan.run.resources:
        children[r.parent if r.parent in known else plan.stack_urn].append(r)
    rows: list[tuple[str, Registration | None]] = [("", None)]

    def walk(urn: str, indent: str) -> None:
        kids = children.get(urn, [])
        for i, child in enumerate(kids):
            last = i == len(kids) - 1
            rows.append((indent + ("└─ " if last else "├─ "), child))
            walk(child.urn, indent + ("   " if last else "│  "))

    walk(plan.stack_urn, "")
    return rows


def _counts(diagnostics: list[Diagnostic]) -> str:
    by_level: dict[str, int] = defaultdict(int)
    for d in diagnostics:
        by_level[d.level] += 1
    return ", ".join(f"{n} {level}" for level, n in sorted(by_level.items()))


def _where(plan: Plan, urn: str) -> str:
    resource = plan.resource_of(urn)
    if resource is not None:
        return f"{resource.type}: {resource.name}"
    return f"{STACK_TYPE}: {plan.project}-{plan.stack}"


def _ordered(plan: Plan) -> list[Diagnostic]:
    """Mandatory first, then by resource in registration order, stack-wide ones last."""
    order = {r.urn: i for i, r in enumerate(plan.run.resources)}
    rank = {"mandatory": 0, "advisory": 1}
    return sorted(
        plan.diagnostics,
        key=lambda d: (rank.get(d.level, 2), order.get(d.urn, len(order)), d.policy),
    )


def as_text(plan: Plan) -> str:
    """The plan as `pulumi preview` prints one, section by section, then the verdict."""
    rows = _tree(plan)
    sections = [
        _reads_text(plan),
        _tree_text(plan, rows),
        _inputs_text(plan, rows),
        _policies_text(plan),
        _conformance_text(plan),
        _messages_text(plan),
        _outputs_text(plan),
        _verdict_text(plan),
    ]
    return "\n".join(line for section in sections for line in section)


def _reads_text(plan: Plan) -> list[str]:
    out = [
        f"Previewing update ({plan.stack}), offline: Pulumi's mock runtime, no AWS account, "
        "no state (everything is a create)",
        "",
    ]
    if plan.run.reads:
        out.append("Reads from AWS, answered offline:")
        for read in plan.run.reads:
            source = f"{PLACEHOLDER} pass --assume to answer" if read.placeholder else "assumed"
            out.append(f"    {read.subject} = {read.value}  ({source})")
        out.append("")
    return out


def _tree_text(plan: Plan, rows: list[tuple[str, Registration | None]]) -> list[str]:
    """The resource tree with each resource's plan and notes (protect, import, diagnostics)."""
    by_urn: dict[str, list[Diagnostic]] = defaultdict(list)
    for d in plan.diagnostics:
        by_urn[d.urn].append(d)
    known = {r.urn for r in plan.run.resources}
    stack_wide = [d for d in plan.diagnostics if d.urn not in known]
    table = []
    for prefix, r in rows:
        if r is None:  # the stack: its own diagnostics are those about none of its resources
            notes = _counts(stack_wide) if stack_wide else ""
            table.append((STACK_TYPE, f"{plan.project}-{plan.stack}", "create", notes))
            continue
        info = ["protect"] if r.protect else []
        info += [f"import {r.import_id}"] if r.import_id else []
        info += [_counts(by_urn[r.urn])] if by_urn.get(r.urn) else []
        plan_word = "import" if r.import_id else "create"
        table.append((prefix + r.type, r.name, plan_word, ", ".join(info)))
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    widths = [max(w, len(h)) for w, h in zip(widths, ("Type", "Name", "Plan"), strict=True)]
    out = [f"     {'Type':<{widths[0]}}  {'Name':<{widths[1]}}  {'Plan':<{widths[2]}}  Info"]
    for (type_, name, word, notes), (_, r) in zip(table, rows, strict=True):
        op = "=" if r is not None and r.import_id else "+"
        line = f" {op}   {type_:<{widths[0]}}  {name:<{widths[1]}}  {word:<{widths[2]}}  {notes}"
        out.append(line.rstrip())
    return out


def _inputs_text(plan: Plan, rows: list[tuple[str, Registration | None]]) -> list[str]:
    out = ["", "Inputs that matter:"]
    for _, r in rows:
        if r is None or not r.custom:
            continue
        out.append(f"    {r.type}: {r.name}")
        for label, text in highlights(r):
            out.append(f"        {label}: {plan.label(text)}")
    return out


def _policies_text(plan: Plan) -> list[str]:
    out = ["", "Policies:"]
    pack = f"{plan.pack_name}@v{plan.pack_version}" if plan.pack_version else plan.pack_name
    config = f", config {plan.pack_config}" if plan.pack_config else ""
    mark = "error" if plan.mandatory else "warning" if plan.diagnostics else "ok"
    out.append(f"    [{mark}] {pack} (local: {plan.pack_path}{config})")
    if not plan.diagnostics:
        return [*out, "        no diagnostics"]
    for d in _ordered(plan):
        out.append(f"        - [{d.level}]  {d.policy}  ({_where(plan, d.urn)})")
        if d.description and not d.message.startswith(d.description):
            out.append(f"          {d.description}")
        out.append(f"          {plan.label(one_line(d.message))}")
    return out


def _conformance_text(plan: Plan) -> list[str]:
    out = ["", "API-model conformance:"]
    if plan.problems:
        return out + [f"    - {p}" for p in plan.problems]
    return [*out, "    no problems"]


def _messages_text(plan: Plan) -> list[str]:
    if not plan.run.messages:
        return []
    return ["", "Diagnostics:", *(f"    {level}: {text}" for level, text in plan.run.messages)]


def _outputs_text(plan: Plan) -> list[str]:
    if not plan.run.outputs:
        return []
    out = ["", "Outputs:"]
    for path, value in flatten("", plan.run.outputs):
        out.append(f"    {path.lstrip('.')}: {plan.label(scalar(value))}")
    return out


def _verdict_text(plan: Plan) -> list[str]:
    out = ["", "Resources:", f"    + {plan.to_create} to create", ""]
    verdict = (
        "clean"
        if plan.ok
        else f"{len(plan.mandatory)} mandatory violation(s), "
        f"{len(plan.problems)} conformance problem(s)"
    )
    out.append(f"Verdict: {verdict}.")
    if any(r.placeholder for r in plan.run.reads):
        out.append(
            f"Values marked {PLACEHOLDER} are made up: --assume or --answers sets the real ones."
        )
    out.append(
        "Offline: no state, drift or replacements, and no provider checks beyond the API models; "
        "`pulumi preview` with credentials shows those."
    )
    return out


def _mask(resource: Registration) -> dict[str, Any]:
    return {k: SECRET if k in resource.secret_inputs else v for k, v in resource.inputs.items()}


def as_json(plan: Plan) -> dict[str, Any]:
    def about(urn: str) -> dict[str, Any]:
        resource = plan.resource_of(urn)
        return {
            "urn": urn if resource else None,
            "type": resource.type if resource else None,
            "name": resource.name if resource else None,
        }

    return {
        "stack": plan.stack,
        "project": plan.project,
        "ok": plan.ok,
        "reads": [
            {
                "invoke": r.token,
                "subject": r.subject,
                "value": r.value,
                "placeholder": r.placeholder,
            }
            for r in plan.run.reads
        ],
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "parent": r.parent or None,
                "custom": r.custom,
                "inputs": _mask(r),
                "options": r.options,
            }
            for r in plan.run.resources
        ],
        "outputs": plan.run.outputs,
        "summary": {"create": plan.to_create},
        "policyPack": {
            "name": plan.pack_name,
            "version": plan.pack_version,
            "path": plan.pack_path,
            "config": plan.pack_config,
        },
        "diagnostics": [
            {
                "policy": d.policy,
                "level": d.level,
                "message": d.message,
                "description": d.description,
            }
            | about(d.urn)
            for d in _ordered(plan)
        ],
        "conformance": [
            {"resource": p.resource, "property": p.property, "rule": p.rule} for p in plan.problems
        ],
    }


def as_markdown(plan: Plan) -> str:
    verdict = (
        "clean"
        if plan.ok
        else f"{len(plan.mandatory)} mandatory policy violation(s), "
        f"{len(plan.problems)} conformance problem(s)"
    )
    out = [
        f"### Offline plan of `{plan.stack}`: {verdict}",
        "",
        f"{plan.to_create} to create; policy pack `{plan.pack_name}`"
        + (f" with `{plan.pack_config}`" if plan.pack_config else " with its defaults")
        + ". No AWS account, no state: `pulumi preview` shows updates, replacements and drift.",
        "",
    ]
    placeholders = [r for r in plan.run.reads if r.placeholder]
    if placeholders:
        made_up = ", ".join(f"`{r.subject}`" for r in placeholders)
        out += [f"Placeholders (not read from AWS): {made_up}.", ""]
    if plan.diagnostics:
        rows = [
            (d.level, d.policy, _where(plan, d.urn), plan.label(one_line(d.message)))
            for d in _ordered(plan)
        ]
        out += [markdown_table(("level", "policy", "resource", "message"), rows), ""]
    if plan.problems:
        problems = [(p.resource, p.property, p.rule) for p in plan.problems]
        out += [markdown_table(("resource", "property", "rule"), problems), ""]
    resources = [(r.type, r.name, "protect" if r.protect else "") for r in plan.run.resources]
    out += [
        "<details><summary>Resources</summary>",
        "",
        markdown_table(("type", "name", "options"), resources),
        "",
        "</details>",
    ]
    return "\n".join(out)


def refused_markdown(stack: str, message: str, what: str = "refused") -> str:
    lines = "\n".join(f"    {line}" for line in message.splitlines())
    return f"### Offline plan of `{stack}`: {what}\n\n{lines}\n"
