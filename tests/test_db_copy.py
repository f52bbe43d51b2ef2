"""``storebridge db copy``: a seller running on SQLite moves to PostgreSQL (or, on
the SQLite test run, another file) and every old thread carries on."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.http import build_web_app
from bot.service import Service
from bot.store import Store, is_postgres
from bot.store.copy import RUNTIME_TABLES
from bot.store.templates import Templates
from connectors.models import ShopId
from connectors.orders import Order, OrderId, OrderStatus
from tests.dbmode import target_for
from tests.harness import BUYER, SHOP, running_bridge, serve


def _counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {n: conn.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in names
                if n not in RUNTIME_TABLES}


async def test_copy_keeps_threads_replies_and_ids(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.undo()  # the source is a real SQLite file on both test runs
    source = tmp_path / "sb.db"
    target = target_for(str(tmp_path / "copy.db"))
    async with running_bridge(tmp_path) as b:
        await b.buyer_says("Hi, has my order shipped?")
        conv = await b.thread()
        await b.buyer_says("Apa khabar?", shop="my-1", buyer="b-aisyah")
        other = await b.thread("my-1")
        first = await b.agent_replies(conv, "It left the warehouse today")
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, first))
        await Templates(b.store.database).upsert("shipping", "late", "Sorry for the wait", {})
        now = datetime.now(UTC)
        await b.store.orders.upsert(conv.store_key, Order(
            ShopId(SHOP), OrderId("240101ABC"), BUYER, OrderStatus.TO_SHIP, "READY_TO_SHIP",
            "12.50", "SGD", now, now))
        await b.settle()
        await b.runner.cleanup()  # the old deployment stops; its file stays
        before = _counts(source)
        assert before["conversations"] == 2 and before["messages"] >= 3
        assert before["templates"] == 1 and before["orders"] == 1 and before["tokens"] >= 0

        argv = ["db", "copy", "--from", f"sqlite:///{source}", "--to", target]
        assert await asyncio.to_thread(main, argv) == 0
        assert "copied" in capsys.readouterr().out
        copied = await Store.open(target)
        try:
            for table, n in before.items():
                assert await copied.database.value(f"SELECT COUNT(*) FROM {table}") == n, table
            assert (await copied.conversations.get(conv.id)).thread_ts == conv.thread_ts
        finally:
            await copied.close()
        # Copying again would mix two deployments: refused, in words.
        argv = ["db", "copy", "--from", str(source), "--to", target]
        assert await asyncio.to_thread(main, argv) == 2
        assert "already holds data" in capsys.readouterr().err

        settings = replace(b.service.settings, database_url=target, db_path=str(source)) \
            if is_postgres(target) else replace(b.service.settings, db_path=target)
        service = Service(settings, repair_on_start=False, stable_for=0.2, probe_base=0.2)
        runner, base = await serve(build_web_app(service))
        b.slack.configure_app(f"{base}/slack/events")
        b.market.set_webhook(f"{base}/webhooks/sandbox")
        try:
            # An agent's reply in a thread from before the move still reaches the buyer.
            late = await b.agent_replies(conv, "Tracking number is SG123")
            await b.wait(lambda: "white_check_mark" in b.reactions(conv, late))
            assert b.sent_texts() == ["It left the warehouse today", "Tracking number is SG123"]
            # A new buyer message lands in the same thread: no second card.
            await b.buyer_says("Thanks!")
            await b.wait(lambda: any("Thanks!" in json.dumps(m.get("blocks"))
                                     for m in b.replies(conv)))
            assert len(b.slack.messages(conv.channel_id)) == 1
            assert len(b.slack.messages(other.channel_id)) == 1
            # New rows took fresh ids past the copied ones (the sequences were moved).
            assert await service.store.database.value("SELECT COUNT(*) FROM messages") == \
                before["messages"] + 2
        finally:
            await runner.cleanup()
