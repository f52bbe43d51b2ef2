"""Counting the Customer Service daily quota (45101004 after 10 000 requests a day)."""

from __future__ import annotations

import time
from collections.abc import Callable

from connectors.tiktok.errors import QuotaExhausted


class DailyQuota:
    """Counts customer-service calls per shop (or per app) and quota day.

    Pulls stop ``reserve`` calls short of the limit so replies can still go out.
    ``day_offset_hours`` places the quota day's reset (0: midnight UTC).
    """

    def __init__(self, limit: int = 10_000, *, reserve: int = 500, scope: str = "shop",
                 day_offset_hours: float = 0.0,
                 clock: Callable[[], float] = time.time) -> None:
        if scope not in ("shop", "app"):
            raise ValueError("quota scope is 'shop' or 'app'")
        self.limit = limit
        self.reserve = min(reserve, limit)
        self._scope = scope
        self._offset = day_offset_hours * 3600
        self._clock = clock
        self._used: dict[str, tuple[int, int]] = {}

    def _day(self) -> int:
        return int((self._clock() + self._offset) // 86400)

    def seconds_to_reset(self) -> float:
        shifted = self._clock() + self._offset
        return (self._day() + 1) * 86400 - shifted

    def _key(self, shop_id: str) -> str:
        return shop_id if self._scope == "shop" else "*"

    def used(self, shop_id: str) -> int:
        day, count = self._used.get(self._key(shop_id), (self._day(), 0))
        return count if day == self._day() else 0

    def take(self, shop_id: str, *, pull: bool) -> None:
        """Count one call, or raise :class:`QuotaExhausted` if it may not be made."""
        ceiling = self.limit - (self.reserve if pull else 0)
        used = self.used(shop_id)
        if used >= ceiling:
            raise QuotaExhausted(f"{used} customer-service calls today (ceiling {ceiling})",
                                 code="daily-quota", retry_after=self.seconds_to_reset())
        self._used[self._key(shop_id)] = (self._day(), used + 1)

    def exhaust(self, shop_id: str) -> None:
        """TikTok said 45101004: believe it until the reset."""
        self._used[self._key(shop_id)] = (self._day(), self.limit)
