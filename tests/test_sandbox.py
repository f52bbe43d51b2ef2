"""The sandbox marketplace and its connector, end to end over real HTTP."""

from __future__ import annotations

import asyncio
import json
import random
import socket
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.demo.marketplace import SandboxMarketplace
from bot.demo.marketplace.buyers import LINES
from connectors.base import Connector
from connectors.errors import (
    AuthError,
    OutcomeUnknown,
    PermanentError,
    PushRejected,
    RateLimited,
    RuleViolation,
    TransientError,
)
from connectors.models import BuyerId, ConversationId, MessageKind, OutboundText, PushBatch
from connectors.sandbox import SandboxConnector
from connectors.sandbox.signing import api_signature, push_signature

KEY, SECRET = "sandbox-app", "sandbox-secret"
SG, MY, VN = "sg-880001", "my-770002", "vn-660003"


@pytest.fixture
async def market() -> AsyncIterator[SandboxMarketplace]:
    m = SandboxMarketplace(KEY, SECRET, timeout_delay=3.0, seed=7)
    m.seed_demo()
    async with m:
        yield m


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
def connector(market: SandboxMarketplace, session: aiohttp.ClientSession) -> SandboxConnector:
    return SandboxConnector(session, base_url=market.base_url, app_key=KEY, app_secret=SECRET,
                            send_timeout=0.5)


class Receiver:
    """A bridge-like webhook endpoint: verifies with the connector, acks as it says."""

    def __init__(self, connector: SandboxConnector) -> None:
        self.connector = connector
        self.plan: deque[int | None] = deque()  # forced statuses for the next deliveries
        self.bodies: list[bytes] = []
        self.batches: list[PushBatch] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.bodies.append(body)
        forced = self.plan.popleft() if self.plan else None
        if forced is not None:
            return web.Response(status=forced)
        try:
            batch = self.connector.verify_push(request.headers, body, str(request.url))
        except PushRejected as exc:
            return web.Response(status=exc.status, text=exc.reason)
        self.batches.append(batch)
        ack = self.connector.push_ack
        return web.Response(status=ack.status, body=ack.body)

    def message_ids(self) -> list[str]:
        return [m.message_id for b in self.batches for m in b.messages]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hook"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def receiver(market: SandboxMarketplace,
                   connector: SandboxConnector) -> AsyncIterator[Receiver]:
    r = Receiver(connector)
    await r.start()
    market.set_webhook(r.url)
    yield r
    await market.stop()  # stop pushing before the receiver goes away
    await r.stop()


def reply(market: SandboxMarketplace, shop: str, buyer: str, text: str = "Hello!",
          key: str = "k-1") -> OutboundText:
    return OutboundText(ConversationId(market.conversation_id(shop, buyer)), BuyerId(buyer),
                        text, key)


async def raw_get(session: aiohttp.ClientSession, market: SandboxMarketplace, path: str, *,
                  token: str = "sbx-token-sg-880001", secret: str = SECRET,
                  timestamp: int | None = None, sign: bool = True) -> tuple[int, dict]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    headers = {"X-Sandbox-App-Key": KEY, "X-Sandbox-Timestamp": ts,
               "Authorization": f"Bearer {token}"}
    if sign:
        headers["X-Sandbox-Signature"] = api_signature(secret, ts, "GET", path, b"")
    async with session.get(market.base_url + path, headers=headers) as resp:
        return resp.status, await resp.json()


def signed_push(body: bytes, timestamp: int | None = None) -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    return {"x-sandbox-timestamp": ts, "X-SANDBOX-SIGNATURE": push_signature(SECRET, ts, body)}


def test_connector_satisfies_protocol(connector: SandboxConnector) -> None:
    assert isinstance(connector, Connector)
    assert (connector.platform, connector.max_text_length) == ("sandbox", 1000)
    assert connector.periodic_pull_allowed


# -- server authentication ------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "status", "code"), [
    ({}, 200, None),
    ({"secret": "forged-secret"}, 401, "invalid_signature"),
    ({"sign": False}, 401, "invalid_signature"),
    ({"timestamp": -301}, 401, "timestamp_expired"),  # seconds from now, taken when it runs
    ({"timestamp": +400}, 401, "timestamp_expired"),
    ({"token": "sbx-token-my-770002"}, 401, "invalid_access_token"),
])
async def test_server_checks_signature_timestamp_and_token(
        market: SandboxMarketplace, session: aiohttp.ClientSession,
        kwargs: dict[str, Any], status: int, code: str | None) -> None:
    if "timestamp" in kwargs:  # a parameter list is built at collection, maybe minutes ago
        kwargs = {**kwargs, "timestamp": int(time.time()) + kwargs["timestamp"]}
    got_status, body = await raw_get(session, market, f"/api/v1/shops/{SG}", **kwargs)
    assert got_status == status
    if code is None:
        assert body["platform"] == "shopee" and body["site"] == "SG"
    else:
        assert body["error"] == code and body["message"] and body["request_id"]


async def test_unknown_shop_is_404(market: SandboxMarketplace,
                                   session: aiohttp.ClientSession) -> None:
    status, body = await raw_get(session, market, "/api/v1/shops/nope")
    assert (status, body["error"]) == (404, "shop_not_found")


async def test_signature_covers_the_query(market: SandboxMarketplace,
                                          session: aiohttp.ClientSession) -> None:
    ts = str(int(time.time()))
    signed_path = f"/api/v1/shops/{SG}/messages?limit=5"
    headers = {"X-Sandbox-App-Key": KEY, "X-Sandbox-Timestamp": ts,
               "X-Sandbox-Signature": api_signature(SECRET, ts, "GET", signed_path, b""),
               "Authorization": "Bearer sbx-token-sg-880001"}
    url = market.base_url + f"/api/v1/shops/{SG}/messages?limit=50"
    async with session.get(url, headers=headers) as resp:
        assert resp.status == 401


async def test_check_maps_auth_and_shop_errors(market: SandboxMarketplace,
                                               connector: SandboxConnector,
                                               session: aiohttp.ClientSession) -> None:
    store = market.store_account(SG)
    await connector.check(store)
    with pytest.raises(AuthError) as err:
        await connector.check(replace(store, credentials={"access_token": "stale"}))
    assert err.value.code == "invalid_access_token"
    with pytest.raises(PermanentError) as err:
        await connector.check(replace(store, shop_id="nope"))
    assert err.value.code == "shop_not_found"
    wrong_app = SandboxConnector(session, base_url=market.base_url,
                                 app_key=KEY, app_secret="wrong")
    with pytest.raises(AuthError):
        await wrong_app.check(store)


# -- sending -------------------------------------------------------------------------


async def test_send_is_not_deduplicated(market: SandboxMarketplace,
                                        connector: SandboxConnector) -> None:
    # Like the real marketplaces: the idempotency key is only for the bot's look-up.
    store, out = market.store_account(MY), reply(market, MY, "b-2001", "Boleh, stok ada.")
    first = await connector.send_text(store, out)
    again = await connector.send_text(store, out)
    assert first.message_id != again.message_id
    assert first.sent_at.tzinfo is not None
    sent = market.sent_messages(MY, out.conversation_id)
    assert [m["message_id"] for m in sent] == [first.message_id, again.message_id]
    assert sent[0]["content"]["text"] == "Boleh, stok ada."


@pytest.mark.parametrize(("setup", "error", "code", "words"), [
    ("permanent", RuleViolation, "reply_window_closed", "48-hour"),
    ("blocked", PermanentError, "buyer_blocked", "blocked"),
    ("transient", TransientError, "system_busy", "busy"),
    ("rate_limited", RateLimited, "rate_limited", "slow down"),
    ("down", TransientError, "maintenance", "maintenance"),
    ("too_long", RuleViolation, "text_too_long", "1,000"),
    ("bad_token", AuthError, "invalid_access_token", "reconnect"),
])
async def test_send_failures_map_to_error_classes(
        market: SandboxMarketplace, connector: SandboxConnector, setup: str,
        error: type[Exception], code: str, words: str) -> None:
    store, out = market.store_account(SG), reply(market, SG, "b-1001")
    if setup == "down":
        market.set_down(True)
    elif setup == "too_long":
        out = reply(market, SG, "b-1001", "x" * 1001)
    elif setup == "bad_token":
        store = replace(store, credentials={"access_token": "revoked"})
    else:
        market.fail_next_send(setup)
    with pytest.raises(error) as err:
        await connector.send_text(store, out)
    assert err.value.code == code
    assert words in err.value.user_message
    if error is not RateLimited:
        assert not isinstance(err.value, RateLimited)
    if setup == "rate_limited":
        assert err.value.retry_after == 2.0
    if setup == "permanent":
        assert not isinstance(err.value, TransientError)
    assert market.sent_messages(SG) == []
    market.set_down(False)
    if setup not in ("too_long", "bad_token"):  # the failure was one-off
        assert (await connector.send_text(store, out)).message_id


async def test_server_rate_limit(market: SandboxMarketplace,
                                 connector: SandboxConnector) -> None:
    market.api_rate_per_sec = 3
    store = market.store_account(VN)
    for _ in range(3):
        await connector.check(store)
    with pytest.raises(RateLimited) as err:
        await connector.check(store)
    assert err.value.retry_after is not None and err.value.retry_after >= 1
    await connector.check(market.store_account(SG))  # limits are per shop


async def test_timeout_is_outcome_unknown_then_found(market: SandboxMarketplace,
                                                     connector: SandboxConnector) -> None:
    store, out = market.store_account(SG), reply(market, SG, "b-1002", "好的", key="k-timeout")
    since = datetime.now(UTC)
    market.fail_next_send("timeout")
    with pytest.raises(OutcomeUnknown):
        await connector.send_text(store, out)
    found = await connector.find_sent(store, out, since)
    assert found is not None
    assert [m["message_id"] for m in market.sent_messages(SG)] == [found.message_id]
    # The marketplace does not deduplicate: a blind resend is a second message, which is
    # why the bot looks up before resending. The look-up still names the first one.
    again = await connector.send_text(store, out)
    assert again.message_id != found.message_id
    assert len(market.sent_messages(SG)) == 2
    assert (await connector.find_sent(store, out, since)).message_id == found.message_id
    other = reply(market, SG, "b-1002", key="never-sent")
    assert await connector.find_sent(store, other, since) is None


async def test_connection_refused_is_transient(market: SandboxMarketplace,
                                               session: aiohttp.ClientSession) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    closed = SandboxConnector(session, base_url=f"http://127.0.0.1:{port}", app_key=KEY,
                              app_secret=SECRET, send_timeout=0.5)
    store = market.store_account(SG)
    store = replace(store, api_url=None)
    with pytest.raises(TransientError) as err:
        await closed.send_text(store, reply(market, SG, "b-1001"))
    assert not isinstance(err.value, OutcomeUnknown)


# -- pushes --------------------------------------------------------------------------


async def test_pushes_are_signed_and_verify(market: SandboxMarketplace,
                                            connector: SandboxConnector,
                                            receiver: Receiver) -> None:
    said = await market.buyer_says(MY, "b-2001", "Bila parcel saya akan dihantar?")
    sent = await connector.send_text(market.store_account(MY), reply(market, MY, "b-2001"))
    await market.drain()
    assert [d.status for d in market.push_log] == [200, 200]
    buyer_msg, echo = (b.messages[0] for b in receiver.batches)
    assert buyer_msg.message_id == said["message_id"] and not buyer_msg.from_seller
    assert buyer_msg.text == "Bila parcel saya akan dihantar?" and buyer_msg.language == "ms"
    assert buyer_msg.buyer.name == "Nurul Aisyah" and buyer_msg.sent_at.tzinfo is UTC
    assert echo.from_seller and echo.message_id == sent.message_id


async def test_duplicate_push_and_other_events(market: SandboxMarketplace,
                                               receiver: Receiver) -> None:
    market.duplicate_next_push()
    await market.buyer_says(SG, "b-1003", "Hi there, are you open today?")
    market.push_other_event(SG)
    await market.drain()
    assert receiver.bodies[0] == receiver.bodies[1]
    assert len(set(receiver.message_ids())) == 1 and len(receiver.message_ids()) == 2
    assert receiver.batches[-1] == PushBatch(ignored=("shop_updated",))


async def test_push_retried_after_receiver_error(market: SandboxMarketplace,
                                                 receiver: Receiver) -> None:
    receiver.plan.extend([500])
    await market.buyer_says(VN, "b-3002", "Mình muốn hủy đơn này.")
    await market.drain()
    assert [d.status for d in market.push_log] == [500, 200]
    assert receiver.bodies[0] == receiver.bodies[1]
    assert len(receiver.message_ids()) == 1


async def test_pushes_stay_in_order_across_retries(market: SandboxMarketplace,
                                                   receiver: Receiver) -> None:
    receiver.plan.extend([None, 503, 500])  # the second push needs three attempts
    said = [await market.buyer_says(SG, b, f"line {i}")
            for i, b in enumerate(["b-1001", "b-1002", "b-1003"] * 3)]
    await market.drain()
    assert receiver.message_ids() == [m["message_id"] for m in said]


async def test_push_given_up_is_left_to_repair_pull(market: SandboxMarketplace,
                                                    connector: SandboxConnector) -> None:
    market.push_retry_delays = (0.01, 0.01, 0.01, 0.01)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        market.set_webhook(f"http://127.0.0.1:{sock.getsockname()[1]}/hook")
    said = await market.buyer_says(SG, "b-1001", "Anyone there?")
    await market.drain()
    assert [d.status for d in market.push_log] == [None] * 5
    page = await connector.fetch_since(market.store_account(SG), None)
    assert [m.message_id for m in page.messages] == [said["message_id"]]


async def test_pushes_disabled(market: SandboxMarketplace, receiver: Receiver) -> None:
    market.pushes_enabled = False
    await market.buyer_says(SG, "b-1001")
    await market.drain()
    assert receiver.bodies == [] and len(market.messages(SG)) == 1


def _push_body(**changes: Any) -> dict[str, Any]:
    message = {"message_id": "m1", "conversation_id": "c1",
               "buyer": {"id": "b1", "name": "Ana", "avatar_url": None},
               "from_seller": False, "type": "text", "content": {"text": "hi"},
               "created_at": 1_700_000_000, "language": "pt"}
    body = {"event": "message", "shop_id": "s1", "message": message}
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        target = body
        for p in parents:
            target = target[p]
        if value is ...:
            del target[leaf]
        else:
            target[leaf] = value
    return body


@pytest.mark.parametrize(("body", "field"), [
    (b"not json", "JSON"),
    (b"[1, 2]", "object"),
    (b"\xff\xfe", "JSON"),
    (json.dumps(_push_body(event=...)).encode(), "event"),
    (json.dumps(_push_body(shop_id=...)).encode(), "shop_id"),
    (json.dumps(_push_body(message=...)).encode(), "message"),
    (json.dumps(_push_body(message__buyer=...)).encode(), "message.buyer"),
    (json.dumps(_push_body(message__buyer__id="")).encode(), "message.buyer.id"),
    (json.dumps(_push_body(message__message_id=...)).encode(), "message.message_id"),
    (json.dumps(_push_body(message__type=None)).encode(), "message.type"),
    (json.dumps(_push_body(message__content="hi")).encode(), "message.content"),
    (json.dumps(_push_body(message__created_at="yesterday")).encode(), "message.created_at"),
    (json.dumps(_push_body(message__created_at=1e300)).encode(), "message.created_at"),
    (json.dumps(_push_body(message__from_seller="no")).encode(), "message.from_seller"),
])
def test_malformed_push_is_400(connector: SandboxConnector, body: bytes, field: str) -> None:
    with pytest.raises(PushRejected) as err:
        connector.verify_push(signed_push(body), body, "http://bridge/hook")
    assert err.value.status == 400
    assert field in err.value.reason


def test_well_formed_push_and_forged_ones(connector: SandboxConnector) -> None:
    body = json.dumps(_push_body()).encode()
    batch = connector.verify_push(signed_push(body), body, "")
    assert batch.messages[0].sent_at == datetime.fromtimestamp(1_700_000_000, UTC)
    stale = signed_push(body, int(time.time()) - 301)
    forged = {**signed_push(body), "x-sandbox-signature": "0" * 64}
    for headers in (stale, forged, {}, {"X-Sandbox-Timestamp": "abc",
                                        "X-Sandbox-Signature": "x"}):
        with pytest.raises(PushRejected) as err:
            connector.verify_push(headers, body, "")
        assert err.value.status == 401
    with pytest.raises(PushRejected):
        connector.verify_push(signed_push(body), body + b" ", "")


# -- pulls and message kinds ----------------------------------------------------------


async def test_fetch_since_pages_without_repeats(market: SandboxMarketplace,
                                                 connector: SandboxConnector) -> None:
    store = market.store_account(VN)
    buyers = ["b-3001", "b-3002", "b-3003"]
    for i in range(120):
        await market.buyer_says(VN, buyers[i % 3], f"tin nhắn {i}")
        if i == 10:
            await market.buyer_says(SG, "b-1001", "other shop")  # never in VN's pages
    cursor, seen, pages = None, [], []
    while True:
        page = await connector.fetch_since(store, cursor)
        seen += [m.message_id for m in page.messages]
        pages.append((len(page.messages), page.more))
        cursor = page.cursor
        if not page.more:
            break
    assert pages == [(50, True), (50, True), (20, False)]
    assert seen == [m["message_id"] for m in market.messages(VN)]
    assert len(set(seen)) == 120
    empty = await connector.fetch_since(store, cursor)
    assert (empty.messages, empty.cursor, empty.more) == ((), cursor, False)
    new = await market.buyer_says(VN, "b-3001", "còn nữa")
    later = await connector.fetch_since(store, cursor)
    assert [m.message_id for m in later.messages] == [new["message_id"]]


async def test_bad_cursor_is_permanent(market: SandboxMarketplace,
                                       connector: SandboxConnector) -> None:
    with pytest.raises(PermanentError) as err:
        await connector.fetch_since(market.store_account(SG), "garbage!")
    assert err.value.code == "invalid_cursor"


@pytest.mark.parametrize(("kind", "attrs", "expected"), [
    ("image", {"url": "https://img/x.jpg"}, MessageKind.IMAGE),
    ("sticker", {"sticker_id": "s1", "label": "waving cat"}, MessageKind.STICKER),
    ("product", {"name": "Batik Shirt", "url": "https://p/1", "price": "59.00",
                 "currency": "MYR"}, MessageKind.PRODUCT),
    ("order", {"order_sn": "240611ABC", "status": "SHIPPED", "amount": "59.00"},
     MessageKind.ORDER),
    ("voucher", {"code": "SAVE10", "discount": "10%"}, MessageKind.VOUCHER),
    ("video", {"url": "https://v/1.mp4", "duration": 12}, MessageKind.VIDEO),
])
async def test_kinds_map_with_attributes(market: SandboxMarketplace,
                                         connector: SandboxConnector, kind: str,
                                         attrs: dict[str, Any], expected: MessageKind) -> None:
    await market.buyer_says(MY, "b-2002", kind=kind, **attrs)
    (msg,) = (await connector.fetch_since(market.store_account(MY), None)).messages
    assert msg.kind is expected
    assert all(msg.attributes[k] == v for k, v in attrs.items())
    assert msg.buyer.avatar_url is None  # Ahmad has no avatar


async def test_unknown_kind_keeps_type_and_raw(market: SandboxMarketplace,
                                               connector: SandboxConnector,
                                               receiver: Receiver) -> None:
    said = await market.buyer_says(VN, "b-3001", kind="live_invite", room_id="live-9")
    await market.drain()
    pulled = (await connector.fetch_since(market.store_account(VN), None)).messages[0]
    pushed = receiver.batches[0].messages[0]
    for msg in (pulled, pushed):
        assert msg.kind is MessageKind.UNKNOWN
        assert msg.attributes["platform_type"] == "live_invite"
        assert msg.attributes["room_id"] == "live-9"
        assert msg.raw == said


async def test_auto_reply_in_buyers_language(market: SandboxMarketplace,
                                             connector: SandboxConnector) -> None:
    market.auto_reply, market.reply_delay = True, 0.05
    for shop, buyer, language in [(VN, "b-3001", "vi"), (MY, "b-2001", "ms"),
                                  (SG, "b-1002", "zh")]:
        await connector.send_text(market.store_account(shop),
                                  reply(market, shop, buyer, "Dạ, shop gửi hôm nay nhé.",
                                        key=f"k-{buyer}"))
        for _ in range(100):
            answers = [m for m in market.messages(shop) if not m["from_seller"]]
            if answers:
                break
            await asyncio.sleep(0.01)
        (answer,) = answers
        assert answer["language"] == language
        assert answer["buyer"]["id"] == buyer
        assert answer["content"]["text"] in {t for ls in LINES[language].values() for t in ls}


async def test_random_chatter_and_seed(market: SandboxMarketplace) -> None:
    rng = random.Random(1)
    for _ in range(30):
        msg = await market.random_buyer_message(rng)
        assert not msg["from_seller"] and msg["language"]
    platforms = {s.platform for s in market.ledger.stores.values()}
    assert platforms == {"shopee", "lazada", "tiktok"}
    assert any(b.avatar_url is None for b in market.ledger.buyers.values())
