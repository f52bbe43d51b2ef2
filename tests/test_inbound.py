"""Buyer messages become one thread per conversation, with the card as its root."""

from __future__ import annotations

import json
from pathlib import Path

from tests.harness import SHOP, running_bridge


async def test_push_creates_thread_with_card_and_buyer_reply(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        await b.buyer_says("Hi, has my order shipped?")
        conv = await b.thread()
        root = b.slack.message(conv.channel_id, conv.thread_ts)
        blocks = json.dumps(root["blocks"], ensure_ascii=False)
        assert conv.channel_id == b.channels["cs-shopee-sg"]
        for expected in ("🇸🇬", "*SG*", "Shopee", "Kopi & Co. Homeware", "Rachel Tan",
                         "buyer id b-rachel", "https://img.example/r.png", "Open",
                         "*Unread*", "Waiting since", conv.ref, "conversation_close"):
            assert expected in blocks, expected
        assert conv.ref == "SP-SG-0001"
        msgs = await b.wait(lambda: b.replies(conv) or None)
        assert msgs[0]["username"] == "Rachel Tan (buyer)"
        assert msgs[0]["icons"]["image_48"] == "https://img.example/r.png"
        assert "Hi, has my order shipped?" in json.dumps(msgs[0]["blocks"])
        # Last message summary reaches the card once the coalesced update ran.
        await b.wait(lambda: "has my order shipped" in json.dumps(
            b.slack.message(conv.channel_id, conv.thread_ts)["blocks"]))


async def test_each_conversation_is_one_thread(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        await b.buyer_says("first")
        conv = await b.thread()
        await b.buyer_says("second")
        await b.buyer_says("third", buyer="b-daniel")
        await b.wait(lambda: len(b.replies(conv)) == 2)
        await b.settle()
        roots = b.slack.messages(conv.channel_id)
        assert len(roots) == 2  # Rachel's thread and Daniel's thread
        daniel = await b.store.database.one("SELECT * FROM conversations WHERE buyer_id='b-daniel'")
        # A buyer without an avatar gets a text avatar: their initial.
        card = json.dumps(b.slack.message(daniel["channel_id"], daniel["thread_ts"])["blocks"],
                          ensure_ascii=False)
        assert "〔D〕" in card


async def test_burst_is_coalesced_into_few_card_updates(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        await b.buyer_says("hello")
        conv = await b.thread()
        for i in range(12):
            await b.buyer_says(f"message {i}")
        await b.wait(lambda: len(b.replies(conv)) == 13)
        await b.wait(lambda: "message 11" in json.dumps(
            b.slack.message(conv.channel_id, conv.thread_ts)["blocks"]))
        updates = [c for c in b.slack.calls_to("chat.update") if c.ok]
        assert 1 <= len(updates) <= 3
        card = json.dumps(b.slack.message(conv.channel_id, conv.thread_ts)["blocks"])
        assert "*Unread*\\n13" in card


async def test_duplicate_push_and_repair_pull_store_once(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        b.market.duplicate_next_push()
        await b.buyer_says("only once please")
        conv = await b.thread()
        await b.settle()
        assert await b.service.repair_all() == 0  # the pull finds nothing new either
        await b.settle()
        assert [m for m in b.replies(conv)].__len__() == 1
        assert (await b.store.database.one("SELECT COUNT(*) FROM messages"))[0] == 1


async def test_missed_push_is_caught_up_by_repair(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        b.market.pushes_enabled = False
        await b.buyer_says("pushed into the void")
        await b.buyer_says("and again")
        assert await b.conversation() is None
        assert await b.service.repair_all() == 2
        conv = await b.thread()
        await b.wait(lambda: len(b.replies(conv)) == 2)
        texts = [json.dumps(m["blocks"]) for m in b.replies(conv)]
        assert "pushed into the void" in texts[0] and "and again" in texts[1]


async def test_buyer_text_cannot_ping_or_inject(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        evil = "<!channel> @here <@U000> <https://evil.example|free money> *bold*"
        await b.buyer_says(evil)
        conv = await b.thread()
        msg = (await b.wait(lambda: b.replies(conv) or None))[0]
        assert "<!channel>" not in msg["text"] and "<https" not in msg["text"]
        assert "@here" not in msg["text"]
        section = msg["blocks"][0]["text"]
        assert section["type"] == "plain_text"  # never rendered as mrkdwn
        assert section["text"] == evil  # shown verbatim, harmless


async def test_buyer_name_is_not_markup_on_the_card(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        b.market.add_buyer(SHOP, "b-evil", "<!here> *Boss*", "en")
        await b.buyer_says("hi", buyer="b-evil")
        conv = await b.thread()
        root = b.slack.message(conv.channel_id, conv.thread_ts)
        assert "<!here>" not in root["text"]
        ctx = root["blocks"][1]["elements"]
        name_el = next(e for e in ctx if "buyer id" in e.get("text", ""))
        assert name_el["type"] == "plain_text"


async def test_non_text_messages_are_meaningful_and_unknown_kept_raw(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        await b.buyer_says(None, kind="image", url="https://img.example/p.jpg")
        conv = await b.thread()
        await b.buyer_says(None, kind="product", name="Ceramic mug", price="12.90",
                           currency="SGD", url="https://shop.example/mug")
        await b.buyer_says(None, kind="order", order_sn="240101ABC", status="SHIPPED")
        await b.buyer_says(None, kind="live_invite")
        msgs = await b.wait(lambda: b.replies(conv) if len(b.replies(conv)) == 4 else None)
        dumped = [json.dumps(m["blocks"], ensure_ascii=False) for m in msgs]
        assert '"type": "image"' in dumped[0] and "https://img.example/p.jpg" in dumped[0]
        assert "Ceramic mug" in dumped[1] and "12.90 SGD" in dumped[1]
        assert "240101ABC" in dumped[2]
        assert "Unsupported message type" in dumped[3] and "live_invite" in dumped[3]
        raw = (await b.store.database.one("SELECT raw FROM messages WHERE kind='unknown'"))[0]
        assert "live_invite" in raw


async def test_without_customize_scope_the_name_is_shown_in_the_message(tmp_path: Path
                                                                        ) -> None:
    scopes = ("chat:write", "reactions:write", "channels:history", "channels:read",
              "channels:join", "users:read", "groups:history", "groups:read")
    async with running_bridge(tmp_path, slack_kwargs={"scopes": scopes}) as b:
        await b.buyer_says("hello there")
        conv = await b.thread()
        msg = (await b.wait(lambda: b.replies(conv) or None))[0]
        assert "username" not in msg or msg.get("username") in (None, "", "storebridge")
        first = msg["blocks"][0]
        assert first["type"] == "context" and "Rachel Tan (buyer)" in first["elements"][0]["text"]


async def test_public_channel_by_name_is_joined(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        await b.buyer_says("hi")
        await b.thread()
        joins = [c for c in b.slack.calls_to("conversations.join") if c.ok]
        assert joins and joins[0].params["channel"] == b.channels["cs-shopee-sg"]


async def test_private_channel_without_bot_is_reported_not_crashed(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, private_channel=True) as b:
        await b.market.buyer_says("my-1", "b-aisyah", "Salam, bila barang sampai?")
        await b.until(lambda: b.store.ops.counts(), lambda c: c.get("dead"))
        dead = (await b.store.database.one("SELECT error FROM slack_ops WHERE state='dead'"))[0]
        assert "not found" in dead or "not in the channel" in dead
        # The message itself is safe in the database for when the bot is invited.
        assert (await b.store.database.one("SELECT COUNT(*) FROM messages"))[0] == 1
