"""State of the TikTok Shop emulator: shops, tokens, conversations, messages.

Plain data and rules, no HTTP; :mod:`tests.emulators.tiktok` serves it.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DAY = 86400
ACCESS_TTL = 7 * DAY  # "default expiration time set to seven days"
REFRESH_TTL = 365 * DAY
AUTH_CODE_TTL = 30 * 60  # the auth_code is valid 30 minutes, once


class WireFailure(Exception):
    """A business error answered as TikTok's envelope."""

    def __init__(self, code: int, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass
class Person:
    im_user_id: str
    role: str
    nickname: str
    avatar: str
    user_id: str = ""  # the order API's buyer id; differs from the IM id

    def participant(self) -> dict[str, Any]:
        doc = {"im_user_id": self.im_user_id, "user_id": self.user_id or self.im_user_id,
               "role": self.role, "nickname": self.nickname, "avatar": self.avatar}
        return doc

    def sender(self, role: str | None = None) -> dict[str, Any]:
        return {"im_user_id": self.im_user_id, "role": role or self.role,
                "nickname": self.nickname, "avatar": self.avatar}


@dataclass
class Message:
    id: str
    index: str
    type: str
    content: str  # a JSON document serialised into a string, as on the wire
    create_time: int
    sender: Person
    role: str
    is_visible: bool = True

    def wire(self) -> dict[str, Any]:
        return {"id": self.id, "index": self.index, "type": self.type, "content": self.content,
                "create_time": self.create_time, "is_visible": self.is_visible,
                "sender": self.sender.sender(self.role)}

    def text(self) -> str | None:
        if self.type != "TEXT":
            return None
        return json.loads(self.content).get("content")


@dataclass
class Conversation:
    id: str
    shop_id: str
    buyer: Person
    create_time: int
    messages: list[Message] = field(default_factory=list)
    can_send_message: bool = True
    unread_count: int = 0

    def latest(self) -> Message | None:
        return max(self.messages, key=lambda m: (m.create_time, int(m.index)), default=None)


@dataclass
class Shop:
    id: str
    cipher: str
    name: str
    region: str
    person: Person
    conversations: dict[str, Conversation] = field(default_factory=dict)


@dataclass
class Grant:
    access_token: str
    refresh_token: str
    access_expires: int
    refresh_expires: int
    shop_ids: tuple[str, ...]
    open_id: str
    refresh_spent: bool = False


class TikTokState:
    def __init__(self, app_key: str, app_secret: str, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.app_key = app_key
        self.app_secret = app_secret
        self.clock = clock
        self.shops: dict[str, Shop] = {}
        self.grants: dict[str, Grant] = {}  # by access token
        self.refresh_index: dict[str, Grant] = {}
        self.auth_codes: dict[str, tuple[tuple[str, ...], int, bool]] = {}
        self.rotate_refresh = True  # each refresh returns a new refresh token; old spent
        self.refresh_calls = 0
        self.sensitive_words = {"forbiddenword"}
        self.qps = 50
        self.daily_quota = 10_000
        self.quota_used: dict[tuple[str, int], int] = {}
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._ids = itertools.count(7494560109732400001)

    def now(self) -> int:
        return int(self.clock())

    def new_id(self) -> str:
        return str(next(self._ids))

    # -- shops and tokens ----------------------------------------------------------------

    def add_shop(self, shop_id: str | None = None, *, cipher: str | None = None,
                 name: str = "Emu Shop", region: str = "SG") -> Shop:
        sid = shop_id or self.new_id()
        person = Person(self.new_id(), "SHOP", name, "https://example.invalid/shop.png")
        shop = Shop(sid, cipher or f"ROW_{secrets.token_urlsafe(12)}", name, region, person)
        self.shops[sid] = shop
        return shop

    def grant(self, shop_ids: tuple[str, ...], *, access_ttl: int = ACCESS_TTL,
              refresh_ttl: int = REFRESH_TTL, open_id: str | None = None) -> Grant:
        now = self.now()
        g = Grant(f"TTP_{secrets.token_urlsafe(18)}", f"TTP_{secrets.token_urlsafe(18)}",
                  now + access_ttl, now + refresh_ttl, shop_ids, open_id or self.new_id())
        self.grants[g.access_token] = g
        self.refresh_index[g.refresh_token] = g
        return g

    def issue_auth_code(self, shop_ids: tuple[str, ...]) -> str:
        code = f"TTP_{secrets.token_urlsafe(10)}"
        self.auth_codes[code] = (shop_ids, self.now() + AUTH_CODE_TTL, False)
        return code

    def exchange_code(self, code: str) -> Grant:
        entry = self.auth_codes.get(code)
        if entry is None or entry[2] or entry[1] < self.now():
            raise WireFailure(36004004, "invalid auth code")
        self.auth_codes[code] = (entry[0], entry[1], True)
        return self.grant(entry[0])

    def refresh(self, refresh_token: str) -> Grant:
        self.refresh_calls += 1
        old = self.refresh_index.get(refresh_token)
        if old is None or old.refresh_spent or old.refresh_expires < self.now():
            raise WireFailure(36004004, "invalid refresh token")
        if not self.rotate_refresh:
            fresh = Grant(f"TTP_{secrets.token_urlsafe(18)}", old.refresh_token,
                          self.now() + ACCESS_TTL, old.refresh_expires, old.shop_ids, old.open_id)
            self.grants[fresh.access_token] = fresh
            self.refresh_index[old.refresh_token] = fresh
            return fresh
        old.refresh_spent = True
        # The refresh token's own expiry is the authorization's end: it does not move.
        fresh = self.grant(old.shop_ids, open_id=old.open_id,
                           refresh_ttl=old.refresh_expires - self.now())
        return fresh

    def expire_access(self, access_token: str) -> None:
        self.grants[access_token].access_expires = self.now() - 1

    # -- limits --------------------------------------------------------------------------

    def hit(self, key: tuple[str, str]) -> bool:
        """Count a call against the per-second limit; False when over it."""
        now = time.monotonic()
        window = self._hits.setdefault(key, deque())
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= self.qps:
            return False
        window.append(now)
        return True

    def spend_quota(self, shop_id: str) -> bool:
        key = (shop_id, self.now() // DAY)
        self.quota_used[key] = self.quota_used.get(key, 0) + 1
        return self.quota_used[key] <= self.daily_quota

    # -- chat ----------------------------------------------------------------------------

    def new_conversation(self, shop: Shop, buyer_name: str = "Buyer") -> Conversation:
        buyer = Person(self.new_id(), "BUYER", buyer_name, "https://example.invalid/b.png",
                       user_id=self.new_id())
        conv = Conversation(self.new_id(), shop.id, buyer, self.now())
        shop.conversations[conv.id] = conv
        return conv

    def add_message(self, conv: Conversation, *, role: str, type_: str = "TEXT",
                    content: dict[str, Any] | str, create_time: int | None = None,
                    visible: bool = True) -> Message:
        shop = self.shops[conv.shop_id]
        sender = conv.buyer if role == "BUYER" else shop.person
        body = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        msg = Message(self.new_id(), self.new_id(), type_, body,
                      self.now() if create_time is None else create_time, sender, role, visible)
        conv.messages.append(msg)
        if role == "BUYER":
            conv.unread_count += 1
        return msg

    def sorted_conversations(self, shop: Shop) -> list[Conversation]:
        def key(c: Conversation) -> tuple[int, int]:
            latest = c.latest()
            return (latest.create_time if latest else c.create_time, int(c.id))

        return sorted(shop.conversations.values(), key=key, reverse=True)

    def conversation_wire(self, conv: Conversation) -> dict[str, Any]:
        shop = self.shops[conv.shop_id]
        latest = conv.latest()
        doc = {"id": conv.id, "participant_count": 2, "can_send_message": conv.can_send_message,
               "unread_count": conv.unread_count, "create_time": conv.create_time,
               "participants": [conv.buyer.participant(), shop.person.participant()]}
        if latest is not None:
            doc["latest_message"] = latest.wire()
        return doc
