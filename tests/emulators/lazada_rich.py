"""Lazada emulator: image upload, product APIs, card/image sends and reverse answers.

- ``/image/upload`` (POST multipart ``image``, outside the signature): JPG/PNG by magic
  bytes, at most 1 MB [doc UploadImage]; returns ``data.image{url, hash_code}``.
- ``/im/message/send`` templates 3 (``img_url`` from an upload + width/height), 10006
  (``item_id`` of the seller's product), 10007 (``order_id`` of the seller's order).
- ``/products/get`` (``search`` on name/SKU, ``limit`` 1-50) and ``/product/item/get``.
- ``/order/reverse/cancel/seller/decide``, ``/order/reverse/return/update``,
  ``/order/reverse/onlyrefund/seller/decide``, ``/order/reverse/reason/list`` with the
  documented E01xx codes; past a line's ``sla`` Lazada has decided for the seller.
Mixed into :class:`tests.emulators.lazada.LazadaEmulator` before the order mixin.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from tests.emulators.lazada_api import ApiFailure, ok
from tests.emulators.lazada_state import Grant, Session

UPLOAD, SEND = "/image/upload", "/im/message/send"
PRODUCTS, ITEM = "/products/get", "/product/item/get"
CANCEL_DECIDE = "/order/reverse/cancel/seller/decide"
RETURN_UPDATE = "/order/reverse/return/update"
REFUND_DECIDE = "/order/reverse/onlyrefund/seller/decide"
REASONS = "/order/reverse/reason/list"
RICH_APIS = {UPLOAD, PRODUCTS, ITEM, CANCEL_DECIDE, RETURN_UPDATE, REFUND_DECIDE, REASONS}
REASON_LIST = [{"reason_id": "1000017", "text": "out of stock",
                "muti_language_text": "out of stock"},
               {"reason_id": "1000021", "text": "Item was not used or damaged",
                "muti_language_text": "Item was not used or damaged"}]
ACTIONS = {"instantRefund", "agreeReturn", "refuseReturn", "agreeRefund", "refuseRefund",
           "confirmDelivery"}


class RichApis:
    request_files: dict[str, tuple[str, bytes, str]]
    upload_limit = 1024 * 1024

    @property
    def rich(self) -> dict[str, Any]:
        st = self.__dict__.get("_rich")
        if st is None:
            st = self.__dict__["_rich"] = {"uploads": set(), "products": {}}
        return st

    def add_product(self, seller_id: str, item_id: int, name: str, *, price: float = 100.0,
                    status: str = "Active") -> None:
        self.rich["products"].setdefault(seller_id, {})[str(item_id)] = {
            "item_id": item_id, "status": status, "attributes": {"name": name},
            "images": [f"https://sg-live.slatic.test/p/{item_id}.jpg"],
            "skus": [{"SkuId": item_id * 10, "price": price, "special_price": 0,
                      "Url": f"https://www.lazada.sg/-i{item_id}.html", "Status": "active"}]}

    def dispatch(self, api: str, p: dict[str, str], grant: Grant | None) -> dict[str, Any]:
        if api == SEND and p.get("template_id") in ("3", "10006", "10007"):
            assert grant is not None
            return self._send_rich(p, grant)
        if api not in RICH_APIS:
            return super().dispatch(api, p, grant)  # type: ignore[misc]
        assert grant is not None
        seller = grant.seller_id
        if api == UPLOAD:
            return self._upload()
        if api in (PRODUCTS, ITEM):
            return self._products(api, p, seller)
        if api == REASONS:
            return self._reasons(p, seller)
        if api == CANCEL_DECIDE:
            return self._cancel_decide(p, seller)
        return self._return_update(api, p, seller)

    # -- media and cards -----------------------------------------------------------------

    def _upload(self) -> dict[str, Any]:
        part = self.request_files.get("image")
        if part is None:
            raise ApiFailure("MissingParameter", "Missing required parameter: image")
        data = part[1]
        if not (data.startswith(b"\xff\xd8\xff") or data.startswith(b"\x89PNG\r\n\x1a\n")):
            raise ApiFailure("InvalidParameter", "Allowed image formats are JPG and PNG")
        if len(data) > self.upload_limit:
            raise ApiFailure("InvalidParameter", "The maximum size of an image file is 1MB")
        url = f"https://sg-test-11.slatic.test/p/{secrets.token_hex(8)}.jpg"
        self.rich["uploads"].add(url)
        return {"code": "0", "data": {"image": {"url": url, "hash_code": secrets.token_hex(8)}},
                "request_id": secrets.token_hex(11)}

    def _send_rich(self, p: dict[str, str], grant: Grant) -> dict[str, Any]:
        session: Session | None = self.state.sessions.get(p.get("session_id", ""))  # type: ignore[attr-defined]
        if session is None or session.seller.seller_id != grant.seller_id:
            raise ApiFailure("SESSION_NOT_EXIST")
        template = int(p["template_id"])
        if template == 3:
            if p.get("img_url") not in self.rich["uploads"] or not (
                    p.get("width", "").isdigit() and p.get("height", "").isdigit()):
                raise ApiFailure("InvalidParameter", "img_url, width and height are required")
            content = {"imgUrl": p["img_url"], "width": int(p["width"]),
                       "height": int(p["height"])}
        elif template == 10006:
            item = self.rich["products"].get(grant.seller_id, {}).get(p.get("item_id", ""))
            if item is None:
                raise ApiFailure("InvalidParameter", "item_id is invalid")
            content = {"itemId": str(item["item_id"]), "title": item["attributes"]["name"]}
        else:
            if (grant.seller_id, p.get("order_id", "")) not in self.orders.orders:  # type: ignore[attr-defined]
                raise ApiFailure("InvalidParameter", "order_id is invalid")
            content = {"orderId": p["order_id"]}
        if session.blocked:
            raise ApiFailure("BUYER_BLOCKED")
        if session.closed:
            raise ApiFailure("SESSION_EXPIRED")
        message = self.state.add_message(session.session_id, content,  # type: ignore[attr-defined]
                                         from_buyer=False, template_id=template)
        return ok({"message_id": message.message_id, "template_id": template,
                   "current_time": message.send_time})

    def _products(self, api: str, p: dict[str, str], seller: str) -> dict[str, Any]:
        items = self.rich["products"].get(seller, {})
        if api == ITEM:
            item = items.get(p.get("item_id", ""))
            if item is None:
                raise ApiFailure("208", "E208: Product not found")
            return {"code": "0", "data": item, "request_id": secrets.token_hex(11)}
        limit = int(p.get("limit") or 10) if (p.get("limit") or "10").isdigit() else 0
        if not 1 <= limit <= 50:
            raise ApiFailure("InvalidParameter", "limit must be in [1,50]")
        want = p.get("search", "").casefold()
        status = {"live": "Active", "all": None}.get(p.get("filter", "all"), "Active")
        rows = [i for i in items.values() if want in i["attributes"]["name"].casefold()
                and (status is None or i["status"] == status)]
        return {"code": "0", "data": {"total_products": len(rows), "products": rows[:limit]},
                "request_id": secrets.token_hex(11)}

    # -- reverse answers ---------------------------------------------------------------

    def _reverse(self, seller: str, reverse_id: str) -> dict[str, Any]:
        reverse = self.orders.reverses.get((seller, reverse_id))  # type: ignore[attr-defined]
        if reverse is None:
            raise ApiFailure("105", "E0105: reverse order id is empty or invalid")
        now = self.state.now_ms()  # type: ignore[attr-defined]
        for line in reverse.body["reverse_order_lines"]:
            sla = int(line.get("sla") or 0)
            if line["reverse_status"] == "REQUEST_INITIATE" and sla and now > sla:
                # Lazada's auto-decision after the SLA (auto-refund / auto-cancel).
                line["reverse_status"] = ("CANCEL_SUCCESS" if reverse.body["request_type"]
                                          == "CANCEL" else "REFUND_SUCCESS")
        return reverse.body

    def _reasons(self, p: dict[str, str], seller: str) -> dict[str, Any]:
        line_id = p.get("reverse_order_line_id", "")
        for (s, _), reverse in self.orders.reverses.items():  # type: ignore[attr-defined]
            if s == seller and any(str(x["reverse_order_line_id"]) == line_id
                                   for x in reverse.body["reverse_order_lines"]):
                return {"code": "0", "data": REASON_LIST, "request_id": secrets.token_hex(11)}
        raise ApiFailure("126", "E0126: invalid reverse order lines")

    def _open_lines(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        lines = [x for x in body["reverse_order_lines"]
                 if x["reverse_status"] == "REQUEST_INITIATE"]
        if not lines:
            raise ApiFailure("114", "E0114: this reverse does not support this action")
        return lines

    def _cancel_decide(self, p: dict[str, str], seller: str) -> dict[str, Any]:
        body = self._reverse(seller, p.get("reverse_order_id", ""))
        if body["request_type"] != "CANCEL":
            raise ApiFailure("105", "E0105: reverse order id is empty or invalid")
        agree = p.get("agree_cancel")
        if agree not in ("true", "false"):
            raise ApiFailure("131", "E0131: no decision for this reverse order")
        if agree == "false" and p.get("reason_code") not in [r["reason_id"]
                                                             for r in REASON_LIST]:
            raise ApiFailure("108", "E0108: reason can't be empty if you want to refuse")
        lines = self._open_lines(body)
        for line in lines:
            line["reverse_status"] = "CANCEL_SUCCESS" if agree == "true" else "REQUEST_REJECT"
        order = self.orders.orders.get((seller, str(body["trade_order_id"])))  # type: ignore[attr-defined]
        for item in order.items if order else []:
            if str(item.get("reverse_order_id")) == str(body["reverse_order_id"]):
                item["need_cancel_confirm"] = False
                if agree == "true":
                    item["status"] = "canceled"
        return {"code": "0", "request_id": secrets.token_hex(11)}

    def _return_update(self, api: str, p: dict[str, str], seller: str) -> dict[str, Any]:
        body = self._reverse(seller, p.get("reverse_order_id", ""))
        action = p.get("action", "")
        if body["request_type"] == "CANCEL":
            raise ApiFailure("114", "E0114: this reverse does not support this action")
        if action not in ACTIONS or (api == REFUND_DECIDE) != (action == "agreeRefund"
                                                               and body["request_type"]
                                                               == "ONLY_REFUND"):
            raise ApiFailure("107", "E0107: invalid action")
        try:
            ids = {str(i) for i in json.loads(p.get("reverse_order_item_ids") or "[]")}
        except ValueError:
            ids = set()
        open_lines = {str(x["reverse_order_line_id"]): x for x in self._open_lines(body)}
        if not ids or not ids <= {str(x["reverse_order_line_id"])
                                  for x in body["reverse_order_lines"]}:
            raise ApiFailure("126", "E0126: invalid reverse order lines")
        if not ids <= open_lines.keys():
            raise ApiFailure("114", "E0114: this reverse does not support this action")
        if action.startswith("refuse"):
            if p.get("reason_id") not in [r["reason_id"] for r in REASON_LIST]:
                raise ApiFailure("108", "E0108: reason can't be empty if you want to refuse "
                                        "return or refund")
            if not p.get("comment"):
                raise ApiFailure("109", "E0109: comment can't be empty if you want to refuse "
                                        "return or refund")
            if len(ids) > 1:
                raise ApiFailure("111", "E0111: do not support massive reverse order line "
                                        "operation if you want to refuse return or refund")
        status = {"agreeReturn": "AGREE_RETURN", "agreeRefund": "REFUND_SUCCESS",
                  "refuseReturn": "REQUEST_REJECT"}.get(action, "REQUEST_INITIATE")
        for line_id in ids:
            open_lines[line_id]["reverse_status"] = status
        return {"code": "0", "data": {"reverse_order_id": str(body["reverse_order_id"])},
                "request_id": secrets.token_hex(11)}
