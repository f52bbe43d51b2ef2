"""Translation in Slack: failures and retries, Fix translation, translated replies.

Every click and modal submission is a signed payload from the Slack emulator.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.harness import SHOP, Bridge
from tests.test_translation_memory import (
    conversation_of,
    shown,
    translating_bridge,
    translation_line,
)

QUESTION = "Khi nào giao hàng?"
SIZE = "Còn size M không?"


async def card_blocks(b: Bridge, buyer: str) -> str:
    conv = await conversation_of(b, buyer)
    assert conv is not None
    return json.dumps(b.slack.message(conv.channel_id, conv.thread_ts)["blocks"],
                      ensure_ascii=False)


async def sent_to(b: Bridge, buyer: str) -> list[str]:
    conv = await conversation_of(b, buyer)
    assert conv is not None
    return [m["content"]["text"]
            for m in b.market.sent_messages(SHOP, conv.platform_conversation_id)]


async def test_failure_says_so_and_the_retry_shows_the_translation(tmp_path: Path) -> None:
    async with translating_bridge(tmp_path) as (b, libre):
        libre.fail_next(500)
        libre.fail_next(429)
        await b.buyer_says(QUESTION, buyer="b-linh")
        # The original is relayed at once; the translation is "failed for now".
        post = await shown(b, "b-linh", QUESTION, "failed for now")
        assert QUESTION in json.dumps(post["blocks"], ensure_ascii=False)
        await shown(b, "b-linh", QUESTION, "When will it be delivered?")
        assert libre.calls[QUESTION] == 3


async def test_a_slow_provider_shows_pending_then_times_out_and_is_retried(
        tmp_path: Path) -> None:
    async with translating_bridge(tmp_path, timeout=0.3) as (b, libre):
        libre.delay = 0.8
        await b.buyer_says(QUESTION, buyer="b-linh")
        await shown(b, "b-linh", QUESTION, "Translation pending")
        await shown(b, "b-linh", QUESTION, "failed for now")
        libre.delay = 0
        await shown(b, "b-linh", QUESTION, "When will it be delivered?")


async def test_fix_translation_is_saved_for_the_whole_team(tmp_path: Path) -> None:
    async with translating_bridge(tmp_path) as (b, libre):
        await b.buyer_says(SIZE, buyer="b-linh")
        post = await shown(b, "b-linh", SIZE, "Is size M still available?")
        conv = await conversation_of(b, "b-linh")
        assert conv is not None

        # Someone outside the store's team may not change what everyone sees.
        await b.slack.user_clicks(b.outsider, conv.channel_id, post["ts"], "translation_fix")
        told = await b.wait(lambda: b.slack.ephemerals(b.outsider))
        assert "Only agents" in told[0]["text"] and not b.slack.open_views(b.outsider)

        await b.slack.user_clicks(b.agent, conv.channel_id, post["ts"], "translation_fix")
        view = (await b.wait(lambda: b.slack.open_views(b.agent)))[0]
        originals = [blk["text"] for blk in view["blocks"] if blk["type"] == "section"]
        assert originals == [{"type": "plain_text", "emoji": True, "text": SIZE}]
        field = next(blk for blk in view["blocks"] if blk["type"] == "input")
        assert field["element"]["initial_value"] == "Is size M still available?"

        empty = await b.slack.user_submits_view(b.agent, view["id"],
                                                {"translation": {"value": "   "}})
        assert empty.json["response_action"] == "errors"
        answer = await b.slack.user_submits_view(
            b.agent, view["id"], {"translation": {"value": "Do you still have size M?"}})
        assert answer.ok and answer.error is None and not b.slack.open_views(b.agent)
        await shown(b, "b-linh", SIZE, "Do you still have size M?")

        # The same words from another buyer: the correction, without asking the provider.
        await b.buyer_says(SIZE, buyer="b-minh")
        again = await shown(b, "b-minh", SIZE, "Do you still have size M?")
        # Shown with who made it (a name in plain text: nobody is pinged).
        assert translation_line(again) == "🌐 Do you still have size M? · ✏️ corrected by Mai"
        assert libre.calls[SIZE] == 1
        row = await b.store.database.one("SELECT translated FROM translations WHERE text = ?",
                                         SIZE)
        assert row[0] == "Is size M still available?"  # the machine's, kept
        fix = await b.store.database.one("SELECT corrected, corrected_by, scope FROM "
                                         "translation_corrections")
        assert tuple(fix) == ("Do you still have size M?", b.agent, "group:team")


async def test_translate_my_replies(tmp_path: Path) -> None:
    async with translating_bridge(tmp_path) as (b, libre):
        await b.buyer_says(SIZE, buyer="b-linh")
        await shown(b, "b-linh", SIZE, "Is size M still available?")
        conv = await conversation_of(b, "b-linh")
        assert conv is not None and "Translate my replies: off" in await card_blocks(b, "b-linh")

        await b.slack.user_clicks(b.agent, conv.channel_id, conv.thread_ts, "translate_toggle")
        await b.until(lambda: card_blocks(b, "b-linh"), lambda t: "Translate my replies: on" in t)
        ts = await b.agent_replies(conv, "Yes, size M is in stock.")
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        assert await sent_to(b, "b-linh") == ["Vâng, size M vẫn còn hàng."]
        note = await b.wait(lambda: next((m for m in b.replies(conv)
                                          if "The buyer received" in m["text"]), None))
        assert note["text"] == "🌐 The buyer received (vi): Vâng, size M vẫn còn hàng."

        # A failed translation never holds a reply: the original goes out.
        libre.fail_next(500)
        ts = await b.agent_replies(conv, "Your order has shipped.")
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        assert (await sent_to(b, "b-linh"))[-1] == "Your order has shipped."

        await b.slack.user_clicks(b.agent, conv.channel_id, conv.thread_ts, "translate_toggle")
        await b.until(lambda: card_blocks(b, "b-linh"), lambda t: "Translate my replies: off" in t)
        calls = libre.total_calls
        ts = await b.agent_replies(conv, "Thanks!")
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        assert (await sent_to(b, "b-linh"))[-1] == "Thanks!" and libre.total_calls == calls


async def test_replies_to_a_buyer_of_the_team_language_stay_untranslated(
        tmp_path: Path) -> None:
    async with translating_bridge(tmp_path) as (b, _libre):
        await b.buyer_says("Hi, has my order shipped?")
        conv = await b.thread()
        await b.slack.user_clicks(b.agent, conv.channel_id, conv.thread_ts, "translate_toggle")
        told = await b.wait(lambda: b.slack.ephemerals(b.agent))
        assert "team's language (en)" in told[0]["text"]
        await b.settle()
        assert "Translate my replies: off" in await card_blocks(b, "b-rachel")
