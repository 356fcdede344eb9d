"""No function of the product is over 60 lines without a reason written next to it.

A function a reader cannot see at a glance hides its steps; most long ones split into named steps.
Some are long for a reason (a component's constructor declares its children flat, in the order the
engine registers them; an argument parser is one declaration per flag): those say so in a comment
on the line right above the `def` (or its decorators), `# long because: <the reason>`.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists())
PRODUCT = ("components", "policy", "tools")
LIMIT = 60
REASON = "# long because:"


def long_functions(path: Path, limit: int = LIMIT) -> list[tuple[str, int, int, str]]:
    """(name, line, length, the comment above it) of each function of `path` over `limit` lines,
    counted from its first decorator to its last line (nested functions too)."""
    text = path.read_text()
    lines = text.splitlines()
    found = []
    for node in ast.walk(ast.parse(text, str(path))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        start = min([node.lineno] + [d.lineno for d in node.decorator_list])
        length = (node.end_lineno or node.lineno) - start + 1
        if length > limit:
            above = lines[start - 2].strip() if start >= 2 else ""
            found.append((node.name, node.lineno, length, above))
    return found


def product_files() -> list[Path]:
    files = [ROOT / "__main__.py"]
    for folder in PRODUCT:
        files += [p for p in sorted((ROOT / folder).rglob("*.py")) if "node_modules" not in p.parts]
    return files


def test_no_long_function_without_a_reason():
    unexplained = [
        f"{path.relative_to(ROOT)}:{line} {name} ({length} lines)"
        for path in product_files()
        for name, line, length, above in long_functions(path)
        if not (above.startswith(REASON) and above[len(REASON) :].strip())
    ]
    assert not unexplained, (
        f"functions over {LIMIT} lines: split them into named steps, or write why not on the line "
        f"above the def, as `{REASON} ...`:\n" + "\n".join(unexplained)
    )


def test_the_check_sees_a_long_function_and_its_reason(tmp_path):
    body = "".join(f"    x{i} = {i}\n" for i in range(LIMIT))
    plain = tmp_path / "plain.py"
    plain.write_text(f"def f():\n{body}")
    [(name, line, length, above)] = long_functions(plain)
    assert (name, line, length, above) == ("f", 1, LIMIT + 1, "")
    explained = tmp_path / "explained.py"
    explained.write_text(f"{REASON} one flat table\n@staticmethod\ndef g():\n{body}")
    [(_, _, length, above)] = long_functions(explained)
    assert length == LIMIT + 2 and above == f"{REASON} one flat table"
    assert long_functions(explained, limit=LIMIT + 2) == []
