"""What the simulated marketplace remembers: stores, buyers and every message."""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SandboxStore:
    shop_id: str
    platform: str  # display label only: shopee | lazada | tiktok
    site: str
    name: str
    access_token: str
    language: str

    def info(self) -> dict[str, Any]:
        return {"shop_id": self.shop_id, "platform": self.platform, "site": self.site,
                "name": self.name, "language": self.language}


@dataclass
class SandboxBuyer:
    shop_id: str
    buyer_id: str
    name: str
    language: str
    avatar_url: str | None = None

    def public(self) -> dict[str, Any]:
        return {"id": self.buyer_id, "name": self.name, "avatar_url": self.avatar_url}


def conversation_id(shop_id: str, buyer_id: str) -> str:
    digest = hashlib.sha256(f"{shop_id}/{buyer_id}".encode()).hexdigest()
    return f"conv-{digest[:16]}"


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = raw.partition(":")
        return int(number) if prefix == "seq" else None
    except ValueError:  # covers binascii.Error and UnicodeDecodeError
        return None


@dataclass
class _Record:
    seq: int
    message: dict[str, Any]
    idempotency_key: str | None = None


@dataclass
class Ledger:
    stores: dict[str, SandboxStore] = field(default_factory=dict)
    buyers: dict[tuple[str, str], SandboxBuyer] = field(default_factory=dict)
    _records: dict[str, list[_Record]] = field(default_factory=dict)
    _by_key: dict[tuple[str, str], _Record] = field(default_factory=dict)
    _conversations: dict[str, SandboxBuyer] = field(default_factory=dict)
    _seq: int = 0

    def add_store(self, store: SandboxStore) -> None:
        self.stores[store.shop_id] = store
        self._records.setdefault(store.shop_id, [])

    def add_buyer(self, buyer: SandboxBuyer) -> None:
        if buyer.shop_id not in self.stores:
            raise KeyError(f"unknown shop {buyer.shop_id!r}")
        self.buyers[(buyer.shop_id, buyer.buyer_id)] = buyer
        self._conversations[conversation_id(buyer.shop_id, buyer.buyer_id)] = buyer

    def buyer(self, shop_id: str, buyer_id: str) -> SandboxBuyer:
        try:
            return self.buyers[(shop_id, buyer_id)]
        except KeyError:
            raise KeyError(f"unknown buyer {buyer_id!r} in shop {shop_id!r}") from None

    def conversation(self, shop_id: str, conv_id: str) -> SandboxBuyer | None:
        buyer = self._conversations.get(conv_id)
        return buyer if buyer is not None and buyer.shop_id == shop_id else None

    def record(self, buyer: SandboxBuyer, *, from_seller: bool, kind: str,
               content: dict[str, Any], idempotency_key: str | None = None) -> dict[str, Any]:
        """Store one message and return its public form."""
        self._seq += 1
        message = {
            "message_id": f"msg-{self._seq:08d}",
            "conversation_id": conversation_id(buyer.shop_id, buyer.buyer_id),
            "buyer": buyer.public(),
            "from_seller": from_seller,
            "type": kind,
            "content": dict(content),
            "created_at": int(time.time()),
            # The sandbox knows what language its buyers write; seller text is unlabelled.
            "language": None if from_seller else buyer.language,
        }
        rec = _Record(self._seq, message, idempotency_key)
        self._records[buyer.shop_id].append(rec)
        if idempotency_key:
            # The first message sent with a key is the one a look-up reports.
            self._by_key.setdefault((buyer.shop_id, idempotency_key), rec)
        return _copy(message)

    def sent_with_key(self, shop_id: str, key: str) -> dict[str, Any] | None:
        rec = self._by_key.get((shop_id, key))
        return None if rec is None else _copy(rec.message)

    def page(self, shop_id: str, after: int, limit: int
             ) -> tuple[list[dict[str, Any]], int | None, bool]:
        """Messages after sequence ``after``: (messages, last seq returned, has_more)."""
        newer = [r for r in self._records[shop_id] if r.seq > after]
        chosen = newer[:limit]
        last = chosen[-1].seq if chosen else None
        return [_copy(r.message) for r in chosen], last, len(newer) > limit

    def messages(self, shop_id: str) -> list[dict[str, Any]]:
        return [_copy(r.message) for r in self._records.get(shop_id, [])]


def _copy(message: dict[str, Any]) -> dict[str, Any]:
    return {**message, "buyer": dict(message["buyer"]), "content": dict(message["content"])}
