"""Every SQL statement of the product lives in bot/store/: features ask the store by
intent. A statement anywhere else in bot/ or connectors/ fails this test."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SQL = re.compile(r"""["'](SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|PRAGMA)\s""")


def test_no_sql_outside_the_store() -> None:
    found = []
    for folder in ("bot", "connectors"):
        for path in (ROOT / folder).rglob("*.py"):
            if (ROOT / "bot" / "store") in path.parents:
                continue
            for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
                if SQL.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


def test_the_check_finds_sql_where_it_is() -> None:
    inside = (ROOT / "bot" / "store" / "conversations.py").read_text("utf-8")
    assert any(SQL.search(line) for line in inside.splitlines())
