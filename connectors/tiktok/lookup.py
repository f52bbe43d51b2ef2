"""After a send whose answer was lost: was it delivered? (text and images)

TikTok takes no idempotency key: the only evidence is an agent-sent message of the
same content in the conversation after ``since`` (less a clock-skew margin): a TEXT
with the same words, an IMAGE with the uploaded URL.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from connectors.models import PlatformMessageId, SentMessage
from connectors.rich import UploadedImage, same_image
from connectors.tiktok.messages import AGENT_ROLES, parse_content, timestamp
from connectors.tiktok.sync import MESSAGE_PAGE

Get = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
Match = Callable[[dict[str, Any]], bool]


def is_text(m: dict[str, Any], want: str) -> bool:
    return m.get("type") == "TEXT" and parse_content(m.get("content")).get("content") == want


def is_image(m: dict[str, Any], image: UploadedImage) -> bool:
    return m.get("type") == "IMAGE" and same_image(parse_content(m.get("content")).get("url"),
                                                   image)


async def find_agent_message(get: Get, floor: float, pages: int, match: Match
                             ) -> SentMessage | None:
    """The newest agent message created at or after ``floor`` that ``match`` accepts."""
    token = ""
    for _ in range(pages):
        params: dict[str, Any] = {"page_size": MESSAGE_PAGE, "sort_order": "DESC",
                                  "sort_field": "create_time"}
        if token:
            params["page_token"] = token
        data = await get(params)
        for m in data.get("messages") or []:
            if not isinstance(m, dict) or float(m.get("create_time") or 0) < floor:
                return None
            if (m.get("sender") or {}).get("role") in AGENT_ROLES and match(m):
                return SentMessage(PlatformMessageId(str(m["id"])), timestamp(m["create_time"]))
        token = str(data.get("next_page_token") or "")
        if not token:
            return None
    return None
