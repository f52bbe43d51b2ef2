"""Verify and parse Shopee pushes. No I/O: webchat pushes must be acked in 2 s."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from connectors.errors import PushRejected
from connectors.models import InboundMessage, PushBatch
from connectors.shopee.messages import parse_message
from connectors.shopee.orders_push import ORDER_PUSH_NAMES, order_batch
from connectors.shopee.signing import push_signature_matches

WEBCHAT = 10

#: Push codes by name (Push Mechanism pages). Order codes (3, 4, 29, 30, 47) become
#: ``PushBatch.order_events``; the others are acknowledged and dropped.
PUSH_NAMES: dict[int, str] = {
    1: "shop_authorization_push",
    2: "shop_authorization_canceled_push",
    3: "order_status_push",
    4: "order_trackingno_push",
    5: "shopee_updates",
    6: "banned_item_push",
    7: "item_promotion_push",
    8: "reserved_stock_change_push",
    9: "promotion_update_push",
    11: "video_upload_push",
    12: "open_api_authorization_expiry",
    13: "brand_register_result",
    15: "shipping_document_status_push",
    **ORDER_PUSH_NAMES,
}


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if str(key).lower() == wanted:
            return str(value)
    return None


def verify_push(partner_key: str, headers: Mapping[str, str], body: bytes, url: str, *,
                seller_user_ids: frozenset[str] = frozenset()) -> PushBatch:
    """Check ``Authorization`` = HMAC(partner_key, url|raw body), then parse.

    Raises only :class:`PushRejected`: 401 unsigned/forged, 400 malformed.
    """
    try:
        return _verify(partner_key, headers, body, url, seller_user_ids)
    except PushRejected:
        raise
    except Exception as exc:  # whatever the bytes, the caller gets a 400, never a crash
        raise PushRejected(400, f"malformed Shopee push: {type(exc).__name__}") from exc


def _verify(partner_key: str, headers: Mapping[str, str], body: bytes, url: str,
            seller_user_ids: frozenset[str]) -> PushBatch:
    if not isinstance(body, bytes | bytearray | memoryview):
        raise PushRejected(400, "push body must be raw bytes")
    body = bytes(body)
    signature = _header(headers, "Authorization")
    if not signature or not signature.strip():
        raise PushRejected(401, "missing Authorization signature")
    if not push_signature_matches(partner_key, url, body, signature):
        raise PushRejected(401, "Authorization signature does not match callback URL and body")
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PushRejected(400, "push body is not UTF-8 JSON") from exc
    if not isinstance(payload, dict):
        raise PushRejected(400, "push body is not a JSON object")
    code = payload.get("code")
    if isinstance(code, bool) or not isinstance(code, int):
        raise PushRejected(400, "push has no integer code")
    if code in ORDER_PUSH_NAMES:
        return order_batch(payload)
    if code != WEBCHAT:
        return PushBatch(ignored=(PUSH_NAMES.get(code, f"push_code_{code}"),))
    return _webchat(payload, seller_user_ids)


def _webchat(payload: dict[str, Any], seller_user_ids: frozenset[str]) -> PushBatch:
    data = payload.get("data")
    if not isinstance(data, dict):
        raise PushRejected(400, "webchat push has no data object")
    content = data.get("content")
    if not isinstance(content, dict):
        raise PushRejected(400, "webchat push has no data.content object")
    kind = data.get("type")
    if kind == "notification":
        return PushBatch(ignored=(f"webchat_notification:{content.get('type') or 'unknown'}",))
    if kind != "message":
        return PushBatch(ignored=(f"webchat_{kind}",))
    # The outer shop_id is the shop the push is for; the inner content.shop_id is not
    # reliably the same (the doc sample differs), so it is only a fallback.
    shop = payload.get("shop_id") or content.get("to_shop_id") or content.get("shop_id")
    if not shop:
        raise PushRejected(400, "webchat push names no shop")
    if "message_id" not in content or "conversation_id" not in content:
        raise PushRejected(400, "webchat message lacks message_id or conversation_id")
    try:
        message: InboundMessage = parse_message(content, shop_id=str(shop),
                                                seller_user_ids=seller_user_ids)
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise PushRejected(400, f"webchat message is malformed: {exc}") from exc
    return PushBatch(messages=(message,))
