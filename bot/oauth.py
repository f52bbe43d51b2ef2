"""Store authorization: the seller's link out, the marketplace's redirect back.

The ``state`` we put in the link is remembered for an hour and spent once, so a
redirect we did not start (or one replayed) is refused.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.config import PLATFORMS, Settings
from bot.store import Store
from connectors.errors import ConnectorError
from connectors.registry import build_connector

STATE_TTL = 3600.0


class AuthorizationError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Authorized:
    platform: str
    shop_id: str
    store_key: str | None  # the configured store it belongs to, if any


def redirect_url(settings: Settings, platform: str) -> str:
    if not settings.public_url:
        raise AuthorizationError(400, "STOREBRIDGE_PUBLIC_URL is not set: the marketplace "
                                      "needs a public address to send the seller back to.")
    return f"{settings.public_url.rstrip('/')}/oauth/{platform}/callback"


def _connector(settings: Settings, platform: str, session: aiohttp.ClientSession,
               store: Store) -> Any:
    if platform not in PLATFORMS:
        raise AuthorizationError(404, f"unknown platform {platform!r}; expected one of "
                                      f"{', '.join(PLATFORMS)}")
    try:
        return build_connector(platform, session, settings.env, store.books)
    except (KeyError, ValueError) as e:
        raise AuthorizationError(400, f"{platform} app credentials are missing or invalid: "
                                      f"{e}") from None


async def authorize_link(settings: Settings, store: Store, session: aiohttp.ClientSession,
                   platform: str) -> str:
    """A fresh seller authorization link for ``platform``."""
    connector = _connector(settings, platform, session, store)
    state = secrets.token_urlsafe(24)
    await store.books.issue_oauth_state(state, platform)
    return str(connector.authorize_url(redirect_url(settings, platform), state))


async def complete(settings: Settings, store: Store, session: aiohttp.ClientSession,
                   platform: str, query: Mapping[str, str]) -> Authorized:
    """Handle the redirect: check the state, trade the code for tokens, store them."""
    connector = _connector(settings, platform, session, store)
    state, code = query.get("state", ""), query.get("code", "")
    issued = await store.books.consume_oauth_state(state, platform, STATE_TTL)
    if issued is None or store.database.clock() - issued > STATE_TTL:
        raise AuthorizationError(400, "This authorization link has expired or was not issued "
                                      f"here. Run `storebridge stores authorize {platform}` "
                                      "again.")
    if not code:
        raise AuthorizationError(400, "The marketplace sent no authorization code (the seller "
                                      "may have declined).")
    shop_hint = query.get("shop_id") or None
    try:
        shop_id, tokens = await connector.exchange_code(code, shop_hint)
    except ConnectorError as e:
        raise AuthorizationError(502, f"The marketplace refused the code: {e.user_message}"
                                 ) from None
    finally:
        await connector.close()
    await store.books.put_tokens(platform, shop_id, tokens)
    key = next((s.key for s in settings.stores if s.platform == platform
                and str(shop_id) in (s.shop_id, s.seller_id)), None)
    return Authorized(platform, str(shop_id), key)
