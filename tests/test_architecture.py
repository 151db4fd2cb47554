"""The package's shape (docs/architecture.md): imports run one way through the layers, no module
imports itself back through others, and no module grows past 800 lines.

The import graph is read from the source with ``ast`` (every import, also those inside functions),
so a late import cannot hide a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "provenance"

#: The layers, lowest first. A module may import its own subpackage and any lower layer; never a
#: higher one, nor a sibling of its own layer (reports and ingest know nothing of each other).
#: bi sits above publish: queries and exports write their rows with publish's output formats.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("core",),
    ("values",),
    ("reference", "evidence"),
    ("ingest", "reports"),
    ("chain",),
    ("publish",),
    ("bi",),
    ("cli",),
)
SUBPACKAGES = {name for layer in LAYERS for name in layer} - {"core"}
MAX_LINES = 800


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> Iterator[str]:
    """The package's modules that ``name`` imports (``from a import b`` counts a.b if a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            if target in known and target != name:
                yield target


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: set(_imports(name, path, known)) for name, path in modules.items()}


def _layer(module: str) -> tuple[int, str]:
    """(rank, subpackage) of a module: ``provenance.ingest.loader`` is (3, "ingest")."""
    parts = module.split(".")
    sub = parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in SUBPACKAGES) else "core"
    if sub not in SUBPACKAGES:
        sub = "core"
    for rank, layer in enumerate(LAYERS):
        if sub in layer:
            return rank, sub
    raise AssertionError(module)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_import_graph_has_no_cycle() -> None:
    assert _cycles(_graph()) == []


def test_imports_run_one_way_through_the_layers() -> None:
    wrong = []
    for module, targets in _graph().items():
        rank, sub = _layer(module)
        for target in targets:
            target_rank, target_sub = _layer(target)
            if target_sub == sub:
                continue
            if target_rank >= rank:
                wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_the_layer_check_sees_a_wrong_import() -> None:
    # The rule above must be able to fail: a report importing the loader is a sibling import,
    # and a value module importing the CLI goes upward.
    assert _layer("provenance.reports.x") == (3, "reports")
    assert _layer("provenance.ingest.loader") == (3, "ingest")
    assert _layer("provenance.values.text") < _layer("provenance.cli.main")
    assert _layer("provenance.db") == (0, "core")
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]


def test_no_module_is_over_800_lines() -> None:
    long = {
        name: n
        for name, path in _modules().items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_every_module_has_a_docstring() -> None:
    missing = [
        name
        for name, path in _modules().items()
        if ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) is None
    ]
    assert missing == []
