"""Verify and parse Lazada Push Mechanism deliveries (pure: no I/O).

Lazada wants HTTP 200 within 500 ms, retries every 30 min up to 12 times and
delivers at least once, so parsing must be cheap and duplicates are expected.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from connectors.errors import PushRejected
from connectors.lazada.messages import to_inbound
from connectors.lazada.orders_push import ORDER_TYPES, order_events
from connectors.lazada.signing import push_signature_matches
from connectors.models import PushBatch

IM_MESSAGE = 2

#: Push types StoreBridge acknowledges and drops (order pushes only when they
#: name no order).
IGNORED_TYPES = {
    **ORDER_TYPES,
    3: "product",
    4: "product",
    5: "product",
    8: "token_expiry_alert",
    19: "session_update",
}


def header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if str(key).lower() == wanted:
            return str(value)
    return None


def verify_push(
    headers: Mapping[str, str], body: bytes, *, app_key: str, app_secret: str
) -> PushBatch:
    """Raises only :class:`PushRejected` (401 unsigned/forged, 400 malformed)."""
    try:
        return _verify(headers, body, app_key, app_secret)
    except PushRejected:
        raise
    except Exception as exc:  # whatever the bytes: a bad delivery is a 400, never a crash
        raise PushRejected(400, f"unreadable Lazada push: {type(exc).__name__}") from exc


def _verify(
    headers: Mapping[str, str], body: bytes, app_key: str, app_secret: str
) -> PushBatch:
    signature = header(headers, "Authorization")
    if not signature or not signature.strip():
        raise PushRejected(401, "missing Authorization signature")
    if not push_signature_matches(app_key, app_secret, bytes(body), signature):
        raise PushRejected(401, "signature does not match app_key + body")
    try:
        payload = json.loads(body)
    except ValueError:
        raise PushRejected(400, "body is not JSON") from None
    if not isinstance(payload, dict):
        raise PushRejected(400, "body is not a JSON object")
    message_type = payload.get("message_type")
    if isinstance(message_type, bool) or not isinstance(message_type, (int, str)):
        raise PushRejected(400, "message_type missing")
    try:
        kind = int(message_type)
    except ValueError:
        raise PushRejected(400, "message_type is not a number") from None
    if kind in ORDER_TYPES:
        events = order_events(kind, payload)
        if events:
            return PushBatch(order_events=events)
    if kind != IM_MESSAGE:
        return PushBatch(ignored=(f"{kind}:{IGNORED_TYPES.get(kind, 'unknown')}",))
    data = payload.get("data")
    seller_id = str(payload.get("seller_id") or "")
    if not isinstance(data, dict) or not seller_id:
        raise PushRejected(400, "IM push without data or seller_id")
    try:
        message = to_inbound(data, shop_id=seller_id)
    except ValueError as exc:
        raise PushRejected(400, f"IM push: {exc}") from None
    return PushBatch(messages=(message,))
