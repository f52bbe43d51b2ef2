"""``/healthz``: what the service reports about itself, within ~100 ms whatever the
database does."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.leases import LeaseKeeper
from bot.slack_outbox import SlackOutbox
from bot.store import DatabaseBusy, Store
from bot.worker_status import worker_status

HEALTH_DB_BOUND = 0.08  # seconds: /healthz answers within ~100 ms
HEALTH_DETAIL_BOUND = 0.5


class ServiceHealth:
    """The service's health report (mixed into :class:`bot.service.Service`)."""

    store: Store
    outbox: SlackOutbox
    leases: LeaseKeeper

    def _slack_state(self) -> str:
        return {None: "unknown", True: "ok", False: "unreachable"}[self.outbox.reachable]

    async def health(self) -> dict[str, Any]:
        """Answers within ~100 ms whatever the database does: a locked database is
        reported "busy" (the service waits it out), a broken one "error"."""
        try:
            db_state = "ok" if await self.store.ping(HEALTH_DB_BOUND) else "error"
        except DatabaseBusy:
            db_state = "busy"
        except Exception:  # noqa: BLE001
            db_state = "error"
        if db_state == "ok":
            detail = asyncio.ensure_future(self._health_detail())
            try:
                return await asyncio.wait_for(asyncio.shield(detail), HEALTH_DETAIL_BOUND)
            except TimeoutError:
                detail.add_done_callback(lambda t: t.cancelled() or t.exception())
                db_state = "busy"
        return {"status": "degraded", "database": db_state,
                "slack": {"state": self._slack_state(), "error": self.outbox.last_error}}

    async def _health_detail(self) -> dict[str, Any]:
        stores = await self.store.books.health()
        slack_state = self._slack_state()
        ok = slack_state != "unreachable" and all(v["health"] == "ok" for v in stores.values())
        return {
            "status": "ok" if ok else "degraded",
            "database": "ok",
            "slack": {"state": slack_state, "error": self.outbox.last_error,
                      "outbox": await self.store.ops.counts(),
                      "card_fallbacks": self.outbox.card_fallbacks.health()},
            "replies": await self.store.replies.counts(),
            "stores": stores,
            "workers": await self.workers(),
        }

    async def workers(self) -> list[dict[str, Any]]:
        """The workers alive and the leases each holds (who runs what)."""
        return await worker_status(self.store, me=self.leases.worker_id,
                                   heartbeat=self.leases.heartbeat)
