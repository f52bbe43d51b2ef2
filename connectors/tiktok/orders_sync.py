"""The order safety pull: every order changed since an opaque cursor.

A *sweep* fixes its window ``[floor, top)`` when it starts (``top`` = now, or
``floor + max_window``) and walks three feeds by update time, ascending: orders
(search already returns full orders), then cancellation requests and returns
(their state changes without touching the order's ``update_time``; their orders
are fetched by id, 50 a call). Every order is returned with its cancellation and
return state. The next sweep starts at ``top - overlap``.

The walk is *keyset*, not page-token: each page asks again from the last update
time it saw (``update_time_ge = last``), skipping the ids already taken at that
second. A page token is an offset into a result set that changes under us: an
order updated mid-walk leaves the window and the next page would skip one order
it never showed. Re-asking from the last key cannot skip; the order that moved
is past ``top`` and the next sweep takes it. Only when a whole page shares one
second does the walk page that second with the token.

Within one call an order is returned once. Objects seen in the overlap of the
previous sweep, unchanged, are not returned again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from connectors import cursor as codec
from connectors.errors import TransientError
from connectors.orders import Order, OrderPage
from connectors.tiktok.orders import (
    AFTERSALES_PAGE,
    CANCELLATIONS_SEARCH,
    RETURNS_SEARCH,
    OrderApi,
)
from connectors.tiktok.orders_parse import epoch_seconds, text

log = logging.getLogger(__name__)
FEEDS = ("orders", "cancellations", "returns")
SEEN_CAP = 2000  # overlap keys carried in the cursor; past this, some re-delivery


@dataclass
class Sweep:
    top: int
    feed: int = 0  # index into FEEDS
    lo: int = 0  # the update time the walk has reached
    ids: list[str] = field(default_factory=list)  # taken at ``lo``
    tie: bool = False  # paging one crowded second with the token
    token: str = ""
    carry: list[str] = field(default_factory=list)  # keys seen in the next overlap


@dataclass
class Cursor:
    floor: int
    seen: list[str] = field(default_factory=list)  # keys taken in [floor, floor+overlap)
    sweep: Sweep | None = None

    def encode(self) -> str:
        doc: dict[str, Any] = {"f": self.floor, "seen": self.seen}
        if self.sweep is not None:
            doc["s"] = asdict(self.sweep)
        return codec.encode(1, doc)

    @classmethod
    def resume(cls, text: str | None) -> Cursor | None:
        return codec.resume(text, 1, cls._read, what="tiktok order cursor")

    @classmethod
    def _read(cls, doc: dict[str, Any]) -> Cursor:
        s = doc.get("s")
        sweep = None if s is None else Sweep(
            top=int(s["top"]), feed=int(s["feed"]), lo=int(s["lo"]),
            ids=[str(i) for i in s["ids"]], tie=bool(s["tie"]), token=str(s["token"]),
            carry=[str(k) for k in s["carry"]])
        return cls(floor=int(doc["f"]), seen=[str(k) for k in doc["seen"]], sweep=sweep)

    def copy(self) -> Cursor:
        return codec.decode(self.encode(), 1, Cursor._read, what="tiktok order cursor")


def _ident(feed: str, row: dict[str, Any]) -> str:
    name = {"orders": "id", "cancellations": "cancel_id", "returns": "return_id"}[feed]
    return f"{feed[0]}:{text(row.get(name))}"


class OrderSync:
    def __init__(self, api: OrderApi, *, clock: Callable[[], float] = time.time) -> None:
        self._api = api
        self._opt = api.options
        self._clock = clock
        self._overlap = int(api.options.overlap.total_seconds())

    def _start(self, cursor: str | None, now: int) -> Cursor:
        state = Cursor.resume(cursor)
        if state is None:
            state = Cursor(floor=now - int(self._opt.lookback.total_seconds()))
        if state.sweep is None:
            top = now
            if self._opt.max_window is not None:
                top = min(top, state.floor + int(self._opt.max_window.total_seconds()))
            state.sweep = Sweep(top=max(top, state.floor), lo=state.floor)
        return state

    async def fetch(self, cursor: str | None) -> OrderPage:
        now = int(self._clock())
        state = self._start(cursor, now)
        committed, orders = state.copy(), []
        taken: set[str] = set()
        pages = 0
        try:
            while state.sweep is not None and pages < self._opt.pages_per_fetch:
                pages += 1
                orders.extend(await self._page(state, taken))
                committed = state.copy()
        except TransientError:
            if not orders:
                raise
            # Keep what whole pages brought; the error comes back on the next call.
            log.info("TikTok order pull stopped early; returning %d orders", len(orders))
            state = committed
        # A sweep that ended before this call began (cut by max_window, or started by
        # an earlier call) leaves the time since then to cover: say so.
        behind = state.sweep is None and state.floor + self._overlap < now
        return OrderPage(orders=tuple(orders), cursor=state.encode(),
                         more=state.sweep is not None or behind)

    async def _page(self, state: Cursor, taken: set[str]) -> list[Order]:
        sweep = state.sweep
        assert sweep is not None
        feed = FEEDS[sweep.feed]
        rows, done = await self._walk(feed, sweep)
        seen = set(state.seen)
        fresh = []
        for row, at in rows:
            key = f"{_ident(feed, row)}:{at}"
            if at >= sweep.top - self._overlap and len(sweep.carry) < SEEN_CAP:
                sweep.carry.append(key)  # the next sweep re-reads it: skip it then
            if key not in seen:  # else: taken by the previous sweep, unchanged since
                fresh.append(row)
        if done:
            self._next_feed(state, sweep)
        if feed == "orders":
            wires = [r for r in fresh if text(r.get("id")) not in taken]
            if self._opt.refetch_details:
                wires = await self._api.details(r.get("id") for r in wires)
        else:
            wanted = [text(r.get("order_id")) for r in fresh]
            wires = await self._api.details(i for i in wanted if i and i not in taken)
        orders = [o for o in await self._api.to_orders(wires) if o.order_id not in taken]
        taken.update(o.order_id for o in orders)
        return orders

    def _next_feed(self, state: Cursor, sweep: Sweep) -> None:
        sweep.feed += 1
        sweep.lo, sweep.ids, sweep.tie, sweep.token = state.floor, [], False, ""
        if sweep.feed == len(FEEDS):  # the sweep is complete: move the watermark
            state.floor = max(state.floor, sweep.top - self._overlap)
            state.seen, state.sweep = list(dict.fromkeys(sweep.carry)), None

    async def _walk(self, feed: str,
                    sweep: Sweep) -> tuple[list[tuple[dict[str, Any], int]], bool]:
        """One page of ``feed`` as (row, update time) pairs not yet taken at the
        walk's second; advances the walk. True when the feed is exhausted."""
        size = self._opt.page_size if feed == "orders" else AFTERSALES_PAGE
        body: dict[str, Any] = {"update_time_ge": sweep.lo,
                                "update_time_lt": sweep.lo + 1 if sweep.tie else sweep.top}
        if feed == "orders":
            rows, token = await self._api.search_page(body, page_size=size,
                                                      token=sweep.token)
        else:
            path = CANCELLATIONS_SEARCH if feed == "cancellations" else RETURNS_SEARCH
            rows, token = await self._api.after_sales_page(path, body, token=sweep.token)
        timed = [(r, epoch_seconds(r.get("update_time")) or sweep.lo) for r in rows]
        already = set(sweep.ids)
        out = [(r, at) for r, at in timed if not (at == sweep.lo and _ident(feed, r) in already)]
        if sweep.tie:
            sweep.ids.extend(_ident(feed, r) for r, _ in out)
            if token and rows:
                sweep.token = token
            else:  # the crowded second is done
                sweep.lo, sweep.ids, sweep.tie, sweep.token = sweep.lo + 1, [], False, ""
            return out, False
        if len(rows) < size:
            return out, True
        last = max(at for _, at in timed)
        if last <= sweep.lo:  # a full page within one second: page that second by token
            sweep.tie, sweep.token = True, ""
            sweep.ids.extend(_ident(feed, r) for r, _ in out)
        else:
            sweep.lo = last
            sweep.ids = [_ident(feed, r) for r, at in timed if at == last]
        return out, False
