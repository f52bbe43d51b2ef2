"""Seller authorization, code exchange and the refresh rules.

Shopee's access token lasts 4 h; the refresh token lasts 30 days and is single-use:
every refresh returns a new one and the old one is spent. The keeping itself (one
refresh per shop, stored before use) is :mod:`connectors.tokens`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from connectors.base import Tokens, TokenStore
from connectors.errors import AuthError, ConnectorError, PermanentError
from connectors.models import ShopId, StoreAccount
from connectors.shopee.client import ShopeeHttp
from connectors.shopee.errors import AccessTokenRejected
from connectors.shopee.signing import public_sign
from connectors.tokens import Refresh

PLATFORM = "shopee"
TOKEN_GET = "/api/v2/auth/token/get"
TOKEN_REFRESH = "/api/v2/auth/access_token/get"
AUTH_PARTNER = "/api/v2/shop/auth_partner"
ACCESS_LIFETIME = timedelta(hours=4)
REFRESH_LIFETIME = timedelta(days=30)


def authorize_url(
    *,
    partner_id: int,
    partner_key: str,
    redirect_url: str,
    state: str,
    style: str,
    auth_base: str,
    api_base: str,
    timestamp: int,
) -> str:
    """The link a seller opens to authorize the app.

    ``style="open"`` is the current form (guide 20: ``open.shopee.com/auth``, which
    carries ``state`` itself). ``style="legacy"`` is the signed
    ``/api/v2/shop/auth_partner`` form every SDK uses; it has no state parameter, so
    the state rides in the redirect URL's query instead.
    """
    if style == "legacy":
        parts = urlsplit(redirect_url)
        query = parse_qsl(parts.query, keep_blank_values=True) + [("state", state)]
        redirect = urlunsplit(parts._replace(query=urlencode(query)))
        params = {
            "partner_id": partner_id,
            "timestamp": timestamp,
            "sign": public_sign(partner_key, partner_id, AUTH_PARTNER, timestamp),
            "redirect": redirect,
        }
        return f"{api_base}{AUTH_PARTNER}?{urlencode(params)}"
    if style != "open":
        raise ValueError(f"unknown Shopee authorize style {style!r}")
    params = {
        "partner_id": partner_id,
        "auth_type": "seller",
        "redirect_uri": redirect_url,
        "response_type": "code",
        "state": state,
    }
    return f"{auth_base}/auth?{urlencode(params)}"


def tokens_from_response(data: Mapping[str, Any], now: datetime,
                         previous: Tokens | None = None) -> Tokens:
    access = str(data.get("access_token") or "")
    if not access:
        raise AuthError("shopee returned no access_token", code="no_token")
    refresh = str(data.get("refresh_token") or (previous.refresh_token if previous else ""))
    expire_in = data.get("expire_in")
    try:
        seconds = int(expire_in) if expire_in is not None else None
    except (TypeError, ValueError):
        seconds = None
    if seconds is None:
        access_exp = now + ACCESS_LIFETIME
    elif seconds > 1_000_000_000:  # one doc sample shows an epoch instead of a duration
        access_exp = datetime.fromtimestamp(seconds, UTC)
    else:
        access_exp = now + timedelta(seconds=seconds)
    extra = dict(previous.extra) if previous else {}
    for key in ("shop_id_list", "merchant_id_list", "user_id_list", "supplier_id_list"):
        if data.get(key):
            extra[key] = ",".join(str(v) for v in data[key])
    return Tokens(access_token=access, refresh_token=refresh, access_expires_at=access_exp,
                  refresh_expires_at=now + REFRESH_LIFETIME, extra=extra)


def refresher(http: ShopeeHttp, base: Callable[[StoreAccount], str], *,
              timeout: float) -> Refresh:
    """How a Shopee refresh is asked for (a public API: signed without
    access_token/shop_id) and read; the keeper stores the new pair before use."""

    async def refresh(account: StoreAccount, tokens: Tokens, now: datetime) -> Tokens:
        body = {"refresh_token": tokens.refresh_token, "partner_id": http.partner_id,
                "shop_id": numeric_id(account.shop_id)}
        data = await http.call(base(account), TOKEN_REFRESH, method="POST", body=body,
                               top_level=True, read_timeout=timeout)
        return tokens_from_response(data, now, previous=tokens)

    return refresh


def is_rejection(exc: ConnectorError) -> bool:
    return isinstance(exc, AccessTokenRejected)


async def exchange_code(http: ShopeeHttp, store: TokenStore, base: str, code: str, *,
                        now: datetime, timeout: float, shop_id: str | None = None,
                        main_account_id: str | None = None) -> tuple[ShopId, Tokens]:
    if (shop_id is None) == (main_account_id is None):
        raise ValueError("pass exactly one of shop_id or main_account_id")
    body: dict[str, Any] = {"code": code, "partner_id": http.partner_id}
    if shop_id is not None:
        body["shop_id"] = numeric_id(shop_id)
    else:
        body["main_account_id"] = numeric_id(str(main_account_id))
    data = await http.call(base, TOKEN_GET, method="POST", body=body, top_level=True,
                           read_timeout=timeout)
    tokens = tokens_from_response(data, now)
    shops = [str(s) for s in data.get("shop_id_list") or []]
    if shop_id is not None:
        shops = [shop_id]
    if not shops:
        raise PermanentError("shopee token/get returned no shop", code="no_shop",
                             user_message="The Shopee account authorized no shop.")
    # A main-account authorization fans out: the first refresh of every shop
    # spends the same initial refresh token once, so each shop gets its own copy.
    for shop in shops:
        await store.put_tokens(PLATFORM, ShopId(shop), tokens)
    return ShopId(shops[0]), tokens


def numeric_id(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise PermanentError(f"shopee id {value!r} is not numeric", code="bad_id",
                             user_message="The Shopee shop id in the configuration is not a "
                                          "number.") from exc
