"""Lazada seller performance: ``/seller/performance/get`` (GetSellerPerformance).

``data.indicators[]``: ``type``, ``name``, ``formatted_score``, ``formatted_target``
and ``target_respected`` (documented as a boolean, shown as the string "true" in
Lazada's own example: both are read). An indicator below target is a notice.
Lazada has no API for penalty points.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from connectors.account_health import AccountNotice

PERFORMANCE = "/seller/performance/get"

Api = Callable[[str, dict[str, object]], Awaitable[dict[str, Any]]]


def _false(value: Any) -> bool:
    return value is False or str(value).strip().lower() == "false"


async def account_notices(api: Api) -> list[AccountNotice]:
    data = await api(PERFORMANCE, {"language": "en-US"})
    notices = []
    for ind in data.get("indicators") or []:
        if not isinstance(ind, dict) or not _false(ind.get("target_respected")):
            continue
        name = str(ind.get("name") or ind.get("type") or "indicator")
        score, target = ind.get("formatted_score") or "-", ind.get("formatted_target") or "?"
        notices.append(AccountNotice("metric", str(ind.get("type") or name),
                                     f"{name}: {score} (target {target})", "warning"))
    return notices
