"""With SLACK_APP_TOKEN, Slack's side arrives over Socket Mode; nothing else changes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.harness import running_bridge


async def test_socket_mode_carries_events_and_clicks(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, socket_mode=True) as b:
        await b.buyer_says("Hi, is this in stock?")
        conv = await b.thread()
        ts = await b.agent_replies(conv, "Yes, 12 left")
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        assert b.sent_texts() == ["Yes, 12 left"]
        assert b.slack.deliveries[-1].url.startswith("ws://")
        b.market.fail_next_send("permanent")
        ts2 = await b.agent_replies(conv, "Anything else?")
        notice = await b.wait(lambda: next((m for m in b.replies(conv)
                                            if "reply_retry" in json.dumps(m["blocks"])), None))
        delivery = await b.slack.user_clicks(b.agent, conv.channel_id, notice["ts"],
                                             "reply_retry")
        assert delivery.status == 200
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts2))
        # The HTTP events endpoint is not an open door meanwhile.
        assert not [d for d in b.slack.deliveries if d.url and d.url.startswith("http")]
