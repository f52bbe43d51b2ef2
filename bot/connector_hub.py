"""Which connector serves which store: built once from the configuration."""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp

from bot.config import Settings, StoreConfig
from connectors.base import Connector, TokenStore
from connectors.models import ShopId, StoreAccount
from connectors.registry import build_connector


class ConnectorHub:
    def __init__(self, settings: Settings, session: aiohttp.ClientSession,
                 tokens: TokenStore) -> None:
        env: dict[str, str] = dict(settings.env)
        if settings.sandbox:
            env.update(SANDBOX_API_URL=settings.sandbox.url,
                       SANDBOX_APP_KEY=settings.sandbox.app_key,
                       SANDBOX_APP_SECRET=settings.sandbox.app_secret)
        self._connectors: dict[str, Connector] = {}
        self._stores: dict[str, StoreConfig] = {s.key: s for s in settings.stores}
        # Lazada pushes name the seller, not the shop: either id identifies the store.
        self._by_shop: dict[tuple[str, str], StoreConfig] = {}
        for s in reversed(settings.stores):  # the first configured wins, as before
            for ident in (s.seller_id, s.shop_id):
                if ident:
                    self._by_shop[(s.connector, str(ident))] = s
        for name in sorted({s.connector for s in settings.stores}):
            self._connectors[name] = build_connector(name, session, env, tokens)

    def connector(self, name: str) -> Connector | None:
        return self._connectors.get(name)

    def for_store(self, store_key: str) -> tuple[Connector, StoreAccount]:
        cfg = self._stores[store_key]
        return self._connectors[cfg.connector], account(cfg)

    def store_for_shop(self, connector: str, shop_id: str) -> StoreConfig | None:
        # Lazada pushes name the seller, not the shop: either id identifies the store.
        return self._by_shop.get((connector, str(shop_id)))

    @property
    def stores(self) -> Mapping[str, StoreConfig]:
        return self._stores

    async def close(self) -> None:
        for c in self._connectors.values():
            await c.close()


def account(cfg: StoreConfig) -> StoreAccount:
    return StoreAccount(platform=cfg.connector, shop_id=ShopId(cfg.shop_id), site=cfg.site,
                        seller_id=cfg.seller_id, api_url=cfg.api_url,
                        credentials=dict(cfg.credentials), dispute_email=cfg.dispute_email)
