"""Lazada order-side scalars: ids, times and money as they come on the wire.

Times come in four forms: ``"2023-11-15 02:26:40 +0700"`` and ISO-8601 strings
(order and item rows), epoch **ms** (``payment_time``, ``cancel_trigger_time``,
reverse-order times, type-0 push ``timestamp``) and epoch **s** (push
``status_update_time``). Money is a decimal string in order APIs but integer
cents in reverse-order APIs, except in Vietnam. Ids are JSON numbers in captures
and strings in doc samples. Nothing here raises on a bad value.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

log = logging.getLogger("connectors.lazada.orders")

#: Local offset per site, for times Lazada sends without one (and for our queries).
SITE_OFFSET_HOURS = {"SG": 8, "MY": 8, "PH": 8, "TH": 7, "VN": 7, "ID": 7}
SITE_CURRENCY = {"SG": "SGD", "MY": "MYR", "PH": "PHP", "TH": "THB", "VN": "VND", "ID": "IDR"}

_warned: set[str] = set()


def unknown(kind: str, value: str) -> None:
    """Log an unknown enum value or format once per process (bounded)."""
    key = f"{kind}:{value}"
    if key not in _warned and len(_warned) < 1000:
        _warned.add(key)
        log.warning("lazada: unknown %s %r (kept as the platform's word)", kind, value)


def site_tz(site: str) -> timezone:
    return timezone(timedelta(hours=SITE_OFFSET_HOURS.get(site.strip().upper(), 0)))


def id_str(value: object) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_time(value: object, tz: timezone = UTC) -> datetime | None:
    """Any Lazada time, in UTC: epoch ms or s (number or digits; told apart by
    size), ``YYYY-MM-DD HH:MM:SS +0700`` or ISO-8601. Naive times are read in ``tz``."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    text = str(value).strip()
    if isinstance(value, int | float) or text.isdigit():
        try:
            number = int(float(text))
        except ValueError:
            return None
        if number <= 0:
            return None
        return datetime.fromtimestamp(number / 1000 if number >= 10**11 else number, UTC)
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for fmt in ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%dT%H:%M:%S%z"):
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        unknown("time format", text)
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)).astimezone(UTC)


def to_ms(value: object, tz: timezone = UTC) -> int:
    moment = parse_time(value, tz)
    return int(moment.timestamp() * 1000) if moment else 0


def iso_query_time(ms: int, site: str) -> str:
    """``YYYY-MM-DDTHH:mm:ss±HH:MM`` in the site's offset, as GetOrders wants it."""
    return datetime.fromtimestamp(ms // 1000, UTC).astimezone(site_tz(site)).isoformat()


def earliest(values: Iterable[object], tz: timezone = UTC) -> datetime | None:
    moments = [m for m in (parse_time(v, tz) for v in values) if m is not None]
    return min(moments) if moments else None


def latest(values: Iterable[object], tz: timezone = UTC) -> datetime | None:
    moments = [m for m in (parse_time(v, tz) for v in values) if m is not None]
    return max(moments) if moments else None


def decimal(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    # No real amount has more than 18 digits; beyond that it is garbage, not money.
    return number if number.is_finite() and number.adjusted() < 18 else None


def reverse_money(cents: Decimal, *, site: str, currency: str) -> str:
    """Reverse-order amounts: "currency in cent, except VN"."""
    if site.strip().upper() == "VN" or currency.upper() == "VND":
        return str(cents)
    return str(cents.scaleb(-2).quantize(Decimal("0.01")))
