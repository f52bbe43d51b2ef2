"""Small words and symbols shared by every rendering."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

PLATFORM_NAMES = {"shopee": "Shopee", "lazada": "Lazada", "tiktok": "TikTok Shop"}

KIND_ICONS = {"text": "💬", "image": "🖼️", "sticker": "🙂", "product": "🛍️", "order": "🧾",
              "voucher": "🎟️", "video": "🎬", "unknown": "❓"}


@lru_cache(maxsize=512)  # drawn for every row of every card and Home view
def flag(site: str) -> str:
    """Regional-indicator flag for a two-letter site code (SG -> 🇸🇬)."""
    if len(site) != 2 or not site.isalpha():
        return "🏳️"
    return "".join(chr(0x1F1E6 + ord(c) - ord("A")) for c in site.upper())


def platform_name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform.title())


def slack_date(epoch: float | None, fallback: str = "—") -> str:
    """Slack renders this in each reader's own time zone."""
    if epoch is None:
        return fallback
    return f"<!date^{int(epoch)}^{{date_short_pretty}} {{time}}|{fallback}>"


def summarize(kind: str, text: str, attributes: dict[str, Any]) -> str:
    """One line for the card and notifications (raw, unescaped)."""
    icon = KIND_ICONS.get(kind, "❓")
    body = " ".join(text.split())
    if kind == "text":
        return body[:80] + ("…" if len(body) > 80 else "")
    label = {"image": "Image", "sticker": "Sticker", "product": "Product",
             "order": "Order", "voucher": "Voucher", "video": "Video"}.get(kind)
    if label is None:
        return f"{icon} Unsupported message ({attributes.get('platform_type', 'unknown')})"
    detail = (attributes.get("name") or attributes.get("order_sn") or attributes.get("code")
              or attributes.get("label") or body)
    return f"{icon} {label}" + (f": {str(detail)[:60]}" if detail else "")


def duration(seconds: float) -> str:
    """How long, for people: ``<1 min``, ``12 min``, ``3 h 05 min``, ``2 d 4 h``."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return "<1 min"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"


def thread_url(workspace_url: str | None, team_id: str | None, channel_id: str | None,
               thread_ts: str | None) -> str | None:
    """A permalink to a thread (``https://<ws>.slack.com/archives/C/p<ts>``), else a
    ``slack://`` deep link to its channel, else None (the caller shows plain text)."""
    if not channel_id or not thread_ts:
        return None
    if workspace_url:
        return f"{workspace_url.rstrip('/')}/archives/{channel_id}/p{thread_ts.replace('.', '')}"
    if team_id:
        return f"slack://channel?team={team_id}&id={channel_id}"
    return None
