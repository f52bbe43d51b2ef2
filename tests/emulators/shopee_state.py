"""State of the Shopee emulator: shops, conversations, messages and tokens."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

NS = 1_000_000_000
ACCESS_TTL = 4 * 3600
REFRESH_TTL = 30 * 86400
CODE_TTL = 600
OLD_ACCESS_GRACE = 300  # the old access token stays valid 5 min after a refresh


@dataclass
class Msg:
    message_id: str
    conversation_id: str
    from_id: int
    to_id: int
    from_shop_id: int
    to_shop_id: int
    from_user_name: str
    to_user_name: str
    message_type: str
    content: dict[str, Any]
    created_ns: int
    region: str
    status: str = "normal"
    source: str = "android"

    @property
    def created_timestamp(self) -> int:
        return self.created_ns // NS

    def wire(self) -> dict[str, Any]:
        """One ``get_message`` item (seconds; ids as strings)."""
        return {
            "message_id": self.message_id, "message_type": self.message_type,
            "from_id": self.from_id, "from_shop_id": self.from_shop_id, "to_id": self.to_id,
            "to_shop_id": self.to_shop_id, "conversation_id": self.conversation_id,
            "created_timestamp": self.created_timestamp, "region": self.region,
            "status": self.status, "source": self.source, "content": dict(self.content),
            "message_option": 0, "source_content": {}, "quoted_msg": None,
        }

    def push_content(self, shop_id: int) -> dict[str, Any]:
        """``data.content`` of a webchat push (names included, unlike get_message)."""
        return {
            "message_id": self.message_id, "shop_id": shop_id,
            "request_id": secrets.token_hex(8), "from_id": self.from_id,
            "from_user_name": self.from_user_name, "to_id": self.to_id,
            "to_user_name": self.to_user_name, "message_type": self.message_type,
            "content": dict(self.content), "conversation_id": self.conversation_id,
            "created_timestamp": self.created_timestamp, "region": self.region,
            "is_in_chatbot_session": False, "source_content": {},
            "quoted_msg": {"message_id": ""}, "sub_account_id": 0, "sub_account_name": 0,
            "business_type": 0, "to_shop_id": self.to_shop_id,
            "from_shop_id": self.from_shop_id, "status": self.status,
        }


@dataclass
class Conv:
    conversation_id: str
    shop_id: int
    buyer_id: int
    buyer_name: str
    buyer_avatar: str
    messages: list[Msg] = field(default_factory=list)
    unread_count: int = 0
    last_read_message_id: str = ""
    pinned: bool = False

    @property
    def last_ns(self) -> int:
        return self.messages[-1].created_ns if self.messages else 0

    def wire(self) -> dict[str, Any]:
        last = self.messages[-1] if self.messages else None
        return {
            "conversation_id": self.conversation_id, "to_id": self.buyer_id,
            "to_name": self.buyer_name, "to_avatar": self.buyer_avatar,
            "shop_id": self.shop_id, "unread_count": self.unread_count, "pinned": self.pinned,
            "last_read_message_id": self.last_read_message_id,
            "latest_message_id": last.message_id if last else "",
            "latest_message_type": last.message_type if last else "",
            "latest_message_content": dict(last.content) if last else {},
            "latest_message_from_id": last.from_id if last else 0,
            "last_message_timestamp": self.last_ns,  # nanoseconds, unlike messages
            "last_message_option": 0, "max_general_option_hide_time": "9223372036854775807",
        }


@dataclass
class Shop:
    shop_id: int
    region: str
    user_id: int  # the shop's chat account id (from_id of its messages)
    name: str
    authorized: bool = True
    conversations: dict[int, Conv] = field(default_factory=dict)  # by buyer id


@dataclass
class Grant:
    shop_ids: list[int]
    expires_at: float
    used: bool = False
    main_account_id: int | None = None


class TokenBook:
    """Access tokens (4 h), single-use rotating refresh tokens (30 d), auth codes (10 min)."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self.access: dict[str, Grant] = {}
        self.refresh: dict[str, Grant] = {}
        self.codes: dict[str, Grant] = {}
        self.refresh_calls = 0

    def issue(self, shop_ids: list[int], access: str | None = None,
              refresh: str | None = None) -> tuple[str, str]:
        access, refresh = access or secrets.token_hex(16), refresh or secrets.token_hex(16)
        now = self._now()
        self.access[access] = Grant(list(shop_ids), now + ACCESS_TTL)
        self.refresh[refresh] = Grant(list(shop_ids), now + REFRESH_TTL)
        return access, refresh

    def new_code(self, shop_ids: list[int], main_account_id: int | None = None) -> str:
        code = secrets.token_hex(16)
        self.codes[code] = Grant(list(shop_ids), self._now() + CODE_TTL,
                                 main_account_id=main_account_id)
        return code

    def access_ok(self, token: str, shop_id: int) -> bool:
        grant = self.access.get(token)
        return bool(grant and shop_id in grant.shop_ids and grant.expires_at > self._now())

    def expire_access(self, shop_id: int) -> None:
        for grant in self.access.values():
            if shop_id in grant.shop_ids:
                grant.expires_at = self._now() - 1

    def redeem_code(self, code: str) -> Grant | str:
        grant = self.codes.get(code)
        if grant is None or grant.used:
            return "invalid"
        if grant.expires_at <= self._now():
            return "expired"
        grant.used = True
        return grant

    def rotate(self, refresh_token: str, shop_id: int) -> tuple[str, str] | str:
        """New pair for ``shop_id``, or the wire error code."""
        self.refresh_calls += 1
        grant = self.refresh.get(refresh_token)
        if grant is None or shop_id not in grant.shop_ids:
            return "error_shop_refresh_token"
        if grant.expires_at <= self._now():
            return "refresh_token_expired"
        # A main-account refresh token is spent once per shop, not once overall.
        grant.shop_ids.remove(shop_id)
        if not grant.shop_ids:
            del self.refresh[refresh_token]
        now = self._now()
        for old in self.access.values():
            if old.shop_ids == [shop_id]:
                old.expires_at = min(old.expires_at, now + OLD_ACCESS_GRACE)
        return self.issue([shop_id])


class IdSource:
    """Monotonic ids and timestamps: Shopee ids are numeric and grow with time."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._msg = 2302748948493123953
        self._conv = 709122092476686867
        self._last_ns = 0

    def message_id(self) -> str:
        self._msg += 1019
        return str(self._msg)

    def conversation_id(self) -> str:
        self._conv += 7
        return str(self._conv)

    def timestamp_ns(self) -> int:
        self._last_ns = max(self._last_ns + 1, int(self._now() * NS))
        return self._last_ns
