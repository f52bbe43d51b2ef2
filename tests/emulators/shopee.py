"""Shopee emulator entry point: the emulator, test helpers and the contract harness."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from connectors.backoff import Backoff
from connectors.models import BuyerId, ConversationId, OutboundText, ShopId, StoreAccount
from connectors.shopee import ShopeeConnector
from tests.emulators.shopee_app import PARTNER_ID, PARTNER_KEY, ShopeeEmulator
from tests.emulators.shopee_handlers import WireError
from tests.emulators.shopee_push import push_authorization
from tests.emulators.tokens import MemoryTokenStore

__all__ = ["CALLBACK_URL", "PARTNER_ID", "PARTNER_KEY", "SHOP_ID", "Env", "FakeClock",
           "MemoryTokenStore", "ShopeeEmulator", "ShopeeHarness", "WireError", "harness",
           "shopee_env"]

CALLBACK_URL = "https://storebridge.test/webhooks/shopee"
SHOP_ID = 600123456
FAST_BACKOFF = Backoff(retries=2, base=0.01, cap=0.5, jitter=0.1)


class FakeClock:
    """One clock for connector and emulator, so token expiry can be fast-forwarded."""

    def __init__(self, start: float | None = None) -> None:
        self.t = time.time() if start is None else start

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@dataclass
class Env:
    emulator: ShopeeEmulator
    connector: ShopeeConnector
    store: StoreAccount
    tokens: MemoryTokenStore
    clock: FakeClock
    sleeps: list[float] = field(default_factory=list)


@asynccontextmanager
async def shopee_env(session: aiohttp.ClientSession, *, region: str = "SG",
                     emulator_options: dict[str, Any] | None = None,
                     **connector_options: Any) -> AsyncIterator[Env]:
    """A started emulator with one authorized shop and a connector pointed at it."""
    clock = FakeClock()
    emu = ShopeeEmulator(clock=clock, **(emulator_options or {}))
    await emu.start()
    try:
        emu.add_shop(SHOP_ID, region=region)
        access, refresh = emu.issue_tokens(SHOP_ID)
        tokens = MemoryTokenStore()
        sleeps: list[float] = []

        async def sleep(seconds: float) -> None:
            sleeps.append(seconds)

        options: dict[str, Any] = {"backoff": FAST_BACKOFF, "send_timeout": 0.5,
                                   "request_timeout": 2.0, "clock": clock, "sleep": sleep,
                                   "api_url": emu.base_url}
        options.update(connector_options)
        connector = ShopeeConnector(session, partner_id=emu.partner_id,
                                    partner_key=emu.partner_key, tokens=tokens, **options)
        store = StoreAccount(platform="shopee", shop_id=ShopId(str(SHOP_ID)), site=region,
                             api_url=emu.base_url,
                             credentials={"access_token": access, "refresh_token": refresh})
        yield Env(emu, connector, store, tokens, clock, sleeps)
    finally:
        await emu.close()


@dataclass
class ShopeeHarness:
    """What the cross-connector contract test drives."""

    emulator: ShopeeEmulator
    connector: ShopeeConnector
    store: StoreAccount
    _buyers: dict[str, int] = field(default_factory=dict)

    def _buyer(self, conversation_key: str) -> int:
        if conversation_key not in self._buyers:
            buyer = 1_234_567 + len(self._buyers)
            self._buyers[conversation_key] = buyer
            self.emulator.conversation(SHOP_ID, buyer, f"buyer_{conversation_key}")
        return self._buyers[conversation_key]

    async def buyer_says(self, conversation_key: str, text: str) -> None:
        self.emulator.buyer_says(SHOP_ID, self._buyer(conversation_key), text, push=False)

    def signed_push(self, text: str, conversation_key: str) -> tuple[dict[str, str], bytes, str]:
        msg = self.emulator.buyer_says(SHOP_ID, self._buyer(conversation_key), text, push=False)
        body = self.emulator.push_body(msg)
        headers = {"Authorization": push_authorization(PARTNER_KEY, CALLBACK_URL, body),
                   "Content-Type": "application/json"}
        return headers, body, CALLBACK_URL

    def outbound(self, conversation_key: str, text: str, key: str) -> OutboundText:
        buyer = self._buyer(conversation_key)
        conv = self.emulator.conversation(SHOP_ID, buyer)
        return OutboundText(conversation_id=ConversationId(conv.conversation_id),
                            buyer_id=BuyerId(str(buyer)), text=text, idempotency_key=key)

    def sent_texts(self, conversation_key: str) -> list[str]:
        conv = self.emulator.conversation(SHOP_ID, self._buyer(conversation_key))
        return [m.content.get("text", "") for m in conv.messages
                if m.from_shop_id == SHOP_ID and m.message_type == "text"]

    def sent_images(self, conversation_key: str) -> list[str]:
        """The URLs of the seller's image messages, as Shopee lists them."""
        conv = self.emulator.conversation(SHOP_ID, self._buyer(conversation_key))
        return [m.content.get("url", "") for m in conv.messages
                if m.from_shop_id == SHOP_ID and m.message_type == "image"]

    def drop_next_send(self) -> None:
        """The next send takes effect, then the connection drops before the answer."""
        self.emulator.fail_next("send_message", "disconnect")

    def buyer_profile(self, conversation_key: str) -> tuple[str, str | None, str | None]:
        """(name, avatar, language) as the emulator holds them."""
        conv = self.emulator.conversation(SHOP_ID, self._buyer(conversation_key))
        return conv.buyer_name, conv.buyer_avatar, None

    def fail_next_send(self, mode: str) -> None:
        emu = self.emulator
        if mode == "transient":
            emu.fail_next("send_message", "error_server")
        elif mode == "permanent":
            emu.fail_next("send_message", "error_param", message="Wrong parameters.")
        elif mode == "auth":
            # Token refused and the refresh refused too: the store must be reconnected.
            emu.fail_next("send_message", "error_auth", message="Invalid access_token.")
            emu.fail_next("access_token/get", "error_shop_refresh_token")
        elif mode == "timeout":
            emu.fail_next("send_message", "timeout")
        else:
            raise ValueError(f"unknown failure mode {mode!r}")


@asynccontextmanager
async def harness(session: aiohttp.ClientSession) -> AsyncIterator[ShopeeHarness]:
    emu = ShopeeEmulator(stall_seconds=1.5)
    await emu.start()
    try:
        emu.add_shop(SHOP_ID, region="SG")
        access, refresh = emu.issue_tokens(SHOP_ID)
        connector = ShopeeConnector(session, partner_id=PARTNER_ID, partner_key=PARTNER_KEY,
                                    tokens=MemoryTokenStore(), api_url=emu.base_url,
                                    push_callback_url=CALLBACK_URL, backoff=FAST_BACKOFF,
                                    send_timeout=0.5, request_timeout=2.0)
        store = StoreAccount(platform="shopee", shop_id=ShopId(str(SHOP_ID)), site="SG",
                             api_url=emu.base_url,
                             credentials={"access_token": access, "refresh_token": refresh})
        yield ShopeeHarness(emu, connector, store)
    finally:
        await emu.close()
