"""`make mutation`: how many behaviour changes the tests notice, one core module at a time.

mutmut (configured in pyproject.toml's [tool.mutmut]) changes one thing in a module at a time
(an operator, a constant, a string, a dropped argument) and runs the tests; a mutant the tests
still pass on "survived". Each module runs with only its own fast test files, so a run takes
minutes, not the whole suite per mutant: FAST_TESTS is that selection. A survivor that cannot
change behaviour (an equivalent mutant) is listed in EQUIVALENT with the reason, matched by the
line it changes, and left out of the score.

    python -m tools.dev.mutation                        # every module in the table
    python -m tools.dev.mutation components/access.py   # one module
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
from collections import Counter
from pathlib import Path

FAST_TESTS: dict[str, tuple[str, ...]] = {
    "components/access.py": ("tests/program/test_access.py",),
    "components/lifecycle.py": ("tests/program/test_lifecycle.py",),
    "components/settings/loading.py": (
        "tests/program/test_settings.py",
        "tests/program/test_settings_loading.py",
    ),
    "policy/ecr_guardrails/lifecycle_eval.py": ("tests/policy/test_lifecycle_eval.py",),
    "policy/ecr_guardrails/rules_access.py": (
        "tests/policy/test_policy.py",
        "tests/policy/test_policy_registry_owner.py",
        "tests/policy/test_rules_access.py",
    ),
    # The pure decisions; tests/tools/test_quarantine.py runs the command against moto (minutes).
    "tools/quarantine_plan.py": ("tests/tools/test_quarantine_plan.py",),
}
"""The core modules and the test files that pin each one."""

ONLY: dict[str, tuple[str, ...]] = {
    # 823 lines whose every test loads a whole stack config: the loading rules (how the engine's
    # strings are read, the registry owner, managed signing, the provider, the partition), not
    # each key's limits (tests/program/test_settings.py covers those key by key).
    "components/settings/loading.py": (
        "load_settings",
        "_decode",
        "_deeper_than",
        "_partition_problems",
        "_provider_problems",
        "_ownership_problems",
        "_signing_problems",
        "_signing_rules",
        "signing_filters",
        "_wildcard",
        "credential_account_problem",
        "kms_key_arn_problem",
    ),
}
"""Modules mutated in part: the functions (or `Class.method`s) that are mutated; the score is
of those functions."""


@dataclasses.dataclass(frozen=True)
class Equivalent:
    """A mutant that cannot change what the module does, named by what it changes (mutmut's
    numbers shift whenever the module changes; the line does not, and a changed line is measured
    again)."""

    function: str
    """`evaluate`, or `Image.from_details` for a method."""
    before: str
    """The line as written (stripped; lines joined by a space when the mutant changes several)."""
    after: str
    """The line as the mutant writes it (stripped; empty when it deletes the line)."""
    why: str


_STATUS = 'status = str(details.get("imageStatus", "ACTIVE")).upper()'
_NO_STATUS = "only ARCHIVED counts: an absent status read as anything else but ARCHIVED is standard"
_PREFIX_KEY = 'key = (storage, "prefix", tuple(sorted(map(str, selection["tagPrefixList"]))))'
_ISO = 'moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))'
_ISO_Z = "Python 3.11+ (the locked interpreter) reads `Z` itself (the replace is for 3.10)"

_LIMIT_SET = "the limits table sets this value (components/limits.py): the fallback never runs"
_CREATE = (
    """{f"arn:{partition}:ecr:*:{account_id}:repository/{p.rstrip('/')}*" for p in prefixes}"""
)
_LOWERCASE = "repository names and prefixes are lowercase (ECR's grammar): an X is never stripped"
_KEY_CASE = "IAM compares condition key names case-insensitively (`pins` lowers both)"
_NO_STAR = "_ARN_ACCOUNT admits no * before the account, so the text it matched has none"
_ONE_PROVIDER = "a provider ARN names oidc-provider/ once: every split gives the same host"
_NOT_ACTION = "a statement with NotAction has no Action (IAM refuses both): the check finds nothing"
_REQUIRED = (
    "IAM refuses a statement without it; read as the text null, its absence matches nothing either"
)
_ACTION_CASE = "action names are compared case-insensitively"
_ORG_ID_WILD = "an organisation id with * or ? fails _ORG_ID next anyway"
_FLAG = "iam_glob's flag is read as a truth value: None is False"
_FIRST_SEGMENT = "only the first segment is read: the number of splits does not change it"
_AWS_ONLY = "the account is only read when the kind is AWS"
_READ_ABOVE = "the destination was read as an object just above: this path is never shown"

EQUIVALENT: dict[str, tuple[Equivalent, ...]] = {
    "components/access.py": (
        Equivalent("_create_statement", _CREATE, _CREATE.replace("'/'", "'XX/XX'"), _LOWERCASE),
        Equivalent(
            "_widest",
            'names = sorted({p.rstrip("/") for p in prefixes})',
            'names = sorted({p.rstrip("XX/XX") for p in prefixes})',
            _LOWERCASE,
        ),
        Equivalent(
            "template_scopes",
            "IAM_INLINE_ROLE_POLICY.max or 0",
            "IAM_INLINE_ROLE_POLICY.max or 1",
            _LIMIT_SET,
        ),
        Equivalent(
            "template_scopes",
            "if group and _size(wider) > (IAM_MANAGED_POLICY.max or 0):",
            "if group and _size(wider) > (IAM_MANAGED_POLICY.max or 1):",
            _LIMIT_SET,
        ),
    ),
    "components/settings/loading.py": (
        Equivalent(
            "load_settings",
            'failed = {_failed_key(e["loc"]) for e in error.errors()} - {""}',
            'failed = {_failed_key(e["loc"]) for e in error.errors()} - {"XXXX"}',
            "the config is a map of keys and has no whole-model validator: every error names a "
            "key, so _failed_key never gives the empty text",
        ),
        Equivalent(
            "_signing_problems",
            'filter_pattern = re.compile(limits.SIGNING_FILTER.pattern or "")',
            'filter_pattern = re.compile(limits.SIGNING_FILTER.pattern or "XXXX")',
            _LIMIT_SET,
        ),
        Equivalent(
            "_signing_problems",
            "if len(rules) > (limits.SIGNING_RULES.max or 0):",
            "if len(rules) > (limits.SIGNING_RULES.max or 1):",
            _LIMIT_SET,
        ),
        Equivalent(
            "_signing_rules",
            "size = limits.SIGNING_FILTERS.max or 1",
            "size = limits.SIGNING_FILTERS.max or 2",
            _LIMIT_SET,
        ),
        Equivalent(
            "_wildcard",
            'return re.sub(r"__|-{2,}", lambda m: m.group()[0] + "*", name)',
            'return re.sub(r"__|-{2,}", lambda m: m.group()[1] + "*", name)',
            "the match is `__` or a run of `-`: its first and second characters are the same",
        ),
    ),
    "policy/ecr_guardrails/lifecycle_eval.py": (
        Equivalent("Image.from_details", _STATUS, _STATUS.replace('"ACTIVE"', "None"), _NO_STATUS),
        Equivalent("Image.from_details", _STATUS, _STATUS.replace(', "ACTIVE"', ", "), _NO_STATUS),
        Equivalent(
            "Image.from_details", _STATUS, _STATUS.replace("ACTIVE", "XXACTIVEXX"), _NO_STATUS
        ),
        Equivalent("Image.from_details", _STATUS, _STATUS.replace("ACTIVE", "active"), _NO_STATUS),
        Equivalent("timestamp", _ISO, _ISO.replace('"Z"', '"XXZXX"'), _ISO_Z),
        Equivalent("timestamp", _ISO, _ISO.replace('"Z"', '"z"'), _ISO_Z + "; AWS writes `Z`"),
        Equivalent(
            "selects",
            'storage = str(selection.get("storageClass", "standard")).lower()',
            'storage = str(selection.get("storageClass", "STANDARD")).lower()',
            "the default is lowercased next",
        ),
        Equivalent(
            "evaluate",
            'action = str(rule.get("action", {}).get("type", "expire")).lower()',
            'action = str(rule.get("action", {}).get("type", "EXPIRE")).lower()',
            "the default is lowercased next",
        ),
        Equivalent(
            "_policy_wide_problems",
            _PREFIX_KEY,
            _PREFIX_KEY.replace('"prefix"', '"XXprefixXX"'),
            "the label only keeps prefix keys apart from untagged ones; any other text does too",
        ),
        Equivalent(
            "_policy_wide_problems",
            _PREFIX_KEY,
            _PREFIX_KEY.replace('"prefix"', '"PREFIX"'),
            "the label only keeps prefix keys apart from untagged ones; any other text does too",
        ),
        Equivalent(
            "evaluate",
            "taken.add(image.digest)",
            "taken.add(None)",
            "every image a rule takes is among the images it matched, which join `seen` after "
            "the rule, so `taken` never decides (DescribeImages lists a digest once)",
        ),
    ),
    "policy/ecr_guardrails/rules_access.py": (
        Equivalent(
            "_org_ids",
            'for values in pins(statement, "aws:PrincipalOrgID"):',
            'for values in pins(statement, "aws:principalorgid"):',
            _KEY_CASE,
        ),
        Equivalent(
            "_org_ids",
            'for values in pins(statement, "aws:PrincipalOrgID"):',
            'for values in pins(statement, "AWS:PRINCIPALORGID"):',
            _KEY_CASE,
        ),
        Equivalent(
            "_org_ids",
            'for values in pins(statement, "aws:PrincipalOrgPaths"):',
            'for values in pins(statement, "aws:principalorgpaths"):',
            _KEY_CASE,
        ),
        Equivalent(
            "_org_ids",
            'for values in pins(statement, "aws:PrincipalOrgPaths"):',
            'for values in pins(statement, "AWS:PRINCIPALORGPATHS"):',
            _KEY_CASE,
        ),
        Equivalent(
            "_org_of_path",
            'head = pin.value.split("/", 1)[0]',
            'head = pin.value.split("/", )[0]',
            _FIRST_SEGMENT,
        ),
        Equivalent(
            "_org_of_path",
            'head = pin.value.split("/", 1)[0]',
            'head = pin.value.split("/", 2)[0]',
            _FIRST_SEGMENT,
        ),
        Equivalent(
            "_org_of_path",
            'if pin.like and ("*" in head or "?" in head):',
            'if pin.like and ("*" in head and "?" in head):',
            _ORG_ID_WILD,
        ),
        Equivalent(
            "_org_of_path",
            'if pin.like and ("*" in head or "?" in head):',
            'if pin.like and ("XX*XX" in head or "?" in head):',
            _ORG_ID_WILD,
        ),
        Equivalent(
            "_org_of_path",
            'if pin.like and ("*" in head or "?" in head):',
            'if pin.like and ("*" in head or "XX?XX" in head):',
            _ORG_ID_WILD,
        ),
        Equivalent(
            "_who_problems",
            'account = account_of(principal) if kind == "AWS" else None',
            'account = account_of(principal) if (kind == "AWS") or True else None',
            _AWS_ONLY,
        ),
        Equivalent(
            "_writes",
            'granted = _strings(statement.get("Action", []))',
            'granted = _strings(statement.get("Action", None))',
            _REQUIRED,
        ),
        Equivalent(
            "_writes",
            'granted = _strings(statement.get("Action", []))',
            'granted = _strings(statement.get("Action", ))',
            _REQUIRED,
        ),
        Equivalent(
            "federated_problem",
            'host = principal.split("oidc-provider/", 1)[1]',
            'host = principal.split("oidc-provider/", )[1]',
            _ONE_PROVIDER,
        ),
        Equivalent(
            "federated_problem",
            'host = principal.split("oidc-provider/", 1)[1]',
            'host = principal.rsplit("oidc-provider/", 1)[1]',
            _ONE_PROVIDER,
        ),
        Equivalent(
            "federated_problem",
            'host = principal.split("oidc-provider/", 1)[1]',
            'host = principal.split("oidc-provider/", 2)[1]',
            _ONE_PROVIDER,
        ),
        Equivalent(
            "grant_problems",
            'wild = _every_action_wildcards(_strings(statement.get("Action", [])))',
            'wild = _every_action_wildcards(_strings(statement.get("Action", None)))',
            _REQUIRED,
        ),
        Equivalent(
            "grant_problems",
            'wild = _every_action_wildcards(_strings(statement.get("Action", [])))',
            'wild = _every_action_wildcards(_strings(statement.get("Action", )))',
            _REQUIRED,
        ),
        Equivalent(
            "iam_problems",
            'if "NotAction" not in statement:',
            'if "XXNotActionXX" not in statement:',
            _NOT_ACTION,
        ),
        Equivalent(
            "iam_problems",
            'if "NotAction" not in statement:',
            'if "notaction" not in statement:',
            _NOT_ACTION,
        ),
        Equivalent(
            "iam_problems",
            'if "NotAction" not in statement:',
            'if "NOTACTION" not in statement:',
            _NOT_ACTION,
        ),
        Equivalent(
            "iam_problems",
            'for a in _every_action_wildcards(_strings(statement.get("Action", [])))',
            'for a in _every_action_wildcards(_strings(statement.get("Action", None)))',
            _REQUIRED,
        ),
        Equivalent(
            "iam_problems",
            'for a in _every_action_wildcards(_strings(statement.get("Action", [])))',
            'for a in _every_action_wildcards(_strings(statement.get("Action", )))',
            _REQUIRED,
        ),
        Equivalent(
            "iam_problems",
            'if not action_matches(a, "s3:GetObject")  # `*` is judged by its resources below',
            'if not action_matches(a, "s3:getobject")  # `*` is judged by its resources below',
            _ACTION_CASE,
        ),
        Equivalent(
            "iam_problems",
            'if not action_matches(a, "s3:GetObject")  # `*` is judged by its resources below',
            'if not action_matches(a, "S3:GETOBJECT")  # `*` is judged by its resources below',
            _ACTION_CASE,
        ),
        Equivalent(
            "iam_problems",
            'resources = _strings(statement.get("Resource", []))',
            'resources = _strings(statement.get("Resource", None))',
            _REQUIRED,
        ),
        Equivalent(
            "iam_problems",
            'resources = _strings(statement.get("Resource", []))',
            'resources = _strings(statement.get("Resource", ))',
            _REQUIRED,
        ),
        Equivalent(
            "replication_problems",
            "f\"{_text(mapping(destination, 'destinations[]').get('region'))}) copies every \"",
            "f\"{_text(mapping(destination, None).get('region'))}) copies every \"",
            _READ_ABOVE,
        ),
        Equivalent(
            "replication_problems",
            "f\"{_text(mapping(destination, 'destinations[]').get('region'))}) copies every \"",
            "f\"{_text(mapping(destination, 'XXdestinations[]XX').get('region'))}) copies every \"",
            _READ_ABOVE,
        ),
        Equivalent(
            "replication_problems",
            "f\"{_text(mapping(destination, 'destinations[]').get('region'))}) copies every \"",
            "f\"{_text(mapping(destination, 'DESTINATIONS[]').get('region'))}) copies every \"",
            _READ_ABOVE,
        ),
        Equivalent(
            "resource_matches",
            "return iam_glob(pattern, False).fullmatch(arn) is not None",
            "return iam_glob(pattern, None).fullmatch(arn) is not None",
            _FLAG,
        ),
        Equivalent(
            "source_pinned",
            'return account_ok(match.group(1)) and "*" not in pin.value[: match.end()]',
            'return account_ok(match.group(1)) and "XX*XX" not in pin.value[: match.end()]',
            _NO_STAR,
        ),
        Equivalent(
            "source_pinned",
            '_pinned(statement, "aws:SourceAccount", lambda p: not p.wild and account_ok(p.value))',
            '_pinned(statement, "aws:sourceaccount", lambda p: not p.wild and account_ok(p.value))',
            _KEY_CASE,
        ),
        Equivalent(
            "source_pinned",
            '_pinned(statement, "aws:SourceAccount", lambda p: not p.wild and account_ok(p.value))',
            '_pinned(statement, "AWS:SOURCEACCOUNT", lambda p: not p.wild and account_ok(p.value))',
            _KEY_CASE,
        ),
        Equivalent(
            "source_pinned",
            'or _pinned(statement, "aws:SourceArn", arn_ok)',
            'or _pinned(statement, "aws:sourcearn", arn_ok)',
            _KEY_CASE,
        ),
        Equivalent(
            "source_pinned",
            'or _pinned(statement, "aws:SourceArn", arn_ok)',
            'or _pinned(statement, "AWS:SOURCEARN", arn_ok)',
            _KEY_CASE,
        ),
        Equivalent(
            "source_pinned",
            'or _pinned(statement, "aws:SourceOrgID", lambda p: not p.wild and org_ok(p.value))',
            'or _pinned(statement, "aws:sourceorgid", lambda p: not p.wild and org_ok(p.value))',
            _KEY_CASE,
        ),
        Equivalent(
            "source_pinned",
            'or _pinned(statement, "aws:SourceOrgID", lambda p: not p.wild and org_ok(p.value))',
            'or _pinned(statement, "AWS:SOURCEORGID", lambda p: not p.wild and org_ok(p.value))',
            _KEY_CASE,
        ),
        Equivalent(
            "source_pinned",
            'or _pinned(statement, "aws:SourceOrgPaths", lambda p: org_ok(_org_of_path(p)))',
            'or _pinned(statement, "aws:sourceorgpaths", lambda p: org_ok(_org_of_path(p)))',
            _KEY_CASE,
        ),
        Equivalent(
            "source_pinned",
            'or _pinned(statement, "aws:SourceOrgPaths", lambda p: org_ok(_org_of_path(p)))',
            'or _pinned(statement, "AWS:SOURCEORGPATHS", lambda p: org_ok(_org_of_path(p)))',
            _KEY_CASE,
        ),
        Equivalent(
            "trust_problems",
            'actions = _strings(statement.get("Action", []))',
            'actions = _strings(statement.get("Action", None))',
            _REQUIRED,
        ),
        Equivalent(
            "trust_problems",
            'actions = _strings(statement.get("Action", []))',
            'actions = _strings(statement.get("Action", ))',
            _REQUIRED,
        ),
    ),
    "tools/quarantine_plan.py": (
        Equivalent(
            "candidates",
            'if image["imageDigest"] == target["imageDigest"] or current is None:',
            'if image["imageDigest"] == target["imageDigest"] and current is None:',
            "what this lets through is dropped next: an image without a version is no final "
            "release, and the target's own version is not below itself",
        ),
    ),
}
"""Per module: the surviving mutants that are equivalent, with the reason."""


def _changed(diff: str) -> tuple[str, str]:
    """(the lines a mutant removes, the lines it adds) of its diff, stripped and joined."""
    lines = [line for line in diff.splitlines() if not line.startswith(("---", "+++"))]
    removed = [line[1:].strip() for line in lines if line.startswith("-")]
    added = [line[1:].strip() for line in lines if line.startswith("+")]
    return " ".join(removed), " ".join(added)


def _function(key: str) -> str:
    from mutmut.utils.format_utils import orig_function_and_class_names_from_key

    function, cls = orig_function_and_class_names_from_key(key)
    return f"{cls}.{function}" if cls else function


def _mutants_of(module: str, function: str) -> str:
    """mutmut's names for the mutants of a function (`x_name`) or method (`xǁClassǁname`)."""
    dotted = module.removesuffix(".py").replace("/", ".")
    cls, _, name = function.rpartition(".")
    return f"{dotted}.{f'xǁ{cls}ǁ{name}' if cls else f'x_{name}'}__mutmut_*"


def run(module: str, tests: tuple[str, ...]) -> tuple[Counter[str], list[str]]:
    """Mutate `module` only, judged by `tests` only; returns the mutants counted by outcome
    (equivalent ones apart) and a line per mutant that was not killed."""
    # mutmut reads its settings once from pyproject.toml and has no command-line option for the
    # files to mutate or the tests to run, so the per-module part is set on its loaded settings
    # (the version is pinned in uv.lock). A fresh mutants/ keeps one module's results from the next.
    from mutmut import configuration
    from mutmut.__main__ import cli
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    from mutmut.stats import status_by_exit_code

    shutil.rmtree("mutants", ignore_errors=True)
    configuration._config = dataclasses.replace(
        configuration.config(),
        only_mutate=[module],
        pytest_add_cli_args_test_selection=list(tests),
    )
    # mutmut runs the tests in this process, importing from mutants/: a package this process
    # already imported (tools/, where this file lives) would resolve to the unmutated copy.
    top = module.split("/")[0]
    for name in [m for m in sys.modules if m == top or m.startswith(f"{top}.")]:
        del sys.modules[name]
    names = [_mutants_of(module, function) for function in ONLY.get(module, ())]
    cli.main(["run", "--max-children", "1", *names], standalone_mode=False)
    meta = json.loads(Path("mutants", f"{module}.meta").read_text())
    known = {(e.function, e.before, e.after) for e in EQUIVALENT.get(module, ())}
    counts: Counter[str] = Counter()
    left: list[str] = []
    only = set(ONLY.get(module, ()))
    for key, code in sorted(meta["exit_code_by_key"].items()):
        if only and _function(key) not in only:
            continue
        status = status_by_exit_code[code]
        if status not in ("killed", "timeout"):
            before, after = _changed(get_diff_for_mutant(key, path=module))
            if (_function(key), before, after) in known:
                status = "equivalent"
            else:
                left.append(f"  {status}: {key}\n    - {before}\n    + {after}")
        counts[status] += 1
    return counts, left


def main(argv: list[str] | None = None) -> int:
    modules = list(argv if argv is not None else sys.argv[1:]) or list(FAST_TESTS)
    unknown = [m for m in modules if m not in FAST_TESTS]
    if unknown:
        print(f"not in FAST_TESTS: {', '.join(unknown)}", file=sys.stderr)
        return 2
    for module in modules:
        counts, left = run(module, FAST_TESTS[module])
        # A mutant no test runs ("no tests") counts as not killed; equivalent ones do not count.
        total = sum(counts.values()) - counts["equivalent"]
        killed = counts["killed"] + counts["timeout"]
        score = 100 * killed / total if total else 0.0
        print("\n".join(left))
        print(
            f"{module}: {score:.0f}% killed, {killed} of {total} non-equivalent "
            f"({dict(sorted(counts.items()))})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
