"""Lazada order rows -> :class:`connectors.orders.Order` (pure: no I/O).

Lazada has no order status: every unit is its own item row with its own
``status``, so quantities are counted rows and the order's status is derived from
the items. Order rows (GetOrders/GetOrder) carry the money and times but no buyer
id and no currency; item rows carry both. Unknown statuses are logged and kept in
``platform_status``, never fatal.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timezone
from decimal import Decimal
from typing import Any

from connectors.lazada.orders_reverse import cancellation_of, returns_of
from connectors.lazada.orders_wire import (
    SITE_CURRENCY,
    decimal,
    earliest,
    id_str,
    latest,
    parse_time,
    site_tz,
    unknown,
)
from connectors.models import ShopId
from connectors.orders import Order, OrderId, OrderItem, OrderStatus

log = logging.getLogger("connectors.lazada.orders")

S = OrderStatus
#: Item status -> our status. ``returned`` closes a sale (its return is in
#: ``Order.returns``); lost, scrapped and shipped-back parcels never reach the buyer.
ITEM_STATUS: dict[str, OrderStatus] = {
    "unpaid": S.UNPAID,
    **dict.fromkeys(("pending", "packed", "repacked", "ready_to_ship", "topack", "toship",
                     "ready_to_ship_pending"), S.TO_SHIP),
    **dict.fromkeys(("shipped", "shipping", "failed_delivery"), S.SHIPPED),
    "delivered": S.DELIVERED,
    **dict.fromkeys(("returned", "confirmed", "completed"), S.COMPLETED),
    **dict.fromkeys(("canceled", "cancelled", "failed", "lost", "lost_by_3pl",
                     "damaged_by_3pl", "shipped_back", "shipped_back_success",
                     "shipped_back_failed", "package_scrapped"), S.CANCELLED),
}
_RANK = {S.UNPAID: 0, S.TO_SHIP: 1, S.SHIPPED: 2, S.DELIVERED: 3, S.COMPLETED: 4}
#: Item statuses whose ``sla_time_stamp`` is still a deadline.
SHIP_BY_STATUSES = {S.UNPAID, S.TO_SHIP}


def item_status(raw: object) -> tuple[str, OrderStatus]:
    word = str(raw or "").strip().lower()
    status = ITEM_STATUS.get(word)
    if status is None:
        unknown("item status", word)
        return word, S.UNKNOWN
    return word, status


def derive_status(words: Iterable[object]) -> tuple[OrderStatus, str]:
    """The order's status from its item statuses, and the platform's words.

    The least advanced live item wins (one unit still to ship means the order is to
    ship); cancelled only if every known item is; unknown only if no item is known.
    The words are distinct, in item order, joined by commas (like ``statuses[]``).
    """
    seen: list[str] = []
    live: list[OrderStatus] = []
    cancelled = False
    for raw in words:
        word, status = item_status(raw)
        if word and word not in seen:
            seen.append(word)
        if status is S.CANCELLED:
            cancelled = True
        elif status is not S.UNKNOWN:
            live.append(status)
    if live:
        status = min(live, key=_RANK.__getitem__)
    else:
        status = S.CANCELLED if cancelled else S.UNKNOWN
    return status, ",".join(seen)


def group_items(items: Sequence[Mapping[str, Any]]) -> tuple[OrderItem, ...]:
    """One row per unit -> one OrderItem per (SKU, name, unit price) with a quantity."""
    grouped: dict[tuple[str, str, str], list[Any]] = {}
    for item in items:
        sku = str(item.get("sku") or item.get("shop_sku") or item.get("sku_id") or "")
        name = str(item.get("name") or sku)
        price = decimal(item.get("paid_price"))
        if price is None:
            price = decimal(item.get("item_price"))
        key = (sku, name, "" if price is None else str(price))
        if key in grouped:
            grouped[key][0] += 1
        else:
            grouped[key] = [1, str(item.get("product_main_image") or "") or None]
    return tuple(OrderItem(name=name, quantity=count, sku=sku, price=price, image_url=image)
                 for (sku, name, price), (count, image) in grouped.items())


def paid_total(order: Mapping[str, Any], items: Sequence[Mapping[str, Any]]) -> str:
    """Buyer-paid total = price - voucher + shipping_fee (the order guide's formula);
    without an order row, the sum of the items' paid prices."""
    price = decimal(order.get("price"))
    if price is not None:
        voucher = decimal(order.get("voucher")) or Decimal(0)
        return str(price - voucher + (decimal(order.get("shipping_fee")) or Decimal(0)))
    paid = [p for p in (decimal(i.get("paid_price")) for i in items) if p is not None]
    return str(sum(paid, Decimal("0.00"))) if paid else ""


def order_id_of(order: Mapping[str, Any], items: Sequence[Mapping[str, Any]] = ()) -> str:
    found = id_str(order.get("order_id")) or id_str(order.get("order_number"))
    return found or (id_str(items[0].get("order_id")) if items else "")


def _status_words(order: Mapping[str, Any], items: Sequence[Mapping[str, Any]]
                  ) -> list[Any]:
    """Each item's status; without item rows, the order row's ``statuses``."""
    if items:
        return [i.get("status") for i in items]
    statuses = order.get("statuses")
    return list(statuses) if isinstance(statuses, list) else []


def _times(order: Mapping[str, Any], items: Sequence[Mapping[str, Any]], tz: timezone,
           order_id: str) -> tuple[datetime, datetime]:
    """(created, updated): the order row's, else its items' earliest/latest."""
    updated = parse_time(order.get("updated_at"), tz) or latest(
        (i.get("updated_at") for i in items), tz)
    created = parse_time(order.get("created_at"), tz) or earliest(
        (i.get("created_at") for i in items), tz) or updated
    if created is None:
        log.warning("lazada order %s has no readable created_at", order_id)
        created = datetime.fromtimestamp(0, UTC)
    return created, updated or created


def to_order(
    order: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    reverses: Sequence[dict[str, Any]] = (),
    *,
    shop_id: str,
    site: str,
) -> Order:
    """One :class:`Order` from a GetOrders/GetOrder row, its item rows and its
    reverse orders (normalised by :func:`orders_reverse.normalise`)."""
    tz = site_tz(site)
    order_id = order_id_of(order, items)
    status, platform_status = derive_status(_status_words(order, items))
    currency = next((str(i["currency"]) for i in items if i.get("currency")), "") or (
        SITE_CURRENCY.get(site.strip().upper(), ""))
    created, updated = _times(order, items, tz, order_id)
    to_ship = [i for i in items if item_status(i.get("status"))[1] in SHIP_BY_STATUSES]
    ship_by = earliest((i.get("sla_time_stamp") for i in to_ship or items), tz)
    tracking = dict.fromkeys(str(i.get("tracking_code") or "").strip() for i in items)
    buyer = next((b for b in (id_str(i.get("buyer_id")) for i in items) if b), "")
    return Order(
        shop_id=ShopId(shop_id), order_id=OrderId(order_id), buyer_id=buyer,
        status=status, platform_status=platform_status,
        amount=paid_total(order, items), currency=currency,
        created_at=created, updated_at=updated,
        items=group_items(items), ship_by=ship_by,
        tracking_no=", ".join(t for t in tracking if t) or None,
        cancellation=cancellation_of(items, reverses),
        returns=returns_of(reverses, site=site, currency=currency),
        raw={"order": dict(order), "items": [dict(i) for i in items],
             "reverse_orders": [r["raw"] for r in reverses]},
    )
