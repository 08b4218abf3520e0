"""The house rules that keep the package readable: no import runs in a circle (imports inside functions
counted: a lazy import is still a dependency), at most 15 modules at the package's top level, and no function
is longer than 40 lines."""

import ast

from conftest import REPO

PACKAGE, BENCHMARKS = REPO / "srgan_helpers", REPO / "benchmarks"


def _module(path):
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_imports(path, modules) -> set[str]:
    name = _module(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):  # inside functions too
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            found |= {f"{target}.{a.name}" if f"{target}.{a.name}" in modules else target for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {m for m in found if m in modules and m != name}


def _benchmark_imports(path, scripts) -> set[str]:
    found = {a.name for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Import) for a in n.names}
    found |= {n.module for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.ImportFrom) and n.module}
    return {f"benchmarks.{m}" for m in found if m in scripts}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles, done = [], set()

    def visit(node, path):
        if node in path:
            cycles.append(path[path.index(node):] + [node])
        elif node not in done:
            done.add(node)
            for nxt in sorted(graph.get(node, ())):
                visit(nxt, path + [node])

    for node in sorted(graph):
        visit(node, [])
    return cycles


def test_no_import_cycle_in_the_package_or_the_benchmarks():
    files = sorted(PACKAGE.rglob("*.py"))
    modules = {_module(p) for p in files}
    graph = {_module(p): _package_imports(p, modules) for p in files}
    scripts = {p.stem for p in BENCHMARKS.glob("*.py")}
    graph.update({f"benchmarks.{p.stem}": _benchmark_imports(p, scripts) for p in BENCHMARKS.glob("*.py")})
    assert len(graph) > 40 and graph["srgan_helpers.training.driver"], "the import graph was not read"
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c", "a"]]


def test_no_function_in_the_package_is_over_40_lines():
    long = [f"{p.relative_to(REPO)}:{n.lineno} {n.name} ({n.end_lineno - n.lineno + 1} lines)"
            for p in PACKAGE.rglob("*.py") for n in ast.walk(ast.parse(p.read_text()))
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > 40]
    assert long == []


def _from_imports(path, modules):
    """(module, name) of every `from <package module> import name` in `path`, at any level."""
    name = _module(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")[:len(package.split(".")) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
            if target in modules:
                yield from ((target, alias.name) for alias in node.names)


def test_every_name_imported_inside_the_package_exists():
    """A lazy import of a name that moved fails only when its function runs: find each one now."""
    import importlib

    files = sorted(PACKAGE.rglob("*.py"))
    modules = {_module(p) for p in files}
    missing = sorted({f"{p.relative_to(REPO)}: {target}.{name}" for p in files if p.name != "__main__.py"
                      for target, name in _from_imports(p, modules)
                      if not hasattr(importlib.import_module(target), name) and f"{target}.{name}" not in modules})
    assert missing == []
