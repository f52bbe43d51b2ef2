"""Every way an agent's words reach a buyer goes through the one approval gate
(``Relay.queue_reply``), over real HTTP: a template sent from the card button, the
message shortcut or ``/reply``; a product card with a message; an edit before sending;
an edit after a refusal; Edit & resend. A non-manager's text promising money is held
(⏳, the managers asked in the thread, nothing sent) until a manager approves it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.harness import Bridge, running_bridge
from tests.test_actions_approval import request, started
from tests.test_templates_support import add_template, text_block


def texts(b: Bridge) -> list[str]:
    return [m["content"]["text"] for m in b.market.sent_messages("sg-1") if m["type"] == "text"]


async def held_then_approved(b: Bridge, conv: Any, ts: str, words: str) -> None:
    """``ts``'s reply waits for a manager, nothing reaches the buyer; once approved it
    does, once."""
    note = await b.wait(lambda: request(b, conv))
    assert "Awaiting approval" in note["text"] and f"<@{b.manager}>" in note["text"]
    await b.wait(lambda: "hourglass_flowing_sand" in b.reactions(conv, ts))
    await b.settle()
    assert not [t for t in texts(b) if words in t]
    await b.slack.user_clicks(b.manager, conv.channel_id, note["ts"], "approval_approve")
    await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
    assert len([t for t in texts(b) if words in t]) == 1


def agent_copy(b: Bridge, conv: Any, words: str) -> dict[str, Any] | None:
    return next((m for m in b.replies(conv) if words in m.get("text", "")
                 and m.get("username")), None)


async def open_template(b: Bridge, conv: Any, path: str, tid: int) -> dict[str, Any]:
    """The reply modal, opened by ``path``, with the template filled in."""
    if path == "/reply":
        await b.slack.user_runs_command(b.agent, b.channels["cs-ops"], "/reply",
                                        f"refund offer {conv.ref}")
    else:
        if path == "card button":
            await b.slack.user_clicks(b.agent, conv.channel_id, conv.thread_ts,
                                      "template_open")
        else:
            await b.slack.user_uses_message_shortcut(
                b.agent, conv.channel_id, b.replies(conv)[0]["ts"], "reply_with_template")
        view = (await b.wait(lambda: b.slack.open_views(b.agent)))[-1]
        await b.slack.user_acts_in_view(b.agent, view["id"], "template_pick", str(tid))
    return await b.wait(lambda: next((v for v in b.slack.open_views(b.agent)
                                      if "initial_value" in text_block(v)["element"]), None))


@pytest.mark.parametrize("path", ["card button", "message shortcut", "/reply"])
async def test_template_reply_is_held_like_a_typed_one(tmp_path: Path, path: str) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        tid = await add_template(b, "Refunds", "Refund offer",
                                 "Sorry {buyer_name}, we will refund you in full today.")
        view = await open_template(b, conv, path, tid)
        text = text_block(view)["element"]["initial_value"]
        assert "refund you" in text
        done = await b.slack.user_submits_view(b.agent, view["id"], {"value": text})
        assert done.status == 200
        copy = await b.wait(lambda: agent_copy(b, conv, "refund you"))
        await held_then_approved(b, conv, copy["ts"], "refund you")


async def test_a_managers_template_reply_passes(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        tid = await add_template(b, "Refunds", "Refund offer", "We will refund you today.")
        await b.slack.user_clicks(b.manager, conv.channel_id, conv.thread_ts, "template_open")
        view = (await b.wait(lambda: b.slack.open_views(b.manager)))[-1]
        await b.slack.user_acts_in_view(b.manager, view["id"], "template_pick", str(tid))
        view = await b.wait(lambda: next((v for v in b.slack.open_views(b.manager)
                                          if "initial_value" in text_block(v)["element"]), None))
        await b.slack.user_submits_view(b.manager, view["id"],
                                        {"value": "We will refund you today."})
        await b.wait(lambda: b.sent_texts() == ["We will refund you today."] or None)
        assert request(b, conv) is None


async def test_card_with_a_message_is_held_then_sent_text_first(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        b.market.shelf.add_product("sg-1", "p-200", "Ceramic mug, red", "13.90", "SGD")
        conv = await started(b)
        await b.slack.user_clicks(b.agent, conv.channel_id, conv.thread_ts, "card_open")
        view = (await b.wait(lambda: b.slack.open_views(b.agent)))[-1]
        await b.slack.user_acts_in_view(b.agent, view["id"], "card_search", "mug")
        view = await b.wait(lambda: next((v for v in b.slack.open_views(b.agent)
                                          if "Ceramic mug" in json.dumps(v)), None))
        await b.slack.user_submits_view(b.agent, view["id"], {
            "card_pick": {"card_pick": "p-200"},
            "card_message": {"card_message": "Here is the red one, with 10% off for you"}})
        copy = await b.wait(lambda: agent_copy(b, conv, "Product: Ceramic mug, red"))
        assert "10% off" in copy["text"]
        await b.settle()
        assert b.market.sent_messages("sg-1") == []
        await held_then_approved(b, conv, copy["ts"], "10% off")
        sent = b.market.sent_messages("sg-1")
        assert [m["type"] for m in sent] == ["text", "product"]


async def test_a_card_alone_is_never_held(tmp_path: Path) -> None:
    """A card carries the platform's facts (its price is no promise): it is not held."""
    async with running_bridge(tmp_path) as b:
        b.market.shelf.add_product("sg-1", "p-200", "Ceramic mug, 20% off", "13.90", "SGD")
        conv = await started(b)
        await b.slack.user_clicks(b.agent, conv.channel_id, conv.thread_ts, "card_open")
        view = (await b.wait(lambda: b.slack.open_views(b.agent)))[-1]
        await b.slack.user_acts_in_view(b.agent, view["id"], "card_search", "mug")
        view = await b.wait(lambda: next((v for v in b.slack.open_views(b.agent)
                                          if "Ceramic mug" in json.dumps(v)), None))
        await b.slack.user_submits_view(b.agent, view["id"], {"card_pick": {"card_pick": "p-200"}})
        copy = await b.wait(lambda: agent_copy(b, conv, "Product: Ceramic mug"))
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, copy["ts"]))
        assert request(b, conv) is None


async def test_edit_before_sending_is_held(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        # The first reply waits out transient failures; the second waits behind it.
        b.market.fail_next_send("transient", count=3)
        first = await b.agent_replies(conv, "Checking the stock now")
        second = await b.agent_replies(conv, "One moment please")
        row = await b.store.conversations.message_by_ts(conv.channel_id, second)
        assert row.state == "queued"
        await b.slack.user_edits(b.agent, conv.channel_id, second,
                                 "Good news: a voucher for 15% is yours")
        await b.wait(lambda: request(b, conv))
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, first), timeout=15)
        await held_then_approved(b, conv, second, "voucher for 15%")
        assert b.sent_texts() == ["Checking the stock now", "Good news: a voucher for 15% is yours"]


async def test_edit_after_a_refusal_is_held(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        ts = await b.agent_replies(conv, "x" * 1500)
        await b.wait(lambda: "x" in b.reactions(conv, ts))
        await b.slack.user_edits(b.agent, conv.channel_id, ts, "We refund the 1500 VND now")
        await held_then_approved(b, conv, ts, "We refund")


async def test_edit_and_resend_is_held(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        b.market.fail_next_send("blocked")
        ts = await b.agent_replies(conv, "Your parcel left today")
        notice = await b.wait(lambda: next((m for m in b.replies(conv)
                                            if "reply_retry" in json.dumps(m["blocks"])), None))
        await b.slack.user_clicks(b.agent, conv.channel_id, notice["ts"], "reply_edit_resend")
        view = (await b.wait(lambda: b.slack.open_views(b.agent)))[-1]
        done = await b.slack.user_submits_view(
            b.agent, view["id"], {"text": {"value": "Your parcel left; here is RM10 back"}})
        assert done.status == 200 and not (done.json or {}).get("errors")
        await held_then_approved(b, conv, ts, "RM10 back")
