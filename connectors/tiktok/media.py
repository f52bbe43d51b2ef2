"""TikTok Shop images, product cards and order cards out (customer service + product)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote

from connectors.errors import OutcomeUnknown, PermanentError, RuleViolation
from connectors.media import MB, ImageLimits, check_image
from connectors.models import PlatformMessageId, SentMessage, StoreAccount
from connectors.rich import CardSupport, ChatTarget, Product, SentCard, UploadedImage
from connectors.tiktok.sync import CONVERSATIONS

UPLOAD = "/customer_service/202309/images/upload"
PRODUCT = "/product/202309/products/"
SEARCH = "/product/202309/products/search"
# [doc] Upload Buyer Messages Image: jpg/gif/webp/png, at most 10 MB; no dimension rule.
LIMITS = ImageLimits("TikTok Shop", frozenset({"jpeg", "png", "gif", "webp"}), 10 * MB)
CARDS = CardSupport(product=True, order=True)
SEARCH_PAGE = 100  # the API has no name filter: one page of active products is scanned
MAX_RESULTS = 20


class CsCall(Protocol):
    def __call__(self, store: StoreAccount, method: str, path: str, *,
                 params: dict[str, Any] | None = None, body: Any = None,
                 idempotent: bool = True, pull: bool = False, cs_quota: bool = True,
                 files: Any = None) -> Awaitable[dict[str, Any]]: ...


def _json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


class TikTokRich:
    cards = CARDS

    def __init__(self, call: CsCall, clock: Callable[[], float]) -> None:
        self._call = call
        self._clock = clock

    async def send_image(self, store: StoreAccount, target: ChatTarget, data: bytes,
                         content_type: str, filename: str) -> SentMessage:
        image = await self.upload_image(store, data, content_type, filename)
        return await self.send_uploaded_image(store, target, image)

    async def upload_image(self, store: StoreAccount, data: bytes, content_type: str,
                           filename: str) -> UploadedImage:
        info = check_image(data, content_type, filename, LIMITS)
        up = await self._call(store, "POST", UPLOAD, files={
            "data": (filename or f"image.{info.format}", data, info.content_type)})
        if not up.get("url"):
            raise PermanentError("TikTok image upload answered without url", code="no_url",
                                 user_message="TikTok Shop did not accept the image.")
        return UploadedImage(str(up["url"]), int(up.get("width") or info.width),
                             int(up.get("height") or info.height))

    async def send_uploaded_image(self, store: StoreAccount, target: ChatTarget,
                                  image: UploadedImage) -> SentMessage:
        return await self._send(store, target, "IMAGE", {"url": image.url, "width": image.width,
                                                         "height": image.height})

    async def send_product_card(self, store: StoreAccount, target: ChatTarget,
                                product_id: str, *, text_fallback: bool = False) -> SentCard:
        return SentCard(await self._send(store, target, "PRODUCT_CARD",
                                         {"product_id": _id(product_id, "product")}))

    async def send_order_card(self, store: StoreAccount, target: ChatTarget, order_id: str,
                              *, text_fallback: bool = False) -> SentCard:
        return SentCard(await self._send(store, target, "ORDER_CARD",
                                         {"order_id": _id(order_id, "order")}))

    async def _send(self, store: StoreAccount, target: ChatTarget, kind: str,
                    content: dict[str, Any]) -> SentMessage:
        path = f"{CONVERSATIONS}/{quote(str(target.conversation_id), safe='')}/messages"
        data = await self._call(store, "POST", path, body={"type": kind,
                                                           "content": _json(content)},
                                idempotent=False)
        message_id = str(data.get("message_id") or "")
        if not message_id:
            raise OutcomeUnknown("send answered without message_id")
        return SentMessage(PlatformMessageId(message_id),
                           datetime.fromtimestamp(self._clock(), UTC))

    async def search_products(self, store: StoreAccount, query: str) -> list[Product]:
        query = query.strip()
        if not query:
            return []
        if query.isdigit():
            try:
                one = await self._call(store, "GET", PRODUCT + query, cs_quota=False)
            except PermanentError:
                one = {}
            if one.get("id"):
                return [_product(one)]
        data = await self._call(store, "POST", SEARCH, params={"page_size": SEARCH_PAGE},
                                body={"status": "ACTIVATE"}, cs_quota=False)
        want = query.casefold()
        return [_product(p) for p in data.get("products") or []
                if isinstance(p, dict) and want in str(p.get("title") or "").casefold()
                ][:MAX_RESULTS]


def _product(p: dict[str, Any]) -> Product:
    price = ((p.get("skus") or [{}])[0] or {}).get("price") or {}
    images = (p.get("main_images") or [{}])[0].get("urls") or [None]
    return Product(product_id=str(p["id"]), name=str(p.get("title") or ""),
                   price=str(price.get("sale_price") or ""),
                   currency=str(price.get("currency") or ""), image_url=images[0],
                   status=str(p.get("status") or ""))


def _id(value: str, what: str) -> str:
    if not value.strip().isdigit():
        raise RuleViolation(f"non-numeric {what} id {value!r}",
                            user_message=f"TikTok Shop {what} ids are numbers; got {value!r}.")
    return value.strip()
