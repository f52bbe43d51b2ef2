"""An agent's images in a thread reach the buyer as image messages, over real HTTP:
the Slack stand-in serves the file_share event and the downloads (bot token and
files:read required), the sandbox marketplace takes the upload and the send."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest

from tests.harness import Bridge, running_bridge
from tests.image_samples import PDF, jpeg, png


async def started(b: Bridge):  # noqa: ANN201 - the conversation, thread ready
    await b.buyer_says("The cup arrived broken, look")
    conv = await b.thread()
    await b.wait(lambda: b.replies(conv) or None)
    return conv


def sent(b: Bridge) -> list[tuple[str, object]]:
    return [(m["type"], m["content"].get("text") or m["content"].get("width"))
            for m in b.market.sent_messages("sg-1")]


async def test_text_and_two_images_leave_in_order_with_reactions(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        ts = await b.slack.user_shares_files(
            b.agent, conv.channel_id, [("a.png", png(40, 30), "image/png"),
                                       ("b.jpg", jpeg(64, 48), "image/jpeg")],
            text="Here is the replacement", thread_ts=conv.thread_ts)
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        assert sent(b) == [("text", "Here is the replacement"), ("image", 40), ("image", 64)]
        assert b.slack.downloads and all(ok for _, ok in b.slack.downloads)
        row = await b.store.conversations.message_by_ts(conv.channel_id, ts)
        assert row.state == "delivered" and row.parts_done == 3
        assert [f["name"] for f in row.attributes["files"]] == ["a.png", "b.jpg"]


async def test_pdf_refused_privately_image_still_sent(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        ts = await b.slack.user_shares_files(
            b.agent, conv.channel_id, [("invoice.pdf", PDF, "application/pdf"),
                                       ("photo.png", png(20, 20), "image/png")],
            thread_ts=conv.thread_ts)
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        told = await b.wait(lambda: [e for e in b.slack.ephemerals(b.agent)
                                     if "invoice.pdf" in e["text"]])
        assert "images only" in told[0]["text"]
        assert sent(b) == [("image", 20)]


async def test_image_over_the_platform_limit_is_refused_with_the_reason(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        ts = await b.slack.user_shares_files(
            b.agent, conv.channel_id, [("huge.png", png(5000, 10), "image/png")],
            thread_ts=conv.thread_ts)
        told = await b.wait(lambda: [e for e in b.slack.ephemerals(b.agent)
                                     if "huge.png" in e["text"]])
        assert "5000×10 pixels" in told[0]["text"] and "4096" in told[0]["text"]
        await b.wait(lambda: "x" in b.reactions(conv, ts))
        assert sent(b) == []


async def test_pdf_alone_is_refused_and_nothing_queued(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        ts = await b.slack.user_shares_files(
            b.agent, conv.channel_id, [("spec.pdf", PDF, "application/pdf")],
            thread_ts=conv.thread_ts)
        await b.wait(lambda: [e for e in b.slack.ephemerals(b.agent) if "spec.pdf" in e["text"]])
        assert await b.store.conversations.message_by_ts(conv.channel_id, ts) is None
        assert sent(b) == []


async def test_transient_failure_is_retried_and_the_image_sent_once(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        b.market.fail_next_send("transient", count=1)
        ts = await b.slack.user_shares_files(
            b.agent, conv.channel_id, [("a.png", png(10, 10), "image/png")],
            thread_ts=conv.thread_ts)
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        assert sent(b) == [("image", 10)]


async def test_lost_answer_is_never_resent_blindly(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        b.market.fail_next_send("timeout", count=1)
        ts = await b.slack.user_shares_files(
            b.agent, conv.channel_id, [("a.png", png(10, 10), "image/png")],
            thread_ts=conv.thread_ts)
        await b.wait(lambda: "x" in b.reactions(conv, ts), timeout=15)
        notice = await b.wait(lambda: next((m for m in b.replies(conv)
                                            if "reply_retry" in json.dumps(m.get("blocks"))), None))
        assert "cannot tell whether a.png reached the buyer" in notice["text"]
        assert sent(b) == [("image", 10)]  # it did arrive: one copy, not two


async def test_without_files_read_the_agent_is_told_to_reinstall(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        b.slack.scopes = tuple(s for s in b.slack.scopes if s != "files:read")
        conv = await started(b)
        ts = await b.slack.user_shares_files(
            b.agent, conv.channel_id, [("a.png", png(10, 10), "image/png")],
            thread_ts=conv.thread_ts)
        await b.wait(lambda: "x" in b.reactions(conv, ts))
        notice = await b.wait(lambda: next((m for m in b.replies(conv)
                                            if "reinstall the app" in json.dumps(m.get("blocks"))),
                                           None))
        assert "files:" in json.dumps(notice["blocks"])
        assert b.slack.downloads == [(b.slack.downloads[0][0], False)]
        assert sent(b) == []


async def test_image_reply_on_the_shopee_emulator(tmp_path: Path) -> None:
    """Shopee's own flow: sellerchat/upload_image, then send_message type image; a PNG
    too big for Shopee's limit is refused by the connector before any upload."""
    from tests.emulators.shopee import SHOP_ID
    from tests.test_orders_bot import BUYER, chatting
    from tests.test_platform_e2e import platform_bridge

    async with platform_bridge(tmp_path, "shopee") as (b, h):
        conv = await chatting(b, h)
        ts = await b.slack.user_shares_files(
            b.agent, conv.channel_id, [("crack.jpg", jpeg(800, 600), "image/jpeg")],
            thread_ts=conv.thread_ts)
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts), timeout=10)
        shopee = h.emulator.conversation(SHOP_ID, BUYER)
        images = [m.content for m in shopee.messages
                  if m.from_shop_id == SHOP_ID and m.message_type == "image"]
        assert len(images) == 1 and images[0]["url"] in h.emulator.rich.uploads
        ts = await b.slack.user_shares_files(
            b.agent, conv.channel_id, [("scan.gif", b"GIF89a\x10\x00\x10\x00\x00\x00\x00;",
                                        "image/gif")], thread_ts=conv.thread_ts)
        told = await b.wait(lambda: [e for e in b.slack.ephemerals(b.agent)
                                     if "scan.gif" in e["text"]], timeout=10)
        assert "GIF" in told[0]["text"] and "Shopee" in told[0]["text"]
        assert len([m for m in shopee.messages if m.message_type == "image"]) == 1


@pytest.mark.parametrize("platform", ["shopee", "lazada", "tiktok"])
async def test_image_whose_answer_was_lost_is_looked_up_not_resent(tmp_path: Path,
                                                                   platform: str) -> None:
    """The platform takes the image, then the connection drops before its answer. The
    emulators do not de-duplicate a repeated send: only the look-up by the uploaded
    image's URL keeps the buyer from getting it twice (and the reply from turning ❌)."""
    from tests.test_platform_e2e import platform_bridge

    async with platform_bridge(tmp_path, platform) as (b, h), aiohttp.ClientSession() as http:
        headers, body, _ = h.signed_push("The cup arrived broken", "c1")
        async with http.post(f"{b.base_url}/webhooks/{platform}", data=body,
                             headers=headers) as r:
            assert r.status == 200
        conv = await b.thread(str(h.store.shop_id))
        h.drop_next_send()
        ts = await b.slack.user_shares_files(
            b.agent, conv.channel_id, [("crack.jpg", jpeg(64, 48), "image/jpeg")],
            thread_ts=conv.thread_ts)
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts), timeout=20)
        row = await b.store.conversations.message_by_ts(conv.channel_id, ts)
        assert row.state == "delivered" and row.parts_done == 1
        kept = row.attributes["uploads"]["0"]["url"]
        assert h.sent_images("c1") == [kept]  # one image, the one uploaded, not two
        await b.settle()
        assert h.sent_images("c1") == [kept]
