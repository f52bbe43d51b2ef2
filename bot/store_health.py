"""Connection health per store: pause, say so once, probe, resume, catch up.

A store whose API fails is paused (no sync, replies wait ⏳), announced by one
banner in the ops channel and the store's channel, and probed with backoff. It
resumes only after the connection has held for ``stable_for`` seconds, then
catches up from its cursor and the banner says what was caught up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.connector_hub import ConnectorHub
from bot.leases import LeaseKeeper
from bot.pacing import backoff
from bot.slack_work import SlackWork
from bot.store import Store
from connectors.errors import AuthError

log = logging.getLogger(__name__)

PAUSED = ("disconnected", "unauthorized")


class StoreHealth:
    def __init__(self, store: Store, hub: ConnectorHub, *, ops_channel: str | None,
                 repair: Callable[[str, bool], Awaitable[int]],
                 wake_slack: Callable[[str], None], wake_sender: Callable[[str], None],
                 stable_for: float = 3.0, probe_base: float = 1.0,
                 probe_cap: float = 60.0) -> None:
        self.store = store
        self.hub = hub
        self.ops_channel = ops_channel
        self.repair = repair  # (store_key, full) -> messages caught up; raises on failure
        self.wake_slack = wake_slack
        self.wake_sender = wake_sender
        self.stable_for = stable_for
        self.probe_base = probe_base
        self.probe_cap = probe_cap
        self._probes: dict[str, asyncio.Task[None]] = {}
        self.leases: LeaseKeeper | None = None

    async def start(self) -> None:
        """Stores left paused by the previous run are probed again."""
        for key, h in (await self.store.books.health()).items():
            if key in self.hub.stores and h["health"] in PAUSED:
                self._ensure_probe(key)

    async def stop(self) -> None:
        for t in self._probes.values():
            t.cancel()
        await asyncio.gather(*self._probes.values(), return_exceptions=True)

    async def is_paused(self, store_key: str) -> bool:
        return await self.store.books.health_of(store_key) in PAUSED

    async def report_failure(self, store_key: str, exc: BaseException) -> None:
        state = "unauthorized" if isinstance(exc, AuthError) else "disconnected"
        words = getattr(exc, "user_message", None) or "The marketplace cannot be reached."
        if await self.store.books.set_health(store_key, state, words):
            log.warning("store %s %s: %s", store_key, state, words)
            await self._announce(store_key)
        self._ensure_probe(store_key)

    async def recovered(self, store_key: str, caught_up: int) -> None:
        if await self.store.books.mark_recovered(store_key, caught_up):
            log.info("store %s reconnected; caught up %d message(s)", store_key, caught_up)
            await self._announce(store_key)
        self.wake_sender(store_key)

    async def _announce(self, store_key: str) -> None:
        cfg = self.hub.stores[store_key]
        for ref in {cfg.channel, self.ops_channel} - {None}:
            assert ref is not None
            await self.store.ops.enqueue(ref, SlackWork.BANNER, payload={"store": store_key},
                                   dedupe_key=f"banner:{store_key}:{ref}")
            self.wake_slack(ref)

    def _ensure_probe(self, store_key: str) -> None:
        task = self._probes.get(store_key)
        if task is None or task.done():
            self._probes[store_key] = asyncio.create_task(self._probe(store_key),
                                                          name=f"probe:{store_key}")

    async def _probe(self, store_key: str) -> None:
        # One prober per store across workers: platforms revoke apps that poll.
        if self.leases is not None and await self.leases.claim(f"probe:{store_key}") is None:
            return
        try:
            await self._probe_until_healthy(store_key)
        finally:
            if self.leases is not None:
                await asyncio.shield(self.leases.release(f"probe:{store_key}"))

    async def _probe_until_healthy(self, store_key: str) -> None:
        connector, account = self.hub.for_store(store_key)
        attempt = 0
        while True:
            attempt += 1
            cap = self.probe_cap * (10 if await self._state(store_key) == "unauthorized" else 1)
            await asyncio.sleep(backoff(attempt, base=self.probe_base, cap=cap))
            try:
                await connector.check(account)
                await asyncio.sleep(self.stable_for)  # flapping links do not count
                await connector.check(account)
                caught_up = await self.repair(store_key, False)
            except Exception as e:  # noqa: BLE001 - any failure: keep probing
                if isinstance(e, AuthError) and await self.store.books.set_health(
                        store_key, "unauthorized", e.user_message):
                    await self._announce(store_key)
                continue
            await self.recovered(store_key, caught_up)
            return

    async def _state(self, store_key: str) -> str:
        return await self.store.books.health_of(store_key) or "ok"
