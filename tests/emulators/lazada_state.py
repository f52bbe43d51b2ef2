"""State of the Lazada emulator: sellers, grants, sessions and messages.

Kept apart from the HTTP layer so tests can arrange a scene directly.
"""

from __future__ import annotations

import itertools
import json
import secrets
import string
import time
from dataclasses import dataclass, field
from typing import Any

DAY_MS = 86_400_000
BUYER, SELLER = 1, 2


def new_id(prefix: str = "", length: int = 14) -> str:
    alphabet = string.ascii_letters + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


@dataclass
class Seller:
    seller_id: str
    user_id: str
    country: str  # lower case, as in token answers ("sg")
    name: str = "Emulated Lazada Shop"

    @property
    def site_id(self) -> str:
        return self.country.upper()


@dataclass
class Grant:
    seller_id: str
    access_token: str
    access_expires_ms: int
    refresh_token: str
    refresh_expires_ms: int


@dataclass
class Message:
    message_id: str
    session_id: str
    from_type: int
    from_id: str
    to_type: int
    to_id: str
    template_id: int
    content: str  # a JSON string, as on the wire
    send_time: int
    site_id: str
    seq: int
    type: int = 1
    status: int = 0
    auto_reply: bool = False
    process_msg: str = ""

    def wire(self, *, quoted: bool = False) -> dict[str, Any]:
        # Doc samples quote every scalar; the push sample does not.
        q = str if quoted else (lambda v: v)
        return {
            "message_id": self.message_id, "session_id": self.session_id,
            "content": self.content,
            "from_account_id": self.from_id, "from_account_type": q(self.from_type),
            "to_account_id": self.to_id, "to_account_type": q(self.to_type),
            "send_time": q(self.send_time), "template_id": q(self.template_id),
            "type": q(self.type), "site_id": self.site_id, "process_msg": self.process_msg,
            "auto_reply": q(self.auto_reply).lower() if quoted else self.auto_reply,
            "status": q(self.status),
        }

    @property
    def txt(self) -> str:
        return str(json.loads(self.content).get("txt", ""))


@dataclass
class Session:
    session_id: str
    seller: Seller
    buyer_id: str
    buyer_name: str
    created_ms: int
    head_url: str = ""
    messages: list[Message] = field(default_factory=list)
    self_position: int = 0
    to_position: int = 0
    blocked: bool = False
    closed: bool = False

    @property
    def last(self) -> Message | None:
        return max(self.messages, key=lambda m: (m.send_time, m.seq), default=None)

    @property
    def last_time(self) -> int:
        last = self.last
        return last.send_time if last else self.created_ms

    def unread(self) -> int:
        return sum(1 for m in self.messages
                   if m.from_type == BUYER and m.send_time > self.self_position)

    def wire(self, *, quoted: bool = True) -> dict[str, Any]:
        last = self.last
        q = str if quoted else (lambda v: v)
        return {
            "session_id": self.session_id, "title": self.buyer_name, "head_url": self.head_url,
            "summary": last.txt if last and last.template_id == 1 else "",
            "last_message_id": last.message_id if last else "",
            "last_message_time": q(self.last_time), "buyer_id": q(self.buyer_id),
            "unread_count": q(self.unread()), "self_position": q(self.self_position),
            "to_position": q(self.to_position), "tags": [], "site_id": self.seller.site_id,
        }

    def unanswered_since(self) -> tuple[int, int]:
        """(seller messages since the buyer last wrote, time the buyer last wrote)."""
        buyer_times = [m.send_time for m in self.messages if m.from_type == BUYER]
        since = max(buyer_times, default=self.created_ms)
        count = sum(1 for m in self.messages if m.from_type == SELLER and m.send_time >= since)
        return count, since


class LazadaState:
    def __init__(self) -> None:
        self.offset_ms = 0
        self.sellers: dict[str, Seller] = {}
        self.grants: dict[str, Grant] = {}  # by access token
        self.refresh_tokens: dict[str, Grant] = {}
        self.codes: dict[str, tuple[str, int]] = {}  # code -> (seller_id, issued ms)
        self.sessions: dict[str, Session] = {}
        #: seller id -> GetSellerPerformance indicators (tests/emulators/lazada_health.py)
        self.indicators: dict[str, list[dict[str, Any]]] = {}
        self._seq = itertools.count(1)

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.offset_ms

    def advance(self, seconds: float) -> None:
        self.offset_ms += int(seconds * 1000)

    def add_seller(self, seller_id: str = "100094063", *, user_id: str | None = None,
                   country: str = "sg", name: str = "Emulated Lazada Shop") -> Seller:
        seller = Seller(seller_id, user_id or seller_id, country.lower(), name)
        self.sellers[seller_id] = seller
        return seller

    def issue_code(self, seller_id: str) -> str:
        code = new_id("0_", 24)
        self.codes[code] = (seller_id, self.now_ms())
        return code

    def grant(self, seller_id: str, *, access_ttl: int, refresh_ttl: int) -> Grant:
        now = self.now_ms()
        grant = Grant(seller_id, new_id("50000", 30), now + access_ttl * 1000,
                      new_id("50001", 30), now + refresh_ttl * 1000)
        self.grants[grant.access_token] = grant
        self.refresh_tokens[grant.refresh_token] = grant
        return grant

    def open_session(self, seller_id: str, buyer_id: str, buyer_name: str = "") -> Session:
        seller = self.sellers[seller_id]
        session_id = f"{seller.user_id}_2_{buyer_id}_1_103"
        if session_id not in self.sessions:
            self.sessions[session_id] = Session(
                session_id, seller, buyer_id, buyer_name or f"buyer{buyer_id}", self.now_ms(),
                head_url=f"https://img.example.test/avatar/{buyer_id}.png",
            )
        return self.sessions[session_id]

    def add_message(
        self, session_id: str, content: dict[str, Any] | str, *, from_buyer: bool = True,
        template_id: int = 1, send_time: int | None = None, **extra: Any,
    ) -> Message:
        session = self.sessions[session_id]
        buyer, seller = session.buyer_id, session.seller.user_id
        seq = next(self._seq)
        message = Message(
            # Alphanumeric like Lazada's, and in creation order within one millisecond.
            message_id=f"{seq:08d}{new_id(length=8)}",
            session_id=session_id,
            from_type=BUYER if from_buyer else SELLER,
            from_id=buyer if from_buyer else seller,
            to_type=SELLER if from_buyer else BUYER,
            to_id=seller if from_buyer else buyer,
            template_id=template_id,
            content=content if isinstance(content, str)
            else json.dumps(content, ensure_ascii=False, separators=(",", ":")),
            send_time=self.now_ms() if send_time is None else send_time,
            site_id=session.seller.site_id,
            seq=seq,
            **extra,
        )
        session.messages.append(message)
        return message

    def seller_texts(self, session_id: str) -> list[str]:
        session = self.sessions[session_id]
        ordered = sorted(session.messages, key=lambda m: (m.send_time, m.seq))
        return [m.txt for m in ordered if m.from_type == SELLER and m.template_id == 1]


def session_key(session: Session) -> tuple[int, str]:
    return session.last_time, session.session_id


def message_key(message: Message) -> tuple[int, str]:
    return message.send_time, message.message_id


def page_desc(
    items: list[Any], key: Any, start_time: int, last_id: str | None, size: int
) -> tuple[list[Any], bool]:
    """Newest first at or before ``start_time``; after ``last_id`` when it is given.

    ``key(item) -> (time, id)``. Stateless, like a keyset cursor: a new item
    arriving between pages cannot shift the next page.
    """
    ordered = sorted(items, key=key, reverse=True)
    if last_id:
        rest = [i for i in ordered if key(i) < (start_time, last_id)]
    else:
        rest = [i for i in ordered if key(i)[0] <= start_time]
    return rest[:size], len(rest) > size
