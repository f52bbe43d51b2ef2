"""The one protocol every marketplace connector implements.

A connector instance serves one marketplace *app* (one set of partner/app
credentials) and every store authorised for it; per-store data travels in
:class:`~connectors.models.StoreAccount`. Connectors own their HTTP details
(hosts, signing, envelopes, error codes) and nothing else: they never touch
Slack or the database, and they raise :mod:`connectors.errors` types so the
bot can choose a retry policy without knowing the platform.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from connectors.buyer_profile import BuyerProfile
from connectors.models import (
    ConversationFacts,
    FetchPage,
    OutboundText,
    PushBatch,
    SentMessage,
    ShopId,
    StoreAccount,
)


@dataclass(frozen=True)
class PushAck:
    """How this platform wants a push acknowledged (status and exact body)."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = None


@dataclass(frozen=True)
class Tokens:
    access_token: str = field(repr=False)
    refresh_token: str = field(default="", repr=False)
    access_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


class TokenStore(Protocol):
    """Where refreshed tokens live (the bot's database). Tokens there win over the
    ones in the configuration file."""

    async def get_tokens(self, platform: str, shop_id: ShopId) -> Tokens | None: ...

    async def put_tokens(self, platform: str, shop_id: ShopId, tokens: Tokens) -> None: ...


@runtime_checkable
class Connector(Protocol):
    platform: str
    push_ack: PushAck
    #: Longest text one message may carry on this platform (characters).
    max_text_length: int
    #: Whether repair pulls may run periodically (Lazada revokes apps that poll).
    periodic_pull_allowed: bool

    def verify_push(self, headers: Mapping[str, str], body: bytes, url: str) -> PushBatch:
        """Check the signature over the raw bytes and parse the delivery.

        Raises :class:`~connectors.errors.PushRejected` (401 forged/unsigned,
        400 malformed). Never performs I/O: it must fit the platform's ack deadline.
        """
        ...

    async def fetch_since(self, store: StoreAccount, cursor: str | None) -> FetchPage:
        """Messages newer than ``cursor`` (oldest first). ``None`` means "start of
        the window the platform allows"."""
        ...

    def check_outgoing(self, store: StoreAccount, text: str,
                       facts: ConversationFacts | None = None) -> list[str]:
        """The messages ``text`` would go out as (split where the platform allows
        several); raises :class:`~connectors.errors.RuleViolation` naming the rule
        when nothing may be sent. No I/O."""
        ...

    async def send_text(self, store: StoreAccount, out: OutboundText) -> SentMessage:
        """Send one message (split with check_outgoing first). Raises
        TransientError, OutcomeUnknown or PermanentError."""
        ...

    async def find_sent(
        self, store: StoreAccount, out: OutboundText, since: datetime
    ) -> SentMessage | None:
        """After an :class:`OutcomeUnknown`: was ``out`` delivered after ``since``?"""
        ...

    async def fetch_buyer(self, store: StoreAccount, conversation_id: str
                          ) -> BuyerProfile | None:
        """The buyer's name and avatar (and language, where the platform says) from the
        platform's conversation API. ``None`` when the platform does not know the
        conversation or names nobody; other failures raise like any call
        (TransientError: ask again later)."""
        ...

    async def check(self, store: StoreAccount) -> None:
        """Reach the platform with this store's credentials; raise on failure."""
        ...

    async def close(self) -> None: ...
