"""Sandbox images, product cards (and an order card sent as text), through the
sandbox marketplace's own endpoints (:mod:`bot.demo.marketplace.rich_routes`)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Protocol
from urllib.parse import quote

from connectors.errors import OutcomeUnknown, PermanentError, RuleViolation
from connectors.media import MB, ImageLimits, check_image
from connectors.models import PlatformMessageId, SentMessage, StoreAccount
from connectors.rich import CardSupport, ChatTarget, Product, SentCard
from connectors.sandbox.inbound import MalformedMessage, unix_to_utc

LIMITS = ImageLimits("The sandbox marketplace", frozenset({"jpeg", "png", "gif", "webp"}),
                     5 * MB, max_side=4096)
# The sandbox takes no order-card attachment, so a seller can only name an order in text.
CARDS = CardSupport(product=True, order=False)


class SandboxCall(Protocol):
    def __call__(self, store: StoreAccount, method: str, path: str, *,
                 query: Any = None, payload: Any = None, sending: bool = False,
                 missing_ok: bool = False,
                 raw: tuple[bytes, str] | None = None) -> Awaitable[dict[str, Any] | None]: ...


def _sent(data: dict[str, Any] | None) -> SentMessage:
    try:
        return SentMessage(PlatformMessageId(str((data or {})["message_id"])),
                           unix_to_utc((data or {})["sent_at"], "sent_at"))
    except (KeyError, MalformedMessage):
        raise OutcomeUnknown("unreadable send response", code="malformed_response") from None


class SandboxRich:
    cards = CARDS

    def __init__(self, call: SandboxCall) -> None:
        self._call = call

    async def send_image(self, store: StoreAccount, target: ChatTarget, data: bytes,
                         content_type: str, filename: str) -> SentMessage:
        info = check_image(data, content_type, filename, LIMITS)
        up = await self._call(store, "POST", "/media", raw=(data, info.content_type)) or {}
        if not up.get("media_id"):
            raise PermanentError("upload answered without media_id", code="no_media_id")
        return await self._attach(store, target, {"type": "image",
                                                  "media_id": up["media_id"]})

    async def send_product_card(self, store: StoreAccount, target: ChatTarget,
                                product_id: str, *, text_fallback: bool = False) -> SentCard:
        return SentCard(await self._attach(store, target, {"type": "product",
                                                           "product_id": product_id}))

    async def send_order_card(self, store: StoreAccount, target: ChatTarget, order_id: str,
                              *, text_fallback: bool = False) -> SentCard:
        if not text_fallback:
            raise RuleViolation("no order cards", code="card_unsupported", user_message=(
                "The sandbox marketplace cannot send order cards; send the order number "
                "as text instead."))
        path = f"/conversations/{quote(target.conversation_id, safe='')}/messages"
        data = await self._call(store, "POST", path, payload={"text": f"Order {order_id}"},
                                sending=True)
        return SentCard(_sent(data), as_text=True)

    async def _attach(self, store: StoreAccount, target: ChatTarget, doc: dict[str, Any]
                      ) -> SentMessage:
        path = f"/conversations/{quote(target.conversation_id, safe='')}/attachments"
        return _sent(await self._call(store, "POST", path, payload=doc, sending=True))

    async def search_products(self, store: StoreAccount, query: str) -> list[Product]:
        query = query.strip()
        if not query:
            return []
        one = await self._call(store, "GET", f"/products/{quote(query, safe='')}",
                               missing_ok=True) if query.isalnum() else None
        rows = [one] if one else (await self._call(store, "GET", "/products",
                                                   query={"q": query}) or {}).get("products")
        return [Product(product_id=str(p["product_id"]), name=str(p.get("name") or ""),
                        price=str(p.get("price") or ""), currency=str(p.get("currency") or ""),
                        image_url=p.get("image_url"), url=p.get("url"))
                for p in rows or [] if isinstance(p, dict) and p.get("product_id")]
