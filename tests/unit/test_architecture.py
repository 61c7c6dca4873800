"""The package's shape, checked from its imports: who may talk to Docker, and no cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import dockerlan

PACKAGE = Path(dockerlan.__file__).parent


def module_of(path: Path) -> str:
    """dockerlan/lab/up.py -> dockerlan.lab.up; a package's __init__.py -> the package."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, relative imports made absolute, at any depth of the file."""
    module = module_of(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def modules() -> dict[str, set[str]]:
    return {module_of(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def within(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_only_the_engine_package_imports_the_docker_sdk() -> None:
    users = {
        name for name, imported in modules().items() if any(within(i, "docker") for i in imported)
    }
    assert users, "the engine must import the SDK somewhere: is this test reading the imports?"
    assert {u for u in users if not within(u, "dockerlan.engine")} == set()


def test_the_plan_imports_nothing_that_touches_an_engine_or_a_terminal() -> None:
    allowed = ("dockerlan.plan", "dockerlan.errors", "dockerlan.labels")
    for name, imported in modules().items():
        if within(name, "dockerlan.plan"):
            ours = {i for i in imported if within(i, "dockerlan")}
            assert {i for i in ours if not within(i, *allowed)} == set(), name
            assert not any(within(i, "docker", "rich", "typer") for i in imported), name


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph, as a path that ends where it starts, or None."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for name in sorted(edges):
        if name not in state and (cycle := visit(name)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle_and_only_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_no_two_modules_import_each_other_in_a_circle() -> None:
    graph = modules()
    edges = {
        name: {i for i in imported if i in graph and i != name} for name, imported in graph.items()
    }
    # A package's __init__ importing its own children is how a package shows its face.
    for name in edges:
        if (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists():
            edges[name] = {i for i in edges[name] if not within(i, name)}
    assert find_cycle(edges) is None


def test_only_the_command_line_knows_the_terminal() -> None:
    """The lab reports progress through its own protocol; a library user gets no output."""
    for name, imported in modules().items():
        if not within(name, "dockerlan.cli", "dockerlan.__main__"):
            assert not any(within(i, "rich", "typer", "dockerlan.cli") for i in imported), name


def test_every_test_module_has_a_name_of_its_own() -> None:
    """pytest imports test modules by their file name (no packages here): two of the same
    name in different folders stop the whole run at collection."""
    root = Path(__file__).resolve().parents[2]
    names = [p.name for folder in ("tests", "examples") for p in (root / folder).rglob("test_*.py")]
    assert len(names) > 10, "the control: the modules are found"
    assert sorted({n for n in names if names.count(n) > 1}) == []
