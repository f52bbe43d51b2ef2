"""This worker's share of the work: leases taken on demand, renewed by a heartbeat.

Each per-channel Slack queue (``slack:<channel>``), per-store reply sender
(``send:<store>``), store probe (``probe:<store>``), repair sync
(``sync:<store>``) and periodic job (``job:<id>``) is run by the one worker that
holds its lease. Leases stay with their holder while it lives (no ping-pong
between workers); a worker that dies stops renewing, and once its leases expire
(``TTL`` seconds) the next worker to look takes them over, recovering whatever the
dead one left half-done before carrying on.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from bot.store import Store
from bot.store.leases import Grant

log = logging.getLogger(__name__)

TTL = 10.0  # seconds a silent worker keeps its leases
HEARTBEAT = 2.0  # renewal period; several renewals fit in one TTL
#: Clock difference between workers tolerated when trusting a lease from memory.
SKEW = 3.0


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class LeaseKeeper:
    def __init__(self, store: Store, *, worker_id: str | None = None, ttl: float = TTL,
                 heartbeat: float = HEARTBEAT) -> None:
        self.store = store
        self.worker_id = worker_id or new_worker_id()
        self.ttl = ttl
        self.heartbeat = heartbeat
        self.held: set[str] = set()
        # When each held lease expires at the earliest (from the time we wrote it):
        # until then no other worker can take it, so holds() need not ask the database.
        self._valid_until: dict[str, float] = {}
        self.started_at = store.database.clock()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._beat()
        self._task = asyncio.create_task(self._loop(), name="leases")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        try:
            await self.store.leases.release_all(self.worker_id)
            await self.store.leases.forget_worker(self.worker_id)
        except Exception as e:  # noqa: BLE001 - they expire anyway
            log.warning("could not release leases at stop: %s", e)
        self.held.clear()
        self._valid_until.clear()

    async def claim(self, name: str) -> Grant | None:
        """Take ``name`` (or keep it); None while another live worker has it."""
        asked_at = self.store.database.clock()
        grant = await self.store.leases.acquire(name, self.worker_id, self.ttl)
        if grant is not None:
            self.held.add(name)
            self._valid_until[name] = asked_at + self.ttl
            if grant.fresh:
                log.debug("lease %s taken by %s", name, self.worker_id)
        return grant

    async def holds(self, name: str) -> bool:
        """Checked right before a side effect that must not be done twice. Another
        worker can take a lease only after it expires, so one renewed recently
        enough is ours without a round trip (the push path's busiest check)."""
        if name not in self.held:
            return False
        if self.store.database.clock() < self._valid_until.get(name, 0.0) - SKEW:
            return True
        return await self.store.leases.holds(name, self.worker_id)

    async def release(self, name: str) -> None:
        self.held.discard(name)
        self._valid_until.pop(name, None)
        await self.store.leases.release(name, self.worker_id)

    def leased(self, name: str, job: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
        """``job`` run only by the holder of ``name`` (a periodic job: one worker)."""
        async def run(*args: Any, **kwargs: Any) -> Any:
            if await self.claim(name) is None:
                return None
            result = job(*args, **kwargs)
            if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                result = await result
            return result
        run.__name__ = getattr(job, "__name__", name)
        return run

    async def _beat(self) -> None:
        leases = self.store.leases
        asked_at = self.store.database.clock()
        await leases.heartbeat(self.worker_id, socket.gethostname(), os.getpid(),
                               self.started_at)
        renewed = await leases.renew_all(self.worker_id, self.ttl)
        lost = self.held - renewed
        self.held &= renewed
        for name in renewed:
            self._valid_until[name] = asked_at + self.ttl
        for name in lost:
            self._valid_until.pop(name, None)
        for name in lost:  # its worker notices at its next holds() check, before acting
            log.warning("lease %s was taken over by another worker", name)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat)
            try:
                await self._beat()
            except Exception as e:  # noqa: BLE001 - database hiccup: try again next beat
                log.warning("lease heartbeat failed: %s", e)
