"""SQLite's one writer serves requests someone waits on first (bot/store/writer_lock.py).

A FIFO queue made a Lazada push wait behind start-up's repair syncs and the Slack
outbox's bookkeeping (acks of 1.8 s, over Lazada's 500 ms). These tests pin the
order the lock hands itself on, and that a cancelled waiter never strands it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.store import Store, urgently
from bot.store.writer_lock import WriterLock, is_urgent, urgent


async def _hold(lock: WriterLock, order: list[str], name: str) -> None:
    async with lock:
        order.append(name)
        await asyncio.sleep(0)


async def test_urgent_waiters_go_before_earlier_background_waiters() -> None:
    lock = WriterLock()
    order: list[str] = []
    await lock.acquire()
    background = [asyncio.create_task(_hold(lock, order, f"bg{i}")) for i in range(3)]
    await asyncio.sleep(0)  # the background tasks queue first
    pushes = [asyncio.create_task(urgently(_hold(lock, order, f"push{i}"))) for i in range(2)]
    await asyncio.sleep(0)
    lock.release()
    await asyncio.gather(*background, *pushes)
    assert order == ["push0", "push1", "bg0", "bg1", "bg2"]
    assert not lock.locked()


async def test_a_cancelled_waiter_never_strands_the_lock() -> None:
    lock = WriterLock()
    order: list[str] = []
    await lock.acquire()
    gone = asyncio.create_task(_hold(lock, order, "gone"))
    later = asyncio.create_task(_hold(lock, order, "later"))
    await asyncio.sleep(0)
    gone.cancel()
    await asyncio.sleep(0)
    lock.release()
    await later
    assert order == ["later"]
    assert not lock.locked()


async def test_a_waiter_cancelled_as_it_is_handed_the_lock_passes_it_on() -> None:
    lock = WriterLock()
    order: list[str] = []
    await lock.acquire()
    handed = asyncio.create_task(_hold(lock, order, "handed"))
    after = asyncio.create_task(_hold(lock, order, "after"))
    await asyncio.sleep(0)
    lock.release()  # "handed" now owns it, but has not run yet
    handed.cancel()
    await asyncio.gather(handed, return_exceptions=True)
    await after
    assert order == ["after"]
    assert not lock.locked()


async def test_tasks_an_urgent_task_starts_are_not_urgent() -> None:
    seen: list[bool] = []

    async def child() -> None:
        seen.append(is_urgent())

    with urgent():
        seen.append(is_urgent())
        await asyncio.create_task(child())
    seen.append(is_urgent())
    assert seen == [True, False, False]


async def test_a_push_statement_overtakes_queued_background_writes(tmp_path: Path) -> None:
    """On the real store, both backends: while background transactions hold what
    writes need (SQLite's one writer; every connection of PostgreSQL's pool),
    background statements queue; an urgent one queued after them runs first."""
    store = await Store.open(str(tmp_path / "lock.db"))
    db = store.database
    pool = getattr(db, "pool", None)  # PostgreSQL: hold all of its connections
    holders = pool.max_size if pool is not None else 1
    try:
        await db.run("CREATE TABLE t (name TEXT)")
        order: list[str] = []
        holding = [asyncio.Event() for _ in range(holders)]
        release = asyncio.Event()

        async def long_background_tx(i: int) -> None:
            async with db.tx():
                await db.run("INSERT INTO t VALUES (?)", f"tx{i}")
                holding[i].set()
                await release.wait()

        async def write(name: str) -> None:
            await db.run("INSERT INTO t VALUES (?)", name)
            order.append(name)

        txs = [asyncio.create_task(long_background_tx(i)) for i in range(holders)]
        for event in holding:
            await asyncio.wait_for(event.wait(), 10)
        queued = [asyncio.create_task(write(f"bg{i}")) for i in range(5)]
        await asyncio.sleep(0.05)
        push = asyncio.create_task(urgently(write("push")))
        if pool is not None:  # PostgreSQL: its own connections, no wait at all
            await asyncio.wait_for(asyncio.shield(push), 5)
            assert order == ["push"], order
        await asyncio.sleep(0.05)
        release.set()  # SQLite: the one writer is free again, and the push takes it first
        await asyncio.gather(*txs, push, *queued)
        assert order[0] == "push", order
        assert sorted(order) == ["bg0", "bg1", "bg2", "bg3", "bg4", "push"]
    finally:
        await store.close()
