"""Catching stores up from the platforms: at start, on demand, and periodically.

One worker at a time syncs a store (its lease ``sync:<store>``): platforms revoke
apps that poll, and two pulls of one store would race for its cursor.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from bot.catchup import CatchUpMarkers
from bot.connector_hub import ConnectorHub
from bot.ingest import Ingest
from bot.leases import LeaseKeeper
from bot.store_health import StoreHealth
from connectors.errors import ConnectorError

log = logging.getLogger(__name__)

REPAIR_EVERY_MINUTES = 10
REPAIR_PARALLEL = 16  # stores caught up at once after a start


class StoreSync:
    def __init__(self, hub: ConnectorHub, ingest: Ingest, leases: LeaseKeeper,
                 health_monitor: StoreHealth, catchup: CatchUpMarkers,
                 clock: Callable[[], float]) -> None:
        self.hub = hub
        self.ingest = ingest
        self.leases = leases
        self.health_monitor = health_monitor
        self.catchup = catchup
        self.clock = clock

    async def repair(self, store_key: str, full: bool = False) -> int:
        """Catch a store up; a failure pauses it and starts the health probe. One
        worker at a time syncs a store (platforms revoke apps that poll)."""
        return await self._repair_leased(store_key, full) or 0

    async def _repair_leased(self, store_key: str, full: bool) -> int | None:
        """None: another worker holds the store's sync (or a dead one still did)."""
        name = f"sync:{store_key}"
        if await self.leases.claim(name) is None:
            return None
        try:
            return await self._repair(store_key, full)
        finally:
            await asyncio.shield(self.leases.release(name))

    async def _repair(self, store_key: str, full: bool) -> int:
        try:
            count = await self.ingest.repair(store_key, full)
        except ConnectorError as e:
            await self.health_monitor.report_failure(store_key, e)
            return 0
        except Exception as e:  # a bug in one store's sync must not stop the others
            log.exception("repair sync of %s failed", store_key)
            await self.health_monitor.report_failure(store_key, e)
            return 0
        if await self.health_monitor.is_paused(store_key):
            await self.health_monitor.recovered(store_key, count)
        return count

    async def repair_all(self) -> int:
        """Every store catches up. A store whose sync lease is still held (by a
        worker that died mid-sync, until the lease expires) is tried again, so a
        restart after a crash never leaves a store to the next periodic sweep."""
        pending, total = list(self.hub.stores), 0
        deadline = self.clock() + 3 * self.leases.ttl
        # A few at a time: 500 at once flooded the loop and the writer while the
        # first pushes came in. Every store's marker is set before (start()), so
        # one still queued here holds its live posts as one already syncing does.
        gate = asyncio.Semaphore(REPAIR_PARALLEL)

        async def one(key: str) -> int | None:
            async with gate:
                return await self._repair_leased(key, False)
        while pending:
            counts = await asyncio.gather(*(one(k) for k in pending))
            total += sum(c for c in counts if c)
            pending = [k for k, c in zip(pending, counts, strict=True) if c is None]
            if not pending or self.clock() > deadline:
                break
            await asyncio.sleep(self.leases.heartbeat)
        for key in pending:  # another worker's catch-up of it (if any) holds its own marker
            await self.catchup.end(key)
        return total

    async def repair_periodic(self) -> None:
        for key in self.hub.stores:
            connector, _ = self.hub.for_store(key)
            # Lazada revokes apps that poll its IM API; paused stores are probed instead.
            if connector.periodic_pull_allowed and not await self.health_monitor.is_paused(key):
                await self.repair(key)

