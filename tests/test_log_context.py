"""JSON logs carry the store and the conversation of per-store and per-conversation
work (sender, ingest, Slack outbox), and a long-lived worker does not inherit the
fields of the request that happened to start it."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from bot.logs import JsonFormatter, Redactor
from tests.harness import running_bridge


class Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter(Redactor({})))
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


async def test_store_and_conversation_in_the_logs_of_their_work(tmp_path: Path) -> None:
    keep, root = Keep(), logging.getLogger()
    level = root.level
    root.addHandler(keep)
    root.setLevel(logging.DEBUG)
    try:
        async with running_bridge(tmp_path) as b:
            await b.buyer_says("hello")
            conv = await b.thread()
            ts = await b.agent_replies(conv, "On it")
            await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
    finally:
        root.removeHandler(keep)
        root.setLevel(level)
    slack_calls = [line for line in keep.lines if line["logger"].startswith("slack_sdk")]
    posts = [line for line in slack_calls if "chat.postMessage" in line["message"]]
    # The Slack worker names the conversation by id (no extra read on its path).
    assert posts and all(line.get("conversation") == str(conv.id) for line in posts)
    # The channel's Slack worker serves any store of the channel: no store of its own.
    assert not [line for line in slack_calls if "store" in line]
    sent = [line for line in keep.lines if "delivered in 1 part(s)" in line["message"]]
    assert sent and sent[0]["store"] == conv.store_key and sent[0]["conversation"] == conv.ref
    stored = [line for line in keep.lines if "new message(s) stored" in line["message"]]
    assert stored and all(line["store"] == conv.store_key for line in stored)
