"""Images, product cards and order cards an agent sends: what crosses the boundary.

A connector that implements :class:`RichSender` says in ``cards`` what it can send as
a real card; where it cannot, ``send_product_card`` / ``send_order_card`` with
``text_fallback=True`` send a plain-text line instead (so a preview can say "sent as
text"), and without it raise :class:`~connectors.errors.RuleViolation`.
Every send is a new message: nothing here is de-duplicated, so the bot's retry rules
(TransientError retried, OutcomeUnknown looked up first) apply exactly as for text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from connectors.models import BuyerId, ConversationId, SentMessage, StoreAccount


@dataclass(frozen=True)
class ChatTarget:
    """Who a message goes to: Shopee addresses the buyer, Lazada and TikTok the
    conversation, so both travel together."""

    conversation_id: ConversationId
    buyer_id: BuyerId


@dataclass(frozen=True)
class CardSupport:
    product: bool
    order: bool


@dataclass(frozen=True)
class Product:
    product_id: str
    name: str
    price: str = ""  # a decimal string, as the platform gives it
    currency: str = ""
    image_url: str | None = None
    url: str | None = None
    status: str = ""  # the platform's word (NORMAL, ACTIVATE, active...)


@dataclass(frozen=True)
class SentCard:
    message: SentMessage
    as_text: bool = False  # True when the platform could not send a card


@dataclass(frozen=True)
class UploadedImage:
    """An image on the platform's servers, in no chat yet: what an image message
    refers to, and so what finds that message again when a send's answer is lost."""

    url: str
    width: int
    height: int


@runtime_checkable
class RichSender(Protocol):
    cards: CardSupport

    async def send_image(self, store: StoreAccount, target: ChatTarget, data: bytes,
                         content_type: str, filename: str) -> SentMessage:
        """Check the platform's limits (raises :class:`~connectors.media.MediaRefused`),
        upload, send as an image message."""
        ...

    async def search_products(self, store: StoreAccount, query: str) -> list[Product]:
        """The store's products whose name contains ``query``, or whose id is ``query``."""
        ...

    async def send_product_card(self, store: StoreAccount, target: ChatTarget,
                                product_id: str, *, text_fallback: bool = False) -> SentCard:
        ...

    async def send_order_card(self, store: StoreAccount, target: ChatTarget, order_id: str,
                              *, text_fallback: bool = False) -> SentCard:
        ...


@runtime_checkable
class TracedImages(Protocol):
    """Images sent in two steps, so that one whose answer was lost can be looked up.

    No platform takes an idempotency key for a send, but every chat lists the image
    messages with the URL their upload returned: the bot keeps that URL before it
    sends, and after an :class:`~connectors.errors.OutcomeUnknown` asks the chat for a
    seller image message with it (like ``find_sent`` for text) before sending again.
    """

    async def upload_image(self, store: StoreAccount, data: bytes, content_type: str,
                           filename: str) -> UploadedImage:
        """Check the platform's limits (raises MediaRefused) and upload; nothing is sent."""
        ...

    async def send_uploaded_image(self, store: StoreAccount, target: ChatTarget,
                                  image: UploadedImage) -> SentMessage: ...

    async def find_sent_image(self, store: StoreAccount, target: ChatTarget,
                              image: UploadedImage, since: datetime) -> SentMessage | None:
        """The seller's message carrying ``image`` sent after ``since``, or None."""
        ...


def same_image(listed: object, image: UploadedImage) -> bool:
    """Whether a URL in a listed message is the uploaded image (a query string, such
    as a CDN signature, may differ between the upload's answer and the listing)."""
    if not isinstance(listed, str) or not listed:
        return False
    return listed.split("?", 1)[0] == image.url.split("?", 1)[0]
