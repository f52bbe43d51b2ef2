"""After a send whose answer was lost: was it delivered? (text and images)

Lazada has no idempotency key for sends, so the only evidence is a seller message of
the same content in that session after ``since``: a text (template 1) with the same
words, a picture (template 3) with the uploaded URL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from connectors.lazada import sync
from connectors.lazada.client import as_int
from connectors.lazada.media import IMAGE
from connectors.lazada.messages import SELLER, TEXT, content_of, from_ms
from connectors.models import PlatformMessageId, SentMessage
from connectors.rich import UploadedImage, same_image

Match = Callable[[dict[str, Any]], bool]


def is_text(wire: dict[str, Any], want: str) -> bool:
    return as_int(wire.get("template_id")) == TEXT and content_of(
        wire.get("content")).get("txt") == want


def is_image(wire: dict[str, Any], image: UploadedImage) -> bool:
    content = content_of(wire.get("content"))  # listed as {"imgUrl", "width", ...}
    return as_int(wire.get("template_id")) == IMAGE and same_image(
        content.get("imgUrl") or content.get("img_url"), image)


async def find_seller_message(api: sync.Api, session_id: str, since: datetime, now: datetime,
                              match: Match) -> SentMessage | None:
    """The earliest seller message sent after ``since`` that ``match`` accepts."""
    since_ms = int(since.timestamp() * 1000)
    recent = await sync.walk(
        api, sync.MESSAGE_LIST,
        {"session_id": session_id, "page_size": sync.PAGE_SIZE,
         # a minute ahead: Lazada stamps with its own clock
         "start_time": int(now.timestamp() * 1000) + 60_000},
        ("message_list", "last_message_id", "message_id", "send_time"),
        lambda wire: as_int(wire.get("send_time")) < since_ms, max_pages=10,
    )
    for wire in reversed(recent):  # the earliest match is the one that timed out
        if as_int(wire.get("from_account_type")) == SELLER and match(wire):
            return SentMessage(PlatformMessageId(str(wire["message_id"])),
                               from_ms(wire.get("send_time")))
    return None
