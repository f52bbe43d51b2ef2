"""Every Shopee message type mapped, through a pull (get_message) and a push."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from connectors.models import MessageKind
from tests.emulators.shopee import CALLBACK_URL, PARTNER_KEY, SHOP_ID, shopee_env
from tests.emulators.shopee_push import push_authorization

CASES: list[tuple[str, dict[str, Any], MessageKind, str, dict[str, Any]]] = [
    ("text", {"text": "Ada warna merah?"}, MessageKind.TEXT, "Ada warna merah?", {}),
    ("faq_liveagent", {"text": "Talk to agent", "pass_through_data": "x"}, MessageKind.TEXT,
     "Talk to agent", {}),
    ("image", {"url": "https://cf.shopee.sg/file/a", "thumb_url": "https://cf.shopee.sg/t",
               "thumb_height": 10, "thumb_width": 10, "file_server_id": "a"},
     MessageKind.IMAGE, "", {"url": "https://cf.shopee.sg/file/a",
                             "thumb_url": "https://cf.shopee.sg/t"}),
    ("sticker", {"sticker_id": "12", "sticker_package_id": "3"}, MessageKind.STICKER, "",
     {"sticker_id": "12", "sticker_package_id": "3"}),
    ("item", {"shop_id": SHOP_ID, "item_id": 998877}, MessageKind.PRODUCT, "",
     {"item_id": "998877", "shop_id": str(SHOP_ID),
      "url": f"https://shopee.sg/product/{SHOP_ID}/998877"}),
    ("order", {"shop_id": SHOP_ID, "order_sn": "240101ABCDEF"}, MessageKind.ORDER, "",
     {"order_sn": "240101ABCDEF", "shop_id": str(SHOP_ID)}),
    ("voucher", {"voucher_id": 555, "voucher_code": "SALE10"}, MessageKind.VOUCHER, "",
     {"voucher_id": "555", "code": "SALE10"}),
    ("video", {"video_url": "https://v/x.mp4", "thumb_url": "https://v/x.jpg",
               "thumb_width": 1, "thumb_height": 1, "duration_seconds": 12},
     MessageKind.VIDEO, "", {"url": "https://v/x.mp4", "thumb_url": "https://v/x.jpg",
                             "duration": 12}),
    ("bundle_message", {"messages": ["1", "2"], "shopee_chatbot_replied": True},
     MessageKind.UNKNOWN, "", {"platform_type": "bundle_message"}),
    ("hologram", {"foo": "bar"}, MessageKind.UNKNOWN, "",
     {"platform_type": "hologram"}),
]


@pytest.mark.parametrize("wire_type,content,kind,text,attrs", CASES,
                         ids=[c[0] for c in CASES])
async def test_message_type_mapping(wire_type: str, content: dict[str, Any], kind: MessageKind,
                                    text: str, attrs: dict[str, Any]) -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        msg = env.emulator.add_message(SHOP_ID, 1234567, from_buyer=True, push=False,
                                       message_type=wire_type, content=content)
        page = await env.connector.fetch_since(env.store, None)
        (pulled,) = page.messages
        body = env.emulator.push_body(msg)
        (pushed,) = env.connector.verify_push(
            {"Authorization": push_authorization(PARTNER_KEY, CALLBACK_URL, body)}, body,
            CALLBACK_URL).messages
        for m in (pulled, pushed):
            assert m.kind is kind
            assert m.text == text
            assert m.attributes == attrs
            assert m.raw["content"] == content  # the raw payload is kept
            assert m.message_id == msg.message_id and not m.from_seller
        assert pulled.buyer.avatar_url  # pulls know the conversation's avatar


def test_time_units_are_normalised() -> None:
    from connectors.shopee.messages import to_datetime, to_ns

    for value in (1700000000, 1700000000000, 1700000000000000, 1700000000000000000):
        assert to_datetime(value).timestamp() == 1700000000
        assert to_ns(value) == 1700000000000000000
