"""Shopee's account_health endpoints (mixed into ShopeeEmulator): the current
quarter's penalty points and the punishment history, paged as Shopee pages them.
Tests give a shop points and punishments with :meth:`add_penalty` and
:meth:`add_punishment`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.emulators.shopee_handlers import Handler, WireError
from tests.emulators.shopee_state import Shop

if TYPE_CHECKING:
    from tests.emulators.shopee_app import ShopeeEmulator


@dataclass
class ShopHealth:
    points: list[dict[str, Any]] = field(default_factory=list)
    punishments: list[dict[str, Any]] = field(default_factory=list)


def _page(q: dict[str, str], *, required: bool) -> tuple[int, int]:
    raw_no, raw_size = q.get("page_no"), q.get("page_size")
    if required and (raw_no is None or raw_size is None):
        raise WireError("error_param", "Wrong parameters, detail: page_no and page_size.")
    try:
        page_no, size = int(raw_no or 1), int(raw_size or 10)
    except ValueError:
        raise WireError("error_param", "Wrong parameters, detail: page_no, page_size.") from None
    if page_no < 1 or not 1 <= size <= 100:
        raise WireError("error_param", "Wrong parameters, detail: page_size is 1 to 100.")
    return page_no, size


class HealthHandlers:
    def health_routes(self: ShopeeEmulator) -> list[tuple[str, str, str, Handler]]:
        return [
            ("account_health/get_penalty_point_history", "GET", "shop", self.penalty_history),
            ("account_health/get_punishment_history", "GET", "shop", self.punishment_history),
        ]

    def health_of(self: ShopeeEmulator, shop_id: int) -> ShopHealth:
        return self.account_health.setdefault(shop_id, ShopHealth())

    def add_penalty(self: ShopeeEmulator, shop_id: int, points: int, violation_type: int,
                    issue_time: int, *, appealed_to: int | None = None) -> None:
        h = self.health_of(shop_id)
        h.points.append({"issue_time": issue_time, "original_point_num": points,
                         "latest_point_num": points if appealed_to is None else appealed_to,
                         "violation_type": violation_type,
                         "reference_id": 880000 + len(h.points)})

    def add_punishment(self: ShopeeEmulator, shop_id: int, punishment_type: int, start: int,
                       end: int, *, reason: int = 1) -> None:
        h = self.health_of(shop_id)
        h.punishments.append({"issue_time": start, "start_time": start, "end_time": end,
                              "punishment_type": punishment_type, "reason": reason,
                              "reference_id": 990000 + len(h.punishments)})

    async def penalty_history(self: ShopeeEmulator, shop: Shop, q: dict[str, str],
                              body: dict[str, Any]) -> dict[str, Any]:
        page_no, size = _page(q, required=False)
        rows = self.health_of(shop.shop_id).points
        return {"penalty_point_list": rows[(page_no - 1) * size:page_no * size],
                "total_count": len(rows)}

    async def punishment_history(self: ShopeeEmulator, shop: Shop, q: dict[str, str],
                                 body: dict[str, Any]) -> dict[str, Any]:
        if q.get("punishment_status") not in ("1", "2"):
            raise WireError("error_param", "Wrong parameters, detail: punishment_status.")
        page_no, size = _page(q, required=True)
        now = self.now()
        ongoing = q["punishment_status"] == "1"
        rows = [p for p in self.health_of(shop.shop_id).punishments
                if (p["end_time"] > now) == ongoing]
        return {"punishment_list": rows[(page_no - 1) * size:page_no * size],
                "total_count": len(rows)}
