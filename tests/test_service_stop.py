"""Stopping always closes the database, whatever fails or is cancelled on the way.

The SQLite connections run on threads that are not daemons: a stop that broke off
before closing them (a second Ctrl-C, a step stuck on a peer) left a process that
never exited, even on SIGTERM (found driving bench/scale.py).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.harness import running_bridge


def closed(service: object) -> bool:
    db = service.store.database  # type: ignore[attr-defined]
    pool = getattr(db, "pool", None)
    return bool(pool.closed) if pool is not None else db._conn is None


async def test_a_failing_stop_step_still_closes_the_database(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        await b.buyer_says("hello")
        await b.thread()

        async def broken() -> None:
            raise RuntimeError("a stop step failed")
        b.service.sender.stop = broken  # type: ignore[method-assign]
        with pytest.raises(RuntimeError):
            await b.service.stop()
        assert closed(b.service)

        async def already_stopped() -> None:
            return None
        b.service.stop = already_stopped  # type: ignore[method-assign]


async def test_a_cancelled_stop_still_closes_the_database(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        await b.buyer_says("hello")
        await b.thread()
        stuck = asyncio.Event()

        async def hangs() -> None:
            await stuck.wait()  # a peer that never answers
        b.service.outbox.stop = hangs  # type: ignore[method-assign]
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(b.service.stop(), 0.5)
        assert closed(b.service)

        async def already_stopped() -> None:
            return None
        b.service.stop = already_stopped  # type: ignore[method-assign]
