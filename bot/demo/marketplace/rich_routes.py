"""The sandbox marketplace's media, attachment and product endpoints.

- ``POST .../media``: the raw image as the body (signed like any body), ``Content-Type``
  image/*; JPEG/PNG/GIF/WebP by magic bytes, at most 5 MB and 4096 px a side; 201
  ``{media_id, url, width, height}``; refusals 415 ``unsupported_media``, 413
  ``media_too_large``, 400 ``image_dimensions``.
- ``POST .../conversations/{id}/attachments`` ``{"type": "image", "media_id"}`` or
  ``{"type": "product", "product_id"}``: a new message every time (never
  de-duplicated); send failures injected with ``fail_next_send`` apply.
- ``GET .../products?q=`` (name contains, case-insensitive) and ``.../products/{id}``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from connectors.media import sniff_image

if TYPE_CHECKING:
    from bot.demo.marketplace.server import SandboxMarketplace

MAX_MEDIA = 5 * 1024 * 1024
MAX_SIDE = 4096
_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")


@dataclass
class Shelf:
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    products: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def add_product(self, shop_id: str, product_id: str, name: str, price: str,
                    currency: str) -> dict[str, Any]:
        product = {"product_id": product_id, "name": name, "price": price,
                   "currency": currency,
                   "url": f"https://sandbox.storebridge.test/p/{product_id}",
                   "image_url": f"https://sandbox.storebridge.test/p/{product_id}.jpg"}
        self.products.setdefault(shop_id, {})[product_id] = product
        return product


def rich_routes(market: SandboxMarketplace, api: str, error: Any,
                send_failures: dict[str, Any]) -> list[web.RouteDef]:
    """``error(status, code, message, headers)`` builds the marketplace's error
    exception; ``send_failures`` maps injected failure modes to its arguments."""

    def shop(request: web.Request) -> str:
        return request.match_info["shop_id"]

    async def upload(request: web.Request) -> web.Response:
        body = await request.read()
        if not request.content_type.startswith("image/") or not (
                body.startswith(_MAGIC) or (body[:4] == b"RIFF" and body[8:12] == b"WEBP")):
            raise error(415, "unsupported_media", "Only JPEG, PNG, GIF and WebP images")
        if len(body) > MAX_MEDIA:
            raise error(413, "media_too_large", "Images are limited to 5 MB")
        info = sniff_image(body)
        if info is None or max(info.width, info.height) > MAX_SIDE:
            raise error(400, "image_dimensions", f"Images are limited to {MAX_SIDE} px a side")
        media_id = f"med-{secrets.token_hex(6)}"
        item = {"media_id": media_id, "width": info.width, "height": info.height,
                "url": f"https://sandbox.storebridge.test/m/{media_id}"}
        market.shelf.media[media_id] = {**item, "shop_id": shop(request)}
        return web.json_response(item, status=201)

    async def attach(request: web.Request) -> web.Response:
        buyer = market.ledger.conversation(shop(request), request.match_info["conversation_id"])
        if buyer is None:
            raise error(404, "conversation_not_found", "No such conversation in this shop")
        try:
            doc = await request.json()
        except ValueError:
            doc = None
        if not isinstance(doc, dict) or doc.get("type") not in ("image", "product"):
            raise error(400, "invalid_request", "type must be image or product")
        if doc["type"] == "image":
            media = market.shelf.media.get(str(doc.get("media_id")))
            if media is None or media["shop_id"] != shop(request):
                raise error(400, "invalid_request", "media_id is not an upload of this shop")
            content = {k: media[k] for k in ("url", "width", "height")}
        else:
            product = market.shelf.products.get(shop(request), {}).get(
                str(doc.get("product_id")))
            if product is None:
                raise error(404, "product_not_found", "No such product in this shop")
            content = {k: product[k] for k in ("product_id", "name", "url")}
        failure = market.take_send_failure()
        if failure is not None and failure != "timeout":
            raise error(*send_failures[failure])
        message = market.record(buyer, from_seller=True, kind=doc["type"], content=content)
        if failure == "timeout":
            await market.hold(market.timeout_delay)
        return web.json_response({"message_id": message["message_id"],
                                  "sent_at": message["created_at"]})

    async def products(request: web.Request) -> web.Response:
        want = request.query.get("q", "").casefold()
        rows = [p for p in market.shelf.products.get(shop(request), {}).values()
                if want in p["name"].casefold()]
        return web.json_response({"products": rows[:20]})

    async def product(request: web.Request) -> web.Response:
        found = market.shelf.products.get(shop(request), {}).get(request.match_info["pid"])
        if found is None:  # "not_found", like /sent: a lookup that may miss
            raise error(404, "not_found", "No such product in this shop")
        return web.json_response(found)

    return [web.post(api + "/media", upload),
            web.post(api + "/conversations/{conversation_id}/attachments", attach),
            web.get(api + "/products", products),
            web.get(api + "/products/{pid}", product)]
