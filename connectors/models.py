"""What crosses the connector boundary: frozen dataclasses and ``NewType`` ids."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NewType

from connectors.display_text import clean_display_name

ShopId = NewType("ShopId", str)
ConversationId = NewType("ConversationId", str)
PlatformMessageId = NewType("PlatformMessageId", str)
BuyerId = NewType("BuyerId", str)


class MessageKind(enum.StrEnum):
    TEXT = "text"
    IMAGE = "image"
    STICKER = "sticker"
    PRODUCT = "product"
    ORDER = "order"
    VOUCHER = "voucher"
    VIDEO = "video"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Buyer:
    id: BuyerId
    name: str
    avatar_url: str | None = None

    def __post_init__(self) -> None:
        # One place for every platform: the name is shown next to our agents' names.
        object.__setattr__(self, "name", clean_display_name(self.name or ""))


@dataclass(frozen=True)
class StoreAccount:
    """One seller store as a connector needs it: identity, site and secrets."""

    platform: str
    shop_id: ShopId
    site: str
    seller_id: str | None = None
    api_url: str | None = None
    credentials: dict[str, str] = field(default_factory=dict, repr=False)
    #: The seller's contact e-mail, which Shopee requires to dispute a return (not a
    #: secret: configured per store).
    dispute_email: str | None = None


@dataclass(frozen=True)
class InboundMessage:
    """A chat message as the marketplace reports it, from a push or a pull.

    ``from_seller`` is true for messages the seller side sent (our own relayed
    replies coming back, or replies typed in the seller centre); the bot
    recognises its own echoes by ``message_id``, never by text.
    """

    shop_id: ShopId
    conversation_id: ConversationId
    message_id: PlatformMessageId
    buyer: Buyer
    kind: MessageKind
    text: str
    sent_at: datetime
    from_seller: bool = False
    # What the kind means beyond text: image url, product name/url, order number,
    # voucher code... and for UNKNOWN the platform's own type name under
    # "platform_type".
    attributes: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    language: str | None = None


@dataclass(frozen=True)
class PushBatch:
    """What one verified webhook delivery carried.

    ``ignored`` names push types that are valid but not used by StoreBridge; they
    are acknowledged and dropped. ``order_events`` holds
    :class:`connectors.orders.OrderEvent` items (order pushes share the webhook).
    """

    messages: tuple[InboundMessage, ...] = ()
    ignored: tuple[str, ...] = ()
    order_events: tuple[Any, ...] = ()


@dataclass(frozen=True)
class FetchPage:
    """One page of a repair pull. ``cursor`` is opaque and persisted by the bot;
    ``more`` says whether calling again with it would return more now."""

    messages: tuple[InboundMessage, ...]
    cursor: str | None
    more: bool = False


@dataclass(frozen=True)
class SentMessage:
    message_id: PlatformMessageId
    sent_at: datetime


@dataclass(frozen=True)
class OutboundText:
    """A reply to send. ``idempotency_key`` is stable across retries and restarts
    so an outcome that is unknown can be looked up before any resend."""

    conversation_id: ConversationId
    buyer_id: BuyerId
    text: str
    idempotency_key: str


@dataclass(frozen=True)
class ConversationFacts:
    """What the bot knows about a conversation when it plans a reply, for the
    platforms' rules (reply windows, messages in a row without a buyer reply)."""

    seller_messages_since_buyer: int = 0
    buyer_last_at: datetime | None = None
