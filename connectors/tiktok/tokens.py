"""Seller authorization: the authorize link, code exchange, refresh rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from connectors.base import Tokens, TokenStore
from connectors.errors import AuthError, ConnectorError
from connectors.models import ShopId, StoreAccount
from connectors.tiktok.client import TikTokHttp
from connectors.tiktok.errors import TokenInvalid
from connectors.tiktok.hosts import AUTH_BASE, authorize_service_base
from connectors.tokens import Refresh

PLATFORM = "tiktok"

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


def refresher(http: TikTokHttp, auth_base: Callable[[StoreAccount], str]) -> Refresh:
    """How a TikTok refresh is asked for and read (the keeper stores the result)."""

    async def refresh(account: StoreAccount, tokens: Tokens, now: datetime) -> Tokens:
        data = await refresh_token(http, auth_base(account), tokens.refresh_token)
        fresh = tokens_from_grant(data, now=now, extra=tokens.extra)
        if not fresh.refresh_token:  # kept, not rotated
            fresh = replace(fresh, refresh_token=tokens.refresh_token,
                            refresh_expires_at=tokens.refresh_expires_at)
        return fresh

    return refresh


def is_rejection(exc: ConnectorError) -> bool:
    """Expired or unknown access token: refresh and run the call once more."""
    return isinstance(exc, TokenInvalid)


async def cipher(http: TikTokHttp, store: TokenStore, api_base: str, account: StoreAccount,
                 tokens: Tokens) -> str:
    """The shop's cipher: known, or looked up among the token's shops and kept."""
    known = tokens.extra.get("shop_cipher") or account.credentials.get("shop_cipher")
    if known:
        return known
    for shop in await authorized_shops(http, api_base, tokens.access_token):
        if str(shop.get("id")) == account.shop_id and shop.get("cipher"):
            found = str(shop["cipher"])
            await store.put_tokens(PLATFORM, account.shop_id, replace(
                tokens, extra={**tokens.extra, "shop_cipher": found}))
            return found
    raise AuthError(f"shop {account.shop_id} not authorized for this app",
                    user_message="This TikTok shop does not authorize the app; "
                                 "reconnect the store.")


async def exchange_all(http: TikTokHttp, store: TokenStore, code: str, *, auth_base: str,
                       api_base: str, now: datetime) -> list[tuple[ShopId, Tokens]]:
    """Every shop one authorization covers, each stored with its cipher."""
    data = await request_token(http, auth_base, code)
    grant = tokens_from_grant(data, now=now)
    result = []
    for shop in await authorized_shops(http, api_base, grant.access_token):
        sid = ShopId(str(shop.get("id") or ""))
        if not sid or not shop.get("cipher"):
            continue
        extra = {**grant.extra, "shop_cipher": str(shop["cipher"]),
                 "shop_name": str(shop.get("name") or ""),
                 "shop_region": str(shop.get("region") or "")}
        tokens = replace(grant, extra=extra)
        await store.put_tokens(PLATFORM, sid, tokens)
        result.append((sid, tokens))
    if not result:
        raise AuthError("token grant without any authorized shop",
                        user_message="The TikTok authorization covers no shop.")
    return result
