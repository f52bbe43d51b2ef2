"""Which database the tests run on.

Unset ``STOREBRIDGE_TEST_DATABASE_URL``: SQLite files in each test's tmp_path.
Set (``postgresql://postgres@127.0.0.1:5432/postgres``): a fresh database per
test run on that server, and a fresh schema per SQLite path a test names, so
every test, and every "file" within a test, starts from an empty PostgreSQL.
Subprocess tests ask :func:`env_for` for the variables that point there.
"""

from __future__ import annotations

import os
import uuid
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

SERVER = os.environ.get("STOREBRIDGE_TEST_DATABASE_URL", "").strip()
RUN_DB = f"sb_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
_schemas: dict[str, str] = {}


def postgres() -> bool:
    return bool(SERVER)


def _with_db(url: str, dbname: str, options: str | None = None) -> str:
    parts = urlsplit(url)
    query = f"options={quote(options)}" if options else ""
    return urlunsplit((parts.scheme, parts.netloc, f"/{dbname}", query, ""))


def create_run_database() -> None:
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{RUN_DB}"')


def drop_run_database() -> None:
    if os.environ.get("STOREBRIDGE_TEST_KEEP_DB"):  # to look at it after a failure
        print(f"kept database {RUN_DB}")
        return
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{RUN_DB}" WITH (FORCE)')


def target_for(path: str) -> str:
    """The database a test's SQLite path stands for: the path itself, or a fresh
    PostgreSQL schema (the same one each time the same path is named)."""
    if not postgres() or path.startswith(("postgresql://", "postgres://")):
        return path
    if path not in _schemas:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(_with_db(SERVER, RUN_DB), autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        _schemas[path] = _with_db(SERVER, RUN_DB, f"-csearch_path={schema}")
    return _schemas[path]


def env_for(path: str) -> dict[str, str]:
    """Environment for a ``storebridge`` subprocess using that database."""
    target = target_for(path)
    if target.startswith("postgresql://"):
        return {"DATABASE_URL": target, "STOREBRIDGE_DB": path}
    return {"STOREBRIDGE_DB": path}
