"""This worker's catch-ups: markers that hold a store's new posts until the older
messages being fetched are in (see bot/store/catchups.py for the rule).

Every catch-up path goes through here: start-up (markers are set before the web
server accepts a push), a store's recovery after an outage, a first connection,
the periodic and the on-demand repair. A marker is renewed every ``BEAT`` seconds
while its catch-up runs, so a worker that dies leaves one that goes stale.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from bot.store import Store

log = logging.getLogger(__name__)

BEAT = 15.0  # seconds; well inside bot.store.catchups.STALE_AFTER


class CatchUpMarkers:
    def __init__(self, store: Store, holder: str, *, wake: Callable[[str], None],
                 channel_of: Callable[[str], str | None]) -> None:
        self.store = store
        self.holder = holder
        self.wake = wake  # channel_ref -> wake the Slack outbox
        self.channel_of = channel_of
        self.active: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    async def begin(self, store_keys: Iterable[str]) -> None:
        for key in store_keys:
            await self.store.catchups.begin(key, self.holder)
            self.active.add(key)
        if self.active and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._beat(), name="catch-up markers")

    async def end(self, store_key: str) -> int:
        """The store is caught up: its held posts are queued in platform order."""
        self.active.discard(store_key)
        released = await self.store.catchups.end(store_key, self.holder)
        ref = self.channel_of(store_key)
        if released and ref:
            self.wake(ref)
        return released

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _beat(self) -> None:
        while self.active:
            await asyncio.sleep(BEAT)
            try:
                await self.store.catchups.beat(sorted(self.active), self.holder)
            except Exception:  # noqa: BLE001 - a missed beat only risks an early release
                log.exception("could not renew catch-up markers")
