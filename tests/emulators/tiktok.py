"""TikTok Shop Partner API (202309) customer-service emulator and test harness.

:class:`TikTokEmulator` (in :mod:`tests.emulators.tiktok_server`) checks what TikTok
checks: the request signature over the raw bytes, the timestamp window [now-5 min,
now+30 s], the ``x-tts-access-token`` header, ``shop_cipher``, page sizes, the 50 QPS
limit (HTTP 429 / 36009002) and the daily customer-service quota (45101004); it
serves the GET token endpoints with single-use codes and rotating refresh tokens,
sends signed webhooks (type 14 / 13) and judges the acks, and fails on command.
Buyers have an IM id (``im_user_id``, on messages and pushes) distinct from their
order-API ``user_id`` (on conversation participants only).

:func:`harness` wires a connector to a running emulator for contract tests.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp

from connectors.backoff import Backoff
from connectors.models import BuyerId, ConversationId, OutboundText, ShopId, StoreAccount
from connectors.tiktok import TikTokConnector
from tests.emulators.tiktok_server import (
    APP_KEY,
    APP_SECRET,
    WEBHOOK_URL,
    TikTokEmulator,
)
from tests.emulators.tiktok_state import Conversation, Shop
from tests.emulators.tokens import MemoryTokenStore

__all__ = ["APP_KEY", "APP_SECRET", "WEBHOOK_URL", "MemoryTokenStore", "TikTokEmulator",
           "TikTokHarness", "harness"]


FAST = {"request_timeout": 0.5, "backoff": Backoff(retries=2, base=0.01, cap=0.2),
        "settle_seconds": 0, "qps": 0, "initial_lookback": timedelta(days=1)}
SEND_FAULTS = {"transient": 36009003, "permanent": 45109001, "timeout": "timeout"}


@dataclass
class TikTokHarness:
    emulator: TikTokEmulator
    connector: TikTokConnector
    store: StoreAccount
    tokens: MemoryTokenStore
    shop: Shop

    def conversation(self, key: str) -> Conversation:
        return self.emulator.conversation(self.shop, key)

    async def buyer_says(self, conversation_key: str, text: str) -> None:
        await self.emulator.buyer_says(self.conversation(conversation_key), text)

    def signed_push(self, text: str, conversation_key: str) -> tuple[dict[str, str], bytes, str]:
        conv = self.conversation(conversation_key)
        msg = self.emulator.state.add_message(conv, role="BUYER", content={"content": text})
        headers, body = self.emulator.push.new_message(conv, msg)
        return headers, body, WEBHOOK_URL

    def outbound(self, conversation_key: str, text: str, key: str) -> OutboundText:
        conv = self.conversation(conversation_key)
        return OutboundText(conversation_id=ConversationId(conv.id),
                            buyer_id=BuyerId(conv.buyer.im_user_id), text=text,
                            idempotency_key=key)

    def sent_texts(self, conversation_key: str) -> list[str]:
        conv = self.conversation(conversation_key)
        return [m.text() or "" for m in conv.messages if m.role == "SHOP" and m.type == "TEXT"]

    def sent_images(self, conversation_key: str) -> list[str]:
        """The URLs of the shop's IMAGE messages."""
        conv = self.conversation(conversation_key)
        return [json.loads(m.content).get("url", "") for m in conv.messages
                if m.role == "SHOP" and m.type == "IMAGE"]

    def drop_next_send(self) -> None:
        """The next send takes effect, then the connection drops before the answer."""
        self.emulator.fail_next("send", "disconnect")

    def buyer_profile(self, conversation_key: str) -> tuple[str, str | None, str | None]:
        """(name, avatar, language) as the emulator holds them."""
        buyer = self.conversation(conversation_key).buyer
        return buyer.nickname, buyer.avatar or None, None

    def fail_next_send(self, mode: str) -> None:
        """"transient", "permanent", "auth" or "timeout" (stored, answered too late)."""
        if mode == "auth":
            # The token is refused and so is the refresh: the store must be reconnected.
            self.emulator.fail_next("send", 36009004, message="Invalid credentials. The "
                                    "`x-tts-access-token` header is invalid.")
            self.emulator.fail_next("token_refresh", 36004004, message="invalid refresh token")
        elif mode in SEND_FAULTS:
            self.emulator.fail_next("send", SEND_FAULTS[mode])
        else:
            raise ValueError(f"unknown failure mode {mode!r}")


@asynccontextmanager
async def harness(session: aiohttp.ClientSession, **options: Any) -> AsyncIterator[TikTokHarness]:
    """A running emulator with one shop and a connector wired to it."""
    emulator = TikTokEmulator()
    await emulator.start()
    connector = None
    try:
        shop = emulator.state.add_shop("7494049642642441621", cipher="ROW_mockShopCipher0001")
        grant = emulator.state.grant((shop.id,))
        tokens = MemoryTokenStore()
        store = StoreAccount(platform="tiktok", shop_id=ShopId(shop.id), site="SG",
                             credentials={"access_token": grant.access_token,
                                          "refresh_token": grant.refresh_token,
                                          "shop_cipher": shop.cipher})
        connector = TikTokConnector(session, app_key=APP_KEY, app_secret=APP_SECRET,
                                    tokens=tokens, api_url=emulator.url, **{**FAST, **options})
        yield TikTokHarness(emulator, connector, store, tokens, shop)
    finally:
        if connector is not None:
            await connector.close()
        await emulator.stop()
