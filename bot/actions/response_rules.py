"""Each platform's published chat-response rule, as the guard applies it.

Sources (all third-party or seller-university text; the marketplaces change them, so
every figure is configurable under ``response_rate:``):

- **Shopee** — Chat Response Rate: a buyer chat (or offer) counts as answered if the
  seller replies within **12 hours**; computed over the **past 30 days**
  (ssopdot.com/blog/8520.html; duoke.com "Malaysia E-commerce Chat Response Rate
  Complete Guide 2026"); some sites weight the last 90 days (sellerby.com/p/32.html).
  Aim ≥ 90 %; below 80 % loses Preferred Seller; ≤ 20 % with ≥ 10 orders costs a point.
- **TikTok Shop** — 12-Hour Response Rate (replaced the 24-hour one on 15 Aug 2025):
  customer-initiated chats answered within **12 hours**, over the **last 30 days**;
  target > 85 % (seller-th.tiktok.com/university/essay?knowledge_id=8918857185183490;
  bigseller.com blog 3462; mapmychannel.com).
- **Lazada** — Chat Response Rate on a **daily cycle**: chats received from 18:00 the
  day before to 18:00 today must be answered by **19:00 today** (local time); target
  ≥ 50 %, LazMall ≥ 85 % over 3 months (duoke.com guide above). The window is
  **ASSUMED** 30 days like the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from bot.config_checker import Checker

#: Site time zones (Lazada's cut-off is local): UTC+8 SG/MY/PH, UTC+7 TH/VN/ID.
SITE_UTC_OFFSET = {"SG": 8, "MY": 8, "PH": 8, "TW": 8, "TH": 7, "VN": 7, "ID": 7}


@dataclass(frozen=True)
class ResponseRule:
    platform: str  # as agents know it
    window_days: int = 30
    reply_hours: float | None = 12.0  # None: Lazada's daily cut-off instead
    target: float = 0.9
    cutoff_hour: int = 18  # Lazada: chats until 18:00 ...
    due_hour: int = 19  # ... are due by 19:00 the same day
    warn_minutes: float = 120.0  # warn the store's channel this long before a miss


RULES = {"shopee": ResponseRule("Shopee", 30, 12.0, 0.9),
         "tiktok": ResponseRule("TikTok Shop", 30, 12.0, 0.85),
         "lazada": ResponseRule("Lazada", 30, None, 0.5),
         "sandbox": ResponseRule("the sandbox marketplace", 30, 12.0, 0.9)}


def deadline(rule: ResponseRule, site: str, asked_at: float) -> float:
    """When a buyer's wait that began at ``asked_at`` counts as missed."""
    if rule.reply_hours is not None:
        return asked_at + rule.reply_hours * 3600
    tz = timezone(timedelta(hours=SITE_UTC_OFFSET.get(site, 8)))
    local = datetime.fromtimestamp(asked_at, UTC).astimezone(tz)
    day = local.date() if local.hour < rule.cutoff_hour else local.date() + timedelta(days=1)
    due = datetime(day.year, day.month, day.day, rule.due_hour, tzinfo=tz)
    return due.timestamp()


def read_response_rules(c: Checker, raw: Any) -> dict[str, ResponseRule]:
    """``response_rate: {shopee: {reply_hours, window_days, target, warn_minutes}, ...}``."""
    rules = dict(RULES)
    t = c.mapping("response_rate", raw, set(RULES)) if raw is not None else {}
    for name, over in t.items():
        if name not in rules:
            continue  # reported as an unknown key
        key = f"response_rate.{name}"
        o = c.mapping(key, over, {"reply_hours", "window_days", "target", "warn_minutes"})
        base = rules[name]
        hours = base.reply_hours if "reply_hours" not in o else c.number(
            f"{key}.reply_hours", o["reply_hours"], 12.0, minimum=0.1)
        window = int(c.number(f"{key}.window_days", o.get("window_days"), base.window_days,
                              minimum=1))
        target = c.number(f"{key}.target", o.get("target"), base.target, minimum=0.0)
        warn = c.number(f"{key}.warn_minutes", o.get("warn_minutes"), base.warn_minutes,
                        minimum=1)
        if target > 1:
            c.problem(f"{key}.target", f"expected a fraction like 0.9, got {target:g}")
        rules[name] = ResponseRule(base.platform, window, hours, target,
                                   base.cutoff_hour, base.due_hour, warn)
    return rules
