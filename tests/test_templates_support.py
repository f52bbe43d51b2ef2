"""Helpers for the template tests (no tests here).

Clicks inside a modal go through the emulator's ``user_acts_in_view``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.config import GroupConfig
from bot.store import Conversation
from bot.store.templates import Templates
from bot.templates import feature
from tests.harness import Bridge

FEATURES = {"features": [feature]}


async def started(b: Bridge, shop: str = "sg-1", buyer: str = "b-rachel",
                  text: str = "Hi, has my order shipped?") -> Conversation:
    await b.buyer_says(text, shop=shop, buyer=buyer)
    conv = await b.thread(shop)
    await b.wait(lambda: b.replies(conv) or None)
    return await b.store.conversations.get(conv.id)


def templates(b: Bridge) -> Templates:
    return Templates(b.store.database)


async def add_template(b: Bridge, topic: str, name: str, body: str,
                 variants: dict[str, str] | None = None) -> int:
    return (await templates(b).upsert(topic, name, body, variants or {}))[0]


def make_manager(b: Bridge, user: str) -> None:
    """The harness's team has no managers; name one (settings are read per request)."""
    b.service.settings = replace(b.service.settings, groups=(
        GroupConfig("team", members=(b.agent,), managers=(user,)),))
    b.service.relay.access.settings = b.service.settings  # the one rule reads these


def text_block(view: dict[str, Any]) -> dict[str, Any]:
    return next(bl for bl in view["blocks"] if bl["block_id"].startswith("text_"))


def shown(view: dict[str, Any]) -> str:
    """Every piece of text a modal shows, for assertions."""
    out = []
    for bl in view["blocks"]:
        if isinstance(bl.get("text"), dict):
            out.append(bl["text"]["text"])
        for el in bl.get("elements") or []:
            if isinstance(el, dict) and "text" in el and isinstance(el["text"], str):
                out.append(el["text"])
    return "\n".join(out)
