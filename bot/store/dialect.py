"""SQL written once, in SQLite's spelling, rewritten for PostgreSQL.

The rules are few on purpose, and the repositories keep to them:
``?`` placeholders; ``INSERT OR IGNORE`` (any unique conflict is ignored);
``LIKE`` is case-insensitive as in SQLite; ``MAX(a, b)`` of two values is
written ``GREATEST2(a, b)``; timestamps are REAL seconds (DOUBLE PRECISION).
"""

from __future__ import annotations

import re
from functools import lru_cache

_INSERT_OR_IGNORE = re.compile(r"^\s*INSERT OR IGNORE INTO", re.I)
_RETURNING = re.compile(r"\sRETURNING\s", re.I)


@lru_cache(maxsize=2048)
def for_postgres(sql: str) -> str:
    out = sql.replace("%", "%%")
    out = re.sub(r"\bLIKE\b", "ILIKE", out)
    out = out.replace("GREATEST2(", "GREATEST(")
    if _INSERT_OR_IGNORE.match(out):
        out = _INSERT_OR_IGNORE.sub("INSERT INTO", out, count=1)
        m = _RETURNING.search(out)
        if m:
            out = f"{out[: m.start()]} ON CONFLICT DO NOTHING{out[m.start() :]}"
        else:
            out = f"{out} ON CONFLICT DO NOTHING"
    return _placeholders(out)


def _placeholders(sql: str) -> str:
    # '?' never appears inside our literals; keep quoted text intact anyway.
    parts = re.split(r"('(?:[^']|'')*')", sql)
    return "".join(p if i % 2 else p.replace("?", "%s") for i, p in enumerate(parts))


@lru_cache(maxsize=2048)
def for_sqlite(sql: str) -> str:
    return sql.replace("GREATEST2(", "MAX(")


def ddl_for_postgres(statement: str) -> str:
    """A migration statement in PostgreSQL types: ids are BIGSERIAL, integers
    BIGINT, REAL timestamps DOUBLE PRECISION (REAL is 4 bytes there)."""
    s = re.sub(r"\bINTEGER PRIMARY KEY AUTOINCREMENT\b", "BIGSERIAL PRIMARY KEY", statement)
    s = re.sub(r"\bINTEGER PRIMARY KEY\b", "BIGSERIAL PRIMARY KEY", s)
    s = re.sub(r"\bINTEGER\b", "BIGINT", s)
    s = re.sub(r"\bREAL\b", "DOUBLE PRECISION", s)
    return s
