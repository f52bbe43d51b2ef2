"""The card's language select: agents of the store's team correct a buyer's language
(bot/buyer_language.py; a team member's choice sticks)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.buyer_language import ACTION_ID, BuyerLanguages, language_name
from bot.feature_api import Feature, Services


def feature(service: Services) -> Feature:
    languages = BuyerLanguages(service.store)

    def register(app: AsyncApp) -> None:
        @app.action(ACTION_ID)
        async def on_select(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
            await ack()
            user = body["user"]["id"]
            block = str(action.get("block_id") or "")
            value = str((action.get("selected_option") or {}).get("value") or "")
            if not block.startswith("language:") or not block[9:].isdigit():
                return
            conv = await service.store.conversations.get(int(block[9:]))
            if conv is None:
                return
            relay = service.relay
            if not relay.may_reply(user, conv.store_key):
                await relay.tell(conv, user, "Only agents of this store's team can change "
                                 "the buyer's language.")
                return
            if not await languages.correct(conv.id, value):
                await relay.tell(conv, user, "StoreBridge does not know that language.")
                return
            service.outbox.kick(conv.channel_ref)
            await relay.tell(conv, user, f"This buyer's language is now "
                             f"{language_name(value)}; later messages will not change it.")

    return Feature("language_select", slack=register)
