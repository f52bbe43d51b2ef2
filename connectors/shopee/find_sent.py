"""Looking up a send whose answer was lost.

Shopee's send_message takes no idempotency key, so the only evidence of such a send
is the conversation itself: a seller text message with the same text created at or
after the send began.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from connectors.models import OutboundText, PlatformMessageId, SentMessage, StoreAccount
from connectors.shopee.messages import is_from_seller, to_datetime
from connectors.shopee.sync import MESSAGES

Get = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
MAX_PAGES = 4


async def find_sent(get: Get, store: StoreAccount, out: OutboundText, since: datetime, *,
                    page_size: int, seller_ids: frozenset[str]) -> SentMessage | None:
    floor = int(since.timestamp()) - 1  # created_timestamp is whole seconds
    want = out.text.strip()
    found: dict[str, Any] | None = None
    offset = ""
    for _ in range(MAX_PAGES):
        params: dict[str, Any] = {"conversation_id": str(out.conversation_id),
                                  "page_size": page_size}
        if offset:
            params["offset"] = offset
        resp = await get(MESSAGES, params)
        items = [m for m in resp.get("messages") or [] if isinstance(m, dict)]
        for m in items:  # newest first: the last match seen is the earliest one
            if int(m.get("created_timestamp") or 0) < floor:
                return _sent(found)
            if _same_text(m, want) and _by_seller(m, store, out, seller_ids):
                found = m
        page = resp.get("page_result")
        offset = str((page.get("next_offset") if isinstance(page, dict) else "") or "")
        if not items or not offset:
            break
    return _sent(found)


def _same_text(m: dict[str, Any], want: str) -> bool:
    content = m.get("content")
    text = content.get("text") if isinstance(content, dict) else None
    return m.get("message_type") == "text" and str(text or "").strip() == want


def _by_seller(m: dict[str, Any], store: StoreAccount, out: OutboundText,
               seller_ids: frozenset[str]) -> bool:
    if is_from_seller(m, store.shop_id, seller_ids):
        return True
    return str(m.get("to_id")) == str(out.buyer_id) != str(m.get("from_id"))


def _sent(m: dict[str, Any] | None) -> SentMessage | None:
    if m is None:
        return None
    return SentMessage(message_id=PlatformMessageId(str(m["message_id"])),
                       sent_at=to_datetime(m.get("created_timestamp")))
