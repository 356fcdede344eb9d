"""Offline plan: what a stack would create, judged by the policy pack and AWS's API models, with no
AWS account and no Pulumi CLI.

    python -m tools.plan --stack prod [--policy-pack-config FILE] [--assume KEY=VALUE ...]
                         [--answers FILE] [--json]

It runs `__main__.py` under Pulumi's mock runtime with the stack file's config exactly as the CLI
passes it (tools/preview/stack_file.py), prints the resource tree as `pulumi preview` does, with the
inputs that matter, the stack outputs and a summary line; runs the policy pack (`--policy-pack`,
default policy/) over it as the CLI does, per resource and for the stack, configured from
`--policy-pack-config` (the files `pulumi preview --policy-pack-config` takes); and checks every
input against the API model of the call that creates it (tools/preview/conformance.py).

The program's reads from AWS are answered offline. Unless answered by `--assume` or `--answers`,
they get placeholders, labelled as such wherever they show:

    accountId=123456789012                     aws:getCallerIdentity
    region=ap-northeast-2                      aws:getRegion (if the stack sets no aws:region)
    ssm:/shared/kms/ecs-secrets-key-arn=ARN    the KMS key parameter in the stack's region
    ssm:us-west-2:/shared/kms/ecs-secrets-key-arn=ARN    ... in a replication region

`--answers FILE` holds the same as YAML or JSON: `{accountId: ..., region: ..., ssm: {NAME: ARN,
"REGION:NAME": ARN}}`; `--assume` wins over the file.

What an offline plan cannot know: the stack's state (everything is a create: no updates, deletes,
replacements or drift), what exists in the account, and the provider's own checks beyond the API
models. `pulumi preview` with credentials answers those.

JSON (`--json`), one object:

    stack, project          the stack and Pulumi project names
    ok                      true when the exit status is 0
    reads                   [{invoke, subject, value, placeholder}]: each read and its answer
    resources               [{urn, type, name, parent, custom, inputs, options}] in registration
                            order; parent is the parent's URN (the stack's for top-level
                            resources), custom is false for components,
                            secret inputs are "[secret]", options holds the options set
                            (protect, import, dependsOn, parent)
    outputs                 the stack outputs
    summary                 {create: N}, the stack resource included, as the CLI counts
    policyPack              {name, version, path, config}: the pack and its config file (or null)
    diagnostics             [{policy, level, message, description, urn, type, name}]; urn, type
                            and name are null for a diagnostic about the whole stack
    conformance             [{resource, property, rule}]

Exit status: 0 clean (advisory diagnostics only); 1 a mandatory policy violation or a conformance
problem; 2 the stack config is refused (the program's message, one line per problem), an input is
wrong, or the plan could not run (one line on stderr). Markdown of the result goes to
$GITHUB_STEP_SUMMARY when set. Reads nothing from AWS and writes nothing but its output.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tools.cli import (
    EXIT_ERROR,
    EXIT_FOUND,
    EXIT_OK,
    ToolError,
    emit,
    markdown_table,
    one_line,
    progress,
    write_step_summary,
)
from tools.preview import conformance
from tools.preview.mock_engine import (
    STACK_TYPE,
    ProgramRun,
    Registration,
    run_program,
)
from tools.preview.pack_runner import (
    POLICY_DIR,
    Diagnostic,
    PackError,
    Resource,
    RunningPack,
    read_policy_config,
)
from tools.preview.stack_file import StackFileError, add_stack_arguments

_REGION = r"[a-z]{2}(?:-[a-z]+)+-[0-9]"
# Length: botocore's ssm PSParameterName (1..2048); characters: the SSM user guide's naming rule.
_SSM_NAME = r"[A-Za-z0-9_./-]{1,2048}"
SECRET = "[secret]"
PLACEHOLDER = "[placeholder]"


# --- answers to the program's reads ---------------------------------------------------------------


class Answers(BaseModel):
    """What the program reads from AWS, answered offline (`--answers FILE`, `--assume K=V`)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    account_id: str | None = Field(
        None, alias="accountId", pattern=r"^[0-9]{12}$", description="the AWS account id"
    )
    region: str | None = Field(
        None,
        pattern=f"^{_REGION}$",
        description="the provider's region, when the stack sets no aws:region",
    )
    ssm: dict[str, str] = Field(
        default_factory=dict,
        description="SSM parameter values: NAME in the stack's region, REGION:NAME elsewhere",
    )

    @field_validator("ssm")
    @classmethod
    def _ssm_keys(cls, value: dict[str, str]) -> dict[str, str]:
        for key, answer in value.items():
            if not re.fullmatch(f"(?:{_REGION}:)?{_SSM_NAME}", key):
                raise ValueError(f"{key!r} is not NAME or REGION:NAME of an SSM parameter")
            if not isinstance(answer, str) or not answer:
                raise ValueError(f"{key}: the value must be a non-empty string")
        return value


def _validation_problem(source: str, error: ValidationError) -> str:
    problems = []
    for e in error.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(top)"
        problems.append(f"{where} = {json.dumps(e.get('input'), default=str)}: {e['msg']}")
    return f"{source}: " + "; ".join(problems)


def read_answers(path: str | None, assumed: Sequence[str]) -> Answers:
    """The answers file (if any) with every `--assume KEY=VALUE` over it; ToolError if wrong."""
    data: dict[str, Any] = {}
    if path:
        try:
            loaded = yaml.safe_load(Path(path).read_text())
        except (OSError, yaml.YAMLError) as error:
            raise ToolError(f"--answers {path}: {one_line(error)}") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ToolError(f"--answers {path}: must be a mapping of accountId, region, ssm")
        try:
            data = Answers.model_validate(loaded or {}).model_dump(by_alias=True)
        except ValidationError as error:
            raise ToolError(_validation_problem(f"--answers {path}", error)) from None
    for item in assumed:
        key, sep, value = item.partition("=")
        if not sep or not value:
            raise ToolError(f"--assume {item!r}: must be KEY=VALUE")
        if key.startswith("ssm:"):
            data.setdefault("ssm", {})[key[len("ssm:") :]] = value
        elif key in ("accountId", "region"):
            data[key] = value
        else:
            raise ToolError(
                f"--assume {item!r}: KEY must be accountId, region, ssm:NAME or ssm:REGION:NAME"
            )
    try:
        return Answers.model_validate(data)
    except ValidationError as error:
        raise ToolError(_validation_problem("--assume", error)) from None


# --- the plan -------------------------------------------------------------------------------------


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


def _stack_and_project(args: argparse.Namespace) -> str:
    try:
        project = yaml.safe_load((args.project_dir / "Pulumi.yaml").read_text())["name"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
        raise ToolError(f"{args.project_dir / 'Pulumi.yaml'}: {one_line(error)}") from None
    return str(project)


def _pack_version(policy_dir: Path) -> str:
    """The version the CLI reports: PulumiPolicy.yaml's (the SDK itself says 0.0.1)."""
    try:
        document = yaml.safe_load((policy_dir / "PulumiPolicy.yaml").read_text()) or {}
    except (OSError, yaml.YAMLError):
        return ""
    return str(document.get("version") or "")


class ProgramRefusedError(Exception):
    """The program stopped with its own message (e.g. the stack config is refused)."""


def make_plan(args: argparse.Namespace, answers: Answers) -> Plan:
    """Runs the program, the conformance check and the pack; raises on what stops the plan."""
    pack_config = read_policy_config(args.policy_pack_config) if args.policy_pack_config else {}
    project = _stack_and_project(args)
    progress(f"plan: running the program for stack {args.stack} under Pulumi's mock runtime")
    try:
        run = run_program(
            args.stack,
            parameters=answers.ssm,
            account_id=answers.account_id,
            region=answers.region,
            root=args.project_dir,
        )
    except StackFileError as error:
        raise ToolError(str(error)) from None
    except pulumi.RunError as error:  # the program's own message: a refused config, a bad key
        raise ProgramRefusedError(str(error)) from None
    except Exception as error:
        raise ToolError(f"the program failed: {type(error).__name__}: {one_line(error)}") from None
    read = {r.subject for r in run.reads}
    for name in sorted(set(answers.ssm) - read):
        progress(f"plan: warning: the answer for ssm:{name} was never read (a typo?)")
    duplicates = run.duplicate_urns()
    if duplicates:
        raise ToolError(
            f"the engine would refuse the update: duplicate resource URN {', '.join(duplicates)}"
        )
    plan = Plan(args.stack, project, run, pack_config=args.policy_pack_config)
    plan.problems = list(conformance.problems(run.resources))
    policy_dir = Path(args.policy_pack)
    plan.pack_path = os.path.relpath(policy_dir) if policy_dir.is_absolute() else str(policy_dir)
    plan.pack_version = _pack_version(policy_dir)
    progress(f"plan: running the policy pack in {policy_dir}")
    with RunningPack(policy_dir) as pack:
        plan.pack_name = pack.info().name
        refused = pack.config_problems(pack_config)
        if refused:
            raise ToolError(f"--policy-pack-config {args.policy_pack_config}: {'; '.join(refused)}")
        pack.configure(pack_config)
        pack.configure_stack(args.stack, project, run.config)
        plan.diagnostics = pack.preview([Resource.registered(r) for r in run.resources])
    return plan


# --- what a person reads --------------------------------------------------------------------------


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


def _flatten(prefix: str, value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            yield from _flatten(f"{prefix}.{key}", inner)
    elif isinstance(value, list) and value and any(isinstance(v, dict | list) for v in value):
        for index, inner in enumerate(value):
            yield from _flatten(f"{prefix}[{index}]", inner)
    else:
        yield prefix, value


def _scalar(value: Any) -> str:
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
            lines += [(path, _scalar(v)) for path, v in _flatten(key, value)]
    return lines


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
    out = [
        f"Previewing update ({plan.stack}), offline: Pulumi's mock runtime, no AWS account, "
        "no state (everything is a create)",
        "",
    ]
    made_up = [r for r in plan.run.reads if r.placeholder]
    if plan.run.reads:
        out.append("Reads from AWS, answered offline:")
        for read in plan.run.reads:
            source = f"{PLACEHOLDER} pass --assume to answer" if read.placeholder else "assumed"
            out.append(f"    {read.subject} = {read.value}  ({source})")
        out.append("")
    rows = _tree(plan)
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
    out.append(f"     {'Type':<{widths[0]}}  {'Name':<{widths[1]}}  {'Plan':<{widths[2]}}  Info")
    for (type_, name, word, notes), (_, r) in zip(table, rows, strict=True):
        op = "=" if r is not None and r.import_id else "+"
        line = f" {op}   {type_:<{widths[0]}}  {name:<{widths[1]}}  {word:<{widths[2]}}  {notes}"
        out.append(line.rstrip())

    out += ["", "Inputs that matter:"]
    for _, r in rows:
        if r is None or not r.custom:
            continue
        out.append(f"    {r.type}: {r.name}")
        for label, text in highlights(r):
            out.append(f"        {label}: {plan.label(text)}")

    out += ["", "Policies:"]
    pack = f"{plan.pack_name}@v{plan.pack_version}" if plan.pack_version else plan.pack_name
    config = f", config {plan.pack_config}" if plan.pack_config else ""
    mark = "error" if plan.mandatory else "warning" if plan.diagnostics else "ok"
    out.append(f"    [{mark}] {pack} (local: {plan.pack_path}{config})")
    if plan.diagnostics:
        for d in _ordered(plan):
            out.append(f"        - [{d.level}]  {d.policy}  ({_where(plan, d.urn)})")
            if d.description and not d.message.startswith(d.description):
                out.append(f"          {d.description}")
            out.append(f"          {plan.label(one_line(d.message))}")
    else:
        out.append("        no diagnostics")

    out += ["", "API-model conformance:"]
    if plan.problems:
        out += [f"    - {p}" for p in plan.problems]
    else:
        out.append("    no problems")

    if plan.run.messages:
        out += ["", "Diagnostics:"]
        out += [f"    {level}: {message}" for level, message in plan.run.messages]

    if plan.run.outputs:
        out += ["", "Outputs:"]
        for path, value in _flatten("", plan.run.outputs):
            out.append(f"    {path.lstrip('.')}: {plan.label(_scalar(value))}")

    out += ["", "Resources:", f"    + {plan.to_create} to create", ""]
    verdict = (
        "clean"
        if plan.ok
        else f"{len(plan.mandatory)} mandatory violation(s), "
        f"{len(plan.problems)} conformance problem(s)"
    )
    out.append(f"Verdict: {verdict}.")
    if made_up:
        out.append(
            f"Values marked {PLACEHOLDER} are made up: --assume or --answers sets the real ones."
        )
    out.append(
        "Offline: no state, drift or replacements, and no provider checks beyond the API models; "
        "`pulumi preview` with credentials shows those."
    )
    return "\n".join(out)


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


# --- the command ----------------------------------------------------------------------------------


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.plan",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="See and judge what a stack would create, with no AWS account and no Pulumi "
        "CLI: the program under Pulumi's mock runtime with the stack file's config, the resource "
        "tree as `pulumi preview` shows it, the policy pack's verdict, and every input checked "
        "against AWS's API models.",
        epilog="""\
The program's reads from AWS get placeholders, marked [placeholder] in the output, unless
answered:
  --assume accountId=111122223333
  --assume region=eu-west-1                       (used only if the stack sets no aws:region)
  --assume ssm:/shared/kms/ecs-secrets-key-arn=arn:aws:kms:REGION:ACCOUNT:key/ID
  --assume ssm:us-west-2:/shared/kms/ecs-secrets-key-arn=ARN   (a replication region's key)
--answers FILE holds the same as YAML or JSON:
  {accountId: ..., region: ..., ssm: {NAME: value, REGION:NAME: value}}

An offline plan cannot know the stack's state (everything is a create: no updates, deletes,
replacements or drift), what already exists in the account, or the provider's own checks beyond
the API models: run `pulumi preview --policy-pack policy` with credentials for those.

Exit status: 0 clean (advisory diagnostics only), 1 a mandatory policy violation or a
conformance problem, 2 the stack config is refused (the program's message), an input is wrong,
or the plan could not run.""",
    )
    add_stack_arguments(parser, "plan", "; the program is always this checkout's __main__.py")
    parser.add_argument(
        "--policy-pack",
        default=str(POLICY_DIR),
        metavar="DIR",
        help="the policy pack to run, as `pulumi preview --policy-pack` (default: policy/)",
    )
    parser.add_argument(
        "--policy-pack-config",
        metavar="FILE",
        help="its config (JSON), as `pulumi preview --policy-pack-config`, "
        "e.g. policy/config/org.example.json (default: every policy at its own level)",
    )
    parser.add_argument(
        "--assume",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="answer one of the program's reads (repeatable; see below)",
    )
    parser.add_argument("--answers", metavar="FILE", help="answers to the reads, YAML or JSON")
    parser.add_argument("--json", action="store_true", help="print JSON for machines (see README)")
    args = parser.parse_args(argv)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        answers = read_answers(args.answers, args.assume)
        plan = make_plan(args, answers)
        text = json.dumps(as_json(plan), indent=2) if args.json else as_text(plan)
        summary = as_markdown(plan)
    except ProgramRefusedError as error:
        message = str(error).strip()
        print(f"plan: stack {args.stack}: {message}", file=sys.stderr)
        write_step_summary(refused_markdown(args.stack, message))
        return EXIT_ERROR
    except (ToolError, PackError) as error:
        print(f"plan: {one_line(error)}", file=sys.stderr)
        write_step_summary(refused_markdown(args.stack, one_line(error), "could not run"))
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("plan: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except Exception as error:  # never a traceback: one line, exit 2
        print(f"plan: {type(error).__name__}: {one_line(error)}", file=sys.stderr)
        return EXIT_ERROR
    emit(text)
    write_step_summary(summary)
    return EXIT_OK if plan.ok else EXIT_FOUND


if __name__ == "__main__":
    sys.exit(main())
