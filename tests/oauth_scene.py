"""A bridge with one configured marketplace store (the victim) beside its platform's
emulator, and the shops of someone else (the attacker) on the same emulator."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bot import oauth
from bot.config import StoreConfig
from connectors.base import Tokens
from connectors.models import ShopId
from tests.emulators.lazada import running as lazada_running
from tests.emulators.shopee_app import ShopeeEmulator
from tests.emulators.tiktok_server import APP_KEY, APP_SECRET, TikTokEmulator
from tests.harness import Bridge, running_bridge

VICTIM = {"shopee": "600123456", "lazada": "100094063", "tiktok": "7494049642642441621"}
ATTACKER = {"shopee": "600999001", "lazada": "200000001", "tiktok": "7494049642642449999"}
#: A shop of the victim's seller that is not in storebridge.yml.
SISTER = {"shopee": "600123457", "lazada": "100094064", "tiktok": "7494049642642441622"}
OLD = Tokens(access_token="victim-access-before", refresh_token="victim-refresh-before")


@dataclass
class Scene:
    platform: str
    bridge: Bridge
    http: aiohttp.ClientSession
    #: code(shop ids, main account id or None) -> an authorization code for them
    code: Callable[..., str]

    @property
    def victim_key(self) -> str:
        return f"{self.platform}:{VICTIM[self.platform]}"

    async def link(self, store_key: str | None) -> str:
        """Issue a link as the CLI would; its state."""
        b = self.bridge
        before = await self.states()
        await oauth.authorize_link(b.service.settings, b.store, self.http, self.platform,
                                   store_key, issued_by="tester@host")
        (state,) = set(await self.states()) - set(before)
        return state

    async def states(self) -> list[str]:
        return [r[0] for r in await self.bridge.store.database.all(
            "SELECT state FROM oauth_states")]

    async def callback(self, params: dict[str, str], platform: str | None = None
                       ) -> tuple[int, str]:
        url = f"{self.bridge.base_url}/oauth/{platform or self.platform}/callback"
        async with self.http.get(url, params=params) as r:
            return r.status, await r.text()

    async def tokens(self, shop: str) -> Tokens | None:
        return await self.bridge.store.books.get_tokens(self.platform, ShopId(shop))


@asynccontextmanager
async def scene(tmp_path: Path, name: str, **bridge: Any) -> AsyncIterator[Scene]:
    async with _emulator(name) as (env, code):
        victim = StoreConfig(platform=name, shop_id=VICTIM[name], site="MY", name="Victim",
                             channel="#cs-ops", group="team", connector=name,
                             seller_id=VICTIM[name] if name == "lazada" else None)
        env = {**env, "SANDBOX_SEND_TIMEOUT": "0.5", **bridge.pop("env", {})}
        async with running_bridge(tmp_path, public_url="https://cs.example.com", env=env,
                                  extra_stores=(victim,), **bridge) as b, \
                aiohttp.ClientSession() as http:
            s = Scene(name, b, http, code)
            if b.store.credentials.cipher.ready:
                await b.store.books.put_tokens(name, ShopId(VICTIM[name]), OLD)
            yield s


@asynccontextmanager
async def _emulator(name: str) -> AsyncIterator[tuple[dict[str, str], Callable[..., str]]]:
    if name == "shopee":
        emu = ShopeeEmulator(clock=time.time)
        await emu.start()
        for shop in (VICTIM, ATTACKER, SISTER):
            emu.add_shop(int(shop[name]), region="MY")
        try:
            yield ({"SHOPEE_PARTNER_ID": str(emu.partner_id),
                    "SHOPEE_PARTNER_KEY": emu.partner_key, "SHOPEE_API_URL": emu.base_url},
                   lambda shops, main=None: emu.tokens.new_code([int(s) for s in shops],
                                                                main_account_id=main))
        finally:
            await emu.close()
    elif name == "lazada":
        async with lazada_running() as emu:
            for shop in (VICTIM, ATTACKER, SISTER):
                emu.state.add_seller(shop[name], country="my")

            def lazada_code(shops: list[str], main: int | None = None) -> str:
                assert len(shops) == 1 and main is None, "a Lazada code is one seller's"
                return str(emu.state.issue_code(shops[0]))

            yield ({"LAZADA_APP_KEY": emu.app_key, "LAZADA_APP_SECRET": emu.app_secret,
                    "LAZADA_API_URL": emu.rest_url}, lazada_code)
    else:
        emu = TikTokEmulator()
        await emu.start()
        for shop in (VICTIM, ATTACKER, SISTER):
            emu.state.add_shop(shop[name], cipher=f"ROW_{shop[name][-4:]}")
        try:
            yield ({"TIKTOK_APP_KEY": APP_KEY, "TIKTOK_APP_SECRET": APP_SECRET,
                    "TIKTOK_API_URL": emu.url},
                   lambda shops, main=None: emu.state.issue_auth_code(tuple(shops)))
        finally:
            await emu.stop()
