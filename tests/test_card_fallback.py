"""A card Slack refuses for good goes out as plain text: the conversation still
reaches Slack, the ops channel hears it once, and /healthz counts it."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp

from bot.card_fallback import NOTE, plain_args
from tests.harness import HEALTH_AUTH, SHOP, running_bridge

BAD_AVATAR = "ftp://img.example/avatar.png"  # Slack cannot download it: invalid_blocks


async def test_refused_card_falls_back_to_plain_text(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b, aiohttp.ClientSession() as http:
        # Slack refuses the next card for good (as it does one whose image it cannot
        # fetch; connectors now drop non-http avatars, so the refusal is injected).
        b.slack.fail_next("chat.postMessage", "invalid_blocks")
        b.market.add_buyer(SHOP, "b-ftp", "Ftp *Buyer* <!here>", "en")
        await b.buyer_says("Where is my parcel?", buyer="b-ftp")
        conv = await b.thread()  # the thread exists: the root went out as text
        root = b.slack.message(conv.channel_id, conv.thread_ts)
        assert "blocks" not in root or not root["blocks"]
        assert NOTE in root["text"] and conv.ref in root["text"]
        assert "<!here>" not in root["text"] and "*Buyer*" not in root["text"]
        refused = [c for c in b.slack.calls_to("chat.postMessage")
                   if not c.ok and c.response.get("error") == "invalid_blocks"]
        assert refused  # Slack really refused the full card first
        # The conversation flows: the buyer's message in the thread, a reply goes out.
        said = await b.wait(lambda: [m for m in b.replies(conv)
                                     if "Where is my parcel?" in json.dumps(m)])
        assert said
        await b.agent_replies(conv, "It ships today.")
        await b.wait(lambda: "It ships today." in b.sent_texts())
        # Ops hears it once, even after a second refused card.
        ops = b.channels["cs-ops"]
        alerts = await b.wait(lambda: [m for m in b.slack.messages(ops)
                                       if "plain text" in m["text"]])
        b.slack.fail_next("chat.postMessage", "invalid_blocks")
        b.market.add_buyer(SHOP, "b-ftp2", "Second", "en")
        await b.buyer_says("hello?", buyer="b-ftp2")
        await b.wait(lambda: b.service.outbox.card_fallbacks.by_kind.get("post_root", 0) >= 2)
        await b.settle()
        assert len([m for m in b.slack.messages(ops) if "plain text" in m["text"]]) == 1
        assert "invalid_blocks" in alerts[0]["text"]
        async with http.get(f"{b.base_url}/healthz", headers=HEALTH_AUTH) as r:
            health = await r.json()
        fallbacks = health["slack"]["card_fallbacks"]
        assert fallbacks["count"] >= 2 and fallbacks["last_error"] == "invalid_blocks"


def test_plain_args_keep_the_text_and_drop_what_slack_refused() -> None:
    args = {"channel": "C1", "thread_ts": "1.2", "username": "Rachel (buyer)",
            "icon_url": BAD_AVATAR, "text": "Rachel: hi",
            "blocks": [{"type": "section", "text": {"type": "plain_text", "text": "hi <@U1>"}},
                       {"type": "context", "elements": [
                           {"type": "image", "image_url": BAD_AVATAR, "alt_text": "a"},
                           {"type": "mrkdwn", "text": "*Status* open"}]},
                       {"type": "actions", "elements": [
                           {"type": "button", "text": {"type": "plain_text", "text": "Close"}}]}]}
    out = plain_args(args)
    assert set(out) == {"channel", "thread_ts", "username", "icon_emoji", "text"}
    assert out["text"] == f"Rachel: hi\nhi &lt;@U1&gt;\n*Status* open\n{NOTE}"
