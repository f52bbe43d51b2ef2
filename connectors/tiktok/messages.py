"""TikTok chat messages <-> :class:`InboundMessage`.

``content`` is a JSON document serialised into a string; its shape depends on
``type``. Buyers are identified by ``im_user_id`` (the only id a push carries);
the order-API ``user_id`` rides along in ``attributes["buyer_user_id"]`` when a
pull knows it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.buyer_profile import avatar
from connectors.models import (
    Buyer,
    BuyerId,
    ConversationId,
    InboundMessage,
    MessageKind,
    PlatformMessageId,
    ShopId,
)
from connectors.wire import obj

BUYER = "BUYER"
# What an agent wrote (not SYSTEM/ROBOT, which reuse the shop's id): find_sent looks here.
AGENT_ROLES = frozenset({"SHOP", "CUSTOMER_SERVICE"})
SELLER_ROLES = AGENT_ROLES | {"SYSTEM", "ROBOT"}

_KINDS: dict[str, MessageKind] = {
    "TEXT": MessageKind.TEXT,
    "ALLOCATED_SERVICE": MessageKind.TEXT,
    "NOTIFICATION": MessageKind.TEXT,
    "BUYER_ENTER_FROM_TRANSFER": MessageKind.TEXT,
    "IMAGE": MessageKind.IMAGE,
    "EMOTICONS": MessageKind.STICKER,
    "PRODUCT_CARD": MessageKind.PRODUCT,
    "BUYER_ENTER_FROM_PRODUCT": MessageKind.PRODUCT,
    "ORDER_CARD": MessageKind.ORDER,
    "BUYER_ENTER_FROM_ORDER": MessageKind.ORDER,
    "RETURN_REFUND_CARD": MessageKind.ORDER,
    "LOGISTICS_CARD": MessageKind.ORDER,
    "COUPON_CARD": MessageKind.VOUCHER,
    "VIDEO": MessageKind.VIDEO,
}
_SYSTEM_TEXT = frozenset({"ALLOCATED_SERVICE", "NOTIFICATION", "BUYER_ENTER_FROM_TRANSFER"})
_INTS = ("width", "height", "size", "bit_rate")


@dataclass(frozen=True)
class BuyerInfo:
    buyer: Buyer
    user_id: str | None = None


NO_BUYER = BuyerInfo(Buyer(id=BuyerId(""), name=""))


def buyer_from_participants(participants: Any) -> BuyerInfo:
    for p in participants if isinstance(participants, list) else []:
        if isinstance(p, dict) and p.get("role") == BUYER:
            return BuyerInfo(Buyer(id=BuyerId(str(p.get("im_user_id") or "")),
                                   name=str(p.get("nickname") or ""),
                                   avatar_url=avatar(p.get("avatar"))),
                             user_id=str(p["user_id"]) if p.get("user_id") else None)
    return NO_BUYER


def parse_content(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str):
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {"content": raw}  # not JSON after all: keep the words
    return value if isinstance(value, dict) else {"content": str(value)}


def text_content(text: str) -> str:
    """The ``content`` string of an outgoing TEXT message."""
    return json.dumps({"content": text}, ensure_ascii=False, separators=(",", ":"))


def timestamp(value: Any) -> datetime:
    seconds = float(value)
    if seconds > 1e11:  # milliseconds slipped in: TikTok documents seconds
        seconds /= 1000
    return datetime.fromtimestamp(seconds, UTC)


def _attributes(kind: MessageKind, wire_type: str, content: dict[str, Any]) -> dict[str, Any]:
    attrs: dict[str, Any] = {"platform_type": wire_type}
    for key, value in content.items():
        if key == "content" or isinstance(value, dict | list):
            continue
        if key in _INTS:
            try:
                value = int(float(value))  # image sizes come as strings in some answers
            except (TypeError, ValueError):
                pass
        attrs[key] = value
    # The names the rest of StoreBridge reads for every platform.
    if kind is MessageKind.ORDER and "order_id" in attrs:
        attrs["order_sn"] = attrs["order_id"]
    if kind is MessageKind.VOUCHER and "coupon_id" in attrs:
        attrs["code"] = attrs["coupon_id"]
    if kind is MessageKind.STICKER and isinstance(content.get("content"), str):
        attrs["label"] = content["content"]
    if wire_type in _SYSTEM_TEXT:
        attrs["system"] = True
    if kind is MessageKind.UNKNOWN:
        attrs["unsupported"] = True
    return attrs


def to_inbound(msg: Mapping[str, Any], *, shop_id: str, conversation_id: str,
               buyer: BuyerInfo = NO_BUYER) -> InboundMessage:
    """Map one wire message (pull: ``id``; push: ``message_id``). Raises
    KeyError/ValueError/TypeError on a message without id or time."""
    message_id = str(msg.get("id") or msg["message_id"])
    wire_type = str(msg.get("type") or "OTHER")
    kind = _KINDS.get(wire_type, MessageKind.UNKNOWN)
    content = parse_content(msg.get("content"))
    sender = obj(msg.get("sender"))
    role = str(sender.get("role") or "")
    text = content.get("content") if kind in (MessageKind.TEXT, MessageKind.UNKNOWN) else ""
    attrs = _attributes(kind, wire_type, content)
    attrs["sender_role"] = role
    who = buyer
    if role == BUYER:
        who = BuyerInfo(Buyer(id=BuyerId(str(sender.get("im_user_id") or buyer.buyer.id)),
                              name=str(sender.get("nickname") or buyer.buyer.name),
                              avatar_url=avatar(sender.get("avatar")) or buyer.buyer.avatar_url),
                        user_id=buyer.user_id)
    if who.user_id:
        attrs["buyer_user_id"] = who.user_id
    return InboundMessage(
        shop_id=ShopId(shop_id), conversation_id=ConversationId(conversation_id),
        message_id=PlatformMessageId(message_id), buyer=who.buyer, kind=kind,
        text=str(text or ""), sent_at=timestamp(msg["create_time"]),
        from_seller=role in SELLER_ROLES, attributes=attrs, raw=dict(msg))
