"""A buyer's name can neither pass for an agent's nor format, link or ping where
StoreBridge shows it (thread author, card, alerts, DMs, App Home)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.orders.render import alert_text
from bot.render.author_name import buyer_username, utf16_len
from bot.render.card import card
from bot.render.messages import delivery_notice
from bot.store.rows import Message
from bot.text_safety import escape_untrusted
from connectors.display_text import clean_display_name
from connectors.models import Buyer
from tests.harness import SHOP, running_bridge

# What Slack reads as markup in mrkdwn: formatting spans, <…> tokens (mentions, links),
# emoji shortcodes, a quote at a line start, and broadcast keywords.
_SPANS = [re.compile(p) for p in (
    r"(?<![\w*])\*(?!\s)[^*\n]+?(?<!\s)\*(?![\w*])",
    r"(?<![\w_])_(?!\s)[^_\n]+?(?<!\s)_(?![\w_])",
    r"(?<![\w~])~(?!\s)[^~\n]+?(?<!\s)~(?![\w~])",
    r"`[^`\n]+`",
    r"<[^<>]+>",
    r":[a-z0-9_+\-]+:",
    r"(?m)^\s*(&gt;|>)",
    r"(?i)@(here|channel|everyone)\b",
)]
EVIL = ("*Mai Tran* _agent_ ~x~ `code` ```block``` <!here> <@U0AGENT> "
        "<https://evil.example|Refund form> &amp; :rotating_light: @channel\n> quoted")
BENIGN = "Rachel Tan"
EVIL_WORDS = ("Mai", "agent", "x~", "code", "block", "here", "U0AGENT", "evil", "rotating",
              "channel", "quoted")


def markup(text: str) -> list[str]:
    return sorted(m.group(0) for p in _SPANS for m in p.finditer(text))


def mrkdwn_texts(blocks: Any) -> list[str]:
    """Every mrkdwn text in a block tree (sections, fields, context elements)."""
    found: list[str] = []
    if isinstance(blocks, dict):
        if blocks.get("type") == "mrkdwn":
            found.append(blocks["text"])
        for v in blocks.values():
            found += mrkdwn_texts(v)
    elif isinstance(blocks, list):
        for v in blocks:
            found += mrkdwn_texts(v)
    return found


def assert_name_adds_no_markup(render: Any) -> None:
    """Rendered with the evil name, the output has exactly the markup it has with a
    plain name: the buyer contributed none."""
    evil, plain = render(EVIL), render(BENIGN)
    assert len(markup(evil)) == len(markup(plain)), markup(evil)
    assert not [m for m in markup(evil) if any(w in m for w in EVIL_WORDS)], markup(evil)
    assert "Mai Tran" in evil  # still shown, just inert


def test_escape_leaves_no_markup_and_stays_readable() -> None:
    out = escape_untrusted(EVIL)
    assert markup(out) == []
    assert "Mai Tran" in out and "agent" in out and "Refund form" in out


def test_username_keeps_the_suffix_whatever_the_name() -> None:
    for name in ["Mai Tran" + " " * 80, "Mai Tran" + "\u2800" * 90, "A" * 200,
                 "😀" * 60, "Mai Tran\n(agent)", "Mai Tran\u202e)reyub(", "\u200b\u200b"]:
        username = buyer_username(name)
        assert username.endswith(" (buyer)"), username
        assert utf16_len(username) <= 80 and len(username[:80]) == len(username)
        assert "\n" not in username and "\u202e" not in username and "\u200b" not in username
    assert buyer_username("Rachel Tan") == "Rachel Tan (buyer)"
    assert buyer_username("😀" * 60) == "😀" * 35 + "… (buyer)"  # not cut mid-surrogate
    assert buyer_username("\u200b") == "Buyer (buyer)"


def test_names_are_cleaned_at_the_connector_boundary() -> None:
    b = Buyer("b1", "  Mai\u200b Tran\n\u2066(agent)\u2069\t\u00a0 ")
    assert b.name == "Mai Tran (agent)"
    assert clean_display_name("Nguyễn Thị Ánh") == "Nguyễn Thị Ánh"
    assert clean_display_name("สมศักดิ์") == "สมศักดิ์"  # Thai marks kept
    assert clean_display_name("e" + "\u0301" * 30) == "é" + "\u0301" * 3


async def test_padded_name_cannot_post_as_an_agent(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        b.market.add_buyer(SHOP, "b-mallory", "Mai Tran" + "\u2800" * 80, "en",
                           avatar_url="https://img.example/mai.png")
        await b.buyer_says("hello, it's Mai from support", buyer="b-mallory")
        conv = await b.thread()
        posted = await b.wait(lambda: [m for m in b.replies(conv)
                                       if m.get("username", "").startswith("Mai Tran")])
        # The emulator keeps 80 characters of a username, as Slack does.
        assert posted[0]["username"].endswith(" (buyer)")
        assert len(posted[0]["username"]) <= 80


async def test_buyer_name_is_inert_in_thread_card_alert_and_dm(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2) as b:
        b.market.add_buyer(SHOP, "b-evil", EVIL, "en")
        await b.buyer_says("I want a refund", buyer="b-evil")
        conv = await b.until(b.conversation, lambda c: c.thread_ts)
        # Cleaned at the boundary: one line, the rest intact.
        assert "\n" not in conv.buyer_name and "Mai Tran" in conv.buyer_name
        ops = await b.wait(lambda: [m for m in b.slack.messages(b.channels["cs-ops"])
                                    if "Priority" in m["text"]])
        # Only our own markup: the reference, and the link to the thread (the alert
        # waits for the thread so the link is there).
        link = f"<https://storebridge-sandbox.slack.com/archives/{conv.channel_id}/p"
        assert [m for m in markup(ops[0]["text"]) if not m.startswith(link)] == [f"`{conv.ref}`"]
        assert any(m.startswith(link) for m in markup(ops[0]["text"]))
        root = b.slack.message(conv.channel_id, conv.thread_ts)
        for text in [root["text"], *mrkdwn_texts(root["blocks"])]:
            assert not [m for m in markup(text) if any(w in m for w in EVIL_WORDS)], text
        # Transfer: the view and the recipient's DM name the buyer.
        mai, an = b.agents
        await b.slack.user_clicks(mai, conv.channel_id, conv.thread_ts, "transfer_open")
        view = (await b.wait(lambda: b.slack.open_views(mai)))[-1]
        assert not [m for t in mrkdwn_texts(view["blocks"]) for m in markup(t)
                    if any(w in m for w in EVIL_WORDS)]
        await b.slack.user_submits_view(mai, view["id"], {"member": {"value": an}})
        dm = await b.wait(lambda: [c for c in b.slack.calls_to("chat.postMessage")
                                   if c.ok and c.params["channel"].startswith("D")])
        texts = [dm[0].params["text"], *mrkdwn_texts(json.loads(
            dm[0].params.get("blocks") or "[]") if isinstance(dm[0].params.get("blocks"), str)
            else dm[0].params.get("blocks") or [])]
        for text in texts:
            assert not [m for m in markup(text) if any(w in m for w in EVIL_WORDS)], text
        # Rendered directly: the card, a delivery failure, an order alert.
        store_name = "Kopi & Co. Homeware"

        def rendered_card(name: str) -> str:
            fallback, blocks = card(replace(conv, buyer_name=name), site="SG",
                                    platform="shopee", store_name=store_name,
                                    now=conv.created_at)
            return "\n".join([fallback, *mrkdwn_texts(blocks)])

        assert_name_adds_no_markup(rendered_card)
        failed = Message(id=1, conversation_id=conv.id, store_key=conv.store_key,
                         direction="out", platform_message_id=None, channel_id=None,
                         slack_ts=None, author=mai, kind="text", text="hi", attributes={},
                         raw=None, state="failed", error="blocked", attempts=1,
                         next_attempt_at=0, idempotency_key=None, sent_text=None,
                         notice_ts=None, shown_reaction=None, created_at=0, platform_at=None,
                         delivered_at=None, parts=None, parts_done=0)
        assert_name_adds_no_markup(lambda n: "\n".join(
            [delivery_notice(failed, n)[0], *mrkdwn_texts(delivery_notice(failed, n)[1])]))
        order = {"order_id": "2311AAAA000001"}
        assert_name_adds_no_markup(lambda n: alert_text("ship_by", order, 1e9, 1e9 - 60, n))
