"""The bot's token table, in memory, for the platform emulator harnesses.

One :class:`MemoryTokenStore` (a :class:`connectors.base.TokenStore`) serves the
Shopee, Lazada and TikTok harnesses: it keeps the current tokens per
``(platform, shop_id)`` and records every write, in order, as a :class:`TokenPut`,
so tests can count refreshes (``len(store.puts)``) and see what was stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.base import Tokens
from connectors.models import ShopId

__all__ = ["MemoryTokenStore", "TokenPut"]


@dataclass(frozen=True)
class TokenPut:
    """One ``put_tokens`` call."""

    platform: str
    shop_id: str
    tokens: Tokens


class MemoryTokenStore:
    """The bot's token table, in memory; records every write in ``puts``."""

    def __init__(self) -> None:
        self.current: dict[tuple[str, str], Tokens] = {}
        self.puts: list[TokenPut] = []

    async def get_tokens(self, platform: str, shop_id: ShopId) -> Tokens | None:
        return self.current.get((platform, shop_id))

    async def put_tokens(self, platform: str, shop_id: ShopId, tokens: Tokens) -> None:
        self.current[(platform, shop_id)] = tokens
        self.puts.append(TokenPut(platform, shop_id, tokens))
