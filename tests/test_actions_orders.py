"""Answering a buyer's cancellation and return request from the thread, end to end
against the Shopee emulator seeded with the samples: buttons on the request note,
who may act, the confirmation modal, one action for two submissions, a platform
refusal in plain words, and the card line following the new state."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from bot.orders import OrdersFeature
from tests.emulators.shopee import SHOP_ID
from tests.emulators.shopee_orders_env import SAMPLE_NOW
from tests.test_orders_bot import B, C, card, chatting
from tests.test_platform_e2e import platform_bridge

RETURN_SN = "2311150RQ7XK0D1"


def note_with(b: Any, conv: Any, action_id: str) -> dict[str, Any] | None:
    return next((m for m in b.replies(conv) if action_id in json.dumps(m.get("blocks") or [])),
                None)


def said(b: Any, conv: Any, words: str) -> list[str]:
    return [m.get("text", "") for m in b.replies(conv) if words in m.get("text", "")]


async def ready(b: Any, h: Any) -> Any:  # the conversation, its orders pulled
    h.emulator.seed_order_samples(SHOP_ID, int(time.time()) - SAMPLE_NOW)
    conv = await chatting(b, h)
    assert await b.service.feature(OrdersFeature).sync.pull(f"shopee:{SHOP_ID}") == 3
    return conv


async def test_cancellation_accepted_once_by_a_manager(tmp_path: Path) -> None:
    async with platform_bridge(tmp_path, "shopee") as (b, h):
        conv = await ready(b, h)
        note = await b.wait(lambda: note_with(b, conv, "order_act:cancel_accept"))
        await b.service.feature(OrdersFeature).alerts.tick()
        channel = b.channels["cs-shopee-sg"]
        alert = await b.wait(lambda: next((m for m in b.slack.messages(channel)
                                           if "Cancellation request on order" in m["text"]
                                           and B in m["text"]), None))
        assert B in note["text"] and "order_act:cancel_reject" in json.dumps(note["blocks"])

        # An agent who is not a manager is refused privately; nothing opens.
        await b.slack.user_clicks(b.agent, conv.channel_id, note["ts"], "order_act:cancel_accept")
        told = await b.wait(lambda: [r for r in b.slack.responses if r.user_id == b.agent])
        assert "managers" in json.dumps(told[-1].payload)
        assert b.slack.open_views(b.agent) == []

        # The manager sees the order, its amount and deadline before confirming.
        await b.slack.user_clicks(b.manager, conv.channel_id, note["ts"],
                                  "order_act:cancel_accept")
        view = (await b.wait(lambda: b.slack.open_views(b.manager)))[-1]
        shown = json.dumps(view["blocks"], ensure_ascii=False)
        assert B in shown and "VND" in shown and "Respond by" in shown
        # Confirm twice at once (a double submit, or Slack retrying): one action.
        first = b.slack.user_submits_view(b.manager, view["id"], {})
        payload = json.loads(json.dumps(view))
        again = b.slack._post_payload({  # the same submission delivered a second time
            "type": "view_submission", "user": {"id": b.manager}, "team": {"id": "T0SANDBOX"},
            "trigger_id": "", "view": {**payload, "state": {"values": {}}}})
        results = await asyncio.gather(first, again)
        assert all(r.status == 200 for r in results)

        await b.wait(lambda: said(b, conv, "accepted the buyer's cancellation"), timeout=10)
        await b.wait(lambda: [e for e in b.slack.ephemerals(b.manager)
                              if "already answered" in e["text"]])
        assert h.emulator.order(SHOP_ID, B)["order_status"] == "CANCELLED"
        assert len(said(b, conv, "accepted the buyer's cancellation")) == 1
        assert not said(b, conv, "refused")
        assert "Bo" in said(b, conv, "accepted the buyer's cancellation")[0]
        # The request note lost its buttons; the card line follows the platform.
        await b.wait(lambda: note_with(b, conv, "order_act:cancel_accept") is None)
        await b.wait(lambda: "cancellation requested" not in card(b, conv))
        await b.wait(lambda: "Answered: ✅ Bo accepted" in b.slack.message(channel, alert["ts"])[
            "text"])
        row = await b.store.actions.decision(f"shopee:{SHOP_ID}", B, B)
        assert row["state"] == "done" and row["actor"] == b.manager


async def test_return_refusal_in_plain_words_then_accepted(tmp_path: Path) -> None:
    async with platform_bridge(tmp_path, "shopee") as (b, h):
        conv = await ready(b, h)
        note = await b.wait(lambda: note_with(b, conv, "order_act:return_partial_refund"))
        assert C in note["text"]
        await b.slack.user_clicks(b.manager, conv.channel_id, note["ts"],
                                  "order_act:return_partial_refund")
        view = (await b.wait(lambda: b.slack.open_views(b.manager)))[-1]
        bad = await b.slack.user_submits_view(b.manager, view["id"], {"amount": {"amount": "-3"}})
        assert bad.json["response_action"] == "errors"  # checked before any call
        await b.slack.user_submits_view(b.manager, view["id"], {"amount": {"amount": "999999"}})
        await b.wait(lambda: said(b, conv, "Shopee refused"), timeout=10)
        assert "can not exceed max refund amount" in said(b, conv, "Shopee refused")[0]
        await b.wait(lambda: [e for e in b.slack.ephemerals(b.manager)
                              if "Nothing changed" in e["text"]])

        # A refusal frees the request: the manager accepts the return instead.
        await b.slack.user_clicks(b.manager, conv.channel_id, note["ts"],
                                  "order_act:return_accept")
        view = (await b.wait(lambda: [v for v in b.slack.open_views(b.manager)
                                      if "Accept return" in json.dumps(v["blocks"])]))[-1]
        await b.slack.user_submits_view(b.manager, view["id"], {})
        await b.wait(lambda: said(b, conv, "accepted the return/refund request"), timeout=10)
        assert h.emulator.order_book.returns[SHOP_ID][RETURN_SN]["status"] == "ACCEPTED"
        await b.wait(lambda: "return/refund requested" not in card(b, conv))


def test_who_may_act_is_per_group() -> None:
    from bot.authz import Access
    from bot.config import GroupConfig, Settings, StoreConfig

    store = StoreConfig("shopee", "1", "SG", "X", "#x", group="team")
    lone = StoreConfig("shopee", "2", "SG", "Y", "#y")
    for who, member_may in (("managers", False), ("members", True)):
        s = Settings(groups=(GroupConfig("team", ("U1",), ("U2",), who),),
                     stores=(store, lone), admins=("U7",))
        access = Access(s)
        assert access.may_act_on_orders("U2", "shopee:1")
        assert access.may_act_on_orders("U1", "shopee:1") is member_may
        assert not access.may_act_on_orders("U9", "shopee:1")
        assert not access.may_act_on_orders("U2", "shopee:2")  # no group: admins only
        assert access.may_act_on_orders("U7", "shopee:2")  # an admin manages every store
        assert not access.may_act_on_orders("U2", "shopee:9")  # a store not configured
