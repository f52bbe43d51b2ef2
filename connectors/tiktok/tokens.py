"""Seller authorization: the authorize link, code exchange, refresh rules."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode

from connectors.base import Tokens, TokenStore
from connectors.errors import AuthError, PermanentError, TransientError
from connectors.models import StoreAccount
from connectors.tiktok.client import TikTokHttp
from connectors.tiktok.errors import TokenInvalid
from connectors.tiktok.hosts import AUTH_BASE, authorize_service_base

log = logging.getLogger(__name__)
T = TypeVar("T")

TOKEN_GET = "/api/v2/token/get"
TOKEN_REFRESH = "/api/v2/token/refresh"
SHOPS = "/authorization/202309/shops"


def authorize_url(*, app_key: str, state: str, service_id: str | None = None,
                  site: str | None = None) -> str:
    """The link a seller opens to authorize the app.

    TikTok redirects to the Redirect URL registered for the app in Partner Center,
    with ``?code=...&state=...``; the link itself carries no redirect. With a
    ``service_id`` we build the current service link (US sellers have their own
    host); without one, the legacy ``app_key`` link that EcomPHP still uses.
    """
    if service_id:
        return (f"{authorize_service_base(site)}/open/authorize?"
                + urlencode({"service_id": service_id, "state": state}))
    return f"{AUTH_BASE}/oauth/authorize?" + urlencode({"app_key": app_key, "state": state})


def _expiry(value: Any, now: datetime) -> datetime | None:
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return None
    if seconds <= 0:
        return None
    # TikTok sends ABSOLUTE Unix timestamps here despite the "_expire_in" names. A value
    # too small to be a date after 2001 can only be a duration; accept it as one.
    if seconds < 1_000_000_000:
        return now + timedelta(seconds=seconds)
    return datetime.fromtimestamp(seconds, UTC)


def tokens_from_grant(data: Mapping[str, Any], *, now: datetime,
                      extra: Mapping[str, str] | None = None) -> Tokens:
    access = str(data.get("access_token") or "")
    if not access:
        raise AuthError("TikTok token answer without access_token")
    merged = dict(extra or {})
    for key in ("open_id", "seller_name", "seller_base_region"):
        if data.get(key):
            merged[key] = str(data[key])
    return Tokens(access_token=access, refresh_token=str(data.get("refresh_token") or ""),
                  access_expires_at=_expiry(data.get("access_token_expire_in"), now),
                  refresh_expires_at=_expiry(data.get("refresh_token_expire_in"), now),
                  extra=merged)


def needs_refresh(tokens: Tokens, now: datetime, margin: timedelta) -> bool:
    return tokens.access_expires_at is not None and tokens.access_expires_at - margin <= now


def refresh_expired(tokens: Tokens, now: datetime) -> bool:
    return tokens.refresh_expires_at is not None and tokens.refresh_expires_at <= now


async def request_token(http: TikTokHttp, auth_base: str, code: str) -> dict[str, Any]:
    # "authorized_code", not OAuth's "authorization_code": the latter fails.
    return await http.token_call(auth_base, TOKEN_GET,
                                 {"auth_code": code, "grant_type": "authorized_code"})


async def refresh_token(http: TikTokHttp, auth_base: str, token: str) -> dict[str, Any]:
    return await http.token_call(auth_base, TOKEN_REFRESH,
                                 {"refresh_token": token, "grant_type": "refresh_token"})


async def authorized_shops(http: TikTokHttp, api_base: str,
                           access_token: str) -> list[dict[str, Any]]:
    """Shops behind a token, each with its ``cipher``. Not a customer-service call, so
    it costs none of the daily CS quota, and it must go without ``shop_cipher``."""
    data = await http.call(api_base, "GET", SHOPS, access_token=access_token)
    shops = data.get("shops")
    return [s for s in shops if isinstance(s, dict)] if isinstance(shops, list) else []


class TokenKeeper:
    """Reads a shop's tokens (TokenStore first, then the configured credentials),
    refreshes them ahead of expiry or after a token error, and resolves the shop
    cipher. Calls for one shop share a lock around refreshing."""

    def __init__(self, http: TikTokHttp, store: TokenStore, *, platform: str,
                 margin: timedelta, now: Callable[[], datetime],
                 api_base: Callable[[StoreAccount], str],
                 auth_base: Callable[[StoreAccount], str]) -> None:
        self._http = http
        self._store = store
        self._platform = platform
        self._margin = margin
        self._now = now
        self._api_base = api_base
        self._auth_base = auth_base
        self._locks: dict[str, asyncio.Lock] = {}

    async def load(self, account: StoreAccount) -> Tokens:
        stored = await self._store.get_tokens(self._platform, account.shop_id)
        if stored is not None:
            return stored
        creds = account.credentials
        if not creds.get("access_token"):
            raise AuthError(f"no TikTok access token for shop {account.shop_id}",
                            user_message="This TikTok store has no access token; connect it.")
        extra = {"shop_cipher": creds["shop_cipher"]} if creds.get("shop_cipher") else {}
        return Tokens(access_token=creds["access_token"],
                      refresh_token=creds.get("refresh_token", ""), extra=extra)

    async def fresh(self, account: StoreAccount) -> Tokens:
        tokens = await self.load(account)
        if needs_refresh(tokens, self._now(), self._margin):
            try:
                tokens = await self.refresh(account, tokens)
            except TransientError:
                # Refreshing early failed for now; the old token still works until it
                # really expires, and the next call tries again.
                if needs_refresh(tokens, self._now(), timedelta(0)):
                    raise
        return tokens

    async def refresh(self, account: StoreAccount, stale: Tokens) -> Tokens:
        # One refresh per shop at a time: a refresh token may be single-use, so a
        # second caller must find the first caller's result instead of spending it again.
        async with self._locks.setdefault(account.shop_id, asyncio.Lock()):
            current = await self.load(account)
            if current.access_token != stale.access_token:
                return current
            now = self._now()
            if not current.refresh_token or refresh_expired(current, now):
                raise AuthError("TikTok refresh token missing or expired",
                                user_message="The TikTok authorization has expired; "
                                             "reconnect the store.")
            try:
                data = await refresh_token(self._http, self._auth_base(account),
                                           current.refresh_token)
            except AuthError:
                raise
            except PermanentError as exc:
                raise AuthError(f"refresh failed: {exc}", code=exc.code) from exc
            fresh = tokens_from_grant(data, now=now, extra=current.extra)
            if not fresh.refresh_token:  # kept, not rotated
                fresh = replace(fresh, refresh_token=current.refresh_token,
                                refresh_expires_at=current.refresh_expires_at)
            await self._store.put_tokens(self._platform, account.shop_id, fresh)
            log.info("TikTok tokens refreshed for shop %s", account.shop_id)
            return fresh

    async def with_token(self, account: StoreAccount,
                         call: Callable[[Tokens], Awaitable[T]]) -> T:
        """Run ``call``; on an invalid or expired token refresh and run it once more."""
        tokens = await self.fresh(account)
        try:
            return await call(tokens)
        except TokenInvalid:
            tokens = await self.refresh(account, tokens)
            return await call(tokens)  # a second TokenInvalid is an AuthError: it stands

    async def cipher(self, account: StoreAccount, tokens: Tokens) -> str:
        cipher = tokens.extra.get("shop_cipher") or account.credentials.get("shop_cipher")
        if cipher:
            return cipher
        for shop in await authorized_shops(self._http, self._api_base(account),
                                           tokens.access_token):
            if str(shop.get("id")) == account.shop_id and shop.get("cipher"):
                cipher = str(shop["cipher"])
                await self._store.put_tokens(self._platform, account.shop_id, replace(
                    tokens, extra={**tokens.extra, "shop_cipher": cipher}))
                return cipher
        raise AuthError(f"shop {account.shop_id} not authorized for this app",
                        user_message="This TikTok shop does not authorize the app; "
                                     "reconnect the store.")

    def forget(self) -> None:
        self._locks.clear()
