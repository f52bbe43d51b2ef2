"""``/healthz`` and ``storebridge check`` say which workers are alive and who holds what."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import aiohttp
import pytest

from bot.check import run_check
from tests.harness import HEALTH_AUTH, running_bridge


async def test_healthz_and_check_show_workers_and_their_leases(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async with running_bridge(tmp_path) as b, aiohttp.ClientSession() as http:
        await b.buyer_says("Hi, has my order shipped?")
        conv = await b.thread()
        ts = await b.agent_replies(conv, "Yes, this morning")
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        # A worker that died a moment ago: its lease lives until it expires.
        await b.store.leases.acquire("sync:shopee:gone", "elsewhere:4242:dead00", 30.0)

        async with http.get(f"{b.base_url}/healthz", headers=HEALTH_AUTH) as r:
            workers = (await r.json())["workers"]
        (me, orphans) = workers
        assert me["me"] and me["pid"] == os.getpid() and me["host"] == socket.gethostname()
        assert "slack:#cs-shopee-sg" in me["holds"] and me["leases"] == len(me["holds"])
        assert orphans["id"] is None and orphans["holds"] == ["sync:shopee:gone"]

        await run_check(b.service.settings)
        out = capsys.readouterr().out
        mine = next(line for line in out.splitlines() if f"pid {os.getpid()}" in line)
        assert mine.startswith("✓ worker ") and "alive (seen" in mine
        assert "slack:#cs-shopee-sg" in mine
        assert "leases of stopped workers" in out and "sync:shopee:gone" in out

    # Stopped cleanly: its leases are released and it is no longer listed.
    await run_check(b.service.settings)
    out = capsys.readouterr().out
    assert f"pid {os.getpid()}" not in out
