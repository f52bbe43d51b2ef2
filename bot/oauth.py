"""Store authorization: the seller's link out, the marketplace's redirect back.

The ``state`` we put in the link is remembered for an hour with the platform, the
store it was issued for and who issued it, and is spent once, so a redirect we did
not start (or one replayed) is refused, and a grant for another shop is not stored.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.config import PLATFORMS, Settings, StoreConfig
from bot.oauth_grants import CapturedTokens, Refused, bad_request, decide, exchange
from bot.store import Store
from bot.store.token_cipher import MAKE_KEY, SECRET_ENV
from connectors.base import TokenStore
from connectors.errors import ConnectorError
from connectors.models import ShopId
from connectors.registry import build_connector

log = logging.getLogger(__name__)

STATE_TTL = 3600.0


class AuthorizationError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Authorized:
    platform: str
    connected: list[tuple[str, str | None]]  # (shop id, configured store key or None)
    notes: list[str]  # what the grant also covered and was left alone

    @property
    def store_keys(self) -> list[str]:
        return [key for _, key in self.connected if key]

    def message(self) -> str:
        said = []
        for shop, key in self.connected:
            if key:
                said.append(f"{self.platform} shop {shop} is connected as store {key}; "
                            "StoreBridge is catching up its conversations.")
            else:
                said.append(f"{self.platform} shop {shop} is authorized. Add it to "
                            f"storebridge.yml (platform: {self.platform}, shop_id: \"{shop}\") "
                            "and restart StoreBridge to bring its chats into Slack.")
        return " ".join(said + self.notes)


def redirect_url(settings: Settings, platform: str) -> str:
    if not settings.public_url:
        raise AuthorizationError(400, "STOREBRIDGE_PUBLIC_URL is not set: the marketplace "
                                      "needs a public address to send the seller back to.")
    return f"{settings.public_url.rstrip('/')}/oauth/{platform}/callback"


def _connector(settings: Settings, platform: str, session: aiohttp.ClientSession,
               tokens: TokenStore) -> Any:
    if platform not in PLATFORMS:
        raise AuthorizationError(404, f"unknown platform {platform!r}; expected one of "
                                      f"{', '.join(PLATFORMS)}")
    try:
        return build_connector(platform, session, settings.env, tokens)
    except (KeyError, ValueError) as e:
        raise AuthorizationError(400, f"{platform} app credentials are missing or invalid: "
                                      f"{e}") from None


def _bound_store(settings: Settings, platform: str, store_key: str) -> StoreConfig:
    found = next((s for s in settings.stores if s.key == store_key), None)
    if found is None or found.platform != platform:
        known = [s.key for s in settings.stores if s.platform == platform]
        raise AuthorizationError(400, f"no {platform} store {store_key!r} in "
                                      f"{settings.source} (known: "
                                      f"{', '.join(known) or 'none'})")
    if found.connector != platform:
        raise AuthorizationError(400, f"store {store_key} is reached through the "
                                      f"{found.connector} connector; it needs no {platform} "
                                      "authorization")
    return found


def _need_key(store: Store) -> None:
    if not store.credentials.cipher.ready:
        raise AuthorizationError(503, f"StoreBridge cannot keep marketplace tokens: {SECRET_ENV}"
                                      f" is not set. Make a key with: {MAKE_KEY}")


async def authorize_link(settings: Settings, store: Store, session: aiohttp.ClientSession,
                         platform: str, store_key: str | None = None,
                         issued_by: str = "unknown") -> str:
    """A fresh seller authorization link for ``platform``, good for the configured
    store ``store_key`` only (None: for a shop not configured yet)."""
    connector = _connector(settings, platform, session, store.books)
    try:
        if store_key is not None:
            _bound_store(settings, platform, store_key)
        _need_key(store)
        back = redirect_url(settings, platform)
        state = secrets.token_urlsafe(24)
        await store.credentials.issue_oauth_state(state, platform, store_key, issued_by)
        return str(connector.authorize_url(back, state))
    finally:
        await connector.close()


async def complete(settings: Settings, store: Store, session: aiohttp.ClientSession,
                   platform: str, query: Mapping[str, str]) -> Authorized:
    """Handle the redirect: spend the state, trade the code, and store the tokens of
    only the shops the link was issued for (the marketplace says which they are)."""
    captured = CapturedTokens()
    connector = _connector(settings, platform, session, captured)
    try:
        return await _complete(settings, store, connector, captured, platform, query)
    finally:
        await connector.close()


async def _complete(settings: Settings, store: Store, connector: Any,
                    captured: CapturedTokens, platform: str, query: Mapping[str, str]
                    ) -> Authorized:
    _need_key(store)
    code = query.get("code", "")
    wrong = bad_request(platform, query) if code else None
    if wrong:
        raise AuthorizationError(400, wrong)
    issued = await store.credentials.take_oauth_state(query.get("state", ""), platform,
                                                      STATE_TTL)
    if issued is None or store.database.clock() - issued.created_at > STATE_TTL:
        raise AuthorizationError(400, "This authorization link has expired or was not issued "
                                      f"here. Run `storebridge stores authorize {platform}` "
                                      "again.")
    if issued.platform != platform:
        # Not spent: the seller may still finish at the right address.
        raise AuthorizationError(400, f"This authorization link was issued for "
                                      f"{issued.platform}, not {platform}. Nothing was "
                                      "stored.")
    if not code:
        raise AuthorizationError(400, "The marketplace sent no authorization code (the seller "
                                      "may have declined).")
    target = None
    if issued.store_key is not None:
        try:
            target = _bound_store(settings, platform, issued.store_key)
        except AuthorizationError:
            raise AuthorizationError(400, f"The link was issued for store {issued.store_key}, "
                                          "which is no longer configured. Nothing was "
                                          "stored.") from None
    try:
        await exchange(platform, connector, code, query, target)
        decision = decide(platform, captured.grants, target, settings.stores)
    except ConnectorError as e:
        raise AuthorizationError(502, f"The marketplace refused the code: {e.user_message} "
                                      "Nothing was stored.") from None
    except Refused as e:
        log.warning("%s authorization refused (link for %s, issued by %s): %s", platform,
                    issued.store_key or "a new store", issued.issued_by, e.message)
        raise AuthorizationError(e.status, e.message) from None
    for shop_id, tokens in decision.store.items():
        await store.books.put_tokens(platform, ShopId(shop_id), tokens)
    log.info("%s authorization stored for %s (link issued by %s)", platform,
             ", ".join(shop for shop, _ in decision.connected), issued.issued_by)
    return Authorized(platform, decision.connected, decision.left)
