"""Helpers for the template tests (no tests here).

The emulator has no "user acts inside a modal" yet, so :func:`act_in_view` builds
that ``block_actions`` payload (container ``view``) from the emulator's own parts
and posts it through the emulator, signed, like every other interaction.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from bot.config import GroupConfig
from bot.standins.slack_blocks import element_state, find_element
from bot.standins.slack_payloads import Delivery, _base
from bot.standins.slack_web_chat import public
from bot.store import Conversation
from bot.templates import install
from bot.templates.repository import Templates
from tests.harness import Bridge

FEATURES = {"features": [install]}


async def act_in_view(b: Bridge, user_id: str, view_id: str, action_id: str,
                      value: Any = None, typed: dict[str, str] | None = None) -> Delivery:
    """Click a button or pick ``value`` in a select of an open modal; ``typed``:
    text in the modal's inputs by block id (their current state, sent along)."""
    slack = b.slack
    ws = slack.workspace
    user = slack._human(user_id)
    view = slack._open_view(user, view_id)
    found = find_element(view["blocks"], action_id)
    if found is None:
        raise ValueError(f"view {view_id} has no element {action_id!r}")
    block, element = found
    action: dict[str, Any] = {"action_id": action_id, "block_id": block["block_id"],
                              "action_ts": f"{time.time():.6f}"}
    if element["type"] == "button":
        action.update(type="button", text=element.get("text"), value=element.get("value"))
    else:
        action.update(element_state(element, value))
    state: dict[str, Any] = {}
    for bid, text in (typed or {}).items():
        b_el = next(bl for bl in view["blocks"] if bl["block_id"] == bid)["element"]
        state[bid] = {b_el["action_id"]: element_state(b_el, text)}
    payload = {**_base(ws, "block_actions", user, slack.verification_token,
                       ws.issue_trigger(user.id)),
               "container": {"type": "view", "view_id": view_id},
               "view": {**public(view), "state": {"values": state}}, "actions": [action]}
    return await slack._post_payload(payload)


async def started(b: Bridge, shop: str = "sg-1", buyer: str = "b-rachel",
                  text: str = "Hi, has my order shipped?") -> Conversation:
    await b.buyer_says(text, shop=shop, buyer=buyer)
    conv = await b.thread(shop)
    await b.wait(lambda: b.replies(conv) or None)
    return b.store.conversations.get(conv.id)


def templates(b: Bridge) -> Templates:
    return Templates(b.store.database)


def add_template(b: Bridge, topic: str, name: str, body: str,
                 variants: dict[str, str] | None = None) -> int:
    return templates(b).upsert(topic, name, body, variants or {})[0]


def make_manager(b: Bridge, user: str) -> None:
    """The harness's team has no managers; name one (settings are read per request)."""
    b.service.settings = replace(b.service.settings, groups=(
        GroupConfig("team", members=(b.agent,), managers=(user,)),))


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
