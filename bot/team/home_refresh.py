"""The Home tab follows the conversations while people look at it.

Slack never says when someone leaves the tab, so "looking" means opened or used in
the last ``FRESH_SECONDS``. A periodic job (one worker holds it: it is leased like
every job) compares a cheap fingerprint of the conversations every
``EVERY_SECONDS``; when it moved, each recent viewer's panel is re-published with
their own filters. So a burst of changes costs each viewer at most one
``views.publish`` per period — the debounce — nobody who is away costs any, and the
refreshes of a tick stay within a share of Slack's rate limit for the method.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

from bot.store.home import HomeFilters
from bot.team.home import HomePanel, publish_home

if TYPE_CHECKING:
    from bot.feature_api import Services

log = logging.getLogger(__name__)

EVERY_SECONDS = 5.0
FRESH_SECONDS = 15 * 60.0
#: views.publish is Tier 4 ("100+ per minute" per workspace); refreshes keep well
#: under it, leaving room for the panels people open and filter themselves.
PUBLISHES_PER_MINUTE = 60
PARALLEL = 4


class HomeRefresher:
    def __init__(self, service: Services, panel: HomePanel, *,
                 fresh_seconds: float = FRESH_SECONDS,
                 per_tick: int = max(1, int(PUBLISHES_PER_MINUTE * EVERY_SECONDS / 60))
                 ) -> None:
        self.service = service
        self.panel = panel
        self.fresh_seconds = fresh_seconds
        self.per_tick = per_tick
        self.last: tuple[object, ...] | None = None
        self.pending: set[str] = set()  # viewers whose panel is older than the last change
        self.published: dict[str, float] = {}  # user -> when this worker last refreshed it

    async def tick(self) -> int:
        """Re-publish for recent viewers if anything changed; returns how many. With
        more viewers than a tick's share of the rate limit, those refreshed longest
        ago go first and the rest follow on the next ticks."""
        store = self.service.store
        now = self.service.clock()
        seen = await store.home_viewers.fingerprint()
        if seen != self.last:
            # The first tick (this worker just took the job) publishes too: whatever
            # changed while the job changed hands is shown.
            self.last = seen
            await store.home_viewers.forget_before(now - 7 * 86400)
            self.pending |= {u for u, _ in await store.home_viewers.recent(
                now - self.fresh_seconds)}
        if not self.pending:
            return 0
        # Filters are read now, not at the change: one chosen meanwhile must not revert.
        viewers = dict(await store.home_viewers.recent(now - self.fresh_seconds))
        self.pending &= set(viewers)
        batch = sorted(self.pending, key=lambda u: (self.published.get(u, 0.0), u))
        batch = batch[:self.per_tick]
        self.pending -= set(batch)
        gate = asyncio.Semaphore(PARALLEL)

        async def one(user: str) -> bool:
            async with gate:
                try:
                    await publish_home(self.service, self.panel, user,
                                       HomeFilters.from_json(viewers[user]), looking=False)
                except SlackApiError as e:  # the next change tries again
                    log.warning("refreshing the Home tab of %s failed: %s", user,
                                e.response.get("error"))
                    return False
                self.published[user] = now
                return True
        return sum(await asyncio.gather(*(one(u) for u in batch)))
