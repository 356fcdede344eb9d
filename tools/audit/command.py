"""Live audit of the registry with the policy pack's own rules, plus the seed's periodic checks.

    python -m tools.audit [--region R ...] [--policy-config FILE] [--fail-on HIGH] [--json]
    python -m tools.audit --organization --role-name ROLE --regions all-enabled [--security-hub]

Many accounts and regions: tools/audit/org.py (targets: tools/audit/targets.py); the Security Hub
export: tools/audit/security_hub.py; the controls and remediation each finding carries in --json:
policy/ecr_guardrails/controls.py.

Every repository in each region, whether or not a stack manages it, is read from AWS
(DescribeRepositories, its lifecycle policy, repository policy and tags), converted to the
properties the pack judges and run through the same rules, under the same policy names and levels,
with the same policy config file the CLI takes with `--policy-pack-config` (levels and exemptions
included). Production is the Environment tag (there is no stack here). Live-only checks:

- ecr-live-image-findings: the newest ACTIVE release image (`v*`, or --release-tag-pattern) and
  every image an ACTIVE ECS task definition, a Lambda function or an `--in-use` line uses has no
  scan finding at or above --fail-on (mandatory);
- ecr-live-image-not-scanned: such an image has no completed scan (advisory);
- ecr-live-key-rotation: the customer-managed KMS key a repository uses rotates automatically
  (mandatory); an AWS managed key is reported by ecr-repository-require-kms-cmk;
- ecr-live-lifecycle-working: no image that the live lifecycle policy, as ECR evaluates it
  (policy/ecr_guardrails/lifecycle_eval.py: every rule, prefixes, patterns, pull age, archive),
  should have expired or archived more than a day ago (mandatory: ECR applies lifecycle rules
  within 24 hours, so a burst of pushes is not a finding);
- ecr-live-lifecycle-in-use: the live lifecycle policy expires or archives an image that an ACTIVE
  ECS task definition, a Lambda function or an `--in-use` line uses (mandatory; the retention
  check's judgement, on the live policy);
- ecr-live-image-not-active: an ARCHIVED or ACTIVATING image (images are read with
  `imageStatus: ANY`): in use, its pull fails (mandatory); otherwise it is named as left out of
  the scan and signature checks (info);
- ecr-live-cross-account: accounts and organisations a repository or registry policy lets in, and
  other accounts the registry replicates to, for the quarterly review (info);
- ecr-live-unmanaged: repositories without this program's `Component` tag (info);
- ecr-live-unsigned: with --require-signature, the newest release image is not signed: ECR
  managed signing failed (with ECR's reason) or no signature is beside it (mandatory), or managed
  signing is still in progress (advisory; the audit does not wait). Read as the scan gate reads it:
  DescribeImageSigningStatus, then the referrers API, then the manifests' `subject`;
- ecr-live-signing-uncovered: with --require-signature, a production repository (Environment tag)
  that the registry's signing configuration (GetSigningConfiguration) does not cover, when the
  registry has one: its pushes are not signed (mandatory);
- ecr-live-unreadable: a repository, the registry's settings, ECS's task definitions or a whole
  region could not be read (the finding names the call and the error); everything else is still
  audited (mandatory: what was not read was not checked).

Exit status: 0 clean; 1 a mandatory rule or a live check failed (including ecr-live-unreadable);
2 usage error, or nothing at all could be read (one line on stderr); 130 interrupted: the regions
(or account-regions) completed are printed, marked partial, and one line says what completed.
Read-only: it calls only Describe/Get/List APIs. This module is the command: it composes a
single-account run (tools/audit/checks/, region by region) and an organisation-wide one
(tools/audit/org.py); the reads are in tools/audit/reads.py, the policy config and exemptions in
tools/audit/pack.py, the findings and their rendering in tools/audit/report.py.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import functools
import json
import sys
from collections.abc import Sequence

from components.lifecycle import RELEASE_TAG_PATTERNS
from tools.audit import org
from tools.audit.checks import Options, audit
from tools.audit.pack import PackConfig
from tools.audit.report import LEVELS, Report
from tools.audit.targets import Outcome
from tools.aws import Calls, regions
from tools.cli import (
    COMPLETED,
    EXIT_FOUND,
    EXIT_OK,
    add_fail_on,
    emit,
    parse,
    partial,
    progress,
    run,
    write_step_summary,
)
from tools.images import RELEASE_PATTERN
from tools.usage import from_file


# long because: one argparse declaration per flag, flat, in the order --help shows them
def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.audit",
        description="Judge every ECR repository of an account with the policy pack's rules and "
        "the seed's periodic checks (image findings, key rotation, lifecycle, cross-account "
        "grants, unmanaged repositories). Read-only.",
        epilog="Exit status: 0 clean; 1 a mandatory rule or live check failed (a repository, "
        "key or region that could not be read is one: ecr-live-unreadable); 2 usage error (an "
        "empty or blank value of any flag too), or nothing could be audited, in every mode, or "
        "a Security Hub export was refused (one line on stderr); 130 interrupted (SIGINT/SIGTERM: "
        "the regions or account-regions completed are shown, marked partial). Uses the standard "
        "AWS environment (credentials, AWS_REGION, AWS_ENDPOINT_URL).",
    )
    parser.add_argument(
        "--region",
        action="append",
        help="region to audit (repeatable; default AWS_REGION, else AWS_DEFAULT_REGION)",
    )
    parser.add_argument(
        "--policy-config",
        metavar="FILE",
        help="policy config JSON, as given to "
        "`pulumi preview --policy-pack-config` (levels, allowlists, exemptions)",
    )
    parser.add_argument(
        "--in-use",
        metavar="FILE",
        help="image references in use that ECS and Lambda cannot tell (EKS, elsewhere), one per "
        "line (repo:tag, repo@sha256:..., or an image URI)",
    )
    add_fail_on(parser, "HIGH", "lowest scan-finding severity that fails")
    parser.add_argument(
        "--require-signature",
        action="store_true",
        help="report newest release images without a Notation signature (when signing is on)",
    )
    parser.add_argument(
        "--release-tag-pattern",
        dest="release_patterns",
        action="append",
        metavar="PATTERN",
        help="what a release tag looks like, as the stacks' releaseTagPatterns, for the newest "
        "release image (`*` matches any characters; repeat for several; default v*)",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print JSON for machines")
    output.add_argument("--markdown", action="store_true", help="print Markdown")
    org.add_arguments(parser)
    hub = parser.add_argument_group("AWS Security Hub")
    hub.add_argument(
        "--security-hub",
        action="store_true",
        help="import the findings into Security Hub (BatchImportFindings) and archive the ones "
        "this tool made that are gone",
    )
    hub.add_argument(
        "--security-hub-account",
        metavar="ID",
        help="import into this account's Security Hub (the run's own, or entered with "
        "--role-name) instead of each audited account's; implies --security-hub",
    )
    args = parse(parser, argv)
    for pattern in args.release_patterns or ():
        if not RELEASE_PATTERN.fullmatch(pattern):
            parser.error(
                f"argument --release-tag-pattern: {pattern!r} is not a tag pattern (1-128 of "
                "A-Z a-z 0-9 _ . - with at most 4 `*`)"
            )
    return args


def _rendered(args: argparse.Namespace, report: Report) -> str:
    return (
        report.as_json()
        if args.json
        else report.as_markdown()
        if args.markdown
        else (report.as_table())
    )


def _interrupted(args: argparse.Namespace, report: Report, done: list[str] | None) -> str:
    """What an interrupted run shows: the report of the regions (or account-regions) completed,
    marked as partial in every format."""
    if done is not None:  # single account: the report holds completed regions only
        order = {level: i for i, level in enumerate(LEVELS)}
        findings = sorted(report.findings, key=lambda f: (order[f.level], f.region, f.repository))
        report = dataclasses.replace(report, regions=done, findings=findings)
    if args.json:
        found = json.loads(report.as_json())
        found["summary"]["interrupted"] = True
        return json.dumps(found, indent=2)
    return partial(_rendered(args, report))


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)

    def body() -> int:
        options = Options(
            args.fail_on,
            PackConfig.load(args.policy_config),
            datetime.datetime.now(datetime.timezone.utc),
            args.require_signature,
            tuple(from_file(args.in_use)) if args.in_use else (),
            tuple(args.release_patterns or RELEASE_TAG_PATTERNS),
        )
        plan = org.plan_of(args)
        hub = org.hub_of(args, plan)  # checks the Security Hub flags before any audit
        calls = Calls()
        if plan is None:
            names = regions(args.region)
            partial = Report(regions=names, calls=calls)
            COMPLETED.expect(len(names), "regions")
            COMPLETED.show(lambda: _interrupted(args, partial, list(COMPLETED.units)))
            report, outcome = audit(names, options, report=partial), None
        else:
            so_far: Outcome[Report] = Outcome()
            report_of = functools.partial(org.org_report, plan, so_far, calls)
            COMPLETED.show(lambda: _interrupted(args, report_of(), None))
            report, outcome = org.audit_plan(plan, options, calls, so_far)
        emit(_rendered(args, report))
        write_step_summary(report.as_markdown())
        if hub is not None:
            progress(org.export(hub, report, outcome).describe())
        return EXIT_FOUND if report.failed else EXIT_OK

    return run("audit", body)


if __name__ == "__main__":
    sys.exit(main())
