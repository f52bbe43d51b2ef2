"""Order pulls: the incremental safety pull and batched details.

Lazada wants order changes consumed from pushes and pulled "with low frequency to
protect from missing"; looping GetOrders can get the app disabled. So nothing
here polls: the bot calls :func:`fetch_orders_since` rarely and each call does
one bounded scan.

The scan reads GetOrders by ``update_after`` oldest change first. It never pages
far by ``offset`` (capped at 4500, and shifted by orders that change during the
scan): after each full page it restarts the time filter one second before the
last row's ``updated_at`` (the guide's own recipe for the offset cap), so an
order that changes mid-scan moves to the end and is read there; ``offset`` only
steps through a run of orders updated in the same second, re-reading a few rows
between pages. Rows are keyed by order id, so one call returns an order once.

The persisted cursor (JSON) re-reads ``overlap`` before the newest change it
has seen; ``seen`` (order id -> updated_at) keeps those re-read orders from
coming back unchanged. Reverse orders (returns, refunds, cancellation requests)
are listed the same way by line modification time, and an order whose reverse
lines changed is returned even if its own ``updated_at`` did not move.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from connectors import cursor as codec
from connectors.errors import TransientError
from connectors.lazada.client import as_int
from connectors.lazada.orders_details import fetch_details, order_rows
from connectors.lazada.orders_parse import order_id_of
from connectors.lazada.orders_reverse import normalise
from connectors.lazada.orders_wire import id_str, iso_query_time, site_tz, to_ms
from connectors.models import StoreAccount
from connectors.orders import OrderPage

log = logging.getLogger("connectors.lazada.orders")

ORDERS = "/orders/get"
REVERSE_LIST = "/reverse/getreverseordersforseller"

#: ``api(path, params) -> the whole envelope`` of a signed GET.
Api = Callable[[str, dict[str, object]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class OrderOptions:
    """Limits of the order side. Defaults follow the facts file; UNCERTAIN ones are
    marked and can be changed per deployment."""

    lookback: timedelta = timedelta(days=15)  # a first pull (cursor None) starts here
    overlap: timedelta = timedelta(minutes=5)  # re-read before the newest change seen
    page_limit: int = 100  # GetOrders limit <= 100
    max_offset: int = 4500  # UNCERTAIN: API metadata 4500, guide 5000; the lower one
    tie_overlap: int = 10  # rows re-read between offset pages within one second
    detail_batch: int = 50  # UNCERTAIN: items "no more than 50"; metadata says 100
    max_orders: int = 200  # orders returned by one call before ``more``
    max_pages: int = 200  # GetOrders pages per call, a guard against a looping server
    reverse_page_size: int = 10  # UNCERTAIN: the documented default; no maximum given
    reverse_max_pages: int = 50
    reverse_statuses: tuple[str, ...] = ()  # () = every status: we must see requests end
    reverse_details: bool = True  # read reverse orders the list did not carry


@dataclass(frozen=True)
class OrderCursor:
    """Every order updated before ``after_ms`` was returned, and those in ``seen``
    (id -> updated ms) are known as they were. ``skip`` is the offset within the
    ``after_ms`` filter while a scan is unfinished. ``rev_*`` is the same for
    reverse-order lines (id -> modified ms)."""

    after_ms: int
    skip: int = 0
    seen: Mapping[str, int] = field(default_factory=dict)
    rev_after_ms: int = 0
    rev_seen: Mapping[str, int] = field(default_factory=dict)

    def encode(self) -> str:
        return codec.encode(1, {"after_ms": self.after_ms, "skip": self.skip,
                                 "seen": dict(self.seen), "rev_after_ms": self.rev_after_ms,
                                 "rev_seen": dict(self.rev_seen)})

    @classmethod
    def resume(cls, text: str | None) -> OrderCursor | None:
        return codec.resume(text, 1, cls._read, what="lazada order cursor")

    @classmethod
    def _read(cls, raw: dict[str, Any]) -> OrderCursor:
        return cls(after_ms=int(raw["after_ms"]), skip=int(raw.get("skip", 0)),
                   seen={str(k): int(v) for k, v in raw.get("seen", {}).items()},
                   rev_after_ms=int(raw.get("rev_after_ms", raw["after_ms"])),
                   rev_seen={str(k): int(v) for k, v in raw.get("rev_seen", {}).items()})


async def fetch_orders_since(api: Api, cursor: str | None, *, store: StoreAccount,
                             now_ms: int, options: OrderOptions) -> OrderPage:
    # The window's start on a whole second (queries have second resolution), inside it.
    window = -(-(now_ms - int(options.lookback.total_seconds() * 1000)) // 1000) * 1000
    start = OrderCursor.resume(cursor) or OrderCursor(window, rev_after_ms=window)
    rows, after, skip, done = await _scan_orders(api, start, store.site, options)
    seen = dict(start.seen)
    tz = site_tz(store.site)
    seen.update({oid: to_ms(row.get("updated_at"), tz) for oid, row in rows.items()})
    rev_after, rev_seen = start.rev_after_ms, dict(start.rev_seen)
    reverses: dict[str, dict[str, Any]] = {}
    if done:  # reverse changes once per scan, when the order list is through
        reverses, changed, rev_seen = await _scan_reverse(api, start, now_ms, options)
        rev_after = _watermark(start.rev_after_ms, rev_seen.values(), options)
        rev_seen = {k: v for k, v in rev_seen.items() if v >= rev_after}
        after, skip = _watermark(after, seen.values(), options), 0
        found = await order_rows(api, [tid for tid in changed if tid not in rows])
        # Known as they are now, so the next scan's re-read does not return them again.
        seen.update({oid: to_ms(row.get("updated_at"), tz) for oid, row in found.items()})
        rows.update(found)
    seen = {k: v for k, v in seen.items() if v >= after - 1000}
    orders = await fetch_details(api, rows, reverses, store=store, options=options)
    orders.sort(key=lambda o: (o.updated_at, o.order_id))
    following = OrderCursor(after, skip, seen, rev_after, rev_seen)
    return OrderPage(orders=tuple(orders), cursor=following.encode(), more=not done)


def _watermark(current: int, stamps: Any, options: OrderOptions) -> int:
    """Re-read from ``overlap`` before the newest change seen (Lazada's clock, not ours)."""
    newest = max((s for s in stamps if s > 0), default=0)
    if not newest:
        return current
    return newest - int(options.overlap.total_seconds() * 1000)


async def _scan_orders(api: Api, start: OrderCursor, site: str, options: OrderOptions
                       ) -> tuple[dict[str, Mapping[str, Any]], int, int, bool]:
    """Changed order rows by id (the latest row of each), the filter to resume
    from, and whether the list is through."""
    tz = site_tz(site)
    rows: dict[str, Mapping[str, Any]] = {}
    stamps: dict[str, int] = {}
    after, skip = start.after_ms, start.skip
    for _ in range(options.max_pages):
        if len(rows) >= options.max_orders:
            return rows, after, skip, False
        envelope = await api(ORDERS, {
            "update_after": iso_query_time(after, site), "sort_by": "updated_at",
            "sort_direction": "ASC", "offset": skip, "limit": options.page_limit})
        data = envelope.get("data")
        page = [o for o in (data.get("orders") or [] if isinstance(data, Mapping) else [])
                if isinstance(o, Mapping)]
        for row in page:
            oid, ms = order_id_of(row), to_ms(row.get("updated_at"), tz)
            if not oid or (oid not in rows and start.seen.get(oid) == ms):
                continue  # unchanged since an earlier call (the overlap re-read)
            if ms >= stamps.get(oid, -1):
                rows[oid], stamps[oid] = row, ms
        if len(page) < options.page_limit:
            return rows, after, skip, True
        boundary = to_ms(page[-1].get("updated_at"), tz) // 1000 * 1000 - 1000
        if boundary > after:
            after, skip = boundary, 0
        elif skip + options.page_limit - options.tie_overlap <= options.max_offset:
            skip += options.page_limit - options.tie_overlap
        else:  # > max_offset orders changed within two seconds: step past them
            log.warning("lazada orders: offset cap reached at %s; moving on one second",
                        iso_query_time(after, site))
            after, skip = after + 1000, 0
    log.warning("lazada orders: stopped after %d pages", options.max_pages)
    return rows, after, skip, False


async def _scan_reverse(api: Api, start: OrderCursor, now_ms: int, options: OrderOptions
                        ) -> tuple[dict[str, dict[str, Any]], list[str], dict[str, int]]:
    """Reverse orders with lines modified since the watermark (by id), the trade
    orders whose reverse lines changed, and every line's modified time."""
    params: dict[str, object] = {
        "page_size": options.reverse_page_size,
        "ReverseOrderLineModifiedTimeRangeStart": start.rev_after_ms,
        # Lazada stamps with its own clock: leave room for ours being behind.
        "ReverseOrderLineModifiedTimeRangeEnd": now_ms + 600_000,
    }
    if options.reverse_statuses:
        params["reverse_status_list"] = json.dumps(list(options.reverse_statuses))
    found: dict[str, dict[str, Any]] = {}
    for _ in range(3):  # page numbers shift if lines change mid-scan: then read again
        found, stable = await _read_reverse_pages(api, params, options)
        if stable:
            break
    else:
        log.warning("lazada reverse orders kept changing during the scan; using the last read")
    seen, changed = dict(start.rev_seen), []
    for reverse in found.values():
        for line in reverse["lines"]:
            line_id = id_str(line.get("reverse_order_line_id"))
            modified = to_ms(line.get("return_order_line_gmt_modified"))
            if line_id and seen.get(line_id) != modified:
                seen[line_id] = modified
                if reverse["trade_order_id"] not in changed:
                    changed.append(reverse["trade_order_id"])
    return found, [c for c in changed if c], seen


async def _read_reverse_pages(api: Api, params: dict[str, object], options: OrderOptions
                              ) -> tuple[dict[str, dict[str, Any]], bool]:
    """Every reverse order on the list pages (by id, their lines merged), and whether
    the list's total stayed the same while it was read."""
    found: dict[str, dict[str, Any]] = {}
    total = None
    for page_no in range(1, options.reverse_max_pages + 1):
        result = _result(await api(REVERSE_LIST, {**params, "page_no": page_no}))
        if total is None:
            total = as_int(result.get("total"))
        elif as_int(result.get("total")) != total:
            return found, False
        items = [i for i in result.get("items") or [] if isinstance(i, Mapping)]
        for raw in items:
            reverse = normalise(raw)
            if reverse["reverse_order_id"] in found:
                found[reverse["reverse_order_id"]]["lines"].extend(reverse["lines"])
            else:
                found[reverse["reverse_order_id"]] = reverse
        if not items or page_no * options.reverse_page_size >= total:
            break
    return found, True


def _result(envelope: Mapping[str, Any]) -> Mapping[str, Any]:
    """The reverse list answers in ``result``, not ``data``, with its own verdict."""
    result = envelope.get("result")
    if not isinstance(result, Mapping):
        data = envelope.get("data")
        result = data if isinstance(data, Mapping) else {}
    if result.get("success") is False or str(result.get("success")).lower() == "false":
        raise TransientError(f"lazada {REVERSE_LIST}: {result.get('error_msg') or result}",
                             code=str(result.get("error_code") or "") or None)
    return result
