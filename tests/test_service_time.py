"""Service time (open to close), recorded at close: on the card once closed, in the
Home tab per agent and in the daily digest per store and per agent — driven by
signed Slack clicks against the stand-in, the clock moved by the test."""

from __future__ import annotations

import json
from pathlib import Path

from bot.store.service_time import service_times
from bot.team.digest import digest_blocks
from tests.harness import running_bridge
from tests.test_team_home_panel import open_home
from tests.test_team_workflow import cs


def field_texts(blocks: list[dict]) -> list[str]:
    return [f["text"] for blk in blocks for f in blk.get("fields", [])]


async def test_service_time_on_the_card_in_home_and_in_the_digest(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2) as b:
        mai, an = b.agents
        await b.buyer_says("Where is my parcel?")
        conv = await b.thread()
        await b.until(lambda: b.store.conversations.get(conv.id), lambda c: c.assignee == mai)
        card = b.slack.message(conv.channel_id, conv.thread_ts)["blocks"]
        assert not [t for t in field_texts(card) if "Service time" in t]  # open: none yet
        b.clock.advance(1800)  # half an hour of service
        await b.slack.user_clicks(mai, conv.channel_id, conv.thread_ts, "conversation_close")
        await b.until(lambda: b.store.conversations.get(conv.id), lambda c: c.status == "closed")
        shown = await b.wait(lambda: [t for t in field_texts(
            b.slack.message(conv.channel_id, conv.thread_ts)["blocks"]) if "Service time" in t])
        assert shown == ["*Service time*\n30 min"]
        detail = json.loads((await b.store.database.one(
            "SELECT detail FROM conversation_events WHERE kind = 'closed'"))[0])
        assert detail["agent"] == mai and 1800 <= detail["service_seconds"] < 1830

        # The owner changes after the close: the time stays Mai's.
        await b.store.team.assign(conv.id, an, actor=None, kind="test")
        now = b.clock()
        served = await service_times(b.store.database, now - 86400, now + 1)
        assert list(served.per_agent) == [mai] and served.per_agent[mai].count == 1
        assert list(served.per_store) == ["shopee:sg-1"]
        assert served.overall is not None and 1800 <= served.overall.median < 1830

        view = await open_home(b, an)
        block = [blk for blk in view["blocks"] if blk.get("block_id") == "service_time"]
        assert len(block) == 1
        text = block[0]["text"]["text"]
        assert "Mai" in text and "median *30 min*" in text and "(1 closed)" in text
        assert "(you)" not in text  # An looks; the line is Mai's

        blocks = await digest_blocks(b.service.services, now + 1)
        section = [blk["text"]["text"] for blk in blocks if blk["type"] == "section"
                   and blk["text"]["text"].startswith("*🧾 Service time")]
        assert len(section) == 1
        lines = section[0].split("\n")[1:]
        assert lines[0].startswith("All: median *30 min")
        assert "Singapore" in lines[1] or "SG" in lines[1]
        assert lines[2].startswith(f"`{mai}`: median *30 min")  # not a mention: no ping

        # /cs stats: Mai sees her own service time privately.
        stats = await cs(b, mai, "stats")
        assert "your service time (open to close): median *30 min" in stats
        assert "(1 closed)" in stats
        assert "you closed no conversation" in await cs(b, an, "stats")

        # Reopened by the buyer: the card is an open card again, without the figure.
        await b.buyer_says("one more thing")
        await b.until(lambda: b.store.conversations.get(conv.id), lambda c: c.status == "open")
        await b.wait(lambda: not [t for t in field_texts(
            b.slack.message(conv.channel_id, conv.thread_ts)["blocks"]) if "Service time" in t])


async def test_empty_day_says_no_conversation_was_closed(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        blocks = await digest_blocks(b.service.services, b.clock())
        assert any("No conversation was closed in the last 24 h." in blk["text"]["text"]
                   for blk in blocks if blk["type"] == "section")


async def test_only_the_store_team_closes_and_the_closer_is_recorded(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        await b.buyer_says("hello")
        conv = await b.thread()
        await b.slack.user_clicks(b.outsider, conv.channel_id, conv.thread_ts,
                                  "conversation_close")
        await b.wait(lambda: any("not an agent of this store" in e["text"]
                                 for e in b.slack.ephemerals(b.outsider)))
        assert (await b.store.conversations.get(conv.id)).status == "open"
        await b.slack.user_clicks(b.agent, conv.channel_id, conv.thread_ts,
                                  "conversation_close")
        await b.until(lambda: b.store.conversations.get(conv.id), lambda c: c.status == "closed")
        actor = await b.store.database.value(
            "SELECT actor FROM conversation_events WHERE kind = 'closed'")
        assert actor == b.agent
