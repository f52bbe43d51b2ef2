"""Turning the sandbox's message JSON into :class:`~connectors.models.InboundMessage`.

Pushes and pulls carry the same message object, so both go through here.
"""

from __future__ import annotations

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

_KINDS = {k.value: k for k in MessageKind if k is not MessageKind.UNKNOWN}


class MalformedMessage(ValueError):
    """The JSON lacks a field or has one of the wrong type; the text names the field."""


def parse_message(shop_id: object, data: object) -> InboundMessage:
    shop = _text(shop_id, "shop_id")
    msg = _object(data, "message")
    buyer = _object(msg.get("buyer"), "message.buyer")
    type_name = _text(msg.get("type"), "message.type")
    content = _object(msg.get("content", {}), "message.content")
    kind = _KINDS.get(type_name, MessageKind.UNKNOWN)
    attributes = {k: v for k, v in content.items() if k != "text"}
    if kind is MessageKind.UNKNOWN:
        attributes["platform_type"] = type_name
    return InboundMessage(
        shop_id=ShopId(shop),
        conversation_id=ConversationId(_text(msg.get("conversation_id"),
                                             "message.conversation_id")),
        message_id=PlatformMessageId(_text(msg.get("message_id"), "message.message_id")),
        buyer=Buyer(id=BuyerId(_text(buyer.get("id"), "message.buyer.id")),
                    name=_optional_text(buyer.get("name"), "message.buyer.name") or "",
                    avatar_url=avatar(_optional_text(buyer.get("avatar_url"),
                                                     "message.buyer.avatar_url"))),
        kind=kind,
        text=_optional_text(content.get("text"), "message.content.text") or "",
        sent_at=unix_to_utc(msg.get("created_at"), "message.created_at"),
        from_seller=_flag(msg.get("from_seller", False), "message.from_seller"),
        attributes=attributes,
        raw=msg,
        language=_optional_text(msg.get("language"), "message.language") or None,
    )


def unix_to_utc(value: object, name: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedMessage(f"{name} must be unix seconds")
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise MalformedMessage(f"{name} is out of range") from None


def _object(value: object, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedMessage(f"missing or invalid field: {name} (expected an object)")
    return value


def _text(value: object, name: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # numeric ids are common on real platforms
    if not isinstance(value, str) or not value:
        raise MalformedMessage(f"missing or invalid field: {name}")
    return value


def _optional_text(value: object, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise MalformedMessage(f"invalid field: {name} (expected a string)")


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise MalformedMessage(f"invalid field: {name} (expected true or false)")
    return value
