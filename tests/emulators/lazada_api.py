"""The Lazada emulator's endpoints: tokens, seller, IM lists, send and read.

A mixin of :class:`tests.emulators.lazada.LazadaEmulator`; it raises
:class:`ApiFailure` for every refusal and returns Lazada-shaped bodies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.emulators.lazada_health import performance
from tests.emulators.lazada_state import (
    DAY_MS,
    Grant,
    LazadaState,
    Session,
    message_key,
    new_id,
    page_desc,
    session_key,
)

SEND, READ = "/im/message/send", "/im/session/read"
SESSIONS, MESSAGES = "/im/session/list", "/im/message/list"
SESSION_GET = "/im/session/get"
PERFORMANCE = "/seller/performance/get"
TOKEN_CREATE, TOKEN_REFRESH, SELLER_GET = "/auth/token/create", "/auth/token/refresh", "/seller/get"
TOKEN_APIS = {TOKEN_CREATE, TOKEN_REFRESH}
POST_ONLY = {SEND, READ}

#: Codes the IM service reports inside a code "0" envelope. The names are ours:
#: Lazada documents these rules but not their codes.
IM_CODES = {"SESSION_NOT_EXIST", "SESSION_EXPIRED", "BUYER_BLOCKED",
            "SEND_LIMIT_WITHOUT_REPLY", "CONTENT_ILLEGAL"}


class ApiFailure(Exception):
    def __init__(self, code: str, message: str = "", http_status: int = 200) -> None:
        super().__init__(code)
        self.code, self.message, self.http_status = code, message, http_status


def ok(data: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": "0", "success": "true", "err_code": "0",
                            "err_message": "SUCCESS", "request_id": new_id("0b", 22)}
    if data is not None:
        body["data"] = data
    return body


class ImApis:
    state: LazadaState
    access_ttl: int
    refresh_ttl: int
    rotate_refresh_tokens: bool
    quote_scalars: bool
    refresh_calls: int
    # From the push mixin:
    auto_push: Callable[[dict[str, Any]], None]
    message_payload: Callable[[Any], dict[str, Any]]
    session_update_payload: Callable[[Session], dict[str, Any]]

    def grant(self, seller_id: str, *, access_ttl: int | None = None,
              refresh_ttl: int | None = None) -> Grant:
        return self.state.grant(seller_id, access_ttl=access_ttl or self.access_ttl,
                                refresh_ttl=refresh_ttl or self.refresh_ttl)

    def dispatch(self, api: str, p: dict[str, str], grant: Grant | None) -> dict[str, Any]:
        if api == TOKEN_CREATE:
            return self._token_create(p)
        if api == TOKEN_REFRESH:
            return self._token_refresh(p)
        assert grant is not None
        seller = self.state.sellers[grant.seller_id]
        if api == SELLER_GET:
            return ok({"name": seller.name, "seller_id": seller.seller_id,
                       "short_code": f"{seller.site_id}{seller.seller_id[-4:]}",
                       "location": seller.site_id})
        if api == PERFORMANCE:  # GetSellerPerformance
            return ok(performance(seller, self.state.indicators.get(seller.seller_id, []),
                                  quoted=self.quote_scalars))
        if api == SESSIONS:
            return self._session_list(p, grant.seller_id)
        if api not in (MESSAGES, SEND, READ, SESSION_GET):
            raise ApiFailure("InvalidApiPath", f"Specified api {api} does not exist")
        session = self.state.sessions.get(p.get("session_id", ""))
        if session is None or session.seller.seller_id != grant.seller_id:
            raise ApiFailure("SESSION_NOT_EXIST")
        if api == SESSION_GET:  # GetSessionDetail: the list's fields for one session
            return ok(session.wire(quoted=self.quote_scalars))
        if api == MESSAGES:
            return self._message_list(p, session)
        if api == SEND:
            return self._send(p, session)
        return self._read(p, session)

    # -- tokens ------------------------------------------------------------------------

    def _token_answer(self, grant: Grant, list_name: str) -> dict[str, Any]:
        seller = self.state.sellers[grant.seller_id]
        now = self.state.now_ms()
        return {
            "access_token": grant.access_token, "refresh_token": grant.refresh_token,
            "expires_in": (grant.access_expires_ms - now) // 1000,
            "refresh_expires_in": max(0, (grant.refresh_expires_ms - now) // 1000),
            "country": seller.country, "account_platform": "seller_center",
            "account": f"{seller.seller_id}@example.test", "account_id": seller.user_id,
            list_name: [{"country": seller.country, "seller_id": seller.seller_id,
                         "user_id": seller.user_id,
                         "short_code": f"{seller.site_id}{seller.seller_id[-4:]}"}],
            "code": "0", "request_id": new_id("0b", 22),
        }

    def _token_create(self, p: dict[str, str]) -> dict[str, Any]:
        issued = self.state.codes.pop(p.get("code", ""), None)  # single use
        if issued is None or self.state.now_ms() - issued[1] > 30 * 60 * 1000:
            raise ApiFailure("InvalidCode")
        return self._token_answer(self.grant(issued[0]), "country_user_info")

    def _token_refresh(self, p: dict[str, str]) -> dict[str, Any]:
        self.refresh_calls += 1
        old = self.state.refresh_tokens.get(p.get("refresh_token", ""))
        now = self.state.now_ms()
        if old is None or old.refresh_expires_ms <= now:
            raise ApiFailure("IllegalRefreshToken")
        # The access token's lifetime restarts; the refresh token's does not.
        fresh = Grant(old.seller_id, new_id("50000", 30), now + self.access_ttl * 1000,
                      new_id("50001", 30) if self.rotate_refresh_tokens else old.refresh_token,
                      old.refresh_expires_ms)
        if self.rotate_refresh_tokens:
            del self.state.refresh_tokens[old.refresh_token]
        self.state.grants[fresh.access_token] = fresh
        self.state.refresh_tokens[fresh.refresh_token] = fresh
        return self._token_answer(fresh, "country_user_info_list")

    # -- IM ----------------------------------------------------------------------------

    def _page_params(self, p: dict[str, str]) -> tuple[int, int]:
        if not p.get("start_time") or not p.get("page_size"):
            raise ApiFailure("MissingParameter", "start_time and page_size are required")
        size = int(p["page_size"])
        if not 1 <= size <= 20:
            raise ApiFailure("InvalidParameter", "page_size must be between 1 and 20")
        return int(p["start_time"]), size

    def _session_list(self, p: dict[str, str], seller_id: str) -> dict[str, Any]:
        start, size = self._page_params(p)
        mine = [s for s in self.state.sessions.values() if s.seller.seller_id == seller_id]
        page, more = page_desc(mine, session_key, start, p.get("last_session_id"), size)
        return ok({"session_list": [s.wire(quoted=self.quote_scalars) for s in page],
                   **self._paging(page, more, session_key, "last_session_id")})

    def _message_list(self, p: dict[str, str], session: Session) -> dict[str, Any]:
        start, size = self._page_params(p)
        page, more = page_desc(session.messages, message_key, start,
                               p.get("last_message_id"), size)
        return ok({"message_list": [m.wire(quoted=self.quote_scalars) for m in page],
                   **self._paging(page, more, message_key, "last_message_id")})

    def _paging(self, page: list[Any], more: bool, key: Callable[[Any], tuple[int, str]],
                last_name: str) -> dict[str, Any]:
        last_time, last_id = key(page[-1]) if page else (0, "")
        if self.quote_scalars:  # doc samples quote every scalar
            return {"has_more": str(more).lower(), "next_start_time": str(last_time),
                    last_name: last_id}
        return {"has_more": more, "next_start_time": last_time, last_name: last_id}

    def _send(self, p: dict[str, str], session: Session) -> dict[str, Any]:
        if p.get("template_id") != "1":
            raise ApiFailure("InvalidParameter", "the emulator sends text (template_id 1) only")
        if not p.get("txt"):
            raise ApiFailure("MissingParameter", "Missing required parameter: txt")
        if session.blocked:
            raise ApiFailure("BUYER_BLOCKED")
        if session.closed:
            raise ApiFailure("SESSION_EXPIRED")
        unanswered, buyer_last = session.unanswered_since()
        if unanswered >= 5 and self.state.now_ms() - buyer_last > DAY_MS:
            raise ApiFailure("SEND_LIMIT_WITHOUT_REPLY")
        message = self.state.add_message(session.session_id, {"txt": p["txt"]},
                                         from_buyer=False)
        self.auto_push(self.message_payload(message))  # the seller's own message comes back
        return ok({"message_id": message.message_id, "template_id": 1,
                   "current_time": message.send_time})

    def _read(self, p: dict[str, str], session: Session) -> dict[str, Any]:
        target = next((m for m in session.messages
                       if m.message_id == p.get("last_read_message_id")), None)
        if target is None:
            raise ApiFailure("InvalidParameter", "last_read_message_id is not in the session")
        session.self_position = max(session.self_position, target.send_time)
        self.auto_push(self.session_update_payload(session))
        return ok(None)
