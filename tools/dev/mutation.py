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

from tools.dev.mutation_tables import EQUIVALENT, FAST_TESTS, ONLY


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
