"""The Lazada emulator's order endpoints and order pushes (a mixin of LazadaEmulator).

Endpoints answer in the samples' shapes and refuse what Lazada refuses, with its
error codes: GetOrders ``limit`` > 100 (E019), ``offset`` > 4500 (E014), dates not
``YYYY-MM-DDTHH:mm:ss±HH:MM`` (E017); GetMultipleOrderItems with more than 50 ids
(E038), a malformed list (E056) or an unknown id (E037); GetOrder of an unknown id
(E016). ``update_after`` is strict (only later changes match). The reverse list
answers in ``result``; its page-size maximum is undocumented (ours: 100).
Throttling (``rate_limit_per_second``) and ``fail_next`` apply as for chat.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from tests.emulators.lazada_api import ApiFailure
from tests.emulators.lazada_orders import EmuOrder, EmuReverse, OrderBook, samples
from tests.emulators.lazada_push import PushDelivery
from tests.emulators.lazada_state import Grant, LazadaState, new_id

ORDERS, ORDER, ITEMS = "/orders/get", "/order/get", "/orders/items/get"
REVERSES, REVERSE = "/reverse/getreverseordersforseller", "/order/reverse/return/detail/list"
ORDER_APIS = {ORDERS, ORDER, ITEMS, REVERSES, REVERSE}
ITEM_STATUSES = {"unpaid", "pending", "packed", "repacked", "canceled", "ready_to_ship",
                 "delivered", "returned", "shipped", "failed", "lost", "lost_by_3pl",
                 "damaged_by_3pl", "failed_delivery", "shipped_back", "shipped_back_success",
                 "shipped_back_failed", "package_scrapped"}
GROUPS = {"all": ITEM_STATUSES, "topack": {"pending", "repacked"}, "toship": {"packed"},
          "shipping": {"ready_to_ship", "shipped"}}
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[+-]\d{2}:\d{2}|Z)$")
ID_LIST = re.compile(r"^\[\s*\d+(?:\s*,\s*\d+)*\s*\]$")


def answer(data: Any, name: str = "data") -> dict[str, Any]:
    return {"code": "0", name: data, "request_id": new_id("21", 23)}


class OrderApis:
    state: LazadaState
    push_url: str | None
    auto_push: Callable[[dict[str, Any]], None]
    _deliver: Callable[[PushDelivery, str | None], Awaitable[bool]]
    #: Limits (instance attributes override them).
    order_limit_max = 100
    order_offset_max = 4500
    items_batch_max = 50
    reverse_page_size_max = 100
    order_ids_as_strings = False  # doc samples quote ids; captures do not
    #: Called after each order call is answered: tests change orders mid-scan here.
    on_order_call: Callable[[str, dict[str, str]], None] | None = None

    @property
    def orders(self) -> OrderBook:
        book = self.__dict__.get("_order_book")
        if book is None:
            book = self.__dict__["_order_book"] = OrderBook(self.state)
        return book

    def dispatch(self, api: str, p: dict[str, str], grant: Grant | None) -> dict[str, Any]:
        if api not in ORDER_APIS:
            return super().dispatch(api, p, grant)  # type: ignore[misc]
        assert grant is not None
        handler = {ORDERS: self._get_orders, ORDER: self._get_order, ITEMS: self._get_items,
                   REVERSES: self._reverse_list, REVERSE: self._reverse_detail}[api]
        body = handler(p, grant.seller_id)
        if self.on_order_call is not None:
            self.on_order_call(api, p)
        return body

    # -- orders --------------------------------------------------------------------------

    def _row(self, order: EmuOrder) -> dict[str, Any]:
        row = {**order.row, "statuses": order.statuses(), "items_count": len(order.items)}
        if self.order_ids_as_strings:
            row["order_id"] = row["order_number"] = str(row["order_id"])
        return row

    def _get_orders(self, p: dict[str, str], seller_id: str) -> dict[str, Any]:
        limit, offset = p.get("limit", "100"), p.get("offset", "0")
        if not limit.isdigit() or not 1 <= int(limit) <= self.order_limit_max:
            raise ApiFailure("19", f'E019: "{limit}" Invalid Limit')
        if not offset.isdigit() or int(offset) > self.order_offset_max:
            raise ApiFailure("14", f'E014: "{offset}" Invalid Offset')
        bounds = {name: _date(p[name]) for name in
                  ("created_after", "created_before", "update_after", "update_before")
                  if p.get(name)}
        if "created_after" not in bounds and "update_after" not in bounds:
            raise ApiFailure("MissingParameter", "update_after or created_after is mandatory")
        status = p.get("status", "all")
        if status not in ITEM_STATUSES and status not in GROUPS:
            raise ApiFailure("36", "E036: Invalid status filter")
        wanted = GROUPS.get(status, {status})
        sort_by, direction = p.get("sort_by", "created_at"), p.get("sort_direction", "DESC")
        if sort_by not in ("created_at", "updated_at"):
            raise ApiFailure("75", "E075: Invalid sort filter.")
        if direction not in ("ASC", "DESC"):
            raise ApiFailure("74", "E074: Invalid sort direction.")
        matching = [o for o in self.orders.of_seller(seller_id)
                    if _within(o.created_ms, bounds.get("created_after"),
                               bounds.get("created_before"))
                    and _within(o.updated_ms, bounds.get("update_after"),
                                bounds.get("update_before"))
                    and wanted & set(o.statuses())]
        key = (lambda o: (o.updated_ms, int(o.order_id))) if sort_by == "updated_at" else (
            lambda o: (o.created_ms, int(o.order_id)))
        matching.sort(key=key, reverse=direction == "DESC")
        page = matching[int(offset):int(offset) + int(limit)]
        return answer({"count": len(page), "countTotal": len(matching),
                       "orders": [self._row(o) for o in page]})

    def _find(self, seller_id: str, order_id: str) -> EmuOrder | None:
        return self.orders.orders.get((seller_id, order_id.strip()))

    def _get_order(self, p: dict[str, str], seller_id: str) -> dict[str, Any]:
        order = self._find(seller_id, p.get("order_id", ""))
        if order is None:
            raise ApiFailure("16", f'E016: "{p.get("order_id", "")}" Invalid Order ID')
        return answer(self._row(order))

    def _get_items(self, p: dict[str, str], seller_id: str) -> dict[str, Any]:
        raw = p.get("order_ids", "")
        if not ID_LIST.match(raw):
            raise ApiFailure("56", "E056: Invalid OrdersIdList format. Must use array format [1,2]")
        ids = [i.strip() for i in raw.strip()[1:-1].split(",")]
        if len(ids) > self.items_batch_max:
            raise ApiFailure("38", "E038: Too many orders were requested")
        found = [self._find(seller_id, i) for i in ids]
        if any(o is None for o in found):
            raise ApiFailure("37", "E037: One or more order id in the list are incorrect")
        data, done = [], set()
        for order in (o for o in found if o is not None and o.order_id not in done):
            done.add(order.order_id)
            oid: Any = str(order.row["order_id"]) if self.order_ids_as_strings else (
                order.row["order_id"])
            data.append({"order_id": oid, "order_number": oid,
                         "order_items": [dict(i) for i in order.items]})
        return answer(data)

    # -- reverse orders ----------------------------------------------------------------------

    def _reverse_list(self, p: dict[str, str], seller_id: str) -> dict[str, Any]:
        if not p.get("page_no", "").isdigit() or not p.get("page_size", "").isdigit():
            raise ApiFailure("MissingParameter", "page_no and page_size are required")
        page_no, size = int(p["page_no"]), int(p["page_size"])
        if page_no < 1 or not 1 <= size <= self.reverse_page_size_max:
            raise ApiFailure("InvalidParameter", "page_no or page_size out of range")
        statuses = set(json.loads(p["reverse_status_list"])) if p.get(
            "reverse_status_list") else None
        start = int(p.get("ReverseOrderLineModifiedTimeRangeStart") or 0)
        end = int(p.get("ReverseOrderLineModifiedTimeRangeEnd") or 2**62)
        matching = []
        for (seller, _), reverse in self.orders.reverses.items():
            lines = [line for line in reverse.body["reverse_order_lines"]
                     if start <= line["return_order_line_gmt_modified"] <= end
                     and (statuses is None or line["reverse_status"] in statuses)]
            if seller == seller_id and lines and (
                    not p.get("trade_order_id")
                    or str(reverse.body["trade_order_id"]) == p["trade_order_id"]):
                matching.append({**reverse.body, "reverse_order_lines": lines})
        matching.sort(key=lambda r: (max(x["return_order_line_gmt_modified"]
                                         for x in r["reverse_order_lines"]),
                                     r["reverse_order_id"]), reverse=True)
        page = matching[(page_no - 1) * size:page_no * size]
        return answer({"success": True, "page_no": page_no, "page_size": size,
                       "total": len(matching), "items": page}, "result")

    def _reverse_detail(self, p: dict[str, str], seller_id: str) -> dict[str, Any]:
        reverse = self.orders.reverses.get((seller_id, p.get("reverse_order_id", "")))
        if reverse is None:
            raise ApiFailure("InvalidParameter", "reverse order not found")
        body = {k: v for k, v in reverse.body.items() if k != "reverse_order_lines"}
        lines = []
        for line in reverse.body["reverse_order_lines"]:
            dto = {k: v for k, v in line.items()
                   if k not in ("buyer", "product", "receiver_address")}
            dto["buyer"] = {"user_id": line["buyer"]["buyer_id"]}
            dto["productDTO"] = {"product_id": line["product"]["product_id"],
                                 "sku": line["product"]["product_sku"]}
            lines.append(dto)
        return answer({**body, "reverseOrderLineDTOList": lines})

    # -- pushes ------------------------------------------------------------------------------

    def order_push_payloads(self, order: EmuOrder) -> list[dict[str, Any]]:
        """Type 0, one per order line (ms envelope timestamp, s status time)."""
        country = self.state.sellers[order.seller_id].country
        at = order.updated_ms
        return [{"seller_id": order.seller_id, "message_type": 0,
                 "data": {"order_status": item["status"],
                          "trade_order_id": str(order.order_id),
                          "trade_order_line_id": str(item["order_item_id"]),
                          "status_update_time": at // 1000},
                 "timestamp": self.state.now_ms(), "site": f"lazada_{country}"}
                for item in order.items]

    def reverse_push_payload(self, reverse: EmuReverse, status: str) -> dict[str, Any]:
        """Type 10 for the first line (JSON-number ids, s timestamps)."""
        line = reverse.body["reverse_order_lines"][0]
        country = self.state.sellers[reverse.seller_id].country
        now_s = self.state.now_ms() // 1000
        return {"seller_id": reverse.seller_id, "message_type": 10,
                "data": {"reverse_order_id": int(reverse.reverse_order_id),
                         "reverse_status": status,
                         "trade_order_id": int(reverse.body["trade_order_id"]),
                         "extraParams": {}, "trade_order_line_id": line["trade_order_line_id"],
                         "buyer_id": line["buyer"]["buyer_id"],
                         "seller_id": int(reverse.seller_id),
                         "reverse_order_line_id": line["reverse_order_line_id"],
                         "status_update_time": now_s},
                "timestamp": now_s, "site": f"lazada_{country}"}

    async def push_sample(self, name: str, url: str | None = None) -> bool:
        """Deliver one push of the samples file byte for byte (``raw_body``)."""
        sample = samples()["pushes"][name]
        delivery = PushDelivery(sample["raw_body"].encode("utf-8"), sample["body"])
        return await self._deliver(delivery, url or self.push_url)

    def set_order_status(self, seller_id: str, order_id: str, status: str,
                         **item_fields: Any) -> EmuOrder:
        """Change every item's status now and push it (one push per line) to
        ``push_url`` when one is set."""
        order = self.orders.touch(seller_id, order_id, status=status, **item_fields)
        for payload in self.order_push_payloads(order):
            self.auto_push(payload)
        return order


def _date(value: str) -> int:
    if not ISO.match(value):
        raise ApiFailure("17", f'E017: "{value}" Invalid Date Format')
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


def _within(ms: int, after: int | None, before: int | None) -> bool:
    return (after is None or ms > after) and (before is None or ms < before)
