"""A template variant already written in the buyer's language is sent as is,
even with "translate my replies" on; a team-language one is translated."""

from __future__ import annotations

from pathlib import Path

from tests.test_translation_memory import conversation_of, shown, translating_bridge
from tests.test_translation_slack import SIZE, card_blocks, sent_to


async def test_variant_in_the_buyers_language_is_not_translated_again(tmp_path: Path) -> None:
    async with translating_bridge(tmp_path) as (b, libre):
        await b.buyer_says(SIZE, buyer="b-linh")
        await shown(b, "b-linh", SIZE, "Is size M still available?")
        conv = await conversation_of(b, "b-linh")
        await b.slack.user_clicks(b.agent, conv.channel_id, conv.thread_ts, "translate_toggle")
        await b.until(lambda: card_blocks(b, "b-linh"), lambda t: "Translate my replies: on" in t)
        conv = await conversation_of(b, "b-linh")
        vietnamese = "Dạ, đơn hàng của bạn đã được gửi đi hôm nay."
        await b.store.replies.record_from_bot(conv, b.agent, vietnamese, source="template",
                                        language="vi")
        b.service.outbox.kick(conv.channel_ref)
        b.service.sender.kick(conv.store_key)
        await b.until(lambda: sent_to(b, "b-linh"), lambda sent: vietnamese in sent)
        assert libre.calls_for(vietnamese) == 0
        await b.store.replies.record_from_bot(conv, b.agent, "Yes, size M is in stock.",
                                        source="template", language="en")
        b.service.sender.kick(conv.store_key)
        await b.until(lambda: sent_to(b, "b-linh"),
                      lambda sent: "Vâng, size M vẫn còn hàng." in sent)
