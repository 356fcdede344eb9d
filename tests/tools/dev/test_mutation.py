"""make mutation's tables (tools/dev/mutation.py) name what exists, and its reading of mutmut's
diffs and names."""

import ast
from pathlib import Path

import pytest

from tools.dev.mutation import _changed, _mutants_of
from tools.dev.mutation_tables import EQUIVALENT, FAST_TESTS, ONLY

ROOT = Path(__file__).resolve().parents[3]


def functions(module):
    """`name` of each top-level function and `Class.name` of each method."""
    tree = ast.parse((ROOT / module).read_text())
    found = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            found.add(node.name)
        elif isinstance(node, ast.ClassDef):
            found |= {f"{node.name}.{f.name}" for f in node.body if isinstance(f, ast.FunctionDef)}
    return found


@pytest.mark.parametrize("module", sorted(FAST_TESTS))
def test_each_module_and_its_tests_exist(module):
    assert (ROOT / module).is_file()
    for tests in FAST_TESTS[module]:
        assert (ROOT / tests).is_file(), tests


@pytest.mark.parametrize("module", sorted({*EQUIVALENT, *ONLY}))
def test_the_functions_named_are_the_modules(module):
    assert module in FAST_TESTS
    named = {e.function for e in EQUIVALENT.get(module, ())} | set(ONLY.get(module, ()))
    assert named <= functions(module), named - functions(module)
    for equivalent in EQUIVALENT.get(module, ()):
        assert equivalent.before != equivalent.after and equivalent.why


def test_mutant_names_and_changed_lines_as_mutmut_writes_them():
    assert _mutants_of("components/settings/loading.py", "_decode") == (
        "components.settings.loading.x__decode__mutmut_*"
    )
    assert _mutants_of("policy/ecr_guardrails/lifecycle_eval.py", "Image.from_details") == (
        "policy.ecr_guardrails.lifecycle_eval.xǁImageǁfrom_details__mutmut_*"
    )
    diff = "\n".join(
        [
            "--- a.py",
            "+++ a.py",
            "@@ -1,3 +1,3 @@",
            " def f():",
            "-    return x + 1",
            "+    return x - 1",
        ]
    )
    assert _changed(diff) == ("return x + 1", "return x - 1")
    assert _changed("--- a.py\n+++ a.py\n-    continue\n") == ("continue", "")
