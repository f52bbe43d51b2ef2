"""Seller authorization: the authorize link, code exchange and refresh rules.

Lazada token lifetimes are durations in seconds (access 7 d test / 30 d online,
refresh 30 d / 180 d). Refreshing renews the access token only: "the duration of
the refresh token will not be reset", so a refresh never moves its expiry later.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from connectors.base import Tokens, TokenStore
from connectors.errors import AuthError, PermanentError, TransientError
from connectors.lazada.client import LazadaClient, as_int
from connectors.lazada.hosts import AUTHORIZE_PAGE
from connectors.models import ShopId, StoreAccount

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


class TokenKeeper:
    """Reads, refreshes and stores one app's seller tokens.

    One lock per shop: Lazada may rotate the refresh token on use, so two
    concurrent calls must never both spend it.
    """

    def __init__(
        self,
        client: LazadaClient,
        store: TokenStore,
        *,
        auth_base: str,
        margin: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self._client = client
        self._store = store
        self._auth_base = auth_base
        self._margin = margin
        self._clock = clock
        self._locks: dict[str, asyncio.Lock] = {}

    async def current(self, account: StoreAccount) -> Tokens:
        stored = await self._store.get_tokens(PLATFORM, account.shop_id)
        if stored is not None:
            return stored
        creds = account.credentials
        if not creds.get("access_token"):
            raise AuthError(f"lazada store {account.shop_id} has no tokens", code="NoToken")
        return Tokens(access_token=creds["access_token"],
                      refresh_token=creds.get("refresh_token", ""))

    def expiring(self, tokens: Tokens) -> bool:
        expires = tokens.access_expires_at
        return expires is not None and expires - self._clock() <= self._margin

    async def access_token(self, account: StoreAccount) -> str:
        tokens = await self.current(account)
        if not self.expiring(tokens):
            return tokens.access_token
        try:
            return (await self.refresh(account, stale=tokens.access_token)).access_token
        except TransientError:
            # Refreshing ahead of time failed for now; the old token still works.
            expires = tokens.access_expires_at
            if expires is not None and expires > self._clock():
                return tokens.access_token
            raise

    async def refresh(self, account: StoreAccount, *, stale: str | None) -> Tokens:
        """New tokens, unless another call already replaced ``stale`` meanwhile."""
        lock = self._locks.setdefault(account.shop_id, asyncio.Lock())
        async with lock:
            tokens = await self.current(account)
            if stale is not None and tokens.access_token != stale and not self.expiring(tokens):
                return tokens
            now = self._clock()
            if not tokens.refresh_token or (
                tokens.refresh_expires_at is not None and tokens.refresh_expires_at <= now
            ):
                raise AuthError(f"lazada store {account.shop_id}: no usable refresh token",
                                code="IllegalRefreshToken")
            try:
                body = await self._client.call(
                    self._auth_base, REFRESH_PATH, {"refresh_token": tokens.refresh_token},
                    method="POST",
                )
            except AuthError:
                raise
            except PermanentError as exc:
                raise AuthError(str(exc), code=exc.code) from exc
            _, fresh = tokens_from_response(body, now, previous=tokens, shop_id=account.shop_id)
            await self._store.put_tokens(PLATFORM, account.shop_id, fresh)
            return fresh

    async def exchange(self, code: str, shop_id: str | None = None) -> tuple[ShopId, Tokens]:
        body = await self._client.call(
            self._auth_base, CREATE_PATH, {"code": code}, method="POST"
        )
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
        found, tokens = tokens_from_response(body, self._clock(), shop_id=shop_id)
        if not found:
            raise AuthError("lazada token answer names no seller", code="NoSeller")
        await self._store.put_tokens(PLATFORM, found, tokens)
        return found, tokens


def utc_now() -> datetime:
    return datetime.now(UTC)
