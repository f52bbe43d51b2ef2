"""TikTok Shop 202309 order calls: search, batched details, cancellation and return
state, a buyer's orders, and a conversation's buyer ``user_id``.

Every call goes through the connector's signed, paced, backed-off transport (see
``TikTokConnector._cs_call``); order and after-sales APIs do not count against the
customer-service daily quota (none is documented for them), Get Conversations does.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from connectors.orders import Order
from connectors.tiktok.orders_parse import text, to_order
from connectors.tiktok.sync import CONVERSATION_PAGE, CONVERSATIONS

log = logging.getLogger(__name__)

ORDERS_SEARCH = "/order/202309/orders/search"
ORDERS_DETAIL = "/order/202309/orders"
CANCELLATIONS_SEARCH = "/return_refund/202309/cancellations/search"
RETURNS_SEARCH = "/return_refund/202309/returns/search"
DETAIL_BATCH = 50  # ids per detail call: the API's maximum
ORDER_PAGE_MAX = 100  # orders/search page_size range [1, 100]
AFTERSALES_PAGE = 50  # cancellations [1, 50], returns [10, 50]
AFTERSALES_PAGES = 20  # a bound on paging the after-sales state of one batch

#: (method, path, query, JSON body) -> the envelope's ``data``
Call = Callable[[str, str, dict[str, Any] | None, Any], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class OrderOptions:
    """Knobs for the order side; the defaults follow platform-orders.md T.2-T.10."""

    lookback: timedelta = timedelta(days=15)  # the first pull (cursor None)
    overlap: timedelta = timedelta(minutes=5)  # re-read before the watermark
    max_window: timedelta | None = None  # TikTok documents no maximum window
    page_size: int = ORDER_PAGE_MAX
    pages_per_fetch: int = 20  # search pages per fetch_orders_since call
    refetch_details: bool = False  # search already returns full orders
    filter_batch: int = 50  # order_ids per after-sales search (no documented maximum)
    buyer_lookback: timedelta = timedelta(days=90)
    buyer_limit: int = 50  # a buyer's most recent orders, for a chat's panel
    conversation_pages: int = 10  # Get Conversations pages to find one conversation

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= ORDER_PAGE_MAX:
            raise ValueError(f"order page_size must be 1..{ORDER_PAGE_MAX}")
        if not 1 <= self.filter_batch <= DETAIL_BATCH:
            raise ValueError(f"filter_batch must be 1..{DETAIL_BATCH}")
        if self.max_window is not None and self.max_window <= self.overlap:
            raise ValueError("max_window must be longer than the overlap")


def chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def unique(ids: Iterable[Any]) -> list[str]:
    return list(dict.fromkeys(t for t in (text(i) for i in ids) if t))


def _rows(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    rows = data.get(key)
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


class OrderApi:
    """One store's order calls. ``call`` is the connector's signed call for that store."""

    def __init__(self, call: Call, *, shop_id: str, options: OrderOptions) -> None:
        self._call = call
        self.shop_id = shop_id
        self.options = options

    async def search_page(self, body: dict[str, Any], *, page_size: int, token: str = "",
                          sort_field: str = "update_time",
                          sort_order: str = "ASC") -> tuple[list[dict[str, Any]], str]:
        params: dict[str, Any] = {"page_size": page_size, "sort_field": sort_field,
                                  "sort_order": sort_order}
        if token:  # never an empty parameter: SDKs sign those differently
            params["page_token"] = token
        data = await self._call("POST", ORDERS_SEARCH, params, body)
        return _rows(data, "orders"), text(data.get("next_page_token"))

    async def after_sales_page(self, path: str, body: dict[str, Any], *, token: str = "",
                               sort_field: str = "update_time",
                               sort_order: str = "ASC") -> tuple[list[dict[str, Any]], str]:
        params: dict[str, Any] = {"page_size": AFTERSALES_PAGE, "sort_field": sort_field,
                                  "sort_order": sort_order}
        if token:
            params["page_token"] = token
        data = await self._call("POST", path, params, body)
        key = "cancellations" if path == CANCELLATIONS_SEARCH else "return_orders"
        return _rows(data, key), text(data.get("next_page_token"))

    async def details(self, order_ids: Iterable[Any]) -> list[dict[str, Any]]:
        """Full order objects, ``DETAIL_BATCH`` ids a call; unknown ids are left out."""
        found: dict[str, dict[str, Any]] = {}
        ids = unique(order_ids)
        for batch in chunks(ids, DETAIL_BATCH):
            data = await self._call("GET", ORDERS_DETAIL, {"ids": ",".join(batch)}, None)
            for wire in _rows(data, "orders"):
                found[text(wire.get("id"))] = wire
        return [found[i] for i in ids if i in found]

    async def _after_sales_of(self, path: str,
                              order_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        by_order: dict[str, list[dict[str, Any]]] = {}
        for batch in chunks(order_ids, self.options.filter_batch):
            token = ""
            for _ in range(AFTERSALES_PAGES):
                rows, token = await self.after_sales_page(path, {"order_ids": batch},
                                                          token=token)
                for row in rows:
                    by_order.setdefault(text(row.get("order_id")), []).append(row)
                if not token or not rows:
                    break
            else:
                log.warning("TikTok %s for %d orders still had pages after %d", path,
                            len(batch), AFTERSALES_PAGES)
        return by_order

    async def to_orders(self, wires: list[dict[str, Any]]) -> list[Order]:
        """Map order objects, with their cancellation requests and returns looked up
        by ``order_ids`` (both searches, batched)."""
        ids = unique(w.get("id") for w in wires)
        if not ids:
            return []
        cancels = await self._after_sales_of(CANCELLATIONS_SEARCH, ids)
        returns = await self._after_sales_of(RETURNS_SEARCH, ids)
        orders = []
        for wire in wires:
            oid = text(wire.get("id"))
            if not oid:
                log.warning("TikTok order without id skipped")
                continue
            orders.append(to_order(wire, shop_id=self.shop_id,
                                   cancellations=cancels.get(oid, ()),
                                   returns=returns.get(oid, ())))
        return orders

    async def get_orders(self, order_ids: list[str]) -> list[Order]:
        return await self.to_orders(await self.details(order_ids))

    async def orders_of_buyer(self, buyer_user_id: str, now: float) -> list[Order]:
        """The buyer's orders created in ``buyer_lookback``, newest first. The id is the
        order-API ``user_id`` (a chat participant's ``user_id``), never ``im_user_id``."""
        body = {"buyer_user_id": buyer_user_id,
                "create_time_ge": int(now - self.options.buyer_lookback.total_seconds())}
        wires: list[dict[str, Any]] = []
        token = ""
        while len(wires) < self.options.buyer_limit:
            size = min(ORDER_PAGE_MAX, self.options.buyer_limit - len(wires))
            rows, token = await self.search_page(body, page_size=size, token=token,
                                                 sort_field="create_time", sort_order="DESC")
            wires.extend(rows)
            if not token or not rows:
                break
        return await self.to_orders(wires[:self.options.buyer_limit])


class BuyerIds:
    """conversation_id -> the buyer's order-API ``user_id``, learned from Get
    Conversations (webhook 14 names only the IM id). Bounded, least recent out."""

    def __init__(self, size: int = 5000) -> None:
        self._size = size
        self._ids: OrderedDict[tuple[str, str], str] = OrderedDict()

    def get(self, shop_id: str, conversation_id: str) -> str | None:
        key = (shop_id, conversation_id)
        if key in self._ids:
            self._ids.move_to_end(key)
        return self._ids.get(key)

    def put(self, shop_id: str, conversation_id: str, user_id: str) -> None:
        self._ids[(shop_id, conversation_id)] = user_id
        self._ids.move_to_end((shop_id, conversation_id))
        while len(self._ids) > self._size:
            self._ids.popitem(last=False)

    def learn(self, shop_id: str, conversations: Iterable[Any]) -> None:
        for conv in conversations:
            if not isinstance(conv, dict) or not text(conv.get("id")):
                continue
            for p in conv.get("participants") or []:
                if isinstance(p, dict) and p.get("role") == "BUYER" and text(p.get("user_id")):
                    self.put(shop_id, text(conv["id"]), text(p["user_id"]))

    async def lookup(self, get: Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]],
                     shop_id: str, conversation_id: str, pages: int) -> str | None:
        """Walk the conversation list (newest first) until ``conversation_id`` shows up."""
        known = self.get(shop_id, conversation_id)
        if known is not None:
            return known
        token = ""
        for _ in range(pages):
            params: dict[str, Any] = {"page_size": CONVERSATION_PAGE}
            if token:
                params["page_token"] = token
            data = await get(CONVERSATIONS, params)
            self.learn(shop_id, data.get("conversations") or [])
            found = self.get(shop_id, conversation_id)
            token = text(data.get("next_page_token"))
            if found is not None or not token:
                return found
        return None
