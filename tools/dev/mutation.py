"""`make mutation`: how many behaviour changes the tests notice, one core module at a time.

mutmut (configured in pyproject.toml's [tool.mutmut]) changes one thing in a module at a time
(an operator, a constant, a string, a dropped argument) and runs the tests; a mutant the tests
still pass on "survived". Each module runs with only its own fast test files, so a run takes
minutes, not the whole suite per mutant: the table below is that selection.

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
    "components/settings/loading.py": ("tests/program/test_settings.py",),
    "policy/ecr_guardrails/lifecycle_eval.py": ("tests/policy/test_lifecycle_eval.py",),
    "policy/ecr_guardrails/rules_access.py": (
        "tests/policy/test_policy.py",
        "tests/policy/test_policy_registry_owner.py",
    ),
    "tools/quarantine_plan.py": ("tests/tools/test_quarantine.py",),
}
"""The core modules and the test files that pin each one."""


def run(module: str, tests: tuple[str, ...]) -> Counter[str]:
    """Mutate `module` only, judged by `tests` only; returns the mutants counted by outcome."""
    # mutmut reads its settings once from pyproject.toml and has no command-line option for the
    # files to mutate or the tests to run, so the per-module part is set on its loaded settings
    # (the version is pinned in uv.lock). A fresh mutants/ keeps one module's results from the next.
    from mutmut import configuration
    from mutmut.__main__ import cli
    from mutmut.stats import status_by_exit_code

    shutil.rmtree("mutants", ignore_errors=True)
    configuration._config = dataclasses.replace(
        configuration.config(),
        only_mutate=[module],
        pytest_add_cli_args_test_selection=list(tests),
    )
    cli.main(["run", "--max-children", "1"], standalone_mode=False)
    meta = json.loads(Path("mutants", f"{module}.meta").read_text())
    return Counter(status_by_exit_code[code] for code in meta["exit_code_by_key"].values())


def main(argv: list[str] | None = None) -> int:
    modules = list(argv if argv is not None else sys.argv[1:]) or list(FAST_TESTS)
    unknown = [m for m in modules if m not in FAST_TESTS]
    if unknown:
        print(f"not in FAST_TESTS: {', '.join(unknown)}", file=sys.stderr)
        return 2
    for module in modules:
        counts = run(module, FAST_TESTS[module])
        # A mutant no test runs ("no tests") counts as not killed.
        total = sum(counts.values())
        score = 100 * (counts["killed"] + counts["timeout"]) / total if total else 0.0
        print(f"{module}: {score:.0f}% killed ({dict(sorted(counts.items()))})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
