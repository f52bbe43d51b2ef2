"""The TikTok emulator's order endpoints and order webhooks.

Served through the emulator's own ``_wrap`` (signature, timestamp, token,
``shop_cipher``, 50 QPS per API per shop with HTTP 429 / 36009002, ``fail_next``)
but outside the customer-service daily quota: none is documented for order APIs.
Limits enforced: orders/search ``page_size`` 1-100 (required), detail ``ids`` 1-50,
cancellations ``page_size`` 1-50, returns ``page_size`` 10-50.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tests.emulators.tiktok_orders import OrderBook, samples
from tests.emulators.tiktok_push import PushSender, sign
from tests.emulators.tiktok_state import Shop, WireFailure

# UNKNOWN: the order API documents no parameter error; this code is the emulator's own.
ORDER_INVALID = 36009001
# [doc search-returns / search-cancellations]: "An invalid request parameter was passed."
AFTERSALES_INVALID = 25001001
_INVALID_WORDS = ("An invalid request parameter was passed. Please check that you have the "
                  "correct parameter type(s) and format.")
ENDPOINTS = ("orders_search", "orders_detail", "cancellations_search", "returns_search",
             "cancellation_approve")

Wrap = Callable[..., Callable[[web.Request], Awaitable[web.StreamResponse]]]


def invalid(code: int, what: str) -> WireFailure:
    return WireFailure(code, f"{_INVALID_WORDS} ({what})")


def _json_body(raw: bytes, code: int) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise invalid(code, "body is not JSON") from exc
    if not isinstance(doc, dict):
        raise invalid(code, "body is not an object")
    for key, value in doc.items():
        if key.endswith(("_ge", "_lt")) and (not isinstance(value, int)
                                             or isinstance(value, bool)):
            raise invalid(code, f"{key} must be a Unix timestamp")
    return doc


def _sorting(request: web.Request, code: int, default_order: str) -> tuple[str, str]:
    field_ = request.query.get("sort_field", "create_time")
    order = request.query.get("sort_order", default_order)
    if field_ not in ("create_time", "update_time") or order not in ("ASC", "DESC"):
        raise invalid(code, "sort_field/sort_order")
    return field_, order


def _size(request: web.Request, code: int, low: int, high: int, default: int | None) -> int:
    raw = request.query.get("page_size")
    if raw is None and default is not None:
        return default
    try:
        size = int(raw or "")
    except ValueError as exc:
        raise invalid(code, "page_size is required") from exc
    if not low <= size <= high:
        raise invalid(code, f"page_size must be in [{low}-{high}]")
    return size


class OrderEndpoints:
    def __init__(self, book: OrderBook) -> None:
        self.book = book

    def add_routes(self, router: web.UrlDispatcher, wrap: Wrap) -> None:
        router.add_post("/order/202309/orders/search",
                        wrap("orders_search", self._search, True, quota=False))
        router.add_get("/order/202309/orders", wrap("orders_detail", self._detail, True,
                                                    quota=False))
        router.add_post("/return_refund/202309/cancellations/search",
                        wrap("cancellations_search", self._cancellations, True, quota=False))
        router.add_post("/return_refund/202309/returns/search",
                        wrap("returns_search", self._returns, True, quota=False))
        router.add_post("/return_refund/202309/cancellations/{cid}/approve",
                        wrap("cancellation_approve", self._approve, True, quota=False))

    async def _search(self, request: web.Request, body: bytes, shop: Shop | None,
                      grant: Any) -> Any:
        assert shop is not None
        self.book.run_before("orders_search")
        size = _size(request, ORDER_INVALID, 1, 100, None)
        sort_field, sort_order = _sorting(request, ORDER_INVALID, "DESC")
        try:
            return self.book.search_orders(shop.id, _json_body(body, ORDER_INVALID), size=size,
                                           token=request.query.get("page_token", ""),
                                           sort_field=sort_field, sort_order=sort_order)
        except ValueError as exc:
            raise invalid(ORDER_INVALID, "page_token") from exc

    async def _detail(self, request: web.Request, body: bytes, shop: Shop | None,
                      grant: Any) -> Any:
        assert shop is not None
        self.book.run_before("orders_detail")
        ids = [i for i in request.query.get("ids", "").split(",") if i]
        if not 1 <= len(ids) <= 50:
            raise invalid(ORDER_INVALID, "ids: 1 to 50 order ids")
        return self.book.details(shop.id, ids)

    async def _after_sales(self, request: web.Request, body: bytes, shop: Shop | None,
                           kind: str, low: int) -> Any:
        assert shop is not None
        self.book.run_before(f"{kind}_search")
        size = _size(request, AFTERSALES_INVALID, low, 50, 10)
        sort_field, sort_order = _sorting(request, AFTERSALES_INVALID, "ASC")
        doc = _json_body(body, AFTERSALES_INVALID)
        try:
            return self.book.search_after_sales(shop.id, kind, doc, size=size,
                                                token=request.query.get("page_token", ""),
                                                sort_field=sort_field, sort_order=sort_order)
        except ValueError as exc:
            raise invalid(AFTERSALES_INVALID, "page_token") from exc

    async def _cancellations(self, request: web.Request, body: bytes, shop: Shop | None,
                             grant: Any) -> Any:
        return await self._after_sales(request, body, shop, "cancellations", 1)

    async def _returns(self, request: web.Request, body: bytes, shop: Shop | None,
                       grant: Any) -> Any:
        return await self._after_sales(request, body, shop, "returns", 10)

    async def _approve(self, request: web.Request, body: bytes, shop: Shop | None,
                       grant: Any) -> Any:
        assert shop is not None
        if not self.book.approve_cancellation(shop.id, request.match_info["cid"]):
            raise invalid(AFTERSALES_INVALID, "no pending cancellation with this id")
        return {}


class OrderPushes:
    """Signed order webhooks, in the shapes of the samples; deliver them with
    ``emulator.push.deliver(headers, body)``."""

    def __init__(self, book: OrderBook, sender: PushSender) -> None:
        self.book = book
        self.sender = sender

    @staticmethod
    def sample(name: str) -> tuple[dict[str, str], bytes]:
        """A webhook from the samples file, byte for byte, with its own signature."""
        hook = samples()["webhooks"][name]
        return dict(hook["headers"]), hook["raw_body"].encode()

    def status(self, shop_id: str, order_id: str) -> tuple[dict[str, str], bytes]:
        o = self.book.book(shop_id).orders[order_id]
        status = "CANCEL" if o["status"] == "CANCELLED" else o["status"]  # webhook spelling
        return self.sender.build(shop_id, 1, {
            "order_id": order_id, "order_status": status,
            "is_on_hold_order": bool(o.get("is_on_hold_order")),
            "update_time": o["update_time"]})

    def cancellation(self, shop_id: str, cancel_id: str) -> tuple[dict[str, str], bytes]:
        c = self.book.book(shop_id).cancellations[cancel_id]
        return self.sender.build(shop_id, 11, {
            "order_id": c["order_id"], "cancellations_role": c.get("role", "BUYER"),
            "cancel_status": c["cancel_status"], "cancel_id": cancel_id,
            "create_time": c["create_time"]})

    def return_(self, shop_id: str, return_id: str) -> tuple[dict[str, str], bytes]:
        r = self.book.book(shop_id).returns[return_id]
        return self.sender.build(shop_id, 12, {
            "order_id": r["order_id"], "return_role": r.get("role", "BUYER"),
            "return_type": r["return_type"], "return_status": r["return_status"],
            "return_id": return_id, "create_time": r["create_time"],
            "update_time": r["update_time"]})

    def address(self, shop_id: str, order_id: str) -> tuple[dict[str, str], bytes]:
        """The doc's shape: no ``tts_notification_id``."""
        now = self.book.state.now()
        envelope = {"type": 3, "shop_id": shop_id, "timestamp": now,
                    "data": {"order_id": order_id, "update_time": now}}
        body = json.dumps(envelope, separators=(",", ":")).encode()
        state = self.book.state
        return {"Authorization": sign(state.app_key, state.app_secret, body),
                "Content-Type": "application/json"}, body

    def package(self, shop_id: str, package_id: str, order_ids: list[str],
                sc_type: str = "SPLIT") -> tuple[dict[str, str], bytes]:
        return self.sender.build(shop_id, 4, {
            "sc_type": sc_type, "role_type": "ROLE_SELLER",
            "package_list": [{"package_id": package_id, "order_id_list": order_ids}],
            "update_time": self.book.state.now()})
