"""The order side of the Shopee connector: safety pull, details, tracking, returns.

Calls go through the connector's signed, token-refreshing, rate-limit-aware GET
(``ShopGet``); nothing here signs or retries by itself. Limits from the platform
notes: ``get_order_list`` by ``update_time``, <= 15 days, ``page_size`` <= 100;
``get_order_detail`` <= 50 ``order_sn`` with the optional fields named; returns by
``update_time`` (<= 15 days, ``page_size`` <= 100, ``page_no`` from 0). Options marked
UNCERTAIN in the notes are :class:`OrderSettings` fields. The window walk and its
cursor are in ``orders_walk``, returns in ``orders_returns``, parsing in
``orders_parse``, pushes in ``orders_push``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from connectors.errors import PermanentError
from connectors.models import StoreAccount
from connectors.orders import Order, OrderEvent, OrderPage
from connectors.shopee.orders_parse import parse_order, seconds, to_time
from connectors.shopee.orders_push import ship_by_move
from connectors.shopee.orders_returns import Lru, ReturnFinder, ShopGet
from connectors.shopee.orders_walk import OrderCursor, WalkBudget, walk

log = logging.getLogger(__name__)

ORDER_LIST = "/api/v2/order/get_order_list"
ORDER_DETAIL = "/api/v2/order/get_order_detail"
TRACKING = "/api/v2/logistics/get_tracking_number"

#: Everything the models use (buyer_user_id links the order to the chat's to_id).
OPTIONAL_FIELDS = ("buyer_user_id", "buyer_username", "item_list", "total_amount", "pay_time",
                   "package_list", "shipping_carrier", "payment_method", "cancel_by",
                   "cancel_reason", "buyer_cancel_reason", "return_request_due_date",
                   "pickup_done_time", "split_up")


@dataclass(frozen=True)
class OrderSettings:
    max_window: timedelta = timedelta(days=15)  # get_order_list / get_return_list limit
    initial_lookback: timedelta = timedelta(days=15)  # a None cursor
    overlap: timedelta = timedelta(minutes=5)  # re-read before the watermark
    list_page_size: int = 100  # 1..100
    detail_batch: int = 50  # 1..50
    return_page_size: int = 100  # <= 100
    return_first_page: int = 0  # UNCERTAIN: doc "default 0", SDK samples 1
    max_orders_per_call: int = 500  # then OrderPage.more and a cursor that resumes
    max_list_calls: int = 200
    fetch_tracking: bool = True
    tracking_statuses: frozenset[str] = frozenset(
        {"PROCESSED", "RETRY_SHIP", "SHIPPED", "TO_CONFIRM_RECEIVE"})
    #: Shopee gives no deadline for buyer cancellations; about 2 days (UNCERTAIN).
    cancel_respond_window: timedelta | None = None
    return_search_windows: int = 2  # windows searched for an order's unknown returns
    optional_fields: tuple[str, ...] = OPTIONAL_FIELDS


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


class ShopeeOrders:
    def __init__(self, get: ShopGet, settings: OrderSettings, clock: Callable[[], float]
                 ) -> None:
        self._get = get
        self.settings = settings
        self._clock = clock
        self._returns = ReturnFinder(get, settings, clock)
        # (shop, order_sn) -> (old, new) ship_by_date from push 47 (memory only).
        self._ship_by_moves = Lru(20_000)
        # (shop, order_sn, package_number) -> tracking number, from calls and push 4.
        self._tracking_seen = Lru(50_000)

    # -- pushes ------------------------------------------------------------------

    def note_events(self, events: Iterable[OrderEvent]) -> None:
        """Remember what pushes tell beyond "fetch me": return ids and moved ship-by
        dates (package-level, possibly not yet reflected in the order detail)."""
        for ev in events:
            key = (ev.shop_id, ev.order_id)
            move = ship_by_move(ev)
            if move is not None:
                self._ship_by_moves.put(key, move)
            data = ev.raw.get("data")
            if not isinstance(data, dict):
                continue
            if ev.kind == "return" and data.get("return_sn"):
                self._returns.remember(ev.shop_id, ev.order_id, _s(data["return_sn"]))
            if ev.raw.get("code") == 4 and _s(data.get("tracking_no")).strip():
                self._tracking_seen.put((ev.shop_id, ev.order_id,
                                         _s(data.get("package_number"))),
                                        _s(data["tracking_no"]).strip())

    # -- the safety pull -----------------------------------------------------------

    async def fetch_since(self, store: StoreAccount, cursor: str | None) -> OrderPage:
        s = self.settings
        now = int(self._clock())
        cur = (OrderCursor.resume(cursor)
               or OrderCursor(watermark=now - int(s.initial_lookback.total_seconds())))
        if not cur.walking:
            cur.start_window(now, int(s.max_window.total_seconds()))
        assert cur.until is not None
        budget = WalkBudget(calls=s.max_list_calls, items=s.max_orders_per_call)
        order_sns: list[str] = []
        if cur.orders_at is not None:
            order_sns, cur.orders_at = await walk(
                lambda a, b, c: self._order_page(store, a, b, c), cur.orders_at, cur.until,
                budget)
        returns: list[dict[str, Any]] = []
        if cur.orders_at is None and cur.returns_at is not None:
            returns, cur.returns_at = await walk(
                lambda a, b, c: self._returns.page(store, a, b, c), cur.returns_at,
                cur.until, budget, collected=len(order_sns))
        wanted = list(dict.fromkeys(order_sns + [_s(r.get("order_sn")) for r in returns]))
        built = await self._build(store, [sn for sn in wanted if sn], returns)
        fresh = []
        for order, returns_mark in built:
            mark = (seconds(order.raw.get("update_time")), returns_mark)
            if cur.seen.get(order.order_id) == mark:
                continue  # returned before (overlap or a resumed window), unchanged
            cur.seen[order.order_id] = mark
            fresh.append(order)
        if cur.walking:
            cur.prune(int(s.overlap.total_seconds()))
            more = True
        else:
            more = cur.until < now  # the window was cut at max_window: more to read
            cur.finish_window(int(s.overlap.total_seconds()))
        fresh.sort(key=lambda o: (o.updated_at, o.order_id))
        return OrderPage(orders=tuple(fresh), cursor=cur.encode(), more=more)

    async def _order_page(self, store: StoreAccount, time_from: int, time_to: int,
                          cursor: str) -> tuple[list[str], bool, str]:
        resp = await self._get(store, ORDER_LIST, {
            "time_range_field": "update_time", "time_from": time_from, "time_to": time_to,
            "page_size": max(1, min(100, self.settings.list_page_size)), "cursor": cursor,
            "response_optional_fields": "order_status"})
        sns = [_s(o.get("order_sn")) for o in resp.get("order_list") or []
               if isinstance(o, dict) and o.get("order_sn")]
        return sns, bool(resp.get("more")), _s(resp.get("next_cursor"))

    # -- details -------------------------------------------------------------------

    async def get_orders(self, store: StoreAccount, order_ids: list[str]) -> list[Order]:
        wanted = list(dict.fromkeys(_s(i).strip() for i in order_ids if _s(i).strip()))
        by_id: dict[str, Order] = {o.order_id: o for o, _ in await self._build(store, wanted, [])}
        return [by_id[i] for i in wanted if i in by_id]

    async def _details(self, store: StoreAccount, sns: list[str]) -> list[dict[str, Any]]:
        s = self.settings
        out: list[dict[str, Any]] = []
        for chunk in _chunks(sns, max(1, min(50, s.detail_batch))):
            resp = await self._get(store, ORDER_DETAIL, {
                "order_sn_list": ",".join(chunk),
                "response_optional_fields": ",".join(s.optional_fields)})
            out.extend(o for o in resp.get("order_list") or [] if isinstance(o, dict))
        return out

    async def _build(self, store: StoreAccount, sns: list[str],
                     listed_returns: list[dict[str, Any]]) -> list[tuple[Order, int]]:
        """Orders with their returns, and the latest return update_time of each."""
        if not sns:
            return []
        details = await self._details(store, sns)
        by_order: dict[str, dict[str, dict[str, Any]]] = {}
        for r in listed_returns:
            by_order.setdefault(_s(r.get("order_sn")), {})[_s(r.get("return_sn"))] = r
        await self._returns.complete(store, details, by_order)
        orders = []
        for raw in details:
            sn = _s(raw.get("order_sn"))
            returns = list(by_order.get(sn, {}).values())
            try:
                order = parse_order(
                    raw, shop_id=store.shop_id, returns=returns,
                    tracking_no=await self._tracking(store, raw),
                    ship_by=self._moved_ship_by(store.shop_id, raw),
                    cancel_respond_window=self.settings.cancel_respond_window)
                orders.append((order, max((seconds(r.get("update_time")) for r in returns),
                                          default=0)))
            except (ValueError, TypeError, KeyError) as exc:
                log.warning("shopee order %s: unreadable detail skipped: %s", sn, exc)
        return orders

    def _moved_ship_by(self, shop: str, raw: dict[str, Any]) -> datetime | None:
        move = self._ship_by_moves.get((shop, _s(raw.get("order_sn"))))
        if move is None:
            return None
        old, new = move
        current = seconds(raw.get("ship_by_date"))
        # Trust the detail once it shows anything but the value the push replaced.
        return to_time(new) if current in (old, 0) else None

    async def _tracking(self, store: StoreAccount, raw: dict[str, Any]) -> str | None:
        """Per package via get_tracking_number (allowed for Customer Service apps).
        A number once known is reused, except after a failed pickup (RETRY_SHIP)."""
        s = self.settings
        status = _s(raw.get("order_status")).upper()
        if not s.fetch_tracking or status not in s.tracking_statuses:
            return None
        sn = _s(raw.get("order_sn"))
        packages = [_s(p.get("package_number")) for p in raw.get("package_list") or []
                    if isinstance(p, dict)] or [""]
        found: list[str] = []
        for package in packages:
            key = (store.shop_id, sn, package)
            number = self._tracking_seen.get(key) if status != "RETRY_SHIP" else None
            if number is None:
                params = {"order_sn": sn, **({"package_number": package} if package else {})}
                try:
                    resp = await self._get(store, TRACKING, params)
                except PermanentError as exc:  # e.g. not arranged yet, or not allowed
                    log.info("shopee tracking for %s unavailable: %s", sn, exc)
                    continue
                number = _s(resp.get("tracking_number")).strip()
                if number:
                    self._tracking_seen.put(key, number)
            if number and number not in found:
                found.append(number)
        return ", ".join(found) or None
