"""Seller authorization: the authorize link, code exchange and refresh rules.

Lazada token lifetimes are durations in seconds (access 7 d test / 30 d online,
refresh 30 d / 180 d). Refreshing renews the access token only: "the duration of
the refresh token will not be reset", so a refresh never moves its expiry later.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from connectors.base import Tokens, TokenStore
from connectors.errors import AuthError, ConnectorError
from connectors.lazada.client import LazadaClient, as_int
from connectors.lazada.hosts import AUTHORIZE_PAGE
from connectors.models import ShopId, StoreAccount
from connectors.tokens import Refresh

PLATFORM = "lazada"
CREATE_PATH = "/auth/token/create"
REFRESH_PATH = "/auth/token/refresh"


def authorize_url(
    app_key: str,
    redirect_url: str,
    state: str,
    *,
    country: str | None = None,
    page: str = AUTHORIZE_PAGE,
) -> str:
    """The link a seller opens; Lazada redirects to ``redirect_url?code=...&state=...``."""
    query = {
        "response_type": "code",
        "force_auth": "true",
        "redirect_uri": redirect_url,
        "client_id": app_key,
    }
    if state:
        query["state"] = state
    if country:
        query["country"] = country.lower()
    return f"{page}?{urlencode(query)}"


def tokens_from_response(
    body: Mapping[str, Any],
    now: datetime,
    *,
    previous: Tokens | None = None,
    shop_id: str | None = None,
) -> tuple[ShopId, Tokens]:
    """Tokens out of a create/refresh answer (fields at top level, no ``data``)."""
    access = str(body.get("access_token") or "")
    if not access:
        raise AuthError("lazada token answer without access_token", code="NoAccessToken")
    expires_in = as_int(body.get("expires_in"), 0)
    refresh_in = as_int(body.get("refresh_expires_in"), 0)
    # refresh_expires_in == 0 means the token cannot be refreshed at all.
    refresh_expires_at = now + timedelta(seconds=refresh_in) if refresh_in > 0 else now
    if previous and previous.refresh_expires_at:
        refresh_expires_at = min(refresh_expires_at, previous.refresh_expires_at)
    # Create names the list country_user_info, refresh names it country_user_info_list.
    users = body.get("country_user_info") or body.get("country_user_info_list") or []
    user = _pick_user(users, shop_id, str(body.get("country") or ""))
    extra = {
        k: str(v)
        for k, v in {
            "country": body.get("country") or user.get("country"),
            "account": body.get("account"),
            "account_id": body.get("account_id"),
            "seller_id": user.get("seller_id"),
            "user_id": user.get("user_id"),
            "short_code": user.get("short_code"),
        }.items()
        if v
    }
    if previous:
        extra = {**previous.extra, **extra}
    kept_refresh = previous.refresh_token if previous else ""
    tokens = Tokens(
        access_token=access,
        refresh_token=str(body.get("refresh_token") or kept_refresh),
        access_expires_at=now + timedelta(seconds=expires_in) if expires_in > 0 else None,
        refresh_expires_at=refresh_expires_at,
        extra=extra,
    )
    resolved = shop_id or extra.get("seller_id") or extra.get("account_id") or ""
    return ShopId(resolved), tokens


def _pick_user(users: object, shop_id: str | None, country: str) -> dict[str, Any]:
    entries = [u for u in users if isinstance(u, dict)] if isinstance(users, list) else []
    for wanted, key in ((shop_id, "seller_id"), (country, "country")):
        for entry in entries:
            if wanted and str(entry.get(key, "")).lower() == wanted.lower():
                return entry
    return entries[0] if entries else {}


def refresher(client: LazadaClient, auth_base: str) -> Refresh:
    """How a Lazada refresh is asked for and read (the keeper stores the result)."""

    async def refresh(account: StoreAccount, tokens: Tokens, now: datetime) -> Tokens:
        body = await client.call(auth_base, REFRESH_PATH,
                                 {"refresh_token": tokens.refresh_token}, method="POST")
        return tokens_from_response(body, now, previous=tokens, shop_id=account.shop_id)[1]

    return refresh


def is_rejection(exc: ConnectorError) -> bool:
    """The gateway refused the token before the call reached the service."""
    return isinstance(exc, AuthError) and exc.code == "IllegalAccessToken"


async def exchange(client: LazadaClient, store: TokenStore, auth_base: str, code: str,
                   shop_id: str | None, now: datetime) -> tuple[ShopId, Tokens]:
    body = await client.call(auth_base, CREATE_PATH, {"code": code}, method="POST")
    users = body.get("country_user_info")
    sellers = [str(u.get("seller_id")) for u in users if isinstance(u, dict)
               and u.get("seller_id")] if isinstance(users, list) else []
    if shop_id and shop_id not in sellers:
        # The seller is who Lazada says signed in, never what the caller hoped.
        raise AuthError(f"lazada grant is for seller(s) {sellers}, not {shop_id}",
                        code="OtherSeller",
                        user_message=f"That Lazada authorization is for seller "
                                     f"{', '.join(sellers) or '(none named)'}, "
                                     f"not {shop_id}.")
    found, tokens = tokens_from_response(body, now, shop_id=shop_id)
    if not found:
        raise AuthError("lazada token answer names no seller", code="NoSeller")
    await store.put_tokens(PLATFORM, found, tokens)
    return found, tokens


def utc_now() -> datetime:
    return datetime.now(UTC)
