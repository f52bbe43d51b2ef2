"""Returns and refunds of Shopee orders: listing, the order -> returns index, details.

``get_return_list`` has no order filter and returns carry no buyer id: returns are
joined to orders by ``order_sn``. A return is found (1) in the pull's own return
walk, (2) through return ids learned earlier (return lists, push 29), or (3) for an
order that shows return signs but has no known return, by searching recent windows
of the return list. ``get_return_detail`` is read where the list lacks a deadline
(a pending negotiation offer or evidence request) or only the id is known.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from connectors.errors import PermanentError
from connectors.models import StoreAccount
from connectors.shopee.orders_parse import has_return_signs, needs_detail
from connectors.shopee.orders_walk import WalkBudget, walk

if TYPE_CHECKING:
    from connectors.shopee.orders import OrderSettings

log = logging.getLogger(__name__)

RETURN_LIST = "/api/v2/returns/get_return_list"
RETURN_DETAIL = "/api/v2/returns/get_return_detail"

ShopGet = Callable[[StoreAccount, str, dict[str, Any]], Awaitable[dict[str, Any]]]
ByOrder = dict[str, dict[str, dict[str, Any]]]  # order_sn -> return_sn -> return


def _s(value: Any) -> str:
    return "" if value is None else str(value)


class Lru(OrderedDict[Any, Any]):
    """A bounded memory: the oldest entries go first."""

    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap = cap

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.cap:
            self.popitem(last=False)


class ReturnFinder:
    def __init__(self, get: ShopGet, settings: OrderSettings, clock: Callable[[], float]
                 ) -> None:
        self._get = get
        self._s = settings
        self._clock = clock
        self._index = Lru(20_000)  # (shop, order_sn) -> return_sns (memory only)

    def remember(self, shop: str, order_sn: str, return_sn: str) -> None:
        known = set(self._index.get((shop, order_sn), ()))
        self._index.put((shop, order_sn), known | {return_sn})

    async def page(self, store: StoreAccount, time_from: int, time_to: int, cursor: str
                   ) -> tuple[list[dict[str, Any]], bool, str]:
        """One ``get_return_list`` page by update time (the walk's ``ListPage``). Only
        the update range is sent: a create range would hide older returns updated now."""
        page = int(cursor) if cursor else self._s.return_first_page
        resp = await self._get(store, RETURN_LIST, {
            "page_no": page, "page_size": max(1, min(100, self._s.return_page_size)),
            "update_time_from": time_from, "update_time_to": time_to})
        items = [r for r in resp.get("return") or [] if isinstance(r, dict)]
        for r in items:
            if r.get("order_sn") and r.get("return_sn"):
                self.remember(store.shop_id, _s(r["order_sn"]), _s(r["return_sn"]))
        more = bool(resp.get("more")) and bool(items)
        return items, more, str(page + 1) if more else ""

    async def complete(self, store: StoreAccount, details: list[dict[str, Any]],
                       by_order: ByOrder) -> None:
        """Give every order detail its returns in ``by_order`` (listed ones already in)."""
        shop = store.shop_id
        unknown: set[str] = set()
        for raw in details:
            sn = _s(raw.get("order_sn"))
            known = self._index.get((shop, sn), set())
            for return_sn in known - set(by_order.get(sn, {})):
                by_order.setdefault(sn, {})[return_sn] = {"return_sn": return_sn,
                                                          "order_sn": sn, "_stub": True}
            if not known and not by_order.get(sn) and has_return_signs(raw):
                unknown.add(sn)
        if unknown:
            await self._search(store, unknown, by_order)
        for returns in by_order.values():
            for return_sn, ret in list(returns.items()):
                if not (ret.get("_stub") or needs_detail(ret)):
                    continue
                try:
                    returns[return_sn] = await self._get(store, RETURN_DETAIL,
                                                         {"return_sn": return_sn})
                except PermanentError as exc:
                    log.warning("shopee return %s unreadable: %s", return_sn, exc)
                    if ret.get("_stub"):
                        del returns[return_sn]

    async def _search(self, store: StoreAccount, wanted: set[str], by_order: ByOrder
                      ) -> None:
        span = int(self._s.max_window.total_seconds())
        hi = int(self._clock())
        budget = WalkBudget(calls=self._s.max_list_calls, items=10_000)
        for _ in range(max(0, self._s.return_search_windows)):
            found, _rest = await walk(lambda a, b, c: self.page(store, a, b, c),
                                      hi - span, hi, budget)
            for r in found:
                sn = _s(r.get("order_sn"))
                if sn in wanted:
                    by_order.setdefault(sn, {})[_s(r.get("return_sn"))] = r
            if all(by_order.get(sn) for sn in wanted) or budget.spent(0):
                return
            hi -= span
