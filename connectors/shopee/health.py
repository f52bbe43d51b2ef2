"""Shopee account health: penalty points this quarter and punishments in force.

``GET /api/v2/account_health/get_penalty_point_history`` (page_no, page_size;
``penalty_point_list[]`` of ``issue_time``, ``latest_point_num`` — after any
appeal —, ``original_point_num``, ``violation_type``, ``reference_id``;
``total_count``) and ``GET /api/v2/account_health/get_punishment_history``
(``punishment_status`` 1 = ongoing, page_no, page_size; ``punishment_list[]`` of
``issue_time``, ``start_time``, ``end_time``, ``punishment_type``, ``reason``,
``reference_id``). Shop-level calls, signed like every other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from connectors.account_health import AccountNotice, from_seconds

PENALTY = "/api/v2/account_health/get_penalty_point_history"
PUNISHMENT = "/api/v2/account_health/get_punishment_history"
PAGE_SIZE = 100
MAX_PAGES = 10
ONGOING = 1

#: Punishment types as Shopee's reference names them (others are shown by number).
PUNISHMENTS = {
    103: "listings not displayed in category browsing",
    104: "listings not displayed in search",
    105: "unable to create new listings",
    106: "unable to edit listings",
}

ShopGet = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


async def _walk(get: ShopGet, path: str, list_name: str, extra: dict[str, Any]
                ) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in range(1, MAX_PAGES + 1):
        data = await get(path, {**extra, "page_no": page, "page_size": PAGE_SIZE})
        rows = [r for r in data.get(list_name) or [] if isinstance(r, dict)]
        out += rows
        if not rows or len(out) >= int(data.get("total_count") or 0):
            break
    return out


async def account_notices(get: ShopGet) -> list[AccountNotice]:
    notices: list[AccountNotice] = []
    points = await _walk(get, PENALTY, "penalty_point_list", {})
    total = sum(int(p.get("latest_point_num") or 0) for p in points)
    if total > 0:
        latest = max(points, key=lambda p: int(p.get("issue_time") or 0))
        notices.append(AccountNotice(
            "penalty_points", "quarter",
            f"{total} penalty point(s) this quarter; latest: violation type "
            f"{latest.get('violation_type')}", "warning", from_seconds(latest.get("issue_time"))))
    for p in await _walk(get, PUNISHMENT, "punishment_list", {"punishment_status": ONGOING}):
        kind = int(p.get("punishment_type") or 0)
        what = PUNISHMENTS.get(kind, f"punishment type {kind}")
        key = str(p.get("reference_id") or f"{kind}:{p.get('start_time')}")
        notices.append(AccountNotice("punishment", key, f"Punishment in force: {what}",
                                     "critical", from_seconds(p.get("start_time")),
                                     from_seconds(p.get("end_time"))))
    return notices
