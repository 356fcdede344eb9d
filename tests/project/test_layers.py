"""The house's floors hold: read from the code's own imports (every import, at the top of a module
or inside a function), so a new one that runs back up or closes a circle fails here by name.

- the policy pack (policy/) imports nothing outside itself: it is published on its own;
- the program (components/, __main__.py) imports neither the tools nor the pack;
- no product module imports the tests or the benchmarks; the tests and the benchmarks share
  fixtures through tests.support alone;
- the tools' shared modules (output, AWS clients, images, inputs, the preview harnesses) import no
  command;
- no module of the product takes part in an import circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists())
PRODUCT = ("components", "policy", "tools")
# The tools every command may use, and which therefore use no command.
SHARED_TOOLS = {
    "tools.cli", "tools.aws", "tools.images", "tools.signing", "tools.inputs", "tools.usage",
    "tools.preview.stack_file", "tools.preview.mock_engine", "tools.preview.pack_runner",
    "tools.preview.conformance", "tools.preview.api_calls", "tools.strict_load",
}  # fmt: skip


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(*folders: str) -> dict[str, Path]:
    found = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "node_modules" not in path.parts:
                found[module_name(path)] = path
    return found


KNOWN = modules(*PRODUCT, "tests", "bench") | {"__main__": ROOT / "__main__.py"}


def imports(name: str, path: Path) -> set[str]:
    """The modules of this tree that `name` imports: `from a import b` is a.b when that is a
    module, else a; relative imports are resolved against the package."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in KNOWN else base for a in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in KNOWN:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


GRAPH = {name: imports(name, path) for name, path in KNOWN.items()}


def offending(sources: str | tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if name.startswith(sources) or name == sources
        for target in targets
        if target.split(".")[0] in forbidden or target.startswith(forbidden)
    )


def test_the_pack_imports_nothing_outside_itself():
    assert not offending("policy", ("components", "tools", "tests", "bench", "__main__"))


# What of the pack the program may import, and who: ECR's lifecycle grammar and evaluation live
# once, in the rules package the pack publishes, and the settings validate the lifecycle policies
# they build with them; the pack's least-privilege rule for resource policies is likewise one
# function, and the settings judge the team's own repository-policy statements
# (extraPolicyStatements) with it before deploy, so the program never deploys a statement the
# pack would refuse (issue 29). Nothing else of the pack, and from nowhere else in the program.
PACK_RULES_THE_PROGRAM_USES = {
    ("components.settings.loading", "policy.ecr_guardrails.lifecycle_eval"),
    ("components.settings.grants", "policy.ecr_guardrails.rules_access"),
}


def test_the_program_imports_no_tool_and_of_the_pack_only_its_shared_rules():
    found = offending(("components", "__main__"), ("tools", "policy", "tests", "bench"))
    allowed = {f"{name} imports {rule}" for name, rule in PACK_RULES_THE_PROGRAM_USES}
    assert [f for f in found if f not in allowed] == []


def test_no_product_module_imports_the_tests_or_the_benchmarks():
    assert not offending(PRODUCT, ("tests", "bench"))


def test_the_benchmarks_take_only_the_shared_test_support():
    found = [
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if name.startswith("bench")
        for target in targets
        if target.startswith("tests") and not target.startswith("tests.support")
    ]
    assert not found, found


def test_tests_share_only_the_support_package():
    """A test module that imports another test module runs it twice and ties two areas."""
    found = [
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if name.startswith("tests.") and not name.startswith("tests.support")
        for target in targets
        if target.startswith("tests.") and not target.startswith("tests.support")
    ]
    assert not found, found


def test_the_tools_shared_modules_import_no_command():
    found = [
        f"{name} imports {target}"
        for name in SHARED_TOOLS
        for target in GRAPH[name]
        if target.startswith("tools") and target not in SHARED_TOOLS
    ]
    assert not found, found


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_product_module_takes_part_in_an_import_circle():
    product = {n: t for n, t in GRAPH.items() if n.startswith(PRODUCT) or n == "__main__"}
    found = circles(product)
    assert not found, "; ".join(" <-> ".join(circle) for circle in found)


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"a"}, "c": {"a"}}, [["a", "b"]]),
    ],
)
def test_a_circle_is_found(graph, expected):
    assert circles(graph) == expected
