"""Endpoint behaviour of the Shopee emulator (mixed into ShopeeEmulator)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from aiohttp import web

from tests.emulators.shopee_state import ACCESS_TTL, Conv, Shop

if TYPE_CHECKING:
    from tests.emulators.shopee_app import ShopeeEmulator

SEND_TYPES = {"text", "sticker", "image", "item", "order", "video"}


class WireError(Exception):
    def __init__(self, code: str, message: str, status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status, self.retry_after = code, message, status, retry_after


def _int(value: Any, name: str) -> int:
    # JSON numbers only: Shopee's request schemas type these ids as int64.
    if isinstance(value, bool) or not isinstance(value, int):
        raise WireError("error_param", f"Wrong parameters, detail: {name} should be int64.")
    return value


def _with_query(url: str, **params: Any) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + [(k, str(v)) for k, v in
                                                              params.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))


Handler = Callable[[Any, dict[str, str], dict[str, Any]], Awaitable[dict[str, Any]]]


class ChatHandlers:
    def routes(self: ShopeeEmulator) -> list[tuple[str, str, str, Handler]]:
        return [
            ("auth/token/get", "POST", "token", self.token_get),
            ("auth/access_token/get", "POST", "token", self.token_refresh),
            ("push/get_lost_push_message", "POST", "public", self.lost_get),
            ("push/confirm_consumed_lost_push_message", "POST", "public", self.lost_confirm),
            ("sellerchat/get_conversation_list", "GET", "shop", self.conversation_list),
            ("sellerchat/get_one_conversation", "GET", "shop", self.one_conversation),
            ("sellerchat/get_message", "GET", "shop", self.get_message),
            ("sellerchat/send_message", "POST", "shop", self.send_message),
            ("sellerchat/read_conversation", "POST", "shop", self.read_conversation),
            ("sellerchat/get_unread_conversation_count", "GET", "shop", self.unread_count),
        ]

    # -- auth ------------------------------------------------------------------

    async def token_get(self: ShopeeEmulator, _: None, q: dict[str, str], body: dict[str, Any]
                        ) -> dict[str, Any]:
        if body.get("partner_id") != self.partner_id or not body.get("code"):
            raise WireError("error_param", "Wrong parameters, detail: code and partner_id.")
        grant = self.tokens.redeem_code(str(body["code"]))
        if isinstance(grant, str):
            raise WireError("error_param", f"Invalid code ({grant}).")
        if "shop_id" in body:
            if _int(body["shop_id"], "shop_id") not in grant.shop_ids:
                raise WireError("error_param", "Invalid code for this shop_id.")
        elif _int(body.get("main_account_id"), "main_account_id") != grant.main_account_id:
            raise WireError("error_param", "Invalid code for this main_account_id.")
        access, refresh = self.tokens.issue(grant.shop_ids)
        result: dict[str, Any] = {"access_token": access, "refresh_token": refresh,
                                  "expire_in": ACCESS_TTL}
        if grant.main_account_id is not None:
            result.update(shop_id_list=grant.shop_ids, merchant_id_list=[])
        return result

    async def token_refresh(self: ShopeeEmulator, _: None, q: dict[str, str],
                            body: dict[str, Any]) -> dict[str, Any]:
        if body.get("partner_id") != self.partner_id or not body.get("refresh_token"):
            raise WireError("error_param", "Wrong parameters, detail: refresh_token.")
        shop_id = _int(body.get("shop_id"), "shop_id")
        shop = self.shops.get(shop_id)
        if shop is None:
            raise WireError("error_param", "shop_id is invalid.")
        if not shop.authorized:
            raise WireError("shop_access_expired", "Shop access expired.")
        pair = self.tokens.rotate(str(body["refresh_token"]), shop_id)
        if isinstance(pair, str):
            raise WireError(pair, "Invalid refresh_token." if pair.startswith("error") else
                            "Refresh token expired.")
        return {"access_token": pair[0], "refresh_token": pair[1], "expire_in": ACCESS_TTL,
                "partner_id": self.partner_id, "shop_id": shop_id}

    async def auth_partner(self: ShopeeEmulator, request: web.Request) -> web.Response:
        """Legacy signed authorize link: seller 'logs in' as ``authorizing_shop``."""
        q = request.query
        base = f"{q.get('partner_id')}/api/v2/shop/auth_partner{q.get('timestamp')}"
        expected = hmac.new(self.partner_key.encode(), base.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, q.get("sign", "")) or not q.get("redirect"):
            return web.json_response({"error": "error_sign", "message": "Wrong sign."},
                                     status=403)
        return self._redirect(q["redirect"], None)

    async def auth_page(self: ShopeeEmulator, request: web.Request) -> web.Response:
        q = request.query
        if q.get("partner_id") != str(self.partner_id) or q.get("response_type") != "code":
            return web.json_response({"error": "error_param", "message": "Wrong parameters."},
                                     status=400)
        return self._redirect(q["redirect_uri"], q.get("state"))

    def _redirect(self: ShopeeEmulator, url: str, state: str | None) -> web.Response:
        assert self.authorizing_shop is not None
        code = self.tokens.new_code([self.authorizing_shop])
        extra = {"state": state} if state is not None else {}
        location = _with_query(url, code=code, shop_id=self.authorizing_shop, **extra)
        return web.Response(status=302, headers={"Location": location})

    # -- lost pushes -----------------------------------------------------------

    async def lost_get(self: ShopeeEmulator, _: None, q: dict[str, str], body: dict[str, Any]
                       ) -> dict[str, Any]:
        floor = self.now() - 3 * 86400
        pending = [p for p in self.lost if not p["consumed"] and p["timestamp"] >= floor]
        page = pending[:100]
        return {"push_message_list": [{"shop_id": p["shop_id"], "code": p["code"],
                                       "timestamp": p["timestamp"], "data": p["data"]}
                                      for p in page],
                "has_next_page": len(pending) > 100,
                "last_message_id": page[-1]["id"] if page else 0}

    async def lost_confirm(self: ShopeeEmulator, _: None, q: dict[str, str],
                           body: dict[str, Any]) -> dict[str, Any]:
        last = _int(body.get("last_message_id"), "last_message_id")
        for p in self.lost:
            if p["id"] <= last:
                p["consumed"] = True
        return {}

    # -- sellerchat ------------------------------------------------------------

    async def conversation_list(self: ShopeeEmulator, shop: Shop, q: dict[str, str],
                                body: dict[str, Any]) -> dict[str, Any]:
        direction, kind = q.get("direction"), q.get("type")
        if direction not in ("latest", "older") or kind not in ("all", "pinned", "unread"):
            raise WireError("error_param", "Wrong parameters, detail: direction and type.")
        page_size = int(q.get("page_size") or 25)
        empty = {"conversations": [], "page_result": {
            "page_size": page_size, "more": False,
            "next_cursor": {"next_message_time_nano": "0", "conversation_id": ""}}}
        if page_size > self.conversation_page_cap:
            if self.oversize_page == "empty":  # observed in production (UNCERTAIN)
                return empty
            page_size = self.conversation_page_cap
        convs = [c for c in shop.conversations.values() if c.messages and
                 (kind == "all" or (kind == "unread" and c.unread_count) or
                  (kind == "pinned" and c.pinned))]
        cursor = int(q["next_timestamp_nano"]) if q.get("next_timestamp_nano") else None
        desc = sorted(convs, key=lambda c: c.last_ns, reverse=True)
        if direction == "older":
            pool = [c for c in desc if cursor is None or c.last_ns < cursor]
        elif cursor is not None:
            pool = sorted((c for c in convs if c.last_ns > cursor), key=lambda c: c.last_ns)
        elif self.direction_semantics == "field":
            pool = desc[::-1]  # reported: 'latest' without a cursor starts at the OLDEST
        else:
            pool = desc
        page = pool[:page_size]
        last = page[-1] if page else None
        return {"conversations": [c.wire() for c in page], "page_result": {
            "page_size": len(page), "more": len(pool) > page_size,
            "next_cursor": {"next_message_time_nano": str(last.last_ns) if last else "0",
                            "conversation_id": last.conversation_id if last else ""}}}

    def _conv(self: ShopeeEmulator, shop: Shop, conversation_id: Any) -> Conv:
        for conv in shop.conversations.values():
            if conv.conversation_id == str(conversation_id):
                return conv
        raise WireError("resource_not_found", "The conversation is not found.")

    async def one_conversation(self: ShopeeEmulator, shop: Shop, q: dict[str, str],
                               body: dict[str, Any]) -> dict[str, Any]:
        if not q.get("conversation_id"):
            raise WireError("error_param", "Wrong parameters, detail: conversation_id.")
        return self._conv(shop, q["conversation_id"]).wire()

    async def get_message(self: ShopeeEmulator, shop: Shop, q: dict[str, str],
                          body: dict[str, Any]) -> dict[str, Any]:
        if not q.get("conversation_id"):
            raise WireError("error_param", "Wrong parameters, detail: conversation_id.")
        conv = self._conv(shop, q["conversation_id"])
        page_size = min(int(q.get("page_size") or 25), self.message_page_cap)
        newest_first = conv.messages[::-1]
        if q.get("offset"):  # "the oldest message id" of the previous page
            ids = [m.message_id for m in newest_first]
            if q["offset"] not in ids:
                raise WireError("error_param", "Wrong parameters, detail: offset.")
            newest_first = newest_first[ids.index(q["offset"]) + 1:]
        page = newest_first[:page_size]
        more = len(newest_first) > page_size
        return {"messages": [m.wire() for m in page], "page_result": {
            "page_size": len(page), "next_offset": page[-1].message_id if more else ""}}

    async def send_message(self: ShopeeEmulator, shop: Shop, q: dict[str, str],
                           body: dict[str, Any]) -> dict[str, Any]:
        to_id = _int(body.get("to_id"), "to_id")
        message_type, content = body.get("message_type"), body.get("content")
        if message_type not in SEND_TYPES or not isinstance(content, dict):
            raise WireError("error_param", "Wrong parameters, detail: message_type/content.")
        if shop.region == "TW":
            raise WireError("error_param", "Currently TW region is not supported.")
        self.check_send_content(shop, message_type, content)
        if message_type == "text":
            text = content.get("text")
            if not isinstance(text, str) or not text:
                raise WireError("error_param", "Wrong parameters, detail: text is empty.")
            if len(text) > self.text_limit:
                raise WireError("error_param", "Wrong parameters, detail: text exceeds the "
                                               "length limit.")
        msg = self.add_message(shop.shop_id, to_id, from_buyer=False, message_type=message_type,
                               content=self.listed_content(message_type, content))
        return {"to_id": to_id, "message_id": msg.message_id, "message_type": message_type,
                "content": content, "conversation_id": msg.conversation_id,
                "created_timestamp": msg.created_timestamp, "region": shop.region,
                "message_option": 0}

    async def read_conversation(self: ShopeeEmulator, shop: Shop, q: dict[str, str],
                                body: dict[str, Any]) -> dict[str, Any]:
        conv = self._conv(shop, _int(body.get("conversation_id"), "conversation_id"))
        last = body.get("last_read_message_id")
        if not isinstance(last, str) or not last:
            raise WireError("error_param", "Wrong parameters, detail: last_read_message_id.")
        conv.unread_count, conv.last_read_message_id = 0, last
        return {"conversation_id": conv.conversation_id, "last_read_message_id": last}

    async def unread_count(self: ShopeeEmulator, shop: Shop, q: dict[str, str],
                           body: dict[str, Any]) -> dict[str, Any]:
        return {"total_unread_count": sum(1 for c in shop.conversations.values()
                                          if c.unread_count)}
