"""The approval gate over real HTTP: a non-manager's reply promising money is held
(⏳, nothing sent) until a manager approves or rejects it from the thread."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.actions.approval_rules import ApprovalConfig, risky
from bot.config import ConfigError
from bot.config_read import load_settings
from tests.harness import Bridge, running_bridge


async def started(b: Bridge):  # noqa: ANN201
    await b.buyer_says("The cup arrived broken")
    conv = await b.thread()
    await b.wait(lambda: b.replies(conv) or None)
    return conv


def request(b: Bridge, conv: Any) -> dict[str, Any] | None:
    return next((m for m in b.replies(conv)
                 if "approval_approve" in json.dumps(m.get("blocks") or [])), None)


def said(b: Bridge, conv: Any, words: str) -> list[str]:
    return [m.get("text", "") for m in b.replies(conv) if words in m.get("text", "")]


async def test_held_reply_is_sent_once_a_manager_approves(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        ts = await b.agent_replies(conv, "So sorry! We will refund 50% of the price today.")
        note = await b.wait(lambda: request(b, conv))
        assert "Awaiting approval" in note["text"] and f"<@{b.manager}>" in note["text"]
        assert "hourglass_flowing_sand" in b.reactions(conv, ts)
        await b.settle()
        assert b.sent_texts() == []  # held: the buyer has nothing yet

        # The agent cannot approve their own reply.
        await b.slack.user_clicks(b.agent, conv.channel_id, note["ts"], "approval_approve")
        refused = await b.wait(lambda: [r for r in b.slack.responses if r.user_id == b.agent])
        assert "managers" in json.dumps(refused[-1].payload)
        assert b.sent_texts() == []

        await b.slack.user_clicks(b.manager, conv.channel_id, note["ts"], "approval_approve")
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        assert b.sent_texts() == ["So sorry! We will refund 50% of the price today."]
        await b.wait(lambda: said(b, conv, "Approved by"))
        await b.wait(lambda: request(b, conv) is None)  # buttons gone
        # A second decision (a stale click, a retried request) does nothing more.
        assert await b.service.relay.approval.decide(b.manager, (await b.store.conversations
            .message_by_ts(conv.channel_id, ts)).id, True, "", {}) == (
            "This reply was already approved, rejected or deleted.")
        await b.settle()
        assert len(b.sent_texts()) == 1


async def test_rejected_in_the_buyers_language_with_a_note(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        # A Vietnamese buyer: Vietnamese to Rachel (English) would meet the reply guard.
        b.market.add_buyer("sg-1", "b-linh", "Linh Nguyen", "vi")
        await b.buyer_says("Cái cốc bị vỡ rồi shop ơi", buyer="b-linh")
        conv = await b.thread()
        await b.wait(lambda: b.replies(conv) or None)
        ts = await b.agent_replies(conv, "Shop sẽ hoàn tiền cho bạn nhé")
        note = await b.wait(lambda: request(b, conv))
        assert "hoàn tiền" in note["text"]
        await b.slack.user_clicks(b.manager, conv.channel_id, note["ts"], "approval_reject")
        view = (await b.wait(lambda: b.slack.open_views(b.manager)))[-1]
        await b.slack.user_submits_view(b.manager, view["id"],
                                        {"note": {"v": "Offer a replacement first"}})
        await b.wait(lambda: "no_entry_sign" in b.reactions(conv, ts))
        outcome = await b.wait(lambda: said(b, conv, "Rejected by"))
        assert "Offer a replacement first" in outcome[0] and f"<@{b.agent}>" in outcome[0]
        await b.settle()
        assert b.sent_texts() == []


async def test_managers_and_plain_replies_pass_and_the_gate_turns_off(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        ts = await b.agent_replies(conv, "I will refund you now", user=b.manager)
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        ts = await b.agent_replies(conv, "Could you send a photo of the box?")
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        assert request(b, conv) is None
    (tmp_path / "off").mkdir()
    async with running_bridge(tmp_path / "off",
                              approval=ApprovalConfig(enabled=False)) as b:
        conv = await started(b)
        ts = await b.agent_replies(conv, "Here is a voucher for RM20")
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))


def test_words_and_amounts_in_the_buyers_languages() -> None:
    on = ApprovalConfig(keywords=("gratis",), amount_patterns=(r"\d+ points",))
    for text in ("คืนเงินให้ค่ะ", "我们给您退款", "Kami beri diskaun", "Dapat baucar",
                 "Take S$15 off", "giảm 20%", "Te damos un reembolso", "500 points for you",
                 "Kirim gratis", "300.000đ"):
        assert risky(text, on), text
    for text in ("Your parcel ships today", "Order 231115A7K2QW9N is packed"):
        assert risky(text, on) is None, text


def test_config_per_store_and_bad_pattern(tmp_path: Path) -> None:
    doc = """
approval: {keywords: [goodwill]}
stores:
  - {platform: shopee, shop_id: "1", site: SG, name: X, channel: "#x",
     approval: {enabled: false}}
"""
    path = tmp_path / "c.yml"
    path.write_text(doc)
    s = load_settings(path, {"SHOPEE_PARTNER_ID": "1", "SHOPEE_PARTNER_KEY": "k"})
    assert s.approval.keywords == ("goodwill",) and s.approval_for("shopee:1").enabled is False
    path.write_text("approval: {amount_patterns: ['(unclosed'], enabled: maybe}\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path, {})
    assert "approval.amount_patterns[0]: not a regular expression" in str(err.value)
    assert "approval.enabled: expected true or false" in str(err.value)


async def test_editing_a_held_reply_is_refused_and_deleting_cancels_it(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        ts = await b.agent_replies(conv, "You get a voucher for 10%")
        await b.wait(lambda: request(b, conv))
        await b.slack.user_edits(b.agent, conv.channel_id, ts, "You get a voucher for 90%")
        told = await b.wait(lambda: [e for e in b.slack.ephemerals(b.agent)
                                     if "awaiting a manager's approval" in e["text"]])
        assert told
        row = await b.store.conversations.message_by_ts(conv.channel_id, ts)
        assert row.text == "You get a voucher for 10%" and row.state == "held"
        await b.slack.user_deletes(b.agent, conv.channel_id, ts)
        await b.until(lambda: b.store.replies.get(row.id), lambda m: m.state == "cancelled")
        assert await b.service.relay.approval.decide(b.manager, row.id, True, "", {}) == (
            "This reply was already approved, rejected or deleted.")
        await b.settle()
        assert b.sent_texts() == []
