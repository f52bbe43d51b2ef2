"""A client that sends headers and then trickles its body gets 408 instead of
holding a connection open forever; an oversized body gets 413."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest

from tests.harness import running_bridge


async def trickle(base_url: str, path: str, *, seconds: float) -> tuple[bytes, float]:
    """Send headers announcing 1000 bytes, then one byte every 0.2 s; return what
    the server answered and how long it took."""
    url = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    writer.write(f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
                 "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{".encode())
    await writer.drain()
    started = time.monotonic()

    async def drip() -> None:
        while time.monotonic() - started < seconds:
            await asyncio.sleep(0.2)
            writer.write(b" ")
            await writer.drain()

    dripping = asyncio.create_task(drip())
    try:
        answer = await asyncio.wait_for(reader.read(4096), seconds)
    except TimeoutError:
        answer = b""
    finally:
        dripping.cancel()
        writer.close()
    return answer, time.monotonic() - started


@pytest.mark.parametrize("path", ["/slack/events", "/webhooks/sandbox", "/webhooks/shopee"])
async def test_trickled_body_is_cut_off_with_408(tmp_path: Path, path: str) -> None:
    async with running_bridge(tmp_path, env={"STOREBRIDGE_BODY_TIMEOUT": "1"}) as b:
        answer, took = await trickle(b.base_url, path, seconds=6)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
        assert took < 3  # the 1 s budget, not the 6 s the client would keep going
        async with aiohttp.ClientSession() as http, http.get(f"{b.base_url}/healthz") as r:
            assert r.status == 200


async def test_oversized_body_is_413_on_every_route(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b, aiohttp.ClientSession() as http:
        huge = b"{" + b" " * (2 * 1024 * 1024)
        for path in ("/slack/events", "/webhooks/sandbox", "/webhooks/lazada"):
            async with http.post(f"{b.base_url}{path}", data=huge,
                                 headers={"Content-Type": "application/json"}) as r:
                assert r.status == 413, path
