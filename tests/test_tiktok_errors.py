"""The error table reached over HTTP, rate-limit backoff, and the emulator's checks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from yarl import URL

from connectors.backoff import Backoff
from connectors.errors import (
    AuthError,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
    RuleViolation,
    TransientError,
)
from connectors.tiktok.client import Pacer
from connectors.tiktok.signing import sign_request
from tests.emulators.tiktok import APP_KEY, APP_SECRET, TikTokHarness, harness


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)
        await asyncio.sleep(0)


@pytest.fixture
async def h() -> AsyncIterator[TikTokHarness]:
    async with aiohttp.ClientSession() as session, harness(session) as hh:
        yield hh


SEND_TABLE = [
    (36009003, TransientError), (36009007, TransientError), (45109001, RuleViolation),
    (45101006, RuleViolation), (45102007, PermanentError), (45101003, PermanentError),
    (45101001, PermanentError), (45111001, PermanentError), (105005, AuthError),
    (101000, AuthError), (106001, AuthError), (106013, AuthError), (503, TransientError),
    (404, PermanentError), (500, OutcomeUnknown), (45101004, RateLimited),
    (401, AuthError),
]


@pytest.mark.parametrize(("code", "cls"), SEND_TABLE)
async def test_send_error_table(h: TikTokHarness, code: int, cls: type) -> None:
    # A bare 401 may be a stale token: refreshed and retried once, then it stands.
    h.emulator.fail_next("send", code, count=2 if code == 401 else 1)
    with pytest.raises(cls) as err:
        await h.connector.send_text(h.store, h.outbound("a", "hi", "k"))
    assert type(err.value) is cls or issubclass(type(err.value), cls)
    assert err.value.user_message and "{" not in err.value.user_message
    assert h.sent_texts("a") == []


@pytest.mark.parametrize(("code", "cls"), [(500, TransientError), (502, TransientError),
                                           (36009003, TransientError),
                                           (45102007, PermanentError)])
async def test_reads_never_report_unknown_outcomes(h: TikTokHarness, code: int,
                                                   cls: type) -> None:
    h.emulator.fail_next("conversations", code)
    with pytest.raises(cls) as err:
        await h.connector.fetch_since(h.store, None)
    assert not isinstance(err.value, OutcomeUnknown)


async def test_read_endpoint_internal_error_code_is_transient(h: TikTokHarness) -> None:
    # 45101001 means "internal error" on the read endpoints, "invalid parameter" on send.
    h.emulator.fail_next("conversations", 45101001, message="Internal error. Please try "
                         "again later or contact the technical support team for help.")
    with pytest.raises(TransientError):
        await h.connector.fetch_since(h.store, None)


async def test_rate_limit_backs_off_then_succeeds() -> None:
    sleeps = Sleeps()
    async with aiohttp.ClientSession() as session, harness(session, sleep=sleeps) as h:
        await h.buyer_says("a", "hi")
        h.emulator.fail_next("send", 36009002, count=2)
        await h.connector.send_text(h.store, h.outbound("a", "after backoff", "k"))
        assert h.sent_texts("a") == ["after backoff"] and len(sleeps) == 2
        assert all(0 < s <= 0.2 for s in sleeps)


async def test_rate_limit_gives_up_after_bounded_retries() -> None:
    sleeps = Sleeps()
    async with aiohttp.ClientSession() as session, harness(session, sleep=sleeps) as h:
        h.emulator.fail_next("send", 429, count=5)
        with pytest.raises(RateLimited):
            await h.connector.send_text(h.store, h.outbound("a", "x", "k"))
        assert len(sleeps) == 2 and h.sent_texts("a") == []


async def test_retry_after_is_honoured_and_capped() -> None:
    sleeps = Sleeps()
    async with aiohttp.ClientSession() as session, harness(session, sleep=sleeps) as h:
        h.emulator.retry_after = 0.15
        h.emulator.fail_next("conversations", 36009002)
        await h.connector.fetch_since(h.store, None)
        assert len(sleeps) == 1 and sleeps[0] >= 0.15
        h.emulator.retry_after = 30  # beyond the cap: raise now, carrying the hint
        h.emulator.fail_next("conversations", 36009002)
        with pytest.raises(RateLimited) as err:
            await h.connector.fetch_since(h.store, None)
        assert err.value.retry_after == 30 and len(sleeps) == 1


async def test_pacer_spaces_calls_below_the_limit() -> None:
    pacer = Pacer(qps=50)
    started = time.monotonic()
    for _ in range(6):
        await pacer.wait(("shop", "GET /x"))
    await pacer.wait(("other shop", "GET /x"))  # its own budget: no wait
    assert time.monotonic() - started >= 0.1


async def test_emulator_enforces_qps_and_connector_absorbs_it() -> None:
    async with aiohttp.ClientSession() as session, \
            harness(session, backoff=Backoff(retries=8, base=0.2, cap=0.5)) as h:
        h.emulator.state.qps = 2
        await asyncio.gather(*(h.connector.check(h.store) for _ in range(4)))
        statuses = [s for s in h.emulator.seen if s.endpoint == "shops"]
        assert len(statuses) > 4  # some calls were throttled (429) and retried


@pytest.mark.parametrize(("ahead", "ok"), [(0, True), (25, True), (40, False),
                                           (-290, True), (-310, False)])
async def test_timestamp_window(h: TikTokHarness, ahead: float, ok: bool) -> None:
    # TikTok accepts timestamps in [now - 5 min, now + 30 s] of its own clock.
    h.emulator.clock_offset = -ahead
    if ok:
        await h.connector.check(h.store)
    else:
        with pytest.raises(TransientError) as err:
            await h.connector.check(h.store)
        assert "clock" in err.value.user_message


async def raw_call(h: TikTokHarness, path: str, query: dict[str, str], *,
                   token: str | None = None, sign: bool = True) -> dict:
    q = {"app_key": APP_KEY, "timestamp": str(int(time.time())), **query}
    if sign:
        q["sign"] = sign_request(APP_SECRET, path, q)
    headers = {"x-tts-access-token": token or h.store.credentials["access_token"]}
    async with aiohttp.ClientSession() as s, \
            s.get(URL(h.emulator.url + path).with_query(q), headers=headers) as r:
        return await r.json()


async def test_emulator_checks_like_tiktok(h: TikTokHarness) -> None:
    conv = "/customer_service/202309/conversations"
    cipher = {"shop_cipher": h.shop.cipher, "page_size": "20"}
    assert (await raw_call(h, conv, cipher))["code"] == 0
    assert (await raw_call(h, conv, {**cipher, "page_size": "21"}))["code"] == 45101001
    assert (await raw_call(h, conv, {"page_size": "20"}))["code"] == 106013
    assert (await raw_call(h, conv, cipher, sign=False))["code"] == 36009004
    bad = await raw_call(h, conv, {**cipher, "sign": "0" * 64}, sign=False)
    assert bad["code"] == 106001
    assert (await raw_call(h, conv, cipher, token="nope"))["code"] == 36009004
    other = h.emulator.state.add_shop()
    wrong = await raw_call(h, conv, {**cipher, "shop_cipher": other.cipher})
    assert wrong["code"] == 101000
    shops = await raw_call(h, "/authorization/202309/shops", {"shop_cipher": h.shop.cipher})
    assert shops["code"] == 36009004 and "not required" in shops["message"]
