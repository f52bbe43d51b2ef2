"""Order details: GetOrder rows, item rows in batches, reverse orders -> ``Order``.

Lazada's recommended path is "OrderMessage -> /order/get -> /order/items/get".
Order rows come one per call (GetOrder has no batch form; GetOrders has no id
filter); item rows come in batches through GetMultipleOrderItems
(``order_ids="[a, b]"``, at most 50: the description says 50, the metadata 100).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from connectors.errors import AuthError, PermanentError
from connectors.lazada.client import truthy
from connectors.lazada.orders_parse import ITEM_STATUS, to_order
from connectors.lazada.orders_reverse import normalise
from connectors.lazada.orders_wire import id_str
from connectors.models import StoreAccount
from connectors.orders import Order, OrderStatus

if TYPE_CHECKING:
    from connectors.lazada.orders_pull import OrderOptions

log = logging.getLogger("connectors.lazada.orders")

ORDER = "/order/get"
ITEMS = "/orders/items/get"
REVERSE_DETAIL = "/order/reverse/return/detail/list"
NOT_FOUND = "16"  # GetOrder: E016 "Invalid Order ID" (not an order of this store)

Api = Callable[[str, dict[str, object]], Awaitable[dict[str, Any]]]


async def get_orders(api: Api, order_ids: Iterable[str], *, store: StoreAccount,
                     options: OrderOptions) -> list[Order]:
    """Details for ``order_ids`` in the given order; ids the store does not know
    are left out (logged)."""
    wanted = list(dict.fromkeys(str(i).strip() for i in order_ids if str(i).strip()))
    rows = await order_rows(api, wanted)
    return await fetch_details(api, rows, {}, store=store, options=options)


async def order_rows(api: Api, order_ids: Iterable[str]) -> dict[str, Mapping[str, Any]]:
    rows: dict[str, Mapping[str, Any]] = {}
    for order_id in order_ids:
        try:
            envelope = await api(ORDER, {"order_id": order_id})
        except PermanentError as exc:
            if isinstance(exc, AuthError) or exc.code != NOT_FOUND:
                raise
            log.warning("lazada: order %s is not an order of this store", order_id)
            continue
        data = envelope.get("data")
        if isinstance(data, Mapping):
            rows[order_id] = data
    return rows


async def item_rows(api: Api, order_ids: list[str],
                    batch: int) -> dict[str, list[Mapping[str, Any]]]:
    found: dict[str, list[Mapping[str, Any]]] = {}
    for start in range(0, len(order_ids), batch):
        chunk = order_ids[start:start + batch]
        envelope = await api(ITEMS, {"order_ids": "[" + ", ".join(chunk) + "]"})
        data = envelope.get("data")
        for entry in data if isinstance(data, list) else []:
            if not isinstance(entry, Mapping):
                continue
            order_id = id_str(entry.get("order_id")) or id_str(entry.get("order_number"))
            items = [i for i in entry.get("order_items") or [] if isinstance(i, Mapping)]
            found.setdefault(order_id, []).extend(items)
    return found


def _needs_detail(item: Mapping[str, Any]) -> bool:
    """A reverse order worth reading: on a live item (returns follow delivery; a
    rejected cancellation leaves the item live). A pending cancellation is fully
    described by the item; a cancelled item has nothing left to decide."""
    status = ITEM_STATUS.get(str(item.get("status") or "").strip().lower())
    return (bool(id_str(item.get("reverse_order_id")))
            and not truthy(item.get("need_cancel_confirm"))
            and status is not OrderStatus.CANCELLED)


async def reverse_orders(api: Api, items: Mapping[str, list[Mapping[str, Any]]],
                         known: Mapping[str, dict[str, Any]], *,
                         read_details: bool) -> dict[str, list[dict[str, Any]]]:
    """Reverse orders per trade order: those already listed, plus details of the
    ones the items name that the list did not carry."""
    by_id = dict(known)
    if read_details:
        missing = dict.fromkeys(id_str(i.get("reverse_order_id"))
                                for rows in items.values() for i in rows if _needs_detail(i))
        for reverse_id in (r for r in missing if r not in by_id):
            try:
                envelope = await api(REVERSE_DETAIL, {"reverse_order_id": reverse_id})
            except PermanentError as exc:
                if isinstance(exc, AuthError):
                    raise
                log.warning("lazada: reverse order %s unreadable: %s", reverse_id, exc)
                continue
            data = envelope.get("data")
            if isinstance(data, Mapping):
                by_id[reverse_id] = normalise(data)
    grouped: dict[str, list[dict[str, Any]]] = {}
    for reverse in by_id.values():
        grouped.setdefault(reverse["trade_order_id"], []).append(reverse)
    return grouped


async def fetch_details(api: Api, rows: Mapping[str, Mapping[str, Any]],
                        reverses: Mapping[str, dict[str, Any]], *, store: StoreAccount,
                        options: OrderOptions) -> list[Order]:
    """Orders for these GetOrders/GetOrder rows (by id), items fetched in batches."""
    ids = list(rows)
    items = await item_rows(api, ids, options.detail_batch)
    for order_id in ids:
        if order_id not in items:
            log.warning("lazada: no item rows for order %s", order_id)
    grouped = await reverse_orders(api, {i: items.get(i, []) for i in ids}, reverses,
                                   read_details=options.reverse_details)
    return [to_order(rows[i], items.get(i, []), grouped.get(i, ()), shop_id=store.shop_id,
                     site=store.site) for i in ids]
