"""Order endpoints of the Shopee emulator, with the platform's limits and errors.

- ``order/get_order_list``: ``time_range_field`` required, window <= 15 days
  (``order.order_list_invalid_time``), ``page_size`` 1..100, one ``order_status``,
  an offset cursor over the *live* result, newest created first as in the samples (so
  an order updated mid-walk leaves the range and shifts the later pages, as an offset
  cursor would), ``next_cursor`` "" at the end.
- ``order/get_order_detail``: ``order_sn_list`` 1..50 (``error_param``); optional
  fields only when named in ``response_optional_fields``.
- ``logistics/get_tracking_number``, ``order/handle_buyer_cancellation``.
- ``returns/get_return_list`` (``page_no`` from 0, ``page_size`` <= 100, each time
  window <= 15 days) and ``returns/get_return_detail``.
Failures on command and the rate limit come from the shared request pipeline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.emulators.shopee_handlers import Handler, WireError
from tests.emulators.shopee_orders import DEFAULT_FIELDS, OrderEmulation
from tests.emulators.shopee_state import Shop

if TYPE_CHECKING:
    from tests.emulators.shopee_app import ShopeeEmulator

LIST_STATUSES = {"UNPAID", "READY_TO_SHIP", "PROCESSED", "SHIPPED", "COMPLETED", "IN_CANCEL",
                 "CANCELLED", "INVOICE_PENDING", "PENDING"}
WINDOW_ERROR = ("order.order_list_invalid_time",
                "Start time must be earlier than end time and diff in 15days.")


def _num(q: dict[str, str], name: str, *, required: bool = True) -> int | None:
    value = q.get(name)
    if value in (None, ""):
        if required:
            raise WireError("error_param", f"Wrong parameters, detail: {name} is required.")
        return None
    try:
        return int(value)
    except ValueError:
        raise WireError("error_param", f"Wrong parameters, detail: {name} is invalid.") from None


def _csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


class OrderHandlers(OrderEmulation):
    def order_routes(self: ShopeeEmulator) -> list[tuple[str, str, str, Handler]]:
        return [
            ("order/get_order_list", "GET", "shop", self.get_order_list),
            ("order/get_order_detail", "GET", "shop", self.get_order_detail),
            ("order/handle_buyer_cancellation", "POST", "shop", self.handle_buyer_cancellation),
            ("logistics/get_tracking_number", "GET", "shop", self.get_tracking_number),
            ("returns/get_return_list", "GET", "shop", self.get_return_list),
            ("returns/get_return_detail", "GET", "shop", self.get_return_detail),
        ]

    async def get_order_list(self: ShopeeEmulator, shop: Shop, q: dict[str, str],
                             body: dict[str, Any]) -> dict[str, Any]:
        book = self.order_book
        field = q.get("time_range_field")
        if field not in ("create_time", "update_time"):
            raise WireError("error_param", "Wrong parameters, detail: time_range_field.")
        lo, hi = _num(q, "time_from"), _num(q, "time_to")
        assert lo is not None and hi is not None
        if lo > hi or hi - lo > book.max_window:
            raise WireError(*WINDOW_ERROR)
        size = _num(q, "page_size")
        assert size is not None
        if not 1 <= size <= book.page_cap:
            raise WireError("error_param", "Wrong parameters, detail: page_size should be "
                                           f"in [1,{book.page_cap}].")
        status = q.get("order_status") or None
        if status is not None and status not in LIST_STATUSES:
            raise WireError("error_param", "Wrong parameters, detail: order_status.")
        rows = [o for o in book.orders.get(shop.shop_id, {}).values()
                if lo <= int(o.get(field) or 0) <= hi
                and (status is None or o.get("order_status") == status)]
        rows.sort(key=lambda o: (-int(o.get("create_time") or 0), o["order_sn"]))
        try:
            offset = int(q.get("cursor") or 0)
        except ValueError:
            raise WireError("error_param", "Wrong parameters, detail: cursor.") from None
        page = rows[offset:offset + size]
        more = offset + size < len(rows)
        with_status = "order_status" in _csv(q.get("response_optional_fields"))
        return {"more": more, "next_cursor": str(offset + size) if more else "",
                "order_list": [{"order_sn": o["order_sn"], **(
                    {"order_status": o["order_status"]} if with_status else {})}
                    for o in page]}

    async def get_order_detail(self: ShopeeEmulator, shop: Shop, q: dict[str, str],
                               body: dict[str, Any]) -> dict[str, Any]:
        sns = _csv(q.get("order_sn_list"))
        if not 1 <= len(sns) <= self.order_book.detail_cap:
            raise WireError("error_param", "Wrong parameters, detail: order_sn_list limit "
                                           f"[1,{self.order_book.detail_cap}].")
        wanted = DEFAULT_FIELDS | set(_csv(q.get("response_optional_fields")))
        orders = self.order_book.orders.get(shop.shop_id, {})
        found = [orders[sn] for sn in dict.fromkeys(sns) if sn in orders]
        return {"order_list": [{k: v for k, v in o.items() if k in wanted} for o in found]}

    async def handle_buyer_cancellation(self: ShopeeEmulator, shop: Shop, q: dict[str, str],
                                        body: dict[str, Any]) -> dict[str, Any]:
        sn, operation = str(body.get("order_sn") or ""), body.get("operation")
        orders = self.order_book.orders.get(shop.shop_id, {})
        if sn not in orders or operation not in ("ACCEPT", "REJECT"):
            raise WireError("error_param", "Wrong parameters, detail: order_sn/operation.")
        if orders[sn].get("order_status") != "IN_CANCEL":
            raise WireError("order.order_status_invalid",
                            "Invalid order_status.The order status should be IN_CANCEL.")
        back = "CANCELLED" if operation == "ACCEPT" else "READY_TO_SHIP"
        order = self.update_order(shop.shop_id, sn, order_status=back)
        return {"update_time": order["update_time"]}

    async def get_tracking_number(self: ShopeeEmulator, shop: Shop, q: dict[str, str],
                                  body: dict[str, Any]) -> dict[str, Any]:
        sn = q.get("order_sn") or ""
        order = self.order_book.orders.get(shop.shop_id, {}).get(sn)
        if order is None:
            raise WireError("logistics.invalid_order_sn", "Order not found.")
        package = q.get("package_number") or (
            (order.get("package_list") or [{}])[0].get("package_number", ""))
        number = self.order_book.tracking.get((shop.shop_id, sn, package), "")
        return {"tracking_number": number, "hint": "" if number else
                "Tracking number is not available yet, please try again later."}

    async def get_return_list(self: ShopeeEmulator, shop: Shop, q: dict[str, str],
                              body: dict[str, Any]) -> dict[str, Any]:
        book = self.order_book
        page_no, size = _num(q, "page_no"), _num(q, "page_size")
        assert page_no is not None and size is not None
        if page_no < 0 or not 1 <= size <= book.return_page_cap:
            raise WireError("error_param", "Wrong parameters, detail: page_no/page_size.")
        rets = list(book.returns.get(shop.shop_id, {}).values())
        for field in ("create_time", "update_time"):
            lo, hi = _num(q, f"{field}_from", required=False), _num(q, f"{field}_to",
                                                                    required=False)
            if (lo is None) != (hi is None):
                raise WireError("error_param", f"Wrong parameters, detail: {field} range.")
            if lo is None or hi is None:
                continue
            if lo > hi or hi - lo > book.max_window:
                raise WireError("error_param",
                                f"Wrong parameters, detail: {field} range exceeds 15 days.")
            rets = [r for r in rets if lo <= int(r.get(field) or 0) <= hi]
        for name in ("status", "negotiation_status", "seller_proof_status"):
            if q.get(name):
                rets = [r for r in rets if self.return_list_item(r).get(name) == q[name]]
        rets.sort(key=lambda r: (-int(r.get("update_time") or 0), r["return_sn"]))
        page = rets[page_no * size:(page_no + 1) * size]
        return {"more": (page_no + 1) * size < len(rets),
                "return": [self.return_list_item(r) for r in page]}

    async def get_return_detail(self: ShopeeEmulator, shop: Shop, q: dict[str, str],
                                body: dict[str, Any]) -> dict[str, Any]:
        ret = self.order_book.returns.get(shop.shop_id, {}).get(q.get("return_sn") or "")
        if ret is None:
            raise WireError("returns.not_found", "Return not found.")
        return dict(ret)
