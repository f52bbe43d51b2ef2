"""Waiting time counted in business hours."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config_sections import WEEKDAYS, BusinessHours


def business_seconds(start: float, end: float, hours: BusinessHours | None) -> float:
    """Seconds between ``start`` and ``end`` that fall inside business hours
    (all of them when there are none)."""
    if end <= start:
        return 0.0
    if hours is None:
        return end - start
    zone = ZoneInfo(hours.timezone)
    open_at = time.fromisoformat(hours.start)
    close_at = time.fromisoformat(hours.end)
    a = datetime.fromtimestamp(start, zone)
    b = datetime.fromtimestamp(end, zone)
    total = 0.0
    day = a.date()
    while day <= b.date():
        if WEEKDAYS[day.weekday()] in hours.days:
            lo = datetime.combine(day, open_at, zone)
            hi = datetime.combine(day, close_at, zone)
            overlap = (min(hi, b) - max(lo, a)).total_seconds()
            total += max(0.0, overlap)
        day += timedelta(days=1)
    return total
