"""Lazada images, product cards and order cards out (IM templates 3, 10006, 10007)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Mapping
from typing import Any, Protocol

from connectors.errors import OutcomeUnknown, PermanentError, RuleViolation
from connectors.lazada.client import as_int
from connectors.lazada.messages import from_ms
from connectors.media import MB, ImageLimits, check_image
from connectors.models import PlatformMessageId, SentMessage, StoreAccount
from connectors.rich import CardSupport, ChatTarget, Product, SentCard, UploadedImage

SEND = "/im/message/send"
UPLOAD = "/image/upload"
PRODUCTS = "/products/get"
ITEM = "/product/item/get"
IMAGE, ITEM_CARD, ORDER_CARD = 3, 10006, 10007
# [doc UploadImage] "Allowed image formats are JPG and PNG. The maximum size of an image
# file is 1MB." The 5000 px side is a third-party observation (docs/platform-actions.md).
LIMITS = ImageLimits("Lazada", frozenset({"jpeg", "png"}), 1 * MB, max_side=5000)
CARDS = CardSupport(product=True, order=True)
SEARCH_LIMIT = 20


class LazCall(Protocol):
    def __call__(self, store: StoreAccount, path: str, params: Mapping[str, object], *,
                 method: str = "GET", idempotent: bool = True,
                 files: Any = None) -> Awaitable[dict[str, Any]]: ...


def _data(envelope: Mapping[str, Any]) -> Any:
    return envelope.get("data")


class LazadaRich:
    cards = CARDS

    def __init__(self, call: LazCall) -> None:
        self._call = call

    async def send_image(self, store: StoreAccount, target: ChatTarget, data: bytes,
                         content_type: str, filename: str) -> SentMessage:
        image = await self.upload_image(store, data, content_type, filename)
        return await self.send_uploaded_image(store, target, image)

    async def upload_image(self, store: StoreAccount, data: bytes, content_type: str,
                           filename: str) -> UploadedImage:
        info = check_image(data, content_type, filename, LIMITS)
        up = _data(await self._call(store, UPLOAD, {}, method="POST", files={
            "image": (filename or f"image.{info.format}", data, info.content_type)})) or {}
        url = str((up.get("image") or {}).get("url") or "")
        if not url:
            raise PermanentError("lazada image upload answered without url", code="no_url",
                                 user_message="Lazada did not accept the image.")
        return UploadedImage(url, info.width, info.height)

    async def send_uploaded_image(self, store: StoreAccount, target: ChatTarget,
                                  image: UploadedImage) -> SentMessage:
        return await self._send(store, target, {"template_id": IMAGE, "img_url": image.url,
                                                "width": image.width, "height": image.height})

    async def send_product_card(self, store: StoreAccount, target: ChatTarget,
                                product_id: str, *, text_fallback: bool = False) -> SentCard:
        return SentCard(await self._send(store, target, {
            "template_id": ITEM_CARD, "item_id": _id(product_id, "product")}))

    async def send_order_card(self, store: StoreAccount, target: ChatTarget, order_id: str,
                              *, text_fallback: bool = False) -> SentCard:
        return SentCard(await self._send(store, target, {
            "template_id": ORDER_CARD, "order_id": _id(order_id, "order")}))

    async def _send(self, store: StoreAccount, target: ChatTarget, params: dict[str, object]
                    ) -> SentMessage:
        data = _data(await self._call(store, SEND, {"session_id": target.conversation_id,
                                                    **params},
                                      method="POST", idempotent=False)) or {}
        message_id = str(data.get("message_id") or "")
        if not message_id:
            raise OutcomeUnknown("lazada send answered without message_id")
        return SentMessage(PlatformMessageId(message_id), from_ms(data.get("current_time")))

    async def search_products(self, store: StoreAccount, query: str) -> list[Product]:
        query = query.strip()
        if not query:
            return []
        if query.isdigit():
            try:
                one = _data(await self._call(store, ITEM, {"item_id": query})) or {}
            except PermanentError:
                one = {}
            if one.get("item_id"):
                return [_product(one)]
        # ``search`` matches the product name or seller SKU [doc GetProducts].
        data = _data(await self._call(store, PRODUCTS, {
            "filter": "live", "search": query, "offset": 0, "limit": SEARCH_LIMIT})) or {}
        return [_product(p) for p in data.get("products") or [] if isinstance(p, dict)]


def _product(p: dict[str, Any]) -> Product:
    sku = (p.get("skus") or [{}])[0] or {}
    images = p.get("images") or sku.get("Images") or [None]
    if isinstance(images, str):  # some answers carry the list as a JSON string
        try:
            images = json.loads(images) or [None]
        except ValueError:
            images = [None]
    special = sku.get("special_price")
    price = special if as_int(special) > 0 else sku.get("price")
    return Product(product_id=str(p["item_id"]),
                   name=str((p.get("attributes") or {}).get("name") or ""),
                   price="" if price is None else str(price), image_url=images[0],
                   url=sku.get("Url") or None, status=str(p.get("status") or ""))


def _id(value: str, what: str) -> str:
    if not value.strip().isdigit():
        raise RuleViolation(f"non-numeric {what} id {value!r}",
                            user_message=f"Lazada {what} ids are numbers; got {value!r}.")
    return value.strip()
