"""A Lazada emulator with the samples' TH seller and a connector pointed at it,
for the order tests (``tests/test_lazada_orders*.py``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from connectors.backoff import Backoff
from connectors.lazada.client import LazadaClient
from connectors.lazada.connector import LazadaConnector
from connectors.lazada.orders_pull import OrderOptions
from connectors.models import StoreAccount
from connectors.orders import Order
from tests.emulators.lazada import LazadaEmulator, MemoryTokenStore, running, store_for
from tests.emulators.lazada_orders import samples
from tests.emulators.lazada_orders_api import ORDERS
from tests.emulators.lazada_state import Grant

SELLER = samples()["_context"]["seller_id"]


@dataclass
class Scene:
    emu: LazadaEmulator
    connector: LazadaConnector
    store: StoreAccount
    grant: Grant
    http: aiohttp.ClientSession

    async def drain(self, cursor: str | None = None) -> tuple[list[list[Order]], str | None]:
        pages: list[list[Order]] = []
        for _ in range(30):
            page = await self.connector.fetch_orders_since(self.store, cursor)
            ids = [o.order_id for o in page.orders]
            assert len(ids) == len(set(ids)), "an order came twice in one call"
            pages.append(list(page.orders))
            cursor = page.cursor
            if not page.more:
                return pages, cursor
        raise AssertionError("the pull never finished")

    def list_calls(self) -> list[dict[str, str]]:
        return [c.params for c in self.emu.calls_to(ORDERS)]

    async def raw(self, api: str, **params: object) -> dict[str, Any]:
        client = LazadaClient(self.http, app_key=self.emu.app_key,
                              app_secret=self.emu.app_secret, backoff=Backoff(retries=0))
        return await client.call(self.emu.rest_url, api, params,
                                 access_token=self.grant.access_token)


@asynccontextmanager
async def order_scene(**options: Any) -> AsyncIterator[Scene]:
    """``options`` are :class:`OrderOptions` fields."""
    async with aiohttp.ClientSession() as http, running() as emu:
        emu.state.add_seller(SELLER, country="th")
        grant = emu.grant(SELLER)
        store = store_for(emu, grant, site="TH", api_url=emu.rest_url)
        connector = LazadaConnector(
            http, app_key=emu.app_key, app_secret=emu.app_secret, tokens=MemoryTokenStore(),
            api_url=emu.rest_url, backoff=Backoff(retries=2, base=0.01, cap=5.0),
            sleep=_no_wait, order_options=OrderOptions(**options))
        yield Scene(emu, connector, store, grant, http)


async def _no_wait(seconds: float) -> None:
    """The emulator's bans are injected, not real: nothing to wait out."""
    await asyncio.sleep(0)


def ordered_orders(emu: LazadaEmulator, count: int, *, first_ms: int, step_ms: int) -> list[str]:
    """``count`` one-unit orders, changed ``step_ms`` apart from ``first_ms``."""
    return [str(emu.orders.add_order(SELLER, at_ms=first_ms + i * step_ms).order_id)
            for i in range(count)]
