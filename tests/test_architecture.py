"""The package's shape, as issue #18 left it: no import cycle, no module over 400 lines,
and almost no ``type: ignore[attr-defined]`` (each one is Django's dynamic attributes).

``python tests/test_architecture.py`` prints the same checks without pytest (the command
docs/architecture.md gives).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "authgate"
MAX_LINES = 400
MAX_ATTR_DEFINED_IGNORES = 4  # "under 5"


def modules() -> dict[str, Path]:
    """Every authgate module by dotted name (a package by its own name)."""
    root = PACKAGE.parent
    return {
        ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__"): path
        for path in PACKAGE.rglob("*.py")
    }


def import_graph() -> dict[str, set[str]]:
    """Each module and the authgate modules it imports, at top level or inside functions."""
    mods = modules()

    def owner(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    def imported(node: ast.AST, here: str) -> list[str | None]:
        if isinstance(node, ast.Import):
            return [owner(alias.name) for alias in node.names]
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                package = here if mods[here].name == "__init__.py" else here.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}" if base else package
            return [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in mods else owner(base)
                for alias in node.names
            ]
        return []

    return {
        name: {
            dep
            for node in ast.walk(ast.parse(path.read_text("utf-8")))
            for dep in imported(node, name)
            if dep is not None and dep != name
        }
        for name, path in mods.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path ``[a, b, ..., a]``, or ``None``."""
    done: set[str] = set()
    stack: list[str] = []

    def visit(name: str) -> list[str] | None:
        if name in stack:
            return [*stack[stack.index(name) :], name]
        if name in done:
            return None
        stack.append(name)
        for dep in sorted(graph[name] & graph.keys()):
            if (cycle := visit(dep)) is not None:
                return cycle
        stack.pop()
        done.add(name)
        return None

    for name in sorted(graph):
        if (cycle := visit(name)) is not None:
            return cycle
    return None


def long_modules() -> dict[str, int]:
    return {
        name: count
        for name, path in modules().items()
        if (count := len(path.read_text("utf-8").splitlines())) > MAX_LINES
    }


def attr_defined_ignores() -> list[str]:
    return [
        f"{path.relative_to(PACKAGE.parent)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if "type: ignore[attr-defined]" in line
    ]


def test_the_import_graph_has_no_cycle() -> None:
    graph = import_graph()
    assert len(graph) > 100  # the walk found the package
    assert "authgate.core.policy" in graph["authgate.schemes.tokens.restrictions"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_find_cycle_reports_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_is_over_400_lines() -> None:
    assert long_modules() == {}


def test_type_ignore_attr_defined_stays_rare() -> None:
    assert len(attr_defined_ignores()) <= MAX_ATTR_DEFINED_IGNORES, attr_defined_ignores()


if __name__ == "__main__":
    cycle = find_cycle(import_graph())
    print(f"{len(modules())} modules;", "cycle: " + " -> ".join(cycle) if cycle else "no cycle")
    print("over 400 lines:", long_modules() or "none")
    print("type: ignore[attr-defined]:", attr_defined_ignores() or "none")
    sys.exit(1 if cycle or long_modules() else 0)
