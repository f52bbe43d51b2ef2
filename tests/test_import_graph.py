"""No import cycle through the composition root or a feature, ``TYPE_CHECKING`` included.

The graph is read from the source (ast), so imports under ``if TYPE_CHECKING:`` and
inside functions count: a cycle there still couples the modules, and turns into an
``ImportError`` the day someone moves the import to the top. Importing ``a.b.c`` runs
``a/__init__.py`` and ``a/b/__init__.py`` first, so those are edges too, except a
module's own packages (already being imported when it runs).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The composition root and the seam: in no cycle.
CORE_SEAM = ("bot.service", "bot.features", "bot.feature_api", "bot.events")
#: Feature packages and modules (bot/features.py lists their builders).
FEATURES = ("bot.orders", "bot.team", "bot.actions", "bot.translation", "bot.templates",
            "bot.account_risk", "bot.language_select")


def modules(root: Path) -> dict[str, tuple[Path, bool]]:
    """Dotted name -> (file, is a package) of every module under ``bot/``."""
    found = {}
    for path in (root / "bot").rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if package else parts)] = (path, package)
    return found


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def import_graph(root: Path) -> dict[str, set[str]]:
    mods = modules(root)
    graph: dict[str, set[str]] = {name: set() for name in mods}
    for name, (path, package) in mods.items():
        here = name if package else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")[:len(here.split(".")) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                # ``from pkg import sub`` imports the submodule pkg.sub
                targets = [source, *(f"{source}.{a.name}" for a in node.names)]
            for target in targets:
                if target not in mods:
                    continue
                for dep in (target, *_ancestors(target)):
                    if dep in mods and dep != name and dep not in _ancestors(name):
                        graph[name].add(dep)
    return graph


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
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


def loop_through(graph: Mapping[str, Iterable[str]], start: str, within: set[str]
                 ) -> list[str]:
    """One import loop from ``start`` back to it, inside the component (to show)."""
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v]):
            if w == start:
                return [*paths[v], start]
            if w in within and w not in paths:
                paths[w] = [*paths[v], w]
                queue.append(w)
    return [start]


def watched(name: str) -> bool:
    return name in CORE_SEAM or any(name == f or name.startswith(f + ".") for f in FEATURES)


def test_no_cycle_through_the_service_the_seam_or_a_feature() -> None:
    graph = import_graph(ROOT)
    assert {"bot.service", "bot.feature_api", "bot.orders", "bot.team.digest"} <= set(graph)
    bad = []
    for component in cycles(graph):
        names = [n for n in component if watched(n)]
        if names:
            bad.append(" -> ".join(loop_through(graph, names[0], set(component))))
    assert not bad, "import cycles:\n" + "\n".join(bad)


def test_type_checking_imports_count(tmp_path: Path) -> None:
    """The checker itself: a cycle closed only under TYPE_CHECKING, or through a
    package's ``__init__``, is found."""
    pkg = tmp_path / "bot" / "feat"
    pkg.mkdir(parents=True)
    (tmp_path / "bot" / "__init__.py").write_text("")
    (tmp_path / "bot" / "service.py").write_text("from bot.feat.part import X\n")
    (pkg / "__init__.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.service import S\n")
    (pkg / "part.py").write_text("X = 1\n")
    graph = import_graph(tmp_path)
    assert graph["bot.service"] == {"bot.feat", "bot.feat.part"}
    assert cycles(graph) == [["bot.feat", "bot.service"]]
    (pkg / "__init__.py").write_text("")
    assert cycles(import_graph(tmp_path)) == []
