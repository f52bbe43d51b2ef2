"""``Connector.fetch_buyer``: the buyer's name and avatar from each platform's
conversation API, over real HTTP against the emulators (which check signatures,
tokens and shop ciphers as the platforms do)."""

from __future__ import annotations

import aiohttp
import pytest

from connectors.buyer_profile import BuyerProfile, avatar, profile
from connectors.errors import AuthError, TransientError
from tests.emulators import lazada, sandbox, shopee, tiktok
from tests.emulators.lazada_api import SESSION_GET
from tests.test_connector_contract import HARNESSES, pull_all

UNKNOWN_CONVERSATION = "7000000000000000001"


@pytest.mark.parametrize("platform", sorted(HARNESSES))
async def test_profile_is_what_the_platform_holds(platform: str) -> None:
    async with aiohttp.ClientSession() as session, HARNESSES[platform](session) as h:
        await h.buyer_says("c1", "Hello, is this still available?")
        await h.buyer_says("c2", "Another buyer")
        conversation_id = h.outbound("c1", "-", "k").conversation_id
        found = await h.connector.fetch_buyer(h.store, conversation_id)
        name, picture, language = h.buyer_profile("c1")
        assert found == BuyerProfile(name=name, avatar_url=picture, language=language)
        assert found.name and found.avatar_url  # every emulator has both for its buyers


@pytest.mark.parametrize("platform", sorted(HARNESSES))
async def test_repair_pull_names_the_buyer_with_avatar(platform: str) -> None:
    """A pull already reads the conversation list: its messages carry the buyer's
    name and avatar, so no fetch_buyer call is needed for pulled conversations."""
    async with aiohttp.ClientSession() as session, HARNESSES[platform](session) as h:
        await h.buyer_says("c1", "Do you ship to Penang?")
        await h.buyer_says("c2", "Is there a discount?")
        messages, _ = await pull_all(h.connector, h.store, None)
        by_conversation = {m.conversation_id: m.buyer for m in messages if not m.from_seller}
        for key in ("c1", "c2"):
            buyer = by_conversation[h.outbound(key, "-", "k").conversation_id]
            name, picture, _ = h.buyer_profile(key)
            assert (buyer.name, buyer.avatar_url) == (name, picture)


@pytest.mark.parametrize("platform", sorted(HARNESSES))
async def test_unknown_conversation_is_none(platform: str) -> None:
    async with aiohttp.ClientSession() as session, HARNESSES[platform](session) as h:
        await h.buyer_says("c1", "Hi")
        assert await h.connector.fetch_buyer(h.store, UNKNOWN_CONVERSATION) is None


async def test_sandbox_reports_the_buyers_language() -> None:
    async with aiohttp.ClientSession() as session, sandbox.harness(session) as h:
        buyer = h.market.add_buyer(sandbox.SHOP_ID, "b-vn", "Nguyễn Minh", "vi")
        conv = h.market.conversation_id(sandbox.SHOP_ID, buyer.buyer_id)
        found = await h.connector.fetch_buyer(h.store, conv)
        assert found == BuyerProfile("Nguyễn Minh", None, "vi")


async def test_sandbox_outage_is_transient_and_a_bad_token_is_auth() -> None:
    async with aiohttp.ClientSession() as session, sandbox.harness(session) as h:
        conv = h.outbound("c1", "-", "k").conversation_id
        h.market.set_down()
        with pytest.raises(TransientError):
            await h.connector.fetch_buyer(h.store, conv)
        h.market.set_down(False)
        h.fail_next_send("auth")  # revokes the store's token
        with pytest.raises(AuthError):
            await h.connector.fetch_buyer(h.store, conv)


async def test_shopee_push_has_no_avatar_the_conversation_has() -> None:
    async with aiohttp.ClientSession() as session, shopee.harness(session) as h:
        headers, body, url = h.signed_push("Còn hàng không shop?", "c1")
        pushed = h.connector.verify_push(headers, body, url).messages[0]
        assert pushed.buyer.name and pushed.buyer.avatar_url is None
        found = await h.connector.fetch_buyer(h.store, pushed.conversation_id)
        assert found is not None and found.name == pushed.buyer.name
        assert found.avatar_url == h.buyer_profile("c1")[1]


async def test_shopee_server_error_raises() -> None:
    async with aiohttp.ClientSession() as session, shopee.harness(session) as h:
        conv = h.outbound("c1", "-", "k").conversation_id
        h.emulator.fail_next("sellerchat/get_one_conversation", "error_server")
        with pytest.raises(TransientError):
            await h.connector.fetch_buyer(h.store, conv)


async def test_lazada_push_names_nobody_the_session_does() -> None:
    async with aiohttp.ClientSession() as session, lazada.harness(session) as h:
        headers, body, url = h.signed_push("Boleh COD?", "c1")
        pushed = h.connector.verify_push(headers, body, url).messages[0]
        assert pushed.buyer.name == "" and pushed.buyer.avatar_url is None
        found = await h.connector.fetch_buyer(h.store, pushed.conversation_id)
        assert found == BuyerProfile("Buyer c1", h.session("c1").head_url)
        calls = [c for c in h.emulator.calls if c.api == SESSION_GET]
        assert len(calls) == 1 and calls[0].method == "GET"


async def test_lazada_quoted_scalars_and_service_errors() -> None:
    async with aiohttp.ClientSession() as session, lazada.harness(session) as h:
        h.emulator.quote_scalars = True
        conv = h.outbound("c1", "-", "k").conversation_id
        assert (await h.connector.fetch_buyer(h.store, conv)).name == "Buyer c1"
        h.emulator.fail_next(SESSION_GET, "ServiceUnavailable", 5)
        with pytest.raises(TransientError):
            await h.connector.fetch_buyer(h.store, conv)


async def test_tiktok_push_names_nobody_the_participants_do() -> None:
    async with aiohttp.ClientSession() as session, tiktok.harness(session) as h:
        headers, body, url = h.signed_push("Có size M không?", "c1")
        pushed = h.connector.verify_push(headers, body, url).messages[0]
        assert pushed.buyer.name == ""
        found = await h.connector.fetch_buyer(h.store, pushed.conversation_id)
        assert found == BuyerProfile("Buyer c1", h.conversation("c1").buyer.avatar)


async def test_tiktok_walks_pages_and_learns_order_buyer_ids() -> None:
    async with aiohttp.ClientSession() as session, tiktok.harness(session) as h:
        first = h.conversation("old")
        await h.buyer_says("old", "first")
        for i in range(25):  # 20 a page: "old" is on the second page
            await h.buyer_says(f"n{i}", "later")
        used = h.emulator.state.quota_used
        found = await h.connector.fetch_buyer(h.store, first.id)
        assert found is not None and found.name == "Buyer old"
        assert sum(used.values()) == 2  # two customer-service calls: two list pages
        # The walk taught the order-API id: no further call is needed for it.
        assert await h.connector.order_buyer_id(h.store, first.id) == first.buyer.user_id
        assert sum(used.values()) == 2


async def test_tiktok_transient_error_raises() -> None:
    async with aiohttp.ClientSession() as session, tiktok.harness(session) as h:
        conv = h.outbound("c1", "-", "k").conversation_id
        h.emulator.fail_next("conversations", 36009003, 5)
        with pytest.raises(TransientError):
            await h.connector.fetch_buyer(h.store, conv)


@pytest.mark.parametrize(("name", "picture", "language", "expected"), [
    ("Rachel Tan", "https://cf.shopee.sg/file/a", None,
     BuyerProfile("Rachel Tan", "https://cf.shopee.sg/file/a")),
    ("  Ana\n\tMaria  ", None, None, BuyerProfile("Ana Maria")),
    ("", "//sg-live.slatic.net/a.png", None, BuyerProfile("", "https://sg-live.slatic.net/a.png")),
    ("x", "javascript:alert(1)", None, BuyerProfile("x")),
    ("x", "https://a.example/p q.png", None, BuyerProfile("x")),
    ("", "", "", None),
    (None, None, None, None),
    ("", None, "th", BuyerProfile("", None, "th")),
])
def test_profile_from_wire_values(name: object, picture: object, language: object,
                                  expected: BuyerProfile | None) -> None:
    assert profile(name, picture, language) == expected


def test_avatar_accepts_only_web_urls() -> None:
    assert avatar("ftp://x/y.png") is None
    assert avatar(12) is None
    assert avatar("HTTPS://X.example/y.png") == "HTTPS://X.example/y.png"


async def test_pulled_and_fetched_avatars_are_web_urls_only() -> None:
    """An avatar is rendered as an image: one that is not http(s) is dropped
    (Slack would refuse the whole card), the name stays."""
    bad = "javascript:alert(1)"
    async with aiohttp.ClientSession() as session, shopee.harness(session) as h:
        await h.buyer_says("c1", "Hello")
        h.emulator.conversation(shopee.SHOP_ID, h._buyer("c1")).buyer_avatar = bad
        messages, _ = await pull_all(h.connector, h.store, None)
        assert [m.buyer.avatar_url for m in messages] == [None]
        conv = h.outbound("c1", "-", "k").conversation_id
        assert await h.connector.fetch_buyer(h.store, conv) == BuyerProfile("buyer_c1")
    async with aiohttp.ClientSession() as session, lazada.harness(session) as h:
        await h.buyer_says("c1", "Hello")
        h.session("c1").head_url = bad
        messages, _ = await pull_all(h.connector, h.store, None)
        assert [m.buyer.avatar_url for m in messages] == [None]
    async with aiohttp.ClientSession() as session, tiktok.harness(session) as h:
        await h.buyer_says("c1", "Hello")
        h.conversation("c1").buyer.avatar = bad
        messages, _ = await pull_all(h.connector, h.store, None)
        assert [m.buyer.avatar_url for m in messages] == [None]
    async with aiohttp.ClientSession() as session, sandbox.harness(session) as h:
        h.buyer("c1").avatar_url = bad
        await h.buyer_says("c1", "Hello")
        messages, _ = await pull_all(h.connector, h.store, None)
        assert [m.buyer.avatar_url for m in messages] == [None]
