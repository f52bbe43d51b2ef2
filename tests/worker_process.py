"""A real ``python -m bot run`` worker in a subprocess, started and waited for until its
``/healthz`` answers 200: what the crash, multi-worker and catch-up tests kill and
restart, and what ``bench/workers.py`` measures. Written once here so they all start
a worker alike (the benches import it: they put the repository on ``sys.path``)."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Protocol

import aiohttp

ROOT = Path(__file__).resolve().parents[1]


class SlackEndpoint(Protocol):
    """What a worker needs of the Slack stand-in: a SlackEmulator in the tests, the
    benches' handle on it in a child process (bench/stand_ins.py)."""

    @property
    def bot_token(self) -> str: ...
    @property
    def signing_secret(self) -> str: ...
    @property
    def api_url(self) -> str: ...


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def worker_env(slack: SlackEndpoint, config: Path, port: int, **extra: str
               ) -> dict[str, str]:
    """This environment plus what a worker needs to reach the Slack stand-in, read
    ``config`` and listen on ``port``; ``extra`` (the database, a health token) last."""
    return {**os.environ, "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": slack.signing_secret, "SLACK_API_URL": slack.api_url,
            "PORT": str(port), "HOST": "127.0.0.1", "STOREBRIDGE_CONFIG": str(config),
            **extra}


async def start_worker(env: Mapping[str, str], log: Path, *, timeout: float = 15.0,
                       up: Collection[int] = (200,)) -> asyncio.subprocess.Process:
    """Start a worker logging to ``log`` (appended: a restart keeps the earlier lines) and
    return once ``/healthz`` on ``env["PORT"]`` answers a status in ``up`` (add 503 for a
    worker whose stores are expected to be unreachable at start). A worker that exits
    first, or does not answer so within ``timeout``, fails with its log."""
    with log.open("ab") as out:  # the child has its own copy of the file
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=dict(env), cwd=ROOT,
            stdout=asyncio.subprocess.DEVNULL, stderr=out)
    url = f"http://127.0.0.1:{env['PORT']}/healthz"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with aiohttp.ClientSession() as http:
        while loop.time() < deadline and proc.returncode is None:
            try:
                async with http.get(url) as resp:
                    if resp.status in up:
                        return proc
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    if proc.returncode is None:
        proc.kill()
        await proc.wait()
    written = await asyncio.to_thread(log.read_text)
    raise RuntimeError(f"worker on port {env['PORT']} did not start:\n{written}")
