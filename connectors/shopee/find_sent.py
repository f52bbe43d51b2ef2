"""Looking up a send whose answer was lost (a text, or an image).

Shopee's send_message takes no idempotency key, so the only evidence of such a send
is the conversation itself: a seller message with the same content created at or
after the send began (a text's words; an image's uploaded URL).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from connectors.models import OutboundText, PlatformMessageId, SentMessage, StoreAccount
from connectors.rich import ChatTarget, UploadedImage, same_image
from connectors.shopee.messages import is_from_seller, to_datetime
from connectors.shopee.sync import MESSAGES

Get = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
Match = Callable[[dict[str, Any]], bool]
MAX_PAGES = 4


async def find_sent(get: Get, store: StoreAccount, out: OutboundText, since: datetime, *,
                    page_size: int, seller_ids: frozenset[str]) -> SentMessage | None:
    want = out.text.strip()
    return await _find(get, store, str(out.conversation_id), str(out.buyer_id), since,
                       page_size, seller_ids, lambda m: _same_text(m, want))


async def find_sent_image(get: Get, store: StoreAccount, target: ChatTarget,
                          image: UploadedImage, since: datetime, *, page_size: int,
                          seller_ids: frozenset[str]) -> SentMessage | None:
    return await _find(get, store, str(target.conversation_id), str(target.buyer_id), since,
                       page_size, seller_ids, lambda m: _same_image(m, image))


async def _find(get: Get, store: StoreAccount, conversation_id: str, buyer_id: str,
                since: datetime, page_size: int, seller_ids: frozenset[str],
                match: Match) -> SentMessage | None:
    floor = int(since.timestamp()) - 1  # created_timestamp is whole seconds
    found: dict[str, Any] | None = None
    offset = ""
    for _ in range(MAX_PAGES):
        params: dict[str, Any] = {"conversation_id": conversation_id, "page_size": page_size}
        if offset:
            params["offset"] = offset
        resp = await get(MESSAGES, params)
        items = [m for m in resp.get("messages") or [] if isinstance(m, dict)]
        for m in items:  # newest first: the last match seen is the earliest one
            if int(m.get("created_timestamp") or 0) < floor:
                return _sent(found)
            if match(m) and _by_seller(m, store, buyer_id, seller_ids):
                found = m
        page = resp.get("page_result")
        offset = str((page.get("next_offset") if isinstance(page, dict) else "") or "")
        if not items or not offset:
            break
    return _sent(found)


def _content(m: dict[str, Any]) -> dict[str, Any]:
    content = m.get("content")
    return content if isinstance(content, dict) else {}


def _same_text(m: dict[str, Any], want: str) -> bool:
    text = _content(m).get("text")
    return m.get("message_type") == "text" and str(text or "").strip() == want


def _same_image(m: dict[str, Any], image: UploadedImage) -> bool:
    # Listed as {url, thumb_url, ...}; the send used {image_url}.
    content = _content(m)
    return m.get("message_type") == "image" and same_image(
        content.get("url") or content.get("image_url"), image)


def _by_seller(m: dict[str, Any], store: StoreAccount, buyer_id: str,
               seller_ids: frozenset[str]) -> bool:
    if is_from_seller(m, store.shop_id, seller_ids):
        return True
    return str(m.get("to_id")) == buyer_id != str(m.get("from_id"))


def _sent(m: dict[str, Any] | None) -> SentMessage | None:
    if m is None:
        return None
    return SentMessage(message_id=PlatformMessageId(str(m["message_id"])),
                       sent_at=to_datetime(m.get("created_timestamp")))
