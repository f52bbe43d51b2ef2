"""The order pull's cursor and its time-window walk.

Shopee lists orders (and returns) by a time range, 15 days at most, in pages behind
a cursor that looks like an offset into a live result. An offset is not stable:
when an order on a page already read is updated during the walk, it leaves the
range (its new update_time is after ``time_to``) and every later order moves up one
place, so the first order of the next page would never be read. So the walk never
follows a cursor while it can avoid it: a range whose first page says ``more`` is
cut in two (the halves share their boundary second, whatever Shopee's bound
semantics) until each range fits one page, which is one atomic read. Only a range
of one second that still overflows is paged (a documented, tiny residual risk).

An order updated during the pull has ``update_time`` after ``time_to``, so the next
window (which starts ``overlap`` before ``time_to``) finds it. Orders seen near the
watermark are remembered in the cursor with their change marks, so the overlap
never returns an unchanged order twice.

Cursor (JSON, opaque to the bot): ``w`` watermark = start of the next or current
window (s); ``t`` end of the window being walked (null between windows); ``o``/``r``
how far the order/return walks got inside it (null = done); ``s`` order_sn ->
[order update_time, latest return update_time] for orders already returned whose
marks are not older than the next read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from connectors import cursor as codec

T = TypeVar("T")

#: (time_from, time_to, cursor) -> (items, more, next cursor)
ListPage = Callable[[int, int, str], Awaitable[tuple[list[T], bool, str]]]


@dataclass
class OrderCursor:
    watermark: int
    until: int | None = None
    orders_at: int | None = None
    returns_at: int | None = None
    seen: dict[str, tuple[int, int]] = field(default_factory=dict)

    def encode(self) -> str:
        return codec.encode(1, {"w": self.watermark, "t": self.until, "o": self.orders_at,
                                 "r": self.returns_at,
                                 "s": {k: [a, b] for k, (a, b) in sorted(self.seen.items())}})

    @classmethod
    def resume(cls, text: str | None) -> OrderCursor | None:
        return codec.resume(text, 1, cls._read, what="shopee order cursor")

    @classmethod
    def _read(cls, d: dict[str, Any]) -> OrderCursor:
        def opt(key: str) -> int | None:
            return None if d.get(key) is None else int(d[key])

        return cls(watermark=int(d["w"]), until=opt("t"), orders_at=opt("o"),
                   returns_at=opt("r"),
                   seen={str(k): (int(v[0]), int(v[1])) for k, v in d["s"].items()})

    @property
    def walking(self) -> bool:
        return self.orders_at is not None or self.returns_at is not None

    def start_window(self, now: int, max_window: int) -> None:
        self.until = max(self.watermark, min(now, self.watermark + max_window))
        self.orders_at = self.returns_at = self.watermark

    def finish_window(self, overlap: int) -> None:
        assert self.until is not None
        self.watermark = max(self.watermark, self.until - overlap)
        self.until = None
        self.prune(overlap)

    def prune(self, overlap: int) -> None:
        """Keep only the marks of orders a later read could list again: the rest of
        the order walk (update_time), the rest of the return walk (return update
        time), or the next window's overlap."""
        nxt = self.watermark if self.until is None else self.until - overlap

        def live(ut: int, rut: int) -> bool:
            return ((self.orders_at is not None and ut >= self.orders_at)
                    or (self.returns_at is not None and rut >= self.returns_at)
                    or max(ut, rut) >= nxt)

        self.seen = {k: v for k, v in self.seen.items() if live(*v)}


@dataclass
class WalkBudget:
    calls: int
    items: int
    used_calls: int = 0

    def spent(self, collected: int) -> bool:
        return self.used_calls >= self.calls or collected >= self.items


async def walk(list_page: ListPage[Any], lo: int, hi: int, budget: WalkBudget,
               collected: int = 0) -> tuple[list[Any], int | None]:
    """Everything listed in [lo, hi], oldest range first. Returns the items and
    None when the range is covered, else the second to resume from (the budget ran
    out; [lo, that second] is covered)."""
    out: list[Any] = []
    stack: list[tuple[int, int]] = [(lo, hi)]
    while stack:
        a, b = stack.pop()
        if budget.spent(collected + len(out)):
            return out, a
        items, more, nxt = await list_page(a, b, "")
        budget.used_calls += 1
        if more and b - a > 1:
            mid = (a + b) // 2
            stack.extend(((mid, b), (a, mid)))  # the older half first
            continue
        out.extend(items)
        while more and nxt:  # one second with more than a page: follow the cursor
            items, more, nxt = await list_page(a, b, nxt)
            budget.used_calls += 1
            out.extend(items)
    return out, None
