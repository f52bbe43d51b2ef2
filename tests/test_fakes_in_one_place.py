"""The product's fakes live in one package, ``bot/demo/``, and the product never leans on them.

Read from the source (ast), imports inside functions and under ``TYPE_CHECKING`` included:

- no module of ``bot/`` outside ``bot/demo/`` imports ``bot.demo``, except ``bot/cli.py``,
  which launches ``storebridge demo``;
- ``connectors/`` imports nothing from ``bot`` (connectors are a leaf: the sandbox's
  connector shares the protocol's rules with the fake marketplace, not the other way);
- no module of ``bot/`` or ``connectors/`` outside ``bot/demo/`` builds an aiohttp server,
  except ``bot/http.py``, the product's own web app. A fake server anywhere else is a
  fake shipped as product; a test-only one belongs in ``tests/``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = "bot/demo/"
#: Launches the demo (``storebridge demo``), so it may import it.
MAY_IMPORT_DEMO = {"bot/cli.py"}
#: The product's own HTTP server (pushes, Slack events, /healthz, OAuth).
MAY_SERVE = {"bot/http.py"}
#: What builds an aiohttp server: an application, its runner, a site or a route table.
SERVER_PARTS = {"Application", "AppRunner", "TCPSite", "UnixSite", "RouteTableDef", "Server"}


def _sources(root: Path) -> Iterator[tuple[str, ast.Module]]:
    for folder in ("bot", "connectors"):
        for path in sorted((root / folder).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            yield rel, ast.parse(path.read_text(encoding="utf-8"), rel)


def _package(rel: str) -> list[str]:
    parts = rel.removesuffix(".py").split("/")
    return parts[:-1]


def _imported(rel: str, tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, dotted module) of every import; relative ones resolved."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package(rel)[:len(_package(rel)) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            yield node.lineno, source
            for alias in node.names:
                yield node.lineno, f"{source}.{alias.name}"


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def demo_imports(root: Path) -> list[str]:
    return sorted({f"{rel}:{line} imports {module}"
                   for rel, tree in _sources(root)
                   if rel.startswith("bot/") and not rel.startswith(DEMO)
                   and rel not in MAY_IMPORT_DEMO
                   for line, module in _imported(rel, tree) if _within(module, "bot.demo")})


def bot_imports_in_connectors(root: Path) -> list[str]:
    return sorted({f"{rel}:{line} imports {module}"
                   for rel, tree in _sources(root) if rel.startswith("connectors/")
                   for line, module in _imported(rel, tree) if _within(module, "bot")})


def _aiohttp_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Names that mean ``aiohttp.web`` (``web``, an alias) and server parts imported bare."""
    modules: set[str] = set()
    bare: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "aiohttp":
            modules |= {a.asname or a.name for a in node.names if a.name == "web"}
        elif isinstance(node, ast.ImportFrom) and node.module == "aiohttp.web":
            bare |= {a.asname or a.name for a in node.names if a.name in SERVER_PARTS}
        elif isinstance(node, ast.Import):
            modules |= {a.asname for a in node.names if a.name == "aiohttp.web" and a.asname}
    return modules, bare


def _server_part(func: ast.expr, modules: set[str], bare: set[str]) -> str | None:
    if isinstance(func, ast.Name) and func.id in bare:
        return func.id
    if not isinstance(func, ast.Attribute) or func.attr not in SERVER_PARTS:
        return None
    owner = func.value
    if isinstance(owner, ast.Name) and owner.id in modules:
        return func.attr
    # aiohttp.web.Application(...)
    if (isinstance(owner, ast.Attribute) and owner.attr == "web"
            and isinstance(owner.value, ast.Name) and owner.value.id == "aiohttp"):
        return func.attr
    return None


def servers_outside_the_demo(root: Path, allowed: set[str] = MAY_SERVE) -> list[str]:
    found = set()
    for rel, tree in _sources(root):
        if rel.startswith(DEMO) or rel in allowed:
            continue
        modules, bare = _aiohttp_names(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                part = _server_part(node.func, modules, bare)
                if part:
                    found.add(f"{rel}:{node.lineno} builds an aiohttp {part}")
    return sorted(found)


def test_no_product_module_imports_the_demo() -> None:
    assert (ROOT / "bot/demo/run.py").exists()
    assert demo_imports(ROOT) == [], "the product leans on a fake"


def test_connectors_import_nothing_from_bot() -> None:
    assert bot_imports_in_connectors(ROOT) == []


def test_no_fake_server_outside_the_demo() -> None:
    assert servers_outside_the_demo(ROOT) == [], \
        "a fake server belongs in bot/demo/ (the demo needs it) or tests/ (only tests do)"


def test_the_product_server_is_seen() -> None:
    """The detector sees the product's own server when not told to allow it: the check
    passes because there is nothing else, not because it sees nothing."""
    found = servers_outside_the_demo(ROOT, allowed=set())
    assert found and all(s.startswith("bot/http.py:") for s in found), found


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """A product module importing the demo (relative, in a function, under TYPE_CHECKING),
    a connector importing ``bot`` and a fake server outside the demo are all found."""
    files = {
        "bot/cli.py": "from bot.demo.run import run_demo\n",
        "bot/demo/run.py": "from aiohttp import web\napp = web.Application()\n",
        "bot/relay.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                        "    from bot.demo.marketplace import SandboxMarketplace\n",
        "bot/team/x.py": "def f():\n    from ..demo import run\n",
        "connectors/sandbox/client.py": "import bot.demo.marketplace.state\n",
        "connectors/sandbox/server.py": "from aiohttp import web as w\n"
                                        "from aiohttp.web import AppRunner\nimport aiohttp\n"
                                        "app = w.Application()\nrunner = AppRunner(app)\n"
                                        "t = aiohttp.web.RouteTableDef()\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert demo_imports(tmp_path) == [
        "bot/relay.py:3 imports bot.demo.marketplace",
        "bot/relay.py:3 imports bot.demo.marketplace.SandboxMarketplace",
        "bot/team/x.py:2 imports bot.demo", "bot/team/x.py:2 imports bot.demo.run"]
    assert bot_imports_in_connectors(tmp_path) == [
        "connectors/sandbox/client.py:1 imports bot.demo.marketplace.state"]
    assert servers_outside_the_demo(tmp_path) == [
        "connectors/sandbox/server.py:4 builds an aiohttp Application",
        "connectors/sandbox/server.py:5 builds an aiohttp AppRunner",
        "connectors/sandbox/server.py:6 builds an aiohttp RouteTableDef"]
