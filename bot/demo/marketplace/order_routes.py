"""The sandbox marketplace's order endpoints (signed and authenticated like the rest).

- ``GET .../orders?ids=a,b`` (at most 50): those orders; unknown ids are left out.
- ``GET .../orders?buyer_id=b-1``: the buyer's orders, newest first.
- ``GET .../orders?cursor=…&limit=…``: orders changed after the cursor, oldest change
  first, with ``next_cursor`` and ``has_more`` (no cursor: every order).
- ``GET .../order_reasons?kind=cancel|return``: reasons a refusal may give.
- ``POST .../orders/{id}/cancellation`` ``{"accept": bool, "reason"}`` and
  ``POST .../orders/{id}/returns/{return_id}`` ``{"decision", "reason", "amount"}``:
  the seller's answer; 409 ``request_not_pending`` / ``deadline_passed`` when the
  request cannot be answered. Each answer pushes an ``order_update`` event.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.demo.marketplace.order_book import CANCEL_REASONS, RETURN_REASONS, Refusal

if TYPE_CHECKING:
    from bot.demo.marketplace.server import SandboxMarketplace

MAX_IDS = 50
ORDER_PAGE = 50


def encode_order_cursor(updated_at: int, order_id: str) -> str:
    return base64.urlsafe_b64encode(f"{updated_at}|{order_id}".encode()).decode()


def decode_order_cursor(cursor: str) -> tuple[int, str] | None:
    try:
        stamp, _, order_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return (int(stamp), order_id) if order_id else None
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        return None


def order_routes(market: SandboxMarketplace, api: str, error: Any) -> list[web.RouteDef]:
    """``error(status, code, message)`` builds the marketplace's error exception."""
    book = market.order_book

    def shop(request: web.Request) -> str:
        return request.match_info["shop_id"]

    async def body(request: web.Request) -> dict[str, Any]:
        try:
            data = await request.json()
        except ValueError:
            raise error(400, "invalid_request", "Body must be JSON") from None
        if not isinstance(data, dict):
            raise error(400, "invalid_request", "Body must be a JSON object")
        return data

    async def list_orders(request: web.Request) -> web.Response:
        q = request.query
        if "ids" in q:
            ids = [i for i in q["ids"].split(",") if i]
            if not ids or len(ids) > MAX_IDS:
                raise error(400, "invalid_request", f"ids takes 1 to {MAX_IDS} order ids")
            return web.json_response({"orders": book.some(shop(request), ids)})
        if "buyer_id" in q:
            return web.json_response({"orders": book.of_buyer(shop(request), q["buyer_id"])})
        after = None
        if q.get("cursor"):
            after = decode_order_cursor(q["cursor"])
            if after is None:
                raise error(400, "invalid_cursor", "The cursor is not valid")
        try:
            limit = min(max(int(q.get("limit", ORDER_PAGE)), 1), ORDER_PAGE)
        except ValueError:
            raise error(400, "invalid_request", "limit must be an integer") from None
        orders, more = book.updated_after(shop(request), after, limit)
        last = orders[-1] if orders else None
        cursor = (encode_order_cursor(last["updated_at"], last["order_id"]) if last
                  else q.get("cursor"))
        return web.json_response({"orders": orders, "next_cursor": cursor, "has_more": more})

    async def reasons(request: web.Request) -> web.Response:
        kind = request.query.get("kind")
        table = {"cancel": CANCEL_REASONS, "return": RETURN_REASONS}.get(kind or "")
        if table is None:
            raise error(400, "invalid_request", "kind must be cancel or return")
        return web.json_response({"reasons": [{"code": c, "text": t} for c, t in table]})

    def answered(request: web.Request, order: dict[str, Any], kind: str) -> web.Response:
        market.order_changed(shop(request), order, kind)
        return web.json_response({"order": order, "answered_at": order["updated_at"]})

    async def cancellation(request: web.Request) -> web.Response:
        data = await body(request)
        if not isinstance(data.get("accept"), bool):
            raise error(400, "invalid_request", "accept must be true or false")
        try:
            order = book.answer_cancellation(shop(request), request.match_info["order_id"],
                                             data["accept"], data.get("reason"))
        except Refusal as r:
            raise error(r.status, r.code, r.message) from None
        return answered(request, order, "cancellation")

    async def answer_return(request: web.Request) -> web.Response:
        data = await body(request)
        try:
            order = book.answer_return(shop(request), request.match_info["order_id"],
                                       request.match_info["return_id"],
                                       str(data.get("decision")), data.get("reason"),
                                       data.get("amount"))
        except Refusal as r:
            raise error(r.status, r.code, r.message) from None
        return answered(request, order, "return")

    return [
        web.get(api + "/orders", list_orders),
        web.get(api + "/order_reasons", reasons),
        web.post(api + "/orders/{order_id}/cancellation", cancellation),
        web.post(api + "/orders/{order_id}/returns/{return_id}", answer_return),
    ]
