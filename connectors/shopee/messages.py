"""Shopee chat messages (push ``content`` or ``get_message`` items) -> InboundMessage."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.models import (
    Buyer,
    BuyerId,
    ConversationId,
    InboundMessage,
    MessageKind,
    PlatformMessageId,
    ShopId,
)
from connectors.shopee.hosts import WEB_DOMAINS


def to_datetime(value: Any) -> datetime:
    """Shopee mixes units: messages carry seconds, conversations nanoseconds."""
    n = int(value or 0)
    for scale in (1, 1_000, 1_000_000, 1_000_000_000):
        if n < 100_000_000_000 * scale:
            return datetime.fromtimestamp(n / scale, UTC)
    return datetime.fromtimestamp(n / 1_000_000_000, UTC)


def to_ns(value: Any) -> int:
    n = int(value or 0)
    if n < 100_000_000_000:  # seconds
        return n * 1_000_000_000
    if n < 100_000_000_000_000:  # milliseconds
        return n * 1_000_000
    if n < 100_000_000_000_000_000:  # microseconds
        return n * 1_000
    return n


def _id(value: Any) -> str:
    return "" if value is None else str(value)


def _nonzero(value: Any) -> bool:
    return value not in (None, "", 0, "0")


def is_from_seller(raw: Mapping[str, Any], shop_id: str,
                   seller_user_ids: frozenset[str] = frozenset()) -> bool:
    """The seller's own outgoing messages are pushed and listed too. Buyer messages
    carry ``from_shop_id`` 0 and ``to_shop_id`` = the shop; seller messages the other
    way round. Older payloads have neither, then only a known seller user id helps."""
    from_shop = raw.get("from_shop_id")
    if _nonzero(from_shop):
        return _id(from_shop) == shop_id
    to_shop = raw.get("to_shop_id")
    if _nonzero(to_shop):
        return False
    return _id(raw.get("from_id")) in seller_user_ids


def _product_url(region: str, shop: Any, item: Any) -> str | None:
    domain = WEB_DOMAINS.get(region.upper())
    if not domain or not _nonzero(item) or not _nonzero(shop):
        return None
    return f"https://{domain}/product/{shop}/{item}"


Content = tuple[MessageKind, str, dict[str, Any]]


def _text(c: Mapping[str, Any], text: str, region: str, shop_id: str) -> Content:
    return MessageKind.TEXT, text, {}


def _image(c: Mapping[str, Any], text: str, region: str, shop_id: str) -> Content:
    url = c.get("url") or c.get("image_url") or ""
    return MessageKind.IMAGE, text, {"url": url, "thumb_url": c.get("thumb_url") or url}


def _sticker(c: Mapping[str, Any], text: str, region: str, shop_id: str) -> Content:
    return MessageKind.STICKER, "", {"sticker_id": _id(c.get("sticker_id")),
                                     "sticker_package_id": _id(c.get("sticker_package_id"))}


def _product(c: Mapping[str, Any], text: str, region: str, shop_id: str) -> Content:
    shop = c.get("shop_id") or shop_id
    attrs = {"item_id": _id(c.get("item_id")), "shop_id": _id(shop)}
    url = _product_url(region, shop, c.get("item_id"))
    if url:
        attrs["url"] = url
    name = c.get("name") or c.get("item_name")
    if name:
        attrs["name"] = str(name)
    return MessageKind.PRODUCT, "", attrs


def _order(c: Mapping[str, Any], text: str, region: str, shop_id: str) -> Content:
    return MessageKind.ORDER, "", {"order_sn": _id(c.get("order_sn")),
                                   "shop_id": _id(c.get("shop_id") or shop_id)}


def _voucher(c: Mapping[str, Any], text: str, region: str, shop_id: str) -> Content:
    return MessageKind.VOUCHER, "", {"voucher_id": _id(c.get("voucher_id")),
                                     "code": _id(c.get("voucher_code"))}


def _video(c: Mapping[str, Any], text: str, region: str, shop_id: str) -> Content:
    return MessageKind.VIDEO, "", {
        "url": c.get("video_url") or c.get("url") or "",
        "thumb_url": c.get("thumb_url") or "",
        "duration": c.get("duration_seconds"),
    }


_CONTENT: dict[str, Callable[[Mapping[str, Any], str, str, str], Content]] = {
    **dict.fromkeys(("text", "faq_liveagent", "autoreply", "auto_reply"), _text),
    **dict.fromkeys(("image", "image_with_text"), _image),
    **dict.fromkeys(("sticker", "emoji", "emoticon"), _sticker),
    **dict.fromkeys(("item", "product", "item_card"), _product),
    **dict.fromkeys(("order", "order_card"), _order),
    **dict.fromkeys(("voucher", "shop_voucher", "voucher_card"), _voucher),
    "video": _video,
}


def map_content(message_type: str, content: Mapping[str, Any], *, region: str = "",
                shop_id: str = "") -> Content:
    """(kind, text, attributes) for one Shopee message type. Attribute names follow
    the bot's renderer (url, name, order_sn, code, duration, platform_type)."""
    text = str(content.get("text") or "")
    read = _CONTENT.get(message_type)
    if read is None:
        return MessageKind.UNKNOWN, text, {"platform_type": message_type or "(none)"}
    return read(content, text, region, shop_id)


def parse_message(raw: Mapping[str, Any], *, shop_id: str, buyer: Buyer | None = None,
                  seller_user_ids: frozenset[str] = frozenset()) -> InboundMessage:
    """Map one wire message. ``buyer`` comes from the conversation when pulling;
    pushes name both parties themselves. Raises KeyError/ValueError when malformed."""
    message_id = _id(raw["message_id"])
    conversation_id = _id(raw["conversation_id"])
    if not message_id or not conversation_id:
        raise ValueError("message_id and conversation_id are required")
    from_seller = is_from_seller(raw, shop_id, seller_user_ids)
    if buyer is None:
        side = "to" if from_seller else "from"
        buyer = Buyer(id=BuyerId(_id(raw.get(f"{side}_id"))),
                      name=str(raw.get(f"{side}_user_name") or ""))
    content = raw.get("content")
    content = content if isinstance(content, Mapping) else {}
    region = str(raw.get("region") or "")
    kind, text, attrs = map_content(str(raw.get("message_type") or ""), content,
                                    region=region, shop_id=shop_id)
    source = raw.get("source_content")
    if isinstance(source, Mapping) and _nonzero(source.get("order_sn")):
        attrs["source_order_sn"] = str(source["order_sn"])
    status = raw.get("status")
    if status and status != "normal":
        attrs["message_status"] = status  # e.g. blocked / censored_blacklist
    return InboundMessage(
        shop_id=ShopId(shop_id), conversation_id=ConversationId(conversation_id),
        message_id=PlatformMessageId(message_id), buyer=buyer, kind=kind, text=text,
        sent_at=to_datetime(raw.get("created_timestamp")), from_seller=from_seller,
        attributes=attrs, raw=dict(raw),
    )
