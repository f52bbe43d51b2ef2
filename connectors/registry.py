"""The explicit list of connectors: name -> how to build one from the environment."""

from __future__ import annotations

import importlib
from collections.abc import Mapping

import aiohttp

from connectors.base import Connector, TokenStore

#: name -> "module:Class"; each class has ``from_env(session, env, tokens)``.
CONNECTORS: dict[str, str] = {
    "sandbox": "connectors.sandbox.client:SandboxConnector",
    "shopee": "connectors.shopee.connector:ShopeeConnector",
    "lazada": "connectors.lazada.connector:LazadaConnector",
    "tiktok": "connectors.tiktok.connector:TikTokConnector",
}


def build_connector(name: str, session: aiohttp.ClientSession, env: Mapping[str, str],
                    tokens: TokenStore) -> Connector:
    try:
        target = CONNECTORS[name]
    except KeyError:
        raise ValueError(f"unknown connector {name!r}; known: {', '.join(CONNECTORS)}"
                         ) from None
    module, _, cls = target.partition(":")
    # Imported on use so a deployment with only Shopee stores never loads the others.
    connector: Connector = getattr(importlib.import_module(module), cls).from_env(
        session, env, tokens)
    return connector
