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
models. `pulumi preview` with credentials answers those. `--against REF` (a git ref, or a saved
`--json` plan) compares with REF's plan instead and lists what would be created, updated,
replaced (by each type's ForceNew inputs, components/options.py) or deleted
(tools/preview/against.py, docs/plan-against.md); JSON then adds `against` and `changes`.

JSON (`--json`), one object:

    stack, project          the stack and Pulumi project names
    ok                      true when the exit status is 0
    reads                   [{invoke, subject, value, placeholder}]: each read and its answer
    resources               [{urn, type, name, parent, custom, inputs, options}] in registration
                            order; parent is the parent's URN (the stack's for top-level
                            resources), custom is false for components,
                            secret inputs are "[secret]", options holds the options set
                            (protect, import, dependsOn, parent,
                            retainOnDelete, deleteBeforeReplace, aliases: former URNs)
    outputs                 the stack outputs
    summary                 {create: N}, the stack resource included, as the CLI counts
    policyPack              {name, version, path, config}: the pack and its config file (or null)
    diagnostics             [{policy, level, message, description, urn, type, name}]; urn, type
                            and name are null for a diagnostic about the whole stack
    conformance             [{resource, property, rule}]

Exit status: 0 clean (advisory diagnostics only); 1 a mandatory policy violation, a conformance
problem or (with --against) an unsafe replacement; 2 the stack config is refused (the program's
message, one line per problem), an input is wrong, or the plan could not run (one line on
stderr). Markdown of the result goes to $GITHUB_STEP_SUMMARY when set. Reads nothing from AWS
and writes nothing but its output (and, with --against REF, REF's tree in a temporary directory).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pulumi
import yaml

from tools.cli import (
    EXIT_ERROR,
    EXIT_FOUND,
    EXIT_OK,
    ToolError,
    emit,
    one_line,
    parse,
    progress,
    write_step_summary,
)
from tools.preview import conformance
from tools.preview.against import Changes, compare, read_against
from tools.preview.answers import Answers, read_answers
from tools.preview.mock_engine import (
    PLACEHOLDER_ACCOUNT_ID,
    ProgramRun,
    run_program,
)
from tools.preview.pack_runner import (
    POLICY_DIR,
    PackError,
    Resource,
    RunningPack,
    read_policy_config,
)
from tools.preview.result import Plan, as_json, as_markdown, as_text, refused_markdown
from tools.preview.stack_file import StackFileError, add_stack_arguments


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
        account = answers.account_id or PLACEHOLDER_ACCOUNT_ID
        provider = default_provider(run, args.stack, project, account)
        plan.diagnostics = pack.preview(Resource.all_registered(run.resources, provider))
    return plan


def default_provider(run: ProgramRun, stack: str, project: str, account: str) -> Resource:
    """The default aws provider, as the CLI hands it to the pack: the stack's `aws:` config. Its
    `allowedAccountIds` is the stack's, else the account the plan answered (placeholder or
    assumed): offline, the plan decides which account the program runs in. A real preview knows
    the account only from `aws:allowedAccountIds` (docs/offline-plan.md)."""
    props: dict[str, Any] = {}
    for key, value in run.config.items():
        if key.startswith("aws:"):
            try:
                props[key[4:]] = json.loads(value)
            except ValueError:
                props[key[4:]] = value
    props.setdefault("region", run.region)
    props.setdefault("allowedAccountIds", [account])
    urn = f"urn:pulumi:{stack}::{project}::pulumi:providers:aws::default"
    return Resource("pulumi:providers:aws", "default", props, urn)


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
    parser.add_argument(
        "--against",
        metavar="REF",
        help="also list what would be created, updated, replaced or deleted relative to REF: a "
        "git ref (its tree is planned the same way) or a saved --json plan; an unsafe "
        "replacement exits 1 (docs/plan-against.md)",
    )
    args = parse(parser, argv)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        answers = read_answers(args.answers, args.assume)
        plan = make_plan(args, answers)
        changes = _changes(args, plan) if args.against else None
        text = _render(args, plan, changes)
        summary = as_markdown(plan) + ("\n" + "\n".join(changes.as_text()) if changes else "")
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
    return EXIT_OK if plan.ok and not (changes and changes.unsafe) else EXIT_FOUND


def _changes(args: argparse.Namespace, plan: Plan) -> Changes:
    """The plan compared with `--against`'s, run with the same reads answered."""
    passed = [f"--assume={a}" for a in args.assume]
    if args.answers:
        passed.append(f"--answers={Path(args.answers).resolve()}")
    progress(f"plan: planning {args.against} to compare")
    before = read_against(args.against, args.stack, args.project_dir, passed)
    return compare(args.against, before["resources"], as_json(plan)["resources"])


def _render(args: argparse.Namespace, plan: Plan, changes: Changes | None) -> str:
    if args.json:
        document = as_json(plan)
        if changes is not None:
            document |= changes.as_json()
            document["ok"] = plan.ok and not changes.unsafe
        return json.dumps(document, indent=2)
    return as_text(plan) + ("\n" + "\n".join(changes.as_text()) if changes else "")


if __name__ == "__main__":
    sys.exit(main())
