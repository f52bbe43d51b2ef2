"""What a marketplace grant covers, and which of it a link may connect.

The shops a grant is for are the ones the marketplace names when it trades the
code (Lazada's ``country_user_info``, Shopee's ``token/get`` for the shop or the
main account's ``shop_id_list``, TikTok's authorized shops), never the redirect's
query string alone: a seller holding someone else's link could otherwise write
their own shop's tokens over a configured store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.config import StoreConfig
from connectors.base import Tokens
from connectors.errors import AuthError
from connectors.models import ShopId


class CapturedTokens:
    """A TokenStore that only remembers: connectors store what a code trades for as
    they go, and nothing may reach the database before the grant is judged."""

    def __init__(self) -> None:
        self.grants: dict[str, Tokens] = {}

    async def get_tokens(self, platform: str, shop_id: ShopId) -> Tokens | None:
        return self.grants.get(str(shop_id))

    async def put_tokens(self, platform: str, shop_id: ShopId, tokens: Tokens) -> None:
        self.grants[str(shop_id)] = tokens


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad_request(platform: str, query: Mapping[str, str]) -> str | None:
    """What is wrong with the redirect's own parameters (checked before the state is
    spent, so a broken redirect does not cost the seller their link)."""
    if platform != "shopee":
        return None
    shop, main = query.get("shop_id", ""), query.get("main_account_id", "")
    if bool(shop) == bool(main):
        return ("Shopee's redirect must name either a shop (shop_id) or a main account "
                "(main_account_id).")
    if not (shop or main).isdigit():
        return "Shopee's redirect carried a shop or account id that is not a number."
    return None


async def exchange(platform: str, connector: Any, code: str, query: Mapping[str, str],
                   target: StoreConfig | None) -> None:
    """Trade ``code``; the connector puts every shop the grant covers into its
    (captured) token store."""
    if platform == "shopee":
        # Shopee checks the code against the shop or main account it is traded for,
        # so a tampered shop_id is refused by Shopee itself.
        await connector.exchange_code(code, query.get("shop_id") or None,
                                      main_account_id=query.get("main_account_id") or None)
    elif platform == "lazada":
        # Lazada names the sellers the token is for; ask for the link's own seller.
        wanted = (target.seller_id or target.shop_id) if target else None
        try:
            await connector.exchange_code(code, wanted)
        except AuthError as e:
            if e.code != "OtherSeller":
                raise
            raise Refused(403, f"{e.user_message} The link was issued for store "
                               f"{target.key if target else '?'}. Nothing was stored."
                          ) from None
    else:
        await connector.exchange_code_all(code)


@dataclass
class Decision:
    """Tokens to store, by the shop id the connector reads them under."""

    store: dict[str, Tokens] = field(default_factory=dict)
    connected: list[tuple[str, str | None]] = field(default_factory=list)  # (shop, store key)
    left: list[str] = field(default_factory=list)  # sentences: what was not changed, and why


def owner(platform: str, shop: str, stores: tuple[StoreConfig, ...]) -> StoreConfig | None:
    return next((s for s in stores if s.platform == platform
                 and shop in (s.shop_id, s.seller_id)), None)


def decide(platform: str, grants: Mapping[str, Tokens], target: StoreConfig | None,
           stores: tuple[StoreConfig, ...]) -> Decision:
    """A link for a configured store connects it (and the other configured shops the
    same grant covers, as a Shopee main account's does); a link for a new store
    connects only shops not configured yet. Anything else: nothing is stored."""
    covered = sorted(grants)
    configured = {g: owner(platform, g, stores) for g in covered}
    names = ", ".join(covered)
    decision = Decision()
    if target is not None:
        if all(cfg is None or cfg.key != target.key for cfg in configured.values()):
            raise Refused(403, f"This authorization is for {platform} shop {names}, but the "
                               f"link was issued for store {target.key}. Nothing was stored. "
                               "Sign in as that store's seller and use a new link.")
        for shop in covered:
            cfg = configured[shop]
            if cfg is None:
                decision.left.append(f"Shop {shop} is not in storebridge.yml, so it was not "
                                     "connected.")
                continue
            decision.store[cfg.shop_id] = grants[shop]
            decision.connected.append((shop, cfg.key))
        return decision
    for shop in covered:
        cfg = configured[shop]
        if cfg is not None:
            decision.left.append(f"Shop {shop} is already store {cfg.key}; it was left as it "
                                 f"was (reconnect it with `storebridge stores authorize "
                                 f"{platform} {cfg.key}`).")
            continue
        decision.store[shop] = grants[shop]
        decision.connected.append((shop, None))
    if not decision.store:
        raise Refused(409, " ".join(decision.left) + " This link was for a new store; "
                                                     "nothing was stored.")
    return decision
