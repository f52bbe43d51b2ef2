"""One asyncio worker per key (a channel, a store), started on demand.

A worker runs while its key has work and then ends; ``kick`` wakes it or starts
a new one. Kicking between a worker's last check and its end is safe: there is
no await in between, so the kick sees the task done and starts another.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

Claim = Callable[[str], Awaitable[Any]]


class KeyedWorkers:
    """``claim`` (optional) gates each worker: with several processes, a key's
    worker runs only where its lease is held; ``on_fresh`` runs first when the
    lease was just taken (another worker's half-done work is recovered)."""

    def __init__(self, run: Callable[[str, asyncio.Event], Coroutine[Any, Any, None]],
                 name: str, *, claim: Claim | None = None,
                 on_fresh: Callable[[str], Awaitable[None]] | None = None) -> None:
        self._run = run
        self._claim = claim
        self._on_fresh = on_fresh
        self._name = name
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._wake: dict[str, asyncio.Event] = {}
        self.stopping = False

    def kick(self, key: str) -> None:
        if self.stopping:
            return
        wake = self._wake.setdefault(key, asyncio.Event())
        wake.set()
        task = self._tasks.get(key)
        if task is None or task.done():
            # A fresh context: the worker outlives the request (and the store, in log
            # context) that happened to start it, so it must not carry their fields.
            self._tasks[key] = asyncio.create_task(self._guarded(key, wake),
                                                   name=f"{self._name}:{key}",
                                                   context=contextvars.Context())

    async def _guarded(self, key: str, wake: asyncio.Event) -> None:
        if self._claim is not None:
            grant = await self._claim(key)
            if grant is None:  # another worker owns this key; it will do the work
                return
            if getattr(grant, "fresh", False) and self._on_fresh is not None:
                await self._on_fresh(key)
        await self._run(key, wake)

    def busy(self) -> bool:
        return any(not t.done() for t in self._tasks.values())

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until every worker has run out of ready work (tests, demo)."""
        deadline = time.monotonic() + timeout
        while self.busy():
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{self._name} workers still busy")
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        self.stopping = True
        for ev in self._wake.values():
            ev.set()
        tasks = list(self._tasks.values())
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()


async def wait_for_wake(wake: asyncio.Event, seconds: float) -> None:
    """Sleep up to ``seconds``, or less if the worker is kicked meanwhile."""
    if seconds <= 0:
        return
    try:
        await asyncio.wait_for(wake.wait(), timeout=seconds)
    except TimeoutError:
        pass
