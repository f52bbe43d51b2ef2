"""The Home tab follows the conversations while people look at it.

Slack never says when someone leaves the tab, so "looking" means opened or used in
the last ``FRESH_SECONDS``. A periodic job (one worker holds it: it is leased like
every job) compares a cheap fingerprint of the conversations every
``EVERY_SECONDS``; when it moved, each recent viewer's panel is re-published with
their own filters. So a burst of changes costs each viewer at most one
``views.publish`` per period — the debounce — and nobody who is away costs any.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.store.home import HomeFilters

log = logging.getLogger(__name__)

EVERY_SECONDS = 5.0
FRESH_SECONDS = 15 * 60.0
PARALLEL = 4  # views.publish is Tier 4 (100+/min): a few at a time is plenty


class HomeRefresher:
    def __init__(self, service: Any, *, fresh_seconds: float = FRESH_SECONDS) -> None:
        self.service = service
        self.fresh_seconds = fresh_seconds
        self.last: tuple[object, ...] | None = None

    async def tick(self) -> int:
        """Re-publish for recent viewers if anything changed; returns how many."""
        from bot.team.home import publish_home
        store = self.service.store
        seen = await store.home_viewers.fingerprint()
        if seen == self.last:
            return 0
        # The first tick (this worker just took the job) publishes too: whatever
        # changed while the job changed hands is shown.
        self.last = seen
        now = self.service.clock()
        await store.home_viewers.forget_before(now - 7 * 86400)
        viewers = await store.home_viewers.recent(now - self.fresh_seconds)
        gate = asyncio.Semaphore(PARALLEL)

        async def one(user: str, filters: str) -> bool:
            async with gate:
                try:
                    await publish_home(self.service, user, HomeFilters.from_json(filters),
                                       looking=False)
                    return True
                except SlackApiError as e:  # the next change tries again
                    log.warning("refreshing the Home tab of %s failed: %s", user,
                                e.response.get("error"))
                    return False
        return sum(await asyncio.gather(*(one(u, f) for u, f in viewers)))


def schedule(service: Any) -> HomeRefresher:
    refresher = HomeRefresher(service)
    service.scheduler.add_job(refresher.tick, "interval", seconds=EVERY_SECONDS,
                              id="home_refresh", max_instances=1, coalesce=True)
    return refresher
