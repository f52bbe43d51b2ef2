"""The buyer of a TikTok conversation: its BUYER participant.

Webhook 14 names the sender by ``im_user_id`` and role only. The 202309 API has no
"get one conversation" (202601 adds one, UNVERIFIED against the docs), so the
conversation list is read newest first until the conversation shows up: one page
for a conversation that just got a message, which is when the bot asks. Each page
also teaches :class:`~connectors.tiktok.orders.BuyerIds` the order-API ids it holds.
TikTok reports no language.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from connectors.buyer_profile import BuyerProfile, profile
from connectors.tiktok.orders import BuyerIds
from connectors.tiktok.sync import CONVERSATION_PAGE, CONVERSATIONS

Get = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


def buyer_of(conversation: dict[str, Any]) -> BuyerProfile | None:
    for p in conversation.get("participants") or []:
        if isinstance(p, dict) and p.get("role") == "BUYER":
            return profile(p.get("nickname"), p.get("avatar"))
    return None


async def fetch_buyer(get: Get, shop_id: str, conversation_id: str, *, pages: int,
                      buyer_ids: BuyerIds | None = None) -> BuyerProfile | None:
    """None when the conversation is not within the first ``pages`` pages (an old
    conversation: its pulled messages name the buyer anyway)."""
    token = ""
    for _ in range(pages):
        params: dict[str, Any] = {"page_size": CONVERSATION_PAGE}
        if token:  # never an empty parameter: SDKs sign those differently
            params["page_token"] = token
        data = await get(CONVERSATIONS, params)
        conversations = [c for c in data.get("conversations") or [] if isinstance(c, dict)]
        if buyer_ids is not None:
            buyer_ids.learn(shop_id, conversations)
        for conv in conversations:
            if str(conv.get("id") or "") == str(conversation_id):
                return buyer_of(conv)
        token = str(data.get("next_page_token") or "")
        if not token or not conversations:
            return None
    return None
