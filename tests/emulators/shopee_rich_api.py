"""Shopee emulator: chat image upload, product search and the returns actions.

- ``sellerchat/upload_image`` (multipart ``file``): JPG/PNG by their magic bytes,
  at most 10 MB (ASSUMED, see docs/platform-actions.md); returns ``{url, thumbnail}``.
- ``send_message`` image/item/order content is checked here: an ``image_url`` must
  come from an upload (the message is then listed with it as ``url``), an ``item_id``
  must be the shop's, an ``order_sn`` its order. Nothing is de-duplicated: the same
  image sent twice is two messages, as on Shopee.
- ``product/search_item`` (page_size 1-100; item_name or attribute_status required)
  and ``product/get_item_base_info`` (1-50 ids).
- ``returns/confirm|offer|dispute`` and ``get_return_dispute_reason`` with the
  documented refusals (wrong status, amount out of range, invalid reason/e-mail);
  a return past its ``due_date`` has been auto-accepted, as Shopee does.
Mixed into :class:`tests.emulators.shopee_app.ShopeeEmulator`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.emulators.shopee_handlers import WireError
from tests.emulators.shopee_state import Shop

if TYPE_CHECKING:
    from tests.emulators.shopee_app import ShopeeEmulator

MAX_UPLOAD = 10 * 1024 * 1024
DISPUTE_REASONS = [{"reason_id": 50, "reason_text": "Received return item(s), buyer's claim "
                                                   "incorrect"},
                   {"reason_id": 51, "reason_text": "Did not receive the returned item(s)"}]


@dataclass
class RichState:
    items: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)
    uploads: set[str] = field(default_factory=set)
    upload_limit: int = MAX_UPLOAD


def _image_kind(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    return None


class RichHandlers:
    @property
    def rich(self: ShopeeEmulator) -> RichState:
        if not hasattr(self, "_rich_state"):
            self._rich_state = RichState()
        return self._rich_state

    def rich_routes(self: ShopeeEmulator) -> list[tuple[str, str, str, Any]]:
        return [("sellerchat/upload_image", "POST", "shop", self.upload_image),
                ("product/search_item", "GET", "shop", self.search_item),
                ("product/get_item_base_info", "GET", "shop", self.item_base_info),
                ("returns/confirm", "POST", "shop", self.return_confirm),
                ("returns/offer", "POST", "shop", self.return_offer),
                ("returns/dispute", "POST", "shop", self.return_dispute),
                ("returns/get_return_dispute_reason", "GET", "shop", self.dispute_reasons)]

    def add_item(self: ShopeeEmulator, shop_id: int, item_id: int, name: str, *,
                 price: float = 100.0, currency: str = "SGD", status: str = "NORMAL"
                 ) -> dict[str, Any]:
        item = {"item_id": item_id, "item_name": name, "item_status": status,
                "price_info": [{"currency": currency, "current_price": price,
                                "original_price": price}],
                "image": {"image_url_list": [f"https://cf.shopee.test/file/{item_id}"],
                          "image_id_list": [str(item_id)]}}
        self.rich.items.setdefault(shop_id, {})[item_id] = item
        return item

    def check_send_content(self: ShopeeEmulator, shop: Shop, message_type: str,
                           content: dict[str, Any]) -> None:
        if message_type == "image" and content.get("image_url") not in self.rich.uploads:
            raise WireError("error_param", "Wrong parameters, detail: image_url is invalid.")
        if message_type == "item":
            item_id = content.get("item_id")
            if not isinstance(item_id, int) or item_id not in self.rich.items.get(
                    shop.shop_id, {}):
                raise WireError("error_item_not_found", "Product not found")
        if message_type == "order" and str(content.get("order_sn") or "") not in (
                self.order_book.orders.get(shop.shop_id, {})):
            raise WireError("error_param", "Wrong parameters, detail: order_sn is invalid.")

    def listed_content(self: ShopeeEmulator, message_type: str, content: dict[str, Any]
                       ) -> dict[str, Any]:
        """A sent image is listed (get_message, pushes) as Shopee shows images, not as
        it was sent: ``{url, thumb_url, thumb_height, thumb_width, file_server_id}``."""
        if message_type != "image":
            return content
        url = str(content["image_url"])
        return {"url": url, "thumb_url": url + "_tn", "thumb_height": 160,
                "thumb_width": 160, "file_server_id": 0}

    async def upload_image(self: ShopeeEmulator, shop: Shop, q: dict[str, str],
                           body: dict[str, Any]) -> dict[str, Any]:
        part = body.get("file")
        if not isinstance(part, tuple):
            raise WireError("error_param", "Wrong parameters, detail: file is required.")
        data: bytes = part[1]
        if _image_kind(data) is None:
            raise WireError("error_param", "Wrong parameters, detail: image format invalid.")
        if len(data) > self.rich.upload_limit:
            raise WireError("error_param", "Wrong parameters, detail: image size too large.")
        url = f"https://cf.shopee.test/file/chat-{secrets.token_hex(8)}"
        self.rich.uploads.add(url)
        return {"url": url, "thumbnail": url + "_tn"}

    async def search_item(self: ShopeeEmulator, shop: Shop, q: dict[str, str],
                          body: dict[str, Any]) -> dict[str, Any]:
        try:
            size = int(q.get("page_size") or "")
        except ValueError:
            raise WireError("product.error_param",
                            "invalid field PageSize: value must  Not Null") from None
        if not 1 <= size <= 100:
            raise WireError("error_param", "Wrong parameters, detail: page_size.")
        name = q.get("item_name")
        if not name and not q.get("attribute_status"):
            raise WireError("error_param", "request must set one of [item_name,attribute_status]")
        statuses = set(q.getall("item_status") if hasattr(q, "getall") else
                       [q.get("item_status") or "NORMAL"])
        hits = [i["item_id"] for i in self.rich.items.get(shop.shop_id, {}).values()
                if (name or "").lower() in i["item_name"].lower()
                and i["item_status"] in statuses]
        return {"item_id_list": hits[:size], "total_count": len(hits), "next_offset": ""}

    async def item_base_info(self: ShopeeEmulator, shop: Shop, q: dict[str, str],
                             body: dict[str, Any]) -> dict[str, Any]:
        raw = [s for s in (q.get("item_id_list") or "").split(",") if s]
        if not 1 <= len(raw) <= 50 or not all(s.isdigit() for s in raw):
            raise WireError("error_param", "Wrong parameters, detail: item_id_list.")
        items = self.rich.items.get(shop.shop_id, {})
        return {"item_list": [items[int(s)] for s in raw if int(s) in items]}

    def _open_return(self: ShopeeEmulator, shop: Shop, body: dict[str, Any],
                     statuses: tuple[str, ...]) -> dict[str, Any]:
        sn = str(body.get("return_sn") or "")
        ret = self.order_book.returns.get(shop.shop_id, {}).get(sn)
        if ret is None:
            raise WireError("error_data", "The return you queried doesn't exist.")
        due = int(ret.get("due_date") or 0)
        if ret.get("status") == "REQUESTED" and due and self.now() > due:
            self.update_return(shop.shop_id, sn, status="ACCEPTED")  # auto-approved
        if ret.get("status") not in statuses:
            raise WireError("error_return_status", "The return status cannot support this "
                            f"action. Invalid return status: {ret['status']}")
        return ret

    async def return_confirm(self: ShopeeEmulator, shop: Shop, q: dict[str, str],
                             body: dict[str, Any]) -> dict[str, Any]:
        ret = self._open_return(shop, body, ("REQUESTED", "PROCESSING"))
        self.update_return(shop.shop_id, ret["return_sn"], status="ACCEPTED")
        return {"return_sn": ret["return_sn"], "msg": "confirm return success"}

    async def return_offer(self: ShopeeEmulator, shop: Shop, q: dict[str, str],
                           body: dict[str, Any]) -> dict[str, Any]:
        ret = self._open_return(shop, body, ("REQUESTED", "PROCESSING"))
        if body.get("proposed_solution") not in ("REFUND", "RETURN_REFUND"):
            raise WireError("error_param", "This proposed solution is not one of the available "
                                           "solutions for this return.")
        amount = body.get("proposed_adjusted_refund_amount")
        if not isinstance(amount, int | float) or isinstance(amount, bool):
            raise WireError("error_param", "Please fill a value for proposed adjusted refund "
                                           "amount")
        if amount <= 0:
            raise WireError("error_param", "The proposed adjusted refund amount must be positive")
        if amount > float(ret.get("refund_amount") or 0):
            raise WireError("error_param", "The proposed adjusted refund amount can not exceed "
                                           "max refund amount")
        self.update_return(shop.shop_id, ret["return_sn"], negotiation={
            "negotiation_status": "PENDING_BUYER_RESPOND", "latest_solution": "REFUND",
            "latest_offer_amount": amount, "latest_offer_creator": "seller"})
        return {"return_sn": ret["return_sn"]}

    async def return_dispute(self: ShopeeEmulator, shop: Shop, q: dict[str, str],
                             body: dict[str, Any]) -> dict[str, Any]:
        ret = self._open_return(shop, body, ("REQUESTED", "PROCESSING", "ACCEPTED"))
        email = body.get("email")
        if not isinstance(email, str) or "@" not in email:
            raise WireError("error_perm", f"invalid email : {email}.")
        if body.get("dispute_reason_id") not in [r["reason_id"] for r in DISPUTE_REASONS]:
            raise WireError("error_perm", "invalid dispute_reason.")
        self.update_return(shop.shop_id, ret["return_sn"], status="JUDGING")
        return {"return_sn": ret["return_sn"], "msg": "dispute return success"}

    async def dispute_reasons(self: ShopeeEmulator, shop: Shop, q: dict[str, str],
                              body: dict[str, Any]) -> dict[str, Any]:
        self._open_return(shop, q, ("REQUESTED", "PROCESSING", "ACCEPTED"))
        return {"dispute_reason_list": DISPUTE_REASONS}


async def read_multipart(request: Any) -> dict[str, Any]:
    """Form fields: files as (filename, bytes, content type), others as text."""
    out: dict[str, Any] = {}
    reader = await request.multipart()
    async for part in reader:
        data = await part.read()
        if part.filename is not None:
            out[part.name] = (part.filename, bytes(data), part.headers.get("Content-Type", ""))
        else:
            out[part.name] = bytes(data).decode("utf-8", "replace")
    return out
