"""The buyer of a sandbox conversation: ``GET .../conversations/{id}``.

Unlike the real marketplaces, the sandbox knows what language its buyers write,
so its profile carries ``language`` (the "platform reported" case of
``bot.language.buyer_language``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from connectors.buyer_profile import BuyerProfile, profile
from connectors.errors import PermanentError, TransientError
from connectors.models import StoreAccount

Call = Callable[..., Awaitable[dict[str, Any] | None]]


async def fetch_buyer(call: Call, store: StoreAccount, conversation_id: str
                      ) -> BuyerProfile | None:
    path = f"/conversations/{quote(str(conversation_id), safe='')}"
    try:
        data = await call(store, "GET", path)
    except PermanentError as exc:
        if exc.code == "conversation_not_found":
            return None
        raise
    buyer = (data or {}).get("buyer")
    if not isinstance(buyer, dict):
        raise TransientError("conversation answer without buyer", code="malformed_response")
    return profile(buyer.get("name"), buyer.get("avatar_url"), buyer.get("language"))
