"""Webhook deliveries: verify on the raw bytes, then parse. No I/O here."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from connectors.errors import PushRejected
from connectors.models import PushBatch
from connectors.tiktok.messages import NO_BUYER, to_inbound
from connectors.tiktok.orders_push import ORDER_PUSH_NAMES, order_events
from connectors.tiktok.signing import push_signature_ok

NEW_MESSAGE = 14
NEW_CONVERSATION = 13
# Names for the acknowledgement log; anything else is reported by number.
TYPE_NAMES = {13: "NEW_CONVERSATION", 14: "NEW_MESSAGE", 33: "NEW_MESSAGE_LISTENER",
              **ORDER_PUSH_NAMES}


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, val in headers.items():
        if key.lower() == lowered:
            return val
    return None


def _type_label(push_type: Any) -> str:
    name = TYPE_NAMES.get(push_type) if isinstance(push_type, int) else None
    return f"{name}({push_type})" if name else f"type {push_type!r}"


def verify_and_parse(headers: Mapping[str, str], body: bytes, *, app_key: str,
                     app_secret: str) -> PushBatch:
    """Raises only :class:`PushRejected`: 401 unsigned or forged, 400 malformed."""
    try:
        return _verify_and_parse(headers, body, app_key, app_secret)
    except PushRejected:
        raise
    except Exception as exc:  # the contract: whatever the bytes, only PushRejected
        raise PushRejected(400, f"malformed TikTok push ({type(exc).__name__})") from exc


def _verify_and_parse(headers: Mapping[str, str], body: bytes, app_key: str,
                      app_secret: str) -> PushBatch:
    signature = _header(headers, "Authorization")
    if not signature or not signature.strip():
        raise PushRejected(401, "missing Authorization signature")
    # TikTok sends the bare hex digest (no scheme) over app_key + the raw body.
    if not push_signature_ok(app_key, app_secret, bytes(body), signature):
        raise PushRejected(401, "signature does not match the body")
    try:
        envelope = json.loads(body)
    except ValueError as exc:
        raise PushRejected(400, "body is not JSON") from exc
    if not isinstance(envelope, dict):
        raise PushRejected(400, "body is not a JSON object")
    push_type = envelope.get("type")
    if not isinstance(push_type, int) or isinstance(push_type, bool):
        raise PushRejected(400, "push without a numeric type")
    if push_type in ORDER_PUSH_NAMES:
        try:
            return PushBatch(order_events=order_events(push_type, envelope))
        except ValueError as exc:
            raise PushRejected(400, f"{_type_label(push_type)} push is incomplete ({exc})") \
                from exc
    if push_type != NEW_MESSAGE:
        return PushBatch(ignored=(_type_label(push_type),))
    data = envelope.get("data")
    shop_id = envelope.get("shop_id")
    if not isinstance(data, dict) or shop_id in (None, ""):
        raise PushRejected(400, "new-message push without data or shop_id")
    if not data.get("message_id") or not data.get("conversation_id"):
        raise PushRejected(400, "new-message push without message_id or conversation_id")
    if data.get("is_visible") is False:
        # Rating requests and similar system items: never shown to agents.
        return PushBatch(ignored=(_type_label(push_type) + " invisible",))
    # A push names only the sender, by IM id and role: no nickname, no order user_id,
    # and for a seller-sent message no buyer at all (the bot knows the conversation).
    try:
        message = to_inbound(data, shop_id=str(shop_id),
                             conversation_id=str(data["conversation_id"]), buyer=NO_BUYER)
    except (KeyError, ValueError, TypeError, OverflowError) as exc:
        raise PushRejected(400, f"new-message push is incomplete ({exc})") from exc
    return PushBatch(messages=(message,))

