"""Built App Home views, kept per person and filters.

Ten people opening the tab each second made the per-store counts and three
lists be recomputed ten times a second over 100,000 conversations. A view is
reused until one of these happens:

- a conversation it shows changes (each row's block_id ends ``conv:<id>``), or a
  conversation is assigned to its viewer: the store says so after the commit
  (``SlackOps.card_listeners``), so the viewer's own lists are never stale;
- its viewer's status, pinned conversation or filters change (a different key);
- it is older than ``ttl`` seconds: the counts of every store and the order of
  "waiting longest" move with every buyer message anywhere, and may lag by that
  much (the waiting times shown are relative, so they are redrawn then too).

The per-store counts are also shared between viewers (:meth:`counts`, at most
``COUNTS_TTL`` old): at ten opens a second they were most of SQLite's time.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from bot.store.home import HomeFilters

HOME_TTL = 15.0
COUNTS_TTL = 5.0  # the per-store counts, shared by every viewer with the same filters
MAX_VIEWS = 2_000  # people x filter sets kept; the least recently used go first

Key = tuple[str, str]
#: A row's block_id is ``<list>:conv:<id>`` (bot/team/home_render.row_block).
ROW_ID = re.compile(r"(?:^|:)conv:(\d+)$")


class HomeCache:
    def __init__(self, *, ttl: float = HOME_TTL, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self.ttl = ttl
        self.clock = clock
        self._views: OrderedDict[Key, tuple[float, dict[str, Any], frozenset[int]]] = \
            OrderedDict()
        self._showing: dict[int, set[Key]] = {}
        self.hits = 0
        self.misses = 0
        self._counts: dict[str, tuple[float, asyncio.Future[Any]]] = {}

    async def counts(self, filters: HomeFilters, compute: Callable[[], Awaitable[Any]]) -> Any:
        """The per-store counts (a walk of every conversation's index entry, the one
        Home query that grows with the database), computed at most once per
        ``COUNTS_TTL`` per filter set, however many people open the tab; viewers
        arriving while it is computed wait for that one computation."""
        k = filters.to_json()
        entry = self._counts.get(k)
        if entry is None or self.clock() - entry[0] > COUNTS_TTL or (
                entry[1].done() and entry[1].exception() is not None):
            if len(self._counts) >= MAX_VIEWS:  # keywords make filter sets unbounded
                self._counts.clear()
            entry = (self.clock(), asyncio.ensure_future(compute()))
            self._counts[k] = entry
        return await asyncio.shield(entry[1])

    @staticmethod
    def key(user: str, filters: HomeFilters | None, state: str) -> Key:
        return user, f"{(filters or HomeFilters()).to_json()}|{state}"

    def get(self, user: str, filters: HomeFilters | None, state: str = ""
            ) -> dict[str, Any] | None:
        """``state``: what else the view depends on (the viewer's status and pinned
        conversation)."""
        k = self.key(user, filters, state)
        entry = self._views.get(k)
        if entry is None or self.clock() - entry[0] > self.ttl:
            self.misses += 1
            if entry is not None:
                self._drop(k)
            return None
        self.hits += 1
        self._views.move_to_end(k)
        return entry[1]

    def put(self, user: str, filters: HomeFilters | None, state: str,
            view: dict[str, Any]) -> None:
        k = self.key(user, filters, state)
        self._drop(k)
        shown = frozenset(int(m.group(1)) for b in view.get("blocks", ())
                          if (m := ROW_ID.search(str(b.get("block_id", "")))))
        self._views[k] = (self.clock(), view, shown)
        for conv in shown:
            self._showing.setdefault(conv, set()).add(k)
        while len(self._views) > MAX_VIEWS:
            self._drop(next(iter(self._views)))

    def conversation_changed(self, conversation_id: int, assignee: str | None = None) -> None:
        for k in list(self._showing.get(conversation_id, ())):
            self._drop(k)
        if assignee:
            self.forget_user(assignee)

    def forget_user(self, user: str) -> None:
        for k in [k for k in self._views if k[0] == user]:
            self._drop(k)

    def _drop(self, k: Key) -> None:
        entry = self._views.pop(k, None)
        if entry is None:
            return
        for conv in entry[2]:
            keys = self._showing.get(conv)
            if keys is not None:
                keys.discard(k)
                if not keys:
                    del self._showing[conv]
