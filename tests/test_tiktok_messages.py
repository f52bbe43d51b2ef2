"""Each TikTok message type, pulled over HTTP from the emulator, mapped to a kind."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from connectors.models import MessageKind
from connectors.tiktok.messages import to_inbound
from tests.emulators.tiktok import TikTokHarness, harness

VIDEO = {"url": "https://v.example/1.mp4", "cover": "https://v.example/1.jpg", "width": 640,
         "height": 360, "duration": "20.504", "vid": "v0e30", "format": "mp4"}
CASES = [
    ("TEXT", {"content": "Còn hàng không?"}, MessageKind.TEXT, "Còn hàng không?", {}),
    ("IMAGE", {"url": "https://i.example/a.png", "width": "304", "height": "290"},
     MessageKind.IMAGE, "", {"url": "https://i.example/a.png", "width": 304, "height": 290}),
    ("EMOTICONS", {"url": "https://i.example/smile.gif"}, MessageKind.STICKER, "",
     {"url": "https://i.example/smile.gif"}),
    ("PRODUCT_CARD", {"product_id": "7494560109732334265"}, MessageKind.PRODUCT, "",
     {"product_id": "7494560109732334265"}),
    ("BUYER_ENTER_FROM_PRODUCT", {"product_id": "12345"}, MessageKind.PRODUCT, "",
     {"product_id": "12345"}),
    ("ORDER_CARD", {"order_id": "576653688135258178"}, MessageKind.ORDER, "",
     {"order_id": "576653688135258178", "order_sn": "576653688135258178"}),
    ("BUYER_ENTER_FROM_ORDER", {"order_id": "5766"}, MessageKind.ORDER, "", {"order_id": "5766"}),
    ("RETURN_REFUND_CARD", {"order_id": "5766", "sku_id": "45678"}, MessageKind.ORDER, "",
     {"order_id": "5766", "sku_id": "45678"}),
    ("COUPON_CARD", {"coupon_id": "7262992004278206762"}, MessageKind.VOUCHER, "",
     {"coupon_id": "7262992004278206762", "code": "7262992004278206762"}),
    ("VIDEO", VIDEO, MessageKind.VIDEO, "", {"vid": "v0e30", "width": 640, "duration": "20.504"}),
    ("NOTIFICATION", {"content": "Order shipped"}, MessageKind.TEXT, "Order shipped",
     {"system": True}),
    ("OTHER", {"content": "Please check in Seller Center"}, MessageKind.UNKNOWN,
     "Please check in Seller Center", {"unsupported": True}),
    ("HOLOGRAM", {"beam": "x"}, MessageKind.UNKNOWN, "", {"beam": "x", "unsupported": True}),
]


@pytest.fixture
async def h() -> AsyncIterator[TikTokHarness]:
    async with aiohttp.ClientSession() as session, harness(session) as hh:
        yield hh


async def test_every_type_over_http(h: TikTokHarness) -> None:
    conv = h.conversation("a")
    now = h.emulator.state.now()
    for i, (wire_type, content, *_) in enumerate(CASES):
        h.emulator.state.add_message(conv, role="BUYER", type_=wire_type, content=content,
                                     create_time=now - len(CASES) + i)
    page = await h.connector.fetch_since(h.store, None)
    assert len(page.messages) == len(CASES)
    for m, (wire_type, _, kind, text, attrs) in zip(page.messages, CASES, strict=True):
        assert (m.kind, m.text, m.attributes["platform_type"]) == (kind, text, wire_type)
        assert attrs.items() <= m.attributes.items()
        assert m.raw["type"] == wire_type and not m.from_seller


def test_content_that_is_not_json_is_kept_as_text() -> None:
    m = to_inbound({"id": "1", "type": "TEXT", "content": "plain words", "create_time": 1700000000,
                    "sender": {"role": "BUYER", "im_user_id": "9"}},
                   shop_id="s", conversation_id="c")
    assert m.text == "plain words" and m.buyer.id == "9"


def test_roles() -> None:
    def role(r: str) -> bool:
        return to_inbound({"id": "1", "type": "TEXT", "content": json.dumps({"content": "x"}),
                           "create_time": 1700000000, "sender": {"role": r}},
                          shop_id="s", conversation_id="c").from_seller

    assert [role(r) for r in ("BUYER", "SHOP", "CUSTOMER_SERVICE", "SYSTEM", "ROBOT")] \
        == [False, True, True, True, True]
