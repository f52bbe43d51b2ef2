"""The buyer of a Lazada session: GetSessionDetail (``/im/session/get``).

Lazada's IM push names the buyer only by ``from_account_id``; the session carries
``title`` (the buyer's nickname) and ``head_url`` (their avatar). One call per
conversation, on demand: not a list, so it is no part of what Lazada calls polling.
Lazada reports no language (``site_id`` is the venture, not the buyer's language).
"""

from __future__ import annotations

from connectors.buyer_profile import BuyerProfile, profile
from connectors.errors import PermanentError
from connectors.lazada.sync import Api

SESSION_GET = "/im/session/get"


async def fetch_buyer(api: Api, session_id: str) -> BuyerProfile | None:
    try:
        data = await api(SESSION_GET, {"session_id": str(session_id)})
    except PermanentError as exc:
        if exc.code == "SESSION_NOT_EXIST":
            return None
        raise
    if str(data.get("session_id") or session_id) != str(session_id):
        return None
    return profile(data.get("title"), data.get("head_url"))
