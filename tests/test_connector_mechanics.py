"""The connector mechanics every platform shares (connectors/{tokens,backoff,envelope,
cursor}.py), over real HTTP against a small marketplace stand-in.

The stand-in plays only what the mechanics see: a token endpoint, an API endpoint
that can throttle with ``Retry-After`` or answer badly. The platform part (how a
refresh is asked for, what an envelope's error fields are) is the few lines a
platform supplies, written here the way the platforms write theirs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from connectors.backoff import Backoff, parse_retry_after
from connectors.base import Tokens
from connectors.cursor import CursorError, decode, encode, resume
from connectors.envelope import Reply, Wire, exchange, unwrap
from connectors.errors import (
    AuthError,
    ConnectorError,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
    TransientError,
)
from connectors.models import ShopId, StoreAccount
from connectors.tokens import TokenKeeper
from tests.emulators.tokens import MemoryTokenStore

SHOP = StoreAccount("demo", ShopId("42"), "SG",
                    credentials={"access_token": "cfg", "refresh_token": "r0"})


class Clock:
    def __init__(self) -> None:
        self.t = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


@dataclass
class Market:
    """The stand-in: queued answers per path, then a default; every call recorded."""

    server: TestServer
    session: aiohttp.ClientSession
    answers: dict[str, list[web.Response]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    issued: int = 0
    hold: asyncio.Event = field(default_factory=asyncio.Event)

    base: str = ""

    def url(self, path: str) -> str:
        return self.base + path

    def then(self, path: str, *answers: web.Response) -> None:
        self.answers.setdefault(path, []).extend(answers)


@pytest.fixture
async def market() -> AsyncIterator[Market]:
    box: list[Market] = []

    async def handle(request: web.Request) -> web.StreamResponse:
        m = box[0]
        m.calls.append(request.path)
        queued = m.answers.get(request.path)
        if queued:
            return queued.pop(0)
        if request.path == "/refresh":
            await m.hold.wait()  # lets concurrent callers pile up behind the lock
            m.issued += 1
            return web.json_response({"ok": True, "access_token": f"new-{m.issued}",
                                      "expires_in": 3600})
        if request.path == "/slow":
            await asyncio.sleep(1)
        return web.json_response({"ok": True, "data": {"echo": request.query_string}})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    server = TestServer(app)
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        m = Market(server, session, base=str(server.make_url("")).rstrip("/"))
        m.hold.set()
        box.append(m)
        yield m
    await server.close()


def _verdict(reply: Reply, body: dict[str, Any], unsafe: bool) -> ConnectorError | None:
    if body.get("ok"):
        return None
    code = str(body.get("error") or "")
    if code == "slow_down":
        return RateLimited("demo slow_down", code=code, retry_after=reply.retry_after)
    if code == "bad_token":
        return AuthError("demo bad_token", code=code)
    if code == "busy":
        return TransientError("demo busy", code=code)
    return PermanentError(f"demo {code}", code=code)


def _by_status(reply: Reply) -> ConnectorError:
    if reply.status == 429:
        return RateLimited(f"demo HTTP {reply.status}", retry_after=reply.retry_after)
    if reply.status >= 500:
        return TransientError(f"demo HTTP {reply.status}")
    return PermanentError(f"demo HTTP {reply.status}", code=f"http:{reply.status}")


WIRE = Wire("Demo", _verdict, _by_status, is_envelope=lambda body: "ok" in body)


async def call(m: Market, path: str, *, unsafe: bool = False, now: float = 0.0,
               method: str = "GET", timeout: float = 5.0) -> dict[str, Any]:
    where = f"demo {method} {path}"
    reply = await exchange(m.session, method, m.url(path) + "?access_token=SECRET",
                           name="Demo", where=where, unsafe=unsafe, now=now,
                           timeout=aiohttp.ClientTimeout(total=timeout))
    return unwrap(WIRE, reply, where=where, unsafe=unsafe)


# -- token keeping ----------------------------------------------------------------------

def keeper_for(m: Market, clock: Clock, store: MemoryTokenStore) -> TokenKeeper:
    async def refresh(account: StoreAccount, tokens: Tokens, now: datetime) -> Tokens:
        body = await call(m, "/refresh", method="POST")
        return Tokens(str(body["access_token"]), "r2",
                      now + timedelta(seconds=int(body["expires_in"])))

    return TokenKeeper(store, platform="demo", name="Demo", refresh=refresh,
                       rejected=lambda exc: exc.code == "bad_token",
                       margin=timedelta(minutes=10), now=clock, rand=lambda: 0.0)


async def stored(store: MemoryTokenStore, clock: Clock, minutes: float) -> None:
    await store.put_tokens("demo", SHOP.shop_id, Tokens(
        "old", "r1", clock() + timedelta(minutes=minutes), clock() + timedelta(days=30)))
    store.puts.clear()


async def test_token_kept_when_an_early_refresh_fails(
        market: Market, caplog: pytest.LogCaptureFixture) -> None:
    clock, store = Clock(), MemoryTokenStore()
    keeper = keeper_for(market, clock, store)
    await stored(store, clock, minutes=5)  # within the 10-minute margin, still valid
    market.then("/refresh", web.Response(status=503))
    with caplog.at_level(logging.WARNING):
        assert (await keeper.fresh(SHOP)).access_token == "old"
    assert "ahead of expiry failed" in caplog.text and store.puts == []
    # Not retried at every call: during an outage each call would wait for it first.
    assert (await keeper.fresh(SHOP)).access_token == "old"
    assert market.calls == ["/refresh"]
    clock.advance(30)  # the first pause (no jitter here)
    assert (await keeper.fresh(SHOP)).access_token == "new-1"
    assert [p.tokens.access_token for p in store.puts] == ["new-1"]


async def test_refresh_pauses_grow_and_end_when_the_token_expires(market: Market) -> None:
    clock, store = Clock(), MemoryTokenStore()
    keeper = keeper_for(market, clock, store)
    await stored(store, clock, minutes=2)
    for pause in (30, 60):
        market.then("/refresh", web.Response(status=503))
        await keeper.fresh(SHOP)
        clock.advance(pause - 1)
        await keeper.fresh(SHOP)  # still pausing
        clock.advance(1)
    assert market.calls == ["/refresh", "/refresh"]
    clock.advance(60)  # expired now: a failing refresh fails the call
    market.then("/refresh", web.Response(status=503))
    with pytest.raises(TransientError):
        await keeper.fresh(SHOP)
    assert (await keeper.fresh(SHOP)).access_token == "new-1"


async def test_refused_refresh_is_an_auth_error(market: Market) -> None:
    clock, store = Clock(), MemoryTokenStore()
    keeper = keeper_for(market, clock, store)
    await stored(store, clock, minutes=1)
    market.then("/refresh", web.json_response({"ok": False, "error": "bad_refresh"}))
    with pytest.raises(AuthError) as err:
        await keeper.fresh(SHOP)
    assert err.value.code == "bad_refresh" and "reconnect" in err.value.user_message
    await store.put_tokens("demo", SHOP.shop_id, Tokens("old", "r1", clock(), clock()))
    with pytest.raises(AuthError) as err:
        await keeper.fresh(SHOP)
    assert err.value.code == "refresh_token_expired"
    assert market.calls == ["/refresh"]  # an expired refresh token is not even tried


async def test_refreshed_once_under_concurrency(market: Market) -> None:
    clock, store = Clock(), MemoryTokenStore()
    keeper = keeper_for(market, clock, store)
    await stored(store, clock, minutes=1)
    market.hold.clear()
    callers = [asyncio.create_task(keeper.fresh(SHOP)) for _ in range(8)]
    await asyncio.sleep(0.05)
    market.hold.set()
    got = await asyncio.gather(*callers)
    assert {t.access_token for t in got} == {"new-1"}
    assert market.calls == ["/refresh"] and len(store.puts) == 1


async def test_rejected_token_refreshes_once_and_the_call_runs_again(market: Market) -> None:
    clock, store = Clock(), MemoryTokenStore()
    keeper = keeper_for(market, clock, store)
    market.then("/api", web.json_response({"ok": False, "error": "bad_token"}))
    body = await keeper.with_token(SHOP, lambda t: call(market, "/api"))
    assert body["ok"] and market.calls == ["/api", "/refresh", "/api"]
    assert store.puts[0].tokens.access_token == "new-1"  # stored before it was used
    market.then("/api", *(web.json_response({"ok": False, "error": "bad_token"})
                          for _ in range(2)))
    with pytest.raises(AuthError):  # a second rejection stands: no loop
        await keeper.with_token(SHOP, lambda t: call(market, "/api"))
    assert market.calls.count("/refresh") == 2


# -- backoff and Retry-After ------------------------------------------------------------

def slow_down(retry_after: str | None) -> web.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else None
    return web.json_response({"ok": False, "error": "slow_down"}, headers=headers)


async def test_retry_after_honoured_in_seconds_and_as_an_http_date(market: Market) -> None:
    now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    date = format_datetime(now + timedelta(seconds=4), usegmt=True)
    market.then("/api", slow_down("2"), slow_down(date))
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    body = await Backoff(retries=3, cap=10.0, jitter=0.25).run(
        lambda: call(market, "/api", now=now.timestamp()), sleep=sleep, rand=lambda: 0.5)
    assert body["ok"] and len(market.calls) == 3
    assert waits == [2 * 1.125, 4 * 1.125]  # never sooner than asked: jitter only adds


async def test_a_longer_retry_after_goes_to_the_caller_intact(market: Market) -> None:
    market.then("/api", slow_down("60"))
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    with pytest.raises(RateLimited) as err:
        await Backoff(retries=3, cap=10.0).run(lambda: call(market, "/api"), sleep=sleep)
    assert err.value.retry_after == 60 and waits == [] and len(market.calls) == 1


async def test_without_a_hint_waits_grow_and_none_is_invented(market: Market) -> None:
    market.then("/api", *(slow_down(None) for _ in range(4)))
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    with pytest.raises(RateLimited) as err:
        await Backoff(retries=3, base=1.0, cap=3.0, jitter=0.25).run(
            lambda: call(market, "/api"), sleep=sleep, rand=lambda: 0.0)
    assert waits == [1.0, 2.0, 3.0] and len(market.calls) == 4
    assert err.value.retry_after is None  # the bot's own growing backoff decides


def test_retry_after_parsing() -> None:
    now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    assert parse_retry_after("7", now.timestamp()) == 7.0
    assert parse_retry_after("Mon, 05 Jan 2026 12:00:30 GMT", now.timestamp()) == 30.0
    assert parse_retry_after("Mon, 05 Jan 2026 11:00:00 GMT", now.timestamp()) == 0.0
    assert parse_retry_after("soon", now.timestamp()) is None
    assert parse_retry_after(None, now.timestamp()) is None


# -- the envelope -----------------------------------------------------------------------

async def test_envelope_errors_mapped(market: Market) -> None:
    market.then("/api", web.json_response({"ok": False, "error": "no_such_thing"}),
                web.json_response({"ok": False, "error": "busy"}, status=500),
                web.json_response({"ok": True}, status=404),
                web.json_response({"unrelated": 1}, status=503))
    with pytest.raises(PermanentError) as err:
        await call(market, "/api")
    assert err.value.code == "no_such_thing"
    with pytest.raises(TransientError):  # the envelope's own verdict wins over the status
        await call(market, "/api", unsafe=True)
    with pytest.raises(PermanentError) as err:  # a clean envelope with a 4xx
        await call(market, "/api")
    assert err.value.code == "http:404"
    with pytest.raises(TransientError) as err:  # not this platform's envelope
        await call(market, "/api", unsafe=True)
    assert not isinstance(err.value, OutcomeUnknown)  # a 503 took nothing on


@pytest.mark.parametrize(("status", "body", "unsafe", "expected"), [
    (200, b"<html>", False, TransientError),
    (200, b"<html>", True, OutcomeUnknown),
    (502, b"Bad Gateway", True, OutcomeUnknown),
    (504, b"", True, OutcomeUnknown),
    (502, b"Bad Gateway", False, TransientError),
    (503, b"", True, TransientError),
    (429, b"", True, RateLimited),
])
async def test_answers_without_an_envelope(market: Market, status: int, body: bytes,
                                           unsafe: bool, expected: type) -> None:
    market.then("/api", web.Response(status=status, body=body))
    with pytest.raises(expected) as err:
        await call(market, "/api", unsafe=unsafe)
    assert type(err.value) is expected
    assert "SECRET" not in str(err.value)  # the query (a token) never reaches a detail


async def test_transport_failures(market: Market) -> None:
    with pytest.raises(TransientError) as err:
        await call(market, "/slow", timeout=0.2)
    assert err.value.code == "timeout" and not isinstance(err.value, OutcomeUnknown)
    with pytest.raises(OutcomeUnknown) as unknown:  # the send may have landed
        await call(market, "/slow", timeout=0.2, unsafe=True)
    assert "SECRET" not in str(unknown.value)
    await market.server.close()
    with pytest.raises(TransientError) as err:  # never sent: safe to repeat, even a send
        await call(market, "/api", unsafe=True)
    assert err.value.code == "connect" and err.value.user_message == "Demo could not be reached."


# -- cursors ----------------------------------------------------------------------------

def _read(doc: dict[str, Any]) -> tuple[int, dict[str, int]]:
    return int(doc["w"]), {str(k): int(v) for k, v in doc["s"].items()}


def test_cursor_round_trip() -> None:
    text = encode(3, {"w": 1_700_000_000, "s": {"Ω-1": 5}})
    assert decode(text, 3, _read, what="demo cursor") == (1_700_000_000, {"Ω-1": 5})
    assert resume(text, 3, _read, what="demo cursor") == (1_700_000_000, {"Ω-1": 5})
    assert resume(None, 3, _read, what="demo cursor") is None


@pytest.mark.parametrize(("text", "why"), [
    ("garbage!", "not JSON"),
    ("[1, 2]", "not a JSON object"),
    ('{"w": 1, "s": {}}', "version None, expected 3"),
    ('{"v": 2, "w": 1, "s": {}}', "version 2, expected 3"),
    ('{"v": 3, "s": {}}', "KeyError"),
    ('{"v": 3, "w": "x", "s": {}}', "ValueError"),
])
def test_cursor_rejects_garbage_with_a_clear_error(
        text: str, why: str, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(CursorError) as err:
        decode(text, 3, _read, what="demo cursor")
    assert str(err.value).startswith("unreadable demo cursor: ") and why in str(err.value)
    with caplog.at_level(logging.WARNING):
        assert resume(text, 3, _read, what="demo cursor") is None  # starts from the window
    assert "unreadable demo cursor" in caplog.text


def test_platform_cursors_round_trip() -> None:
    from connectors.lazada.orders_pull import OrderCursor as LazadaOrders
    from connectors.lazada.sync import Cursor as LazadaRepair
    from connectors.shopee.orders_walk import OrderCursor as ShopeeOrders
    from connectors.shopee.sync import SyncCursor as ShopeeRepair
    from connectors.tiktok.orders_sync import Cursor as TikTokOrders
    from connectors.tiktok.orders_sync import Sweep as OrderSweep
    from connectors.tiktok.sync import Cursor as TikTokRepair
    from connectors.tiktok.sync import Sweep as RepairSweep

    cursors: list[Any] = [
        ShopeeRepair(1, 2, 3, "n", {"c": ("m", 4)}),
        ShopeeOrders(10, 20, 11, None, {"sn": (1, 2)}),
        LazadaRepair(5, {"m": 6}, 7, (("s", "name", "url"),)),
        LazadaOrders(100, 2, {"o": 101}, 99, {"r": 98}),
        TikTokRepair(1, ["a"], RepairSweep(9, "recheck", "tok", ["c"], ["t"])),
        TikTokOrders(1, ["o:1"], OrderSweep(9, 1, 3, ["x"], True, "tok", ["c:2"])),
    ]
    for original in cursors:
        assert type(original).resume(original.encode()) == original
        assert type(original).resume("garbage!") is None
