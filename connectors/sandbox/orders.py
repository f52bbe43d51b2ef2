"""The sandbox connector's order side: :class:`~connectors.orders.OrderSource` and
:class:`~connectors.orders.OrderActor` over the sandbox marketplace's order endpoints
(:mod:`bot.demo.marketplace.order_routes`), and its ``order_update`` pushes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from connectors.errors import TransientError
from connectors.models import ShopId, StoreAccount
from connectors.order_actions import (
    RETURN_ACTION,
    ActionResult,
    OrderAction,
    Reason,
    ReturnDecision,
)
from connectors.orders import (
    CancelRequest,
    Order,
    OrderEvent,
    OrderId,
    OrderItem,
    OrderPage,
    OrderStatus,
    ReturnRequest,
)
from connectors.platform_actions import PlatformActions, positive_amount
from connectors.sandbox.inbound import MalformedMessage, unix_to_utc
from connectors.sandbox.media import SandboxCall

ID_BATCH = 50
STATUS = {"UNPAID": OrderStatus.UNPAID, "READY_TO_SHIP": OrderStatus.TO_SHIP,
          "SHIPPED": OrderStatus.SHIPPED, "DELIVERED": OrderStatus.DELIVERED,
          "COMPLETED": OrderStatus.COMPLETED, "CANCELLED": OrderStatus.CANCELLED}
#: How errors.api_error words a refusal: the marketplace's own words in the middle.
_DETAIL = re.compile(r"^HTTP \d+ [^:]*: (.*) \(request [^)]*\)$", re.S)


class SandboxOrders(PlatformActions):
    def __init__(self, call: SandboxCall) -> None:
        super().__init__(lambda: datetime.now(UTC), platform="The sandbox marketplace",
                         detail=_DETAIL, partial_refund=True)
        self._call = call

    # -- OrderSource ----------------------------------------------------------------------
    async def fetch_orders_since(self, store: StoreAccount, cursor: str | None) -> OrderPage:
        query = {"limit": str(ID_BATCH)} | ({"cursor": cursor} if cursor else {})
        data = await self._call(store, "GET", "/orders", query=query) or {}
        more = data.get("has_more", False)
        if not isinstance(more, bool):
            raise TransientError("malformed order page", code="malformed_response")
        return OrderPage(orders=tuple(_orders(store, data)),
                         cursor=data.get("next_cursor") or cursor, more=more)

    async def get_orders(self, store: StoreAccount, order_ids: list[str]) -> list[Order]:
        ids = list(dict.fromkeys(i for i in order_ids if i))
        found: list[Order] = []
        for start in range(0, len(ids), ID_BATCH):
            data = await self._call(store, "GET", "/orders",
                                    query={"ids": ",".join(ids[start:start + ID_BATCH])})
            found += _orders(store, data or {})
        return found

    async def orders_of_buyer(self, store: StoreAccount, buyer_id: str) -> list[Order] | None:
        """The sandbox searches by buyer (like TikTok): no index needed."""
        data = await self._call(store, "GET", "/orders", query={"buyer_id": buyer_id})
        return _orders(store, data or {})

    # -- OrderActor (allowed_actions: the shared rule) ---------------------------------------
    async def refusal_reasons(self, store: StoreAccount, request_id: str, kind: str
                              ) -> list[Reason]:
        data = await self._call(store, "GET", "/order_reasons",
                                query={"kind": "return" if kind == "return" else "cancel"})
        return [Reason(str(r["code"]), str(r.get("text") or r["code"]))
                for r in (data or {}).get("reasons") or [] if isinstance(r, dict)
                and r.get("code")]

    async def answer_cancellation(self, store: StoreAccount, order_id: str, accept: bool,
                                  reason: str | None = None) -> ActionResult:
        action = OrderAction.CANCEL_ACCEPT if accept else OrderAction.CANCEL_REJECT
        path = f"/orders/{quote(order_id, safe='')}/cancellation"
        data = await self._answer(store, path, {"accept": accept, "reason": reason})
        return _result(action, order_id, order_id, data)

    async def answer_return(self, store: StoreAccount, order_id: str, return_id: str,
                            decision: ReturnDecision, *, reason: str | None = None,
                            amount: str | None = None, comment: str = "") -> ActionResult:
        if decision is ReturnDecision.PARTIAL_REFUND:
            amount = str(positive_amount(amount))
        path = f"/orders/{quote(order_id, safe='')}/returns/{quote(return_id, safe='')}"
        data = await self._answer(store, path, {"decision": decision.value, "reason": reason,
                                                "amount": amount, "comment": comment})
        return _result(RETURN_ACTION[decision], order_id, return_id, data)

    async def _answer(self, store: StoreAccount, path: str, payload: dict[str, Any]
                      ) -> dict[str, Any]:
        # sending: an answer that times out may have been applied (OutcomeUnknown).
        return await self._refusing(self._call(store, "POST", path, payload=payload,
                                               sending=True)) or {}


def order_event(payload: dict[str, Any]) -> OrderEvent:
    """An ``order_update`` push: which order changed (the bot fetches the details)."""
    shop, oid = payload.get("shop_id"), payload.get("order_id")
    if not isinstance(shop, str) or not shop or not isinstance(oid, str) or not oid:
        raise MalformedMessage("missing or invalid field: shop_id or order_id")
    at = payload.get("updated_at")
    return OrderEvent(shop_id=ShopId(shop), order_id=OrderId(oid),
                      kind=str(payload.get("kind") or "status"),
                      platform_status=str(payload.get("status") or ""),
                      at=unix_to_utc(at, "updated_at") if at is not None else None,
                      raw=payload)


def _orders(store: StoreAccount, data: dict[str, Any]) -> list[Order]:
    try:
        return [to_order(store.shop_id, w) for w in data["orders"]]
    except (KeyError, TypeError, ValueError) as exc:  # MalformedMessage is a ValueError
        raise TransientError(f"malformed order: {exc}", code="malformed_response") from None


def _when(value: Any, name: str) -> datetime | None:
    return None if value is None else unix_to_utc(value, name)


def to_order(shop_id: str, w: dict[str, Any]) -> Order:
    c = w.get("cancellation")
    cancel = None if not c else CancelRequest(
        state=str(c["state"]), reason=str(c.get("reason") or ""),
        requested_at=_when(c.get("requested_at"), "cancellation.requested_at"),
        respond_by=_when(c.get("respond_by"), "cancellation.respond_by"))
    returns = tuple(ReturnRequest(
        return_id=str(r["return_id"]), state=str(r["state"]), kind=str(r.get("kind") or
                                                                        "return"),
        reason=str(r.get("reason") or ""), amount=str(r.get("amount") or ""),
        requested_at=_when(r.get("requested_at"), "returns.requested_at"),
        respond_by=_when(r.get("respond_by"), "returns.respond_by"),
        platform_status=str(r.get("status") or "")) for r in w.get("returns") or [])
    items = tuple(OrderItem(name=str(i["name"]), quantity=int(i.get("quantity") or 1),
                            sku=str(i.get("sku") or ""), price=str(i.get("price") or ""))
                  for i in w.get("items") or [])
    return Order(
        shop_id=ShopId(shop_id), order_id=OrderId(str(w["order_id"])),
        buyer_id=str(w["buyer_id"]), status=STATUS.get(w["status"], OrderStatus.UNKNOWN),
        platform_status=str(w["status"]), amount=str(w["amount"]),
        currency=str(w["currency"]), created_at=unix_to_utc(w["created_at"], "created_at"),
        updated_at=unix_to_utc(w["updated_at"], "updated_at"), items=items,
        ship_by=_when(w.get("ship_by"), "ship_by"), tracking_no=w.get("tracking_no"),
        cancellation=cancel, returns=returns, raw=w)


def _result(action: OrderAction, order_id: str, request_id: str, data: dict[str, Any]
            ) -> ActionResult:
    order = data.get("order") or {}
    try:
        done = unix_to_utc(data["answered_at"], "answered_at")
    except (KeyError, MalformedMessage):
        done = datetime.now(UTC)  # applied (2xx); only the receipt is unreadable
    return ActionResult(action=action, order_id=order_id, request_id=request_id,
                        done_at=done, platform_status=str(order.get("status") or ""))
