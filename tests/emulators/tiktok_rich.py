"""TikTok emulator: buyer-message image upload, products, card checks, and the
Return & Refund answers (reject cancellation, approve/reject return, reject reasons).

Checks: upload field ``data`` must be JPG/GIF/WebP/PNG by magic bytes and at most
10 MB [doc]; an IMAGE message's url must come from an upload, a PRODUCT_CARD's product
must be the shop's, an ORDER_CARD's order the shop's. Products: ``page_size`` 1-100
required on search. Answers use the documented codes: 25001014 unknown reason,
25020004 decision does not match the request type, 25011012 / 25020010 wrong status;
a request past its ``seller_next_action_response`` deadline has been auto-approved
("TikTok Shop will automatically approve" [doc RR overview]).
"""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any

from aiohttp import web

from connectors.media import sniff_image  # dimensions only: the type check is our own
from tests.emulators.multipart import form_parts
from tests.emulators.tiktok_state import Shop, WireFailure

if TYPE_CHECKING:
    from tests.emulators.tiktok_server import TikTokEmulator

RR = "/return_refund/202309"
CS = "/customer_service/202309"
MAX_UPLOAD = 10 * 1024 * 1024
INVALID = 25001001
NOT_FOUND = 12052048  # UNKNOWN: the product API's not-found code is the emulator's own
REASONS = [{"name": "seller_reject_apply_you_have_reached_an_agreement_with_the_buyer",
            "text": "You have reached an agreement with the buyer"},
           {"name": "seller_reject_apply_product_has_been_packed",
            "text": "The product has been packed"}]
MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")


def _fail(code: int, message: str) -> WireFailure:
    return WireFailure(code, message, 200)


def _doc(body: bytes) -> dict[str, Any]:
    """The JSON body as an object, or TikTok's invalid-parameter answer."""
    try:
        doc = json.loads(body or b"{}")
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise _fail(INVALID, "Invalid parameter: the body must be a JSON object.")
    return doc


def _image(data: bytes) -> bool:
    return data.startswith(MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


class RichEndpoints:
    def __init__(self, emulator: TikTokEmulator) -> None:
        self.emu = emulator
        self.uploads: set[str] = set()
        self.products: dict[str, dict[str, dict[str, Any]]] = {}
        self.upload_limit = MAX_UPLOAD

    def add_routes(self, r: web.UrlDispatcher, wrap: Any) -> None:
        r.add_post(f"{CS}/images/upload", wrap("image_upload", self._upload, True))
        r.add_get("/product/202309/products/{pid}",
                  wrap("product_get", self._product, True, quota=False))
        r.add_post("/product/202309/products/search",
                   wrap("product_search", self._search, True, quota=False))
        r.add_get(f"{RR}/reject_reasons", wrap("reject_reasons", self._reasons, True,
                                               quota=False))
        r.add_post(f"{RR}/cancellations/{{cid}}/reject",
                   wrap("cancellation_reject", self._reject_cancel, True, quota=False))
        r.add_post(f"{RR}/returns/{{rid}}/approve",
                   wrap("return_approve", self._approve_return, True, quota=False))
        r.add_post(f"{RR}/returns/{{rid}}/reject",
                   wrap("return_reject", self._reject_return, True, quota=False))

    def add_product(self, shop_id: str, product_id: str, title: str, *, price: str = "100",
                    currency: str = "VND", status: str = "ACTIVATE") -> None:
        self.products.setdefault(shop_id, {})[product_id] = {
            "id": product_id, "title": title, "status": status,
            "main_images": [{"urls": [f"https://p16.tiktok.test/{product_id}.jpg"]}],
            "skus": [{"id": product_id + "1", "price": {"currency": currency,
                                                         "sale_price": price}}]}

    def check_send(self, shop: Shop, type_: str, content: dict[str, Any]) -> None:
        ok = True
        if type_ == "IMAGE":
            ok = content.get("url") in self.uploads and isinstance(content.get("width"), int)
        elif type_ == "PRODUCT_CARD":
            ok = str(content.get("product_id")) in self.products.get(shop.id, {})
        elif type_ == "ORDER_CARD":
            ok = str(content.get("order_id")) in self.emu.orders.book(shop.id).orders
        if not ok:
            raise _fail(45101001, "Invalid parameter: message content.")

    async def _upload(self, request: web.Request, body: bytes, shop: Shop | None,
                      grant: Any) -> Any:
        part = form_parts(request.headers.get("content-type", ""), body).get("data")
        if part is None or not _image(part[1]):
            raise _fail(45101001, "Invalid parameter: data must be a jpg, gif, webp or png "
                                  "image.")
        if len(part[1]) > self.upload_limit:
            raise _fail(45101001, "Invalid parameter: image exceeds 10 MB.")
        info = sniff_image(part[1])
        url = f"https://p16-im.tiktok.test/{secrets.token_hex(8)}.image"
        self.uploads.add(url)
        return {"url": url, "width": info.width if info else 0,
                "height": info.height if info else 0}

    async def _product(self, request: web.Request, body: bytes, shop: Shop | None,
                       grant: Any) -> Any:
        assert shop is not None
        found = self.products.get(shop.id, {}).get(request.match_info["pid"])
        if found is None:
            raise _fail(NOT_FOUND, "Product not found.")
        return found

    async def _search(self, request: web.Request, body: bytes, shop: Shop | None,
                      grant: Any) -> Any:
        assert shop is not None
        try:
            size = int(request.query.get("page_size", ""))
        except ValueError:
            size = 0
        if not 1 <= size <= 100:
            raise _fail(INVALID, "Invalid parameter: page_size must be in [1-100].")
        doc = _doc(body)
        status = doc.get("status") or "ALL"
        rows = [p for p in self.products.get(shop.id, {}).values()
                if status == "ALL" or p["status"] == status]
        return {"products": rows[:size], "total_count": len(rows), "next_page_token": ""}

    def _after_sale(self, shop: Shop, kind: str, key: str) -> dict[str, Any]:
        book = self.emu.orders.book(shop.id)
        rows = book.cancellations if kind == "cancel" else book.returns
        row = rows.get(key)
        if row is None:
            raise _fail(INVALID, "Invalid parameter: unknown return or cancel id.")
        deadline = max((a.get("deadline") or 0 for a in
                        row.get("seller_next_action_response") or []), default=0)
        if deadline and self.emu.state.now() > deadline:  # TikTok approved it itself
            if kind == "cancel":
                self.emu.orders.approve_cancellation(shop.id, key)
            else:
                row.update(return_status="RETURN_OR_REFUND_REQUEST_SUCCESS",
                           seller_next_action_response=[])
        return row

    async def _reasons(self, request: web.Request, body: bytes, shop: Shop | None,
                       grant: Any) -> Any:
        assert shop is not None
        key = request.query.get("return_or_cancel_id", "")
        book = self.emu.orders.book(shop.id)
        if key not in book.cancellations and key not in book.returns:
            raise _fail(INVALID, "Invalid parameter: return_or_cancel_id.")
        return {"reasons": REASONS}

    def _reason(self, doc: dict[str, Any]) -> None:
        if doc.get("reject_reason") not in [r["name"] for r in REASONS]:
            raise _fail(25001014, "Unknown return reason. Please ensure you are passing a "
                                  "valid return reason.")

    async def _reject_cancel(self, request: web.Request, body: bytes, shop: Shop | None,
                             grant: Any) -> Any:
        assert shop is not None
        c = self._after_sale(shop, "cancel", request.match_info["cid"])
        self._reason(_doc(body))
        if c.get("cancel_status") != "CANCELLATION_REQUEST_PENDING":
            raise _fail(25001003, "Invalid order status.")
        c.update(cancel_status="CANCELLATION_REQUEST_CANCEL", seller_next_action_response=[],
                 update_time=self.emu.state.now())
        order = self.emu.orders.book(shop.id).orders.get(c["order_id"])
        if order is not None:
            order.update(is_buyer_request_cancel=False, update_time=self.emu.state.now())
        return {}

    def _decided(self, row: dict[str, Any], decision: str, allowed: dict[str, str]) -> None:
        if allowed.get(row.get("return_type", "")) != decision:
            raise _fail(25020004, "decision not match reverse type")

    async def _approve_return(self, request: web.Request, body: bytes, shop: Shop | None,
                              grant: Any) -> Any:
        assert shop is not None
        row = self._after_sale(shop, "return", request.match_info["rid"])
        doc = _doc(body)
        if row.get("return_status") != "RETURN_OR_REFUND_REQUEST_PENDING":
            raise _fail(25011012, "reverse status cannot approve application")
        if doc.get("decision") == "OFFER_PARTIAL_REFUND":
            offer = doc.get("partial_refund")
            offer = offer if isinstance(offer, dict) else {}
            total = (row.get("refund_amount") or {}).get("refund_total") or "0"
            try:
                ok = 0 < float(offer.get("amount")) <= float(total)
            except (TypeError, ValueError):
                ok = False
            if not ok or offer.get("currency") != (row.get("refund_amount") or {}).get(
                    "currency"):
                raise _fail(25011032, "ReverseInvalidStatusPartialRefund")
            row.update(return_status="AWAITING_BUYER_RESPONSE",
                       seller_proposed_return_type="PARTIAL_REFUND",
                       partial_refund={"currency": offer["currency"], "amount": offer["amount"]})
            return {}
        self._decided(row, doc.get("decision"), {"REFUND": "APPROVE_REFUND",
                                                 "RETURN_AND_REFUND": "APPROVE_RETURN"})
        row.update(return_status="RETURN_OR_REFUND_REQUEST_SUCCESS",
                   seller_next_action_response=[], update_time=self.emu.state.now())
        return {}

    async def _reject_return(self, request: web.Request, body: bytes, shop: Shop | None,
                             grant: Any) -> Any:
        assert shop is not None
        row = self._after_sale(shop, "return", request.match_info["rid"])
        doc = _doc(body)
        if row.get("return_status") != "RETURN_OR_REFUND_REQUEST_PENDING":
            raise _fail(25020010, "Aftersales has been approved and cannot be rejected.")
        self._decided(row, doc.get("decision"), {"REFUND": "REJECT_REFUND",
                                                 "RETURN_AND_REFUND": "REJECT_RETURN"})
        self._reason(doc)
        row.update(return_status="REFUND_OR_RETURN_REQUEST_REJECT",
                   seller_next_action_response=[], update_time=self.emu.state.now())
        return {}
