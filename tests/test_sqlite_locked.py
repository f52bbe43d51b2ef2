"""Another program holds the SQLite file locked: the service does not freeze.

A Lazada push is answered 503 within Lazada's 500 ms (it redelivers), /healthz
answers within 100 ms and says "busy" while writes wait, a Slack event is
answered within Slack's 3 s, and once the lock goes everything redelivered is stored exactly once.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tests.test_platform_e2e import platform_bridge

#: The holder would keep the lock this long (the issue's 35 s); the test releases
#: it once it has checked every bound past SQLite's own 5 s busy timeout.
HOLD_SECONDS = 35
HOLDER = """
import select, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
conn.execute("UPDATE stores SET name = name")
print("locked", flush=True)
select.select([sys.stdin], [], [], float(sys.argv[2]))
conn.execute("ROLLBACK")
conn.close()
"""


async def _timed_get(http: aiohttp.ClientSession, url: str) -> tuple[float, dict]:
    started = time.perf_counter()
    async with http.get(url) as r:
        body = await r.json()
        assert r.status == 200  # busy is waited out, not restarted for
    return time.perf_counter() - started, body


async def _timed_post(http: aiohttp.ClientSession, url: str, body: bytes,
                      headers: dict[str, str]) -> tuple[float, int]:
    started = time.perf_counter()
    async with http.post(url, data=body, headers=headers) as r:
        await r.read()
        return time.perf_counter() - started, r.status


async def test_locked_file_never_freezes_the_service(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # an SQLite file on both test runs: this is SQLite's problem
    async with platform_bridge(tmp_path, "lazada") as (b, h), aiohttp.ClientSession() as http:
        push_url = f"{b.base_url}/webhooks/lazada"
        headers, body, _ = h.signed_push("Is the blue one in stock?", "c1")
        assert (await _timed_post(http, push_url, body, headers))[1] == 200
        conv = await b.thread(str(h.store.shop_id))
        await b.wait(lambda: b.replies(conv) or None)

        holder = await asyncio.create_subprocess_exec(
            sys.executable, "-c", HOLDER, str(tmp_path / "sb.db"), str(HOLD_SECONDS),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        assert holder.stdout is not None and holder.stdin is not None
        assert await asyncio.wait_for(holder.stdout.readline(), 10) == b"locked\n"
        locked_at = time.monotonic()
        headers, body, _ = h.signed_push("And in size M?", "c1")
        reply_ts: list[str] = []
        try:
            for round_ in range(2):  # at once, then past SQLite's 5 s busy timeout
                elapsed, status = await _timed_post(http, push_url, body, headers)
                assert status == 503 and elapsed < 0.5, (round_, elapsed, status)
                # The push's write still waits for the lock: the database is busy.
                # Three probes: the fastest within 100 ms (the service's bound is 80 ms;
                # on a loaded 2-core machine one probe can lose 30 ms to the scheduler),
                # none anywhere near a freeze.
                probes = [await _timed_get(http, f"{b.base_url}/healthz") for _ in range(3)]
                times = [t for t, _ in probes]
                assert min(times) < 0.1 and max(times) < 0.3, times
                assert all(h["database"] == "busy" for _, h in probes), probes
                # An agent answers in the thread: Slack hears back within its 3 s.
                reply_ts.append(await b.agent_replies(conv, f"Yes, M too ({round_})"))
                delivery = await b.wait(lambda round_=round_: next(
                    (d for d in b.slack.deliveries if d.kind == "event_callback"
                     and f"({round_})" in d.body and (d.status or d.error)), None))
                assert delivery.elapsed < 3.0 and delivery.status == 503, delivery
                await asyncio.sleep(max(0.0, locked_at + 6.0 - time.monotonic()))
            assert holder.returncode is None  # still holding: the bounds were met under it
        finally:
            holder.stdin.close()  # release
            await holder.wait()

        # What was answered 503 comes again, as Lazada and Slack do.
        assert (await _timed_post(http, push_url, body, headers))[1] == 200
        for d in [d for d in b.slack.deliveries if d.event_id and not d.ok]:
            await b.slack.redeliver(d.event_id)
        elapsed, health = await _timed_get(http, f"{b.base_url}/healthz")
        assert health["database"] == "ok"

        def buyer_texts() -> list[str]:
            return [t for t in ("Is the blue one in stock?", "And in size M?")
                    for m in b.replies(conv) if f'"{t}"' in json.dumps(m.get("blocks"))]

        await b.wait(lambda: len(buyer_texts()) >= 2 or None, timeout=15)
        for ts in reply_ts:
            await b.wait(lambda ts=ts: "white_check_mark" in b.reactions(conv, ts), timeout=15)
        await asyncio.sleep(0.5)  # a duplicate would show by now
        assert buyer_texts() == ["Is the blue one in stock?", "And in size M?"]
        assert await b.store.database.value(
            "SELECT COUNT(*) FROM messages WHERE direction = 'in'") == 2
        assert h.sent_texts("c1") == ["Yes, M too (0)", "Yes, M too (1)"]
