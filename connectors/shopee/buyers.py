"""The buyer of a Shopee conversation: ``get_one_conversation`` names them.

The webchat push carries ``from_user_name`` but never an avatar; the conversation
(``to_name``, ``to_avatar``) has both. Shopee reports no language.
"""

from __future__ import annotations

from connectors.buyer_profile import BuyerProfile, profile
from connectors.errors import PermanentError
from connectors.shopee.sync import ONE, ShopGet

#: Shopee's answers for a conversation it does not know (or no longer shows).
NOT_FOUND = frozenset({"resource_not_found", "error_not_found"})


async def fetch_buyer(get: ShopGet, conversation_id: str) -> BuyerProfile | None:
    try:
        conv = await get(ONE, {"conversation_id": str(conversation_id)})
    except PermanentError as exc:
        if exc.code in NOT_FOUND:
            return None
        raise
    if str(conv.get("conversation_id") or "") != str(conversation_id):
        return None  # an empty answer: nothing to say about this conversation
    return profile(conv.get("to_name"), conv.get("to_avatar"))
