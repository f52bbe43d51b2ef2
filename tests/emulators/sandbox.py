"""The cross-connector contract harness for the built-in sandbox marketplace.

Wires a started :class:`~connectors.sandbox.SandboxMarketplace` (one store, a buyer
per conversation key, no webhook: nothing is pushed on its own) to a
:class:`~connectors.sandbox.SandboxConnector`, exposing what
``tests/test_connector_contract.py`` drives: ``buyer_says``, ``signed_push``,
``outbound``, ``sent_texts`` and ``fail_next_send``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp

from bot.demo.marketplace import SandboxMarketplace
from bot.demo.marketplace.pushes import encode_push
from bot.demo.marketplace.state import SandboxBuyer
from connectors.models import BuyerId, ConversationId, OutboundText, StoreAccount
from connectors.sandbox import SandboxConnector
from connectors.sandbox.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, push_signature

__all__ = ["APP_KEY", "APP_SECRET", "PUSH_URL", "SHOP_ID", "SandboxHarness", "harness"]

APP_KEY = "sandbox-contract-app"
APP_SECRET = "sandbox-contract-secret-0001"
SHOP_ID = "sg-contract-1"
ACCESS_TOKEN = "sbx-token-contract-1"
PUSH_URL = "https://storebridge.test/webhooks/sandbox"
#: fail_next_send modes the marketplace itself injects (auth is done with the token).
_MARKET_FAILURES = {"transient": "transient", "permanent": "permanent", "timeout": "timeout"}


@dataclass
class SandboxHarness:
    market: SandboxMarketplace
    connector: SandboxConnector
    store: StoreAccount
    _buyers: dict[str, SandboxBuyer] = field(default_factory=dict)

    def buyer(self, conversation_key: str) -> SandboxBuyer:
        """The buyer (hence conversation) ``conversation_key`` names, created on first use."""
        if conversation_key not in self._buyers:
            buyer_id = f"b-{len(self._buyers) + 1:04d}"
            self._buyers[conversation_key] = self.market.add_buyer(
                SHOP_ID, buyer_id, f"Buyer {conversation_key}", "en",
                avatar_url=f"https://img.example/{buyer_id}.png")
        return self._buyers[conversation_key]

    async def buyer_says(self, conversation_key: str, text: str) -> None:
        buyer = self.buyer(conversation_key)
        await self.market.buyer_says(SHOP_ID, buyer.buyer_id, text)

    def signed_push(self, text: str, conversation_key: str) -> tuple[dict[str, str], bytes, str]:
        """A new buyer message, stored (so a pull sees it) and signed as the marketplace
        would push it. The harness sets no webhook, so recording it pushes nothing."""
        message = self.market.record(self.buyer(conversation_key), from_seller=False,
                                     kind="text", content={"text": text})
        body = encode_push({"event": "message", "shop_id": SHOP_ID, "message": message})
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
                   SIGNATURE_HEADER: push_signature(self.market.app_secret, timestamp, body)}
        return headers, body, PUSH_URL

    def outbound(self, conversation_key: str, text: str, key: str) -> OutboundText:
        buyer = self.buyer(conversation_key)
        conv = self.market.conversation_id(SHOP_ID, buyer.buyer_id)
        return OutboundText(conversation_id=ConversationId(conv),
                            buyer_id=BuyerId(buyer.buyer_id), text=text, idempotency_key=key)

    def sent_texts(self, conversation_key: str) -> list[str]:
        buyer = self.buyer(conversation_key)
        conv = self.market.conversation_id(SHOP_ID, buyer.buyer_id)
        return [m["content"].get("text", "") for m in self.market.sent_messages(SHOP_ID, conv)
                if m["type"] == "text"]

    def buyer_profile(self, conversation_key: str) -> tuple[str, str | None, str | None]:
        """(name, avatar, language) as the marketplace holds them."""
        buyer = self.buyer(conversation_key)
        return buyer.name, buyer.avatar_url, buyer.language

    def fail_next_send(self, mode: str) -> None:
        """"transient", "permanent", "timeout" (stored, answered after the connector's
        send timeout) or "auth": the store's access token is revoked on the marketplace,
        so every call fails until :meth:`reauthorize`."""
        if mode == "auth":
            self.market.ledger.stores[SHOP_ID].access_token = "sbx-token-revoked"
        elif mode in _MARKET_FAILURES:
            self.market.fail_next_send(_MARKET_FAILURES[mode])
        else:
            raise ValueError(f"unknown failure mode {mode!r}")

    def reauthorize(self) -> None:
        """Undo an "auth" failure: the store's configured token is valid again."""
        self.market.ledger.stores[SHOP_ID].access_token = ACCESS_TOKEN


@asynccontextmanager
async def harness(session: aiohttp.ClientSession, *, send_timeout: float = 0.2,
                  request_timeout: float = 2.0,
                  timeout_delay: float = 0.6) -> AsyncIterator[SandboxHarness]:
    """A started sandbox marketplace with one store and a connector pointed at it.

    ``timeout_delay`` (how late a "timeout" send is answered) must exceed
    ``send_timeout`` so the connector gives up first.
    """
    if timeout_delay <= send_timeout:
        raise ValueError("timeout_delay must be longer than send_timeout")
    market = SandboxMarketplace(APP_KEY, APP_SECRET, api_rate_per_sec=1000.0,
                                timeout_delay=timeout_delay, seed=7)
    market.pushes_enabled = False
    await market.start()
    connector = None
    try:
        market.add_store(SHOP_ID, "shopee", "SG", "Contract Test Store", ACCESS_TOKEN, "en")
        connector = SandboxConnector(session, base_url=market.base_url, app_key=APP_KEY,
                                     app_secret=APP_SECRET, send_timeout=send_timeout,
                                     request_timeout=request_timeout)
        yield SandboxHarness(market, connector, market.store_account(SHOP_ID))
    finally:
        if connector is not None:
            await connector.close()
        await market.stop()
