"""Shopee images, product cards and order cards out (sellerchat + product APIs)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from connectors.errors import OutcomeUnknown, PermanentError, RuleViolation
from connectors.media import MB, ImageLimits, check_image
from connectors.models import PlatformMessageId, SentMessage, StoreAccount
from connectors.rich import CardSupport, ChatTarget, Product, SentCard, UploadedImage
from connectors.shopee.hosts import WEB_DOMAINS
from connectors.shopee.messages import to_datetime
from connectors.shopee.tokens import numeric_id

UPLOAD = "/api/v2/sellerchat/upload_image"
SEND = "/api/v2/sellerchat/send_message"
SEARCH_ITEM = "/api/v2/product/search_item"
ITEM_INFO = "/api/v2/product/get_item_base_info"
# ASSUMED (docs/platform-actions.md): the sellerchat upload limits are login-gated;
# these are Shopee's published media_space image limits (JPG/PNG, 10 MB).
LIMITS = ImageLimits("Shopee", frozenset({"jpeg", "png"}), 10 * MB)
CARDS = CardSupport(product=True, order=True)
SEARCH_PAGE = 20


class ShopCall(Protocol):
    def __call__(self, store: StoreAccount, method: str, path: str, *,
                 params: dict[str, Any] | None = None, body: dict[str, Any] | None = None,
                 unsafe: bool = False, read_timeout: float | None = None,
                 backoff: bool = True, files: Any = None) -> Awaitable[dict[str, Any]]: ...


class ShopeeRich:
    cards = CARDS

    def __init__(self, call: ShopCall, *, send_timeout: float,
                 clock: Callable[[], float]) -> None:
        self._call = call
        self._send_timeout = send_timeout
        self._clock = clock

    async def send_image(self, store: StoreAccount, target: ChatTarget, data: bytes,
                         content_type: str, filename: str) -> SentMessage:
        image = await self.upload_image(store, data, content_type, filename)
        return await self.send_uploaded_image(store, target, image)

    async def upload_image(self, store: StoreAccount, data: bytes, content_type: str,
                           filename: str) -> UploadedImage:
        info = check_image(data, content_type, filename, LIMITS)
        # An upload has no effect a buyer sees, so it is retried like a read.
        up = await self._call(store, "POST", UPLOAD, files={
            "file": (filename or f"image.{info.format}", data, info.content_type)})
        url = str(up.get("url") or "")
        if not url:
            raise PermanentError("shopee upload_image answered without url",
                                 code="no_url", user_message="Shopee did not accept the image.")
        return UploadedImage(url, info.width, info.height)

    async def send_uploaded_image(self, store: StoreAccount, target: ChatTarget,
                                  image: UploadedImage) -> SentMessage:
        return await self._send(store, target, "image", {"image_url": image.url})

    async def send_product_card(self, store: StoreAccount, target: ChatTarget,
                                product_id: str, *, text_fallback: bool = False) -> SentCard:
        item_id = _int_id(product_id, "product")
        return SentCard(await self._send(store, target, "item", {"item_id": item_id}))

    async def send_order_card(self, store: StoreAccount, target: ChatTarget, order_id: str,
                              *, text_fallback: bool = False) -> SentCard:
        if not order_id.strip():
            raise RuleViolation("empty order_sn", user_message="No order number was given.")
        return SentCard(await self._send(store, target, "order", {"order_sn": order_id}))

    async def _send(self, store: StoreAccount, target: ChatTarget, message_type: str,
                    content: dict[str, Any]) -> SentMessage:
        body = {"to_id": numeric_id(target.buyer_id), "message_type": message_type,
                "content": content}
        resp = await self._call(store, "POST", SEND, body=body, unsafe=True,
                                read_timeout=self._send_timeout)
        message_id = str(resp.get("message_id") or "")
        if not message_id:
            raise OutcomeUnknown("shopee send_message answered without message_id",
                                 code="no_message_id")
        created = resp.get("created_timestamp")
        sent_at = to_datetime(created) if created else datetime.fromtimestamp(self._clock(), UTC)
        return SentMessage(PlatformMessageId(message_id), sent_at)

    async def search_products(self, store: StoreAccount, query: str) -> list[Product]:
        query = query.strip()
        if not query:
            return []
        if query.isdigit():
            found = await self._items(store, [int(query)])
            if found:
                return found
        resp = await self._call(store, "GET", SEARCH_ITEM, params={
            "item_name": query, "page_size": SEARCH_PAGE, "item_status": "NORMAL"})
        ids = [int(i) for i in resp.get("item_id_list") or [] if str(i).isdigit()]
        return await self._items(store, ids[:SEARCH_PAGE]) if ids else []

    async def _items(self, store: StoreAccount, ids: list[int]) -> list[Product]:
        resp = await self._call(store, "GET", ITEM_INFO,
                                params={"item_id_list": ",".join(map(str, ids))})
        domain = WEB_DOMAINS.get(store.site.upper())
        out = []
        for item in resp.get("item_list") or []:
            if not isinstance(item, dict) or not item.get("item_id"):
                continue
            prices = item.get("price_info") or [{}]
            images = (item.get("image") or {}).get("image_url_list") or [None]
            item_id = str(item["item_id"])
            out.append(Product(
                product_id=item_id, name=str(item.get("item_name") or ""),
                price=str(prices[0].get("current_price", "")),
                currency=str(prices[0].get("currency", "")), image_url=images[0],
                url=f"https://{domain}/product/{store.shop_id}/{item_id}" if domain else None,
                status=str(item.get("item_status") or "")))
        return out


def _int_id(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise RuleViolation(f"non-numeric {what} id {value!r}",
                            user_message=f"Shopee {what} ids are numbers; got {value!r}.") from None
