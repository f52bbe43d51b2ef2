"""Lazada IM wire messages -> :class:`InboundMessage`.

``content`` is a JSON *string* whose fields are camelCase; ``template_id`` says
what it holds. Scalars arrive quoted in some answers and bare in others.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.buyer_profile import avatar
from connectors.lazada.client import as_int, truthy
from connectors.models import (
    Buyer,
    BuyerId,
    ConversationId,
    InboundMessage,
    MessageKind,
    PlatformMessageId,
    ShopId,
)

BUYER, SELLER = 1, 2

TEXT, SYSTEM, IMAGE, EMOJI, VIDEO = 1, 2, 3, 4, 6
ITEM, ORDER, VOUCHER = 10006, 10007, 10008

#: Templates we show as "unsupported", by their Lazada meaning.
OTHER_TEMPLATES = {
    SYSTEM: "system",
    10010: "follow_store_invite",
    10011: "refund_order_card",
    10015: "auto_reply",
}


def content_of(raw: object) -> dict[str, Any]:
    if isinstance(raw, Mapping):
        return dict(raw)
    if isinstance(raw, str) and raw.strip():
        try:
            parsed = json.loads(raw)
        except ValueError:
            return {"txt": raw}
        return parsed if isinstance(parsed, dict) else {"txt": raw}
    return {}


def from_ms(value: object) -> datetime:
    return datetime.fromtimestamp(as_int(value) / 1000, UTC)


def to_inbound(
    wire: Mapping[str, Any],
    *,
    shop_id: str,
    buyer_name: str = "",
    buyer_avatar: str | None = None,
) -> InboundMessage:
    """Map one message (from a push's ``data`` or a message list). Raises ValueError
    when it lacks the ids that make it a message."""
    message_id = str(wire.get("message_id") or "")
    session_id = str(wire.get("session_id") or "")
    if not message_id or not session_id:
        raise ValueError("message without message_id or session_id")
    from_seller = as_int(wire.get("from_account_type")) == SELLER
    buyer_id = wire.get("to_account_id") if from_seller else wire.get("from_account_id")
    template = as_int(wire.get("template_id"), -1)
    content = content_of(wire.get("content"))
    kind, text, attributes = _describe(template, content)
    if as_int(wire.get("type"), 1) == 2 and kind is MessageKind.TEXT:
        kind, attributes = MessageKind.UNKNOWN, {**attributes, "platform_type": "system"}
    if str(wire.get("process_msg") or ""):
        # Failed Lazada's security check: only the seller sees it, so tell the agent why.
        attributes["security_notice"] = str(wire["process_msg"])
    if as_int(wire.get("status")) == 1:
        attributes["recalled"] = True
    if truthy(wire.get("auto_reply", False)):
        attributes["auto_reply"] = True
    return InboundMessage(
        shop_id=ShopId(shop_id),
        conversation_id=ConversationId(session_id),
        message_id=PlatformMessageId(message_id),
        buyer=Buyer(id=BuyerId(str(buyer_id or "")), name=buyer_name,
                    avatar_url=avatar(buyer_avatar)),
        kind=kind,
        text=text,
        sent_at=from_ms(wire.get("send_time")),
        from_seller=from_seller,
        attributes=attributes,
        raw=dict(wire),
    )


def _describe(template: int, c: dict[str, Any]) -> tuple[MessageKind, str, dict[str, Any]]:
    txt = str(c.get("txt") or "")
    if template == TEXT:
        translated = c.get("translateTxt") or c.get("translatText")
        return MessageKind.TEXT, txt, ({"translation": translated} if translated else {})
    if template == IMAGE:
        return MessageKind.IMAGE, "", _pick(c, url="imgUrl", width="width", height="height")
    if template == EMOJI:
        return MessageKind.STICKER, txt, _pick(c, url="imgUrl", small_url="smallImgUrl")
    if template == VIDEO:
        return MessageKind.VIDEO, txt, _pick(
            c, url="videoUrl", cover_url="imgUrl", video_id="videoId",
            duration="videoDuration", width="width", height="height",
        )
    if template == ITEM:
        attrs = _pick(c, item_id="itemId", sku_id="skuId", name="title", price="price",
                      old_price="oldPrice", discount="discount", url="actionUrl",
                      image_url="iconUrl")
        return MessageKind.PRODUCT, str(c.get("title") or ""), attrs
    if template == ORDER:
        attrs = _pick(c, order_id="orderId", title="title", status="status",
                      summary="content", url="actionUrl", image_url="iconUrl")
        return MessageKind.ORDER, str(c.get("title") or c.get("orderId") or ""), attrs
    if template == VOUCHER:
        attrs = _pick(c, voucher_id="voucherId", code="voucherCode", title="title",
                      discount="discount", currency="currency", min_spend="minSpend",
                      url="actionUrl")
        if "voucher_id" in attrs:
            attrs.setdefault("code", attrs["voucher_id"])
        return MessageKind.VOUCHER, str(c.get("title") or ""), attrs
    name = OTHER_TEMPLATES.get(template, f"template_{template}")
    return MessageKind.UNKNOWN, txt, {"platform_type": name, "template_id": template}


def _pick(c: Mapping[str, Any], **names: str) -> dict[str, Any]:
    return {ours: c[theirs] for ours, theirs in names.items() if c.get(theirs) not in (None, "")}
