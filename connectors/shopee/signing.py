"""Shopee Open Platform v2 signatures.

Shopee signs no business data: the API base string is only
``partner_id + api_path + timestamp`` (public/auth APIs) with ``access_token + shop_id``
appended for shop APIs. Query parameters and JSON bodies are *not* covered, so two
requests with different bodies carry the same sign. Pushes are the opposite: their
``Authorization`` header is an HMAC over ``callback_url + "|" + raw_body``.
"""

from __future__ import annotations

import hashlib
import hmac


def api_base_string(
    partner_id: int | str,
    path: str,
    timestamp: int,
    access_token: str | None = None,
    shop_id: int | str | None = None,
) -> str:
    """The string Shopee signs for an API call (public form when no token is given)."""
    base = f"{partner_id}{path}{timestamp}"
    if access_token is not None and shop_id is not None:
        base += f"{access_token}{shop_id}"
    return base


def hmac_hex(partner_key: str, message: bytes) -> str:
    # The whole key string as issued, including a "shpk" prefix: no official source
    # says to strip it and every SDK we checked signs with the full string.
    return hmac.new(partner_key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign_api(partner_key: str, base_string: str) -> str:
    """Lowercase hex HMAC-SHA256 of an API base string."""
    return hmac_hex(partner_key, base_string.encode("utf-8"))


def public_sign(partner_key: str, partner_id: int | str, path: str, timestamp: int) -> str:
    return sign_api(partner_key, api_base_string(partner_id, path, timestamp))


def shop_sign(
    partner_key: str,
    partner_id: int | str,
    path: str,
    timestamp: int,
    access_token: str,
    shop_id: int | str,
) -> str:
    return sign_api(
        partner_key, api_base_string(partner_id, path, timestamp, access_token, shop_id)
    )


def push_base_string(callback_url: str, body: bytes) -> bytes:
    """``callback_url|raw_body``: the raw bytes as received, never re-serialized JSON."""
    return callback_url.encode("utf-8") + b"|" + bytes(body)


def push_signature(partner_key: str, callback_url: str, body: bytes) -> str:
    return hmac_hex(partner_key, push_base_string(callback_url, body))


def push_signature_matches(
    partner_key: str, callback_url: str, body: bytes, header_value: str
) -> bool:
    expected = push_signature(partner_key, callback_url, body)
    return hmac.compare_digest(expected, header_value.strip().lower())
