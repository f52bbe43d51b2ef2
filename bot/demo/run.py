"""``storebridge demo``: the whole loop offline, narrated.

The sandbox marketplace and the Slack stand-in are real HTTP servers on
127.0.0.1; StoreBridge talks to them exactly as it talks to the real services
(signed webhooks in, signed API out, Slack Web API and signed Slack events).
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography.fernet import Fernet

from bot.config import (
    GroupConfig,
    SandboxConfig,
    Settings,
    SlackConfig,
    StoreConfig,
)
from bot.config_sections import TranslationConfig
from bot.demo.cancellation import cancellation_story
from bot.demo.marketplace import SandboxMarketplace
from bot.demo.narration import Narrator, describe, first_line
from bot.demo.slack_standin.slack_api import SlackEmulator
from bot.demo.slack_standin.web_view import WebView
from bot.demo.steps import step
from bot.http import build_web_app
from bot.service import Service
from bot.store.template_model import language_name
from bot.store.token_cipher import SECRET_ENV

SIZE_QUESTION = {"en": "Which size should I take? I am 165 cm.",
                 "zh": "我身高165厘米，应该选哪个尺码？"}


def demo_settings(slack: SlackEmulator, market: SandboxMarketplace, channels: dict[str, str],
                  agent: str, db_path: str, colleague: str | None = None,
                  manager: str | None = None) -> Settings:
    stores = []
    for s in market.ledger.stores.values():
        stores.append(StoreConfig(
            platform=s.platform, shop_id=s.shop_id, site=s.site, name=s.name,
            channel=f"#cs-{s.platform}-{s.site.lower()}", group="sea-team",
            connector="sandbox", credentials={"access_token": s.access_token}))
    return Settings(
        # A manager, so replies promising money wait for approval; agents may answer
        # buyers' cancellation and return requests (order_actions: members).
        ops_channel="#cs-ops", groups=(GroupConfig(
            "sea-team", members=(agent, *([colleague] if colleague else [])),
            managers=(manager,) if manager else (), order_actions="members"),),
        stores=tuple(stores),
        slack=SlackConfig(bot_token=slack.bot_token, signing_secret=slack.signing_secret,
                          api_url=slack.api_url),
        sandbox=SandboxConfig(url=market.base_url, app_key=market.app_key,
                              app_secret=market.app_secret),
        db_path=db_path, env={"SANDBOX_SEND_TIMEOUT": "5",
             # Tokens are sealed even offline; a throwaway key per demo run.
             SECRET_ENV: Fernet.generate_key().decode()}, source="<demo>",
        # Offline: the phrasebook of the sandbox's lines (never a default; check flags it).
        translation=TranslationConfig(provider="demo"))


async def story(slack: SlackEmulator, market: SandboxMarketplace, service: Service,
                n: Narrator, agent: str, manager: str) -> list[tuple[str, bool]]:
    results: list[tuple[str, bool]] = []
    shop = next(s for s in market.ledger.stores.values() if s.platform == "shopee")
    buyer = next(b for b in market.ledger.buyers.values() if b.shop_id == shop.shop_id)

    n.say(f"\n🛒 {buyer.name} writes to {shop.name} ({shop.platform} {shop.site}): "
          "“Hi, has my order shipped? 🙏”")
    await market.buyer_says(shop.shop_id, buyer.buyer_id, "Hi, has my order shipped? 🙏")

    async def conversation() -> Any:
        return await service.store.conversations.first_with_thread()

    conv = await step(n, "thread created with the conversation card", conversation, results)
    if conv is None:
        return results
    await step(n, "buyer message shown in the thread", lambda: any(
        m.get("username", "").startswith(buyer.name)
        for m in slack.replies(conv.channel_id, conv.thread_ts)), results)

    reply = "Hi! *Yes* — it left our warehouse today :truck: Tracking: <https://track.example/SPX123|SPX123>"
    n.say(f"\n👩 Mai (agent) replies in the thread: {reply}")
    ts1 = await slack.user_posts(agent, conv.channel_id, reply, thread_ts=conv.thread_ts)
    await step(n, "reply delivered to the buyer (✅)", lambda: "white_check_mark" in
                slack.reactions(conv.channel_id, ts1), results)
    sent = market.sent_messages(shop.shop_id)
    if sent:
        n.say(f"   📦 the buyer received: {sent[-1]['content'].get('text')}")

    n.say("\n💥 the marketplace is told to refuse the next reply once (it accepts it when "
          "sent again)")
    market.fail_next_send("refused")
    ts2 = await slack.user_posts(agent, conv.channel_id, "Anything else I can help with?",
                                 thread_ts=conv.thread_ts)
    await step(n, "failed send shown (❌ and a notice with Retry)", lambda: "x" in
                slack.reactions(conv.channel_id, ts2), results)
    notice = await step(n, "notice offers Retry / Edit & resend", lambda: next(
        (m for m in slack.replies(conv.channel_id, conv.thread_ts)
         if "reply_retry" in str(m.get("blocks"))), None), results)
    if notice is None:
        return results
    n.say("\n👩 Mai clicks Retry")
    await slack.user_clicks(agent, conv.channel_id, notice["ts"], "reply_retry")
    await step(n, "retried reply delivered (✅)", lambda: "white_check_mark" in
                slack.reactions(conv.channel_id, ts2), results)
    await _quick_reply_and_priority(slack, market, service, n, agent, shop, results)
    await cancellation_story(slack, market, service, n, agent, manager, results)
    return results


async def _quick_reply_and_priority(slack: SlackEmulator, market: SandboxMarketplace,
                                    service: Service, n: Narrator, agent: str, shop: Any,
                                    results: list[tuple[str, bool]]) -> None:
    """A second buyer asks about sizes; Mai answers with a quick reply, then a third
    buyer asks for a refund and the ops channel hears about it."""
    buyers = [b for b in market.ledger.buyers.values() if b.shop_id == shop.shop_id]
    second = buyers[1]
    # The sandbox knows each buyer's language: Lim Wei Ming writes Chinese, so the
    # quick reply's Chinese variant is the right one for him.
    question = SIZE_QUESTION.get(second.language, SIZE_QUESTION["en"])
    n.say(f"\n🛒 {second.name} writes ({language_name(second.language)}): “{question}”")
    await market.buyer_says(shop.shop_id, second.buyer_id, question)

    async def assigned_to_mai() -> Any:
        c = await service.store.conversations.first_with_thread(second.buyer_id)
        return c if c and c.assignee == agent else None

    conv = await step(n, "a second thread, assigned to Mai", assigned_to_mai, results)
    if conv is None:
        return
    n.say(f"\n👩 Mai types /reply Sizing/Size advice {conv.ref} (from any channel)")
    await slack.user_runs_command(agent, conv.channel_id, "/reply",
                                  f"Sizing/Size advice {conv.ref}")
    views = slack.open_views(agent)
    if views:
        view = views[-1]
        text = next(b["element"].get("initial_value", "") for b in view["blocks"]
                    if b.get("block_id", "").startswith("text_"))
        n.say(f"   📝 the modal's preview: {first_line(text)}")
        await slack.user_submits_view(agent, view["id"], {"value": text})
    await step(n, "quick reply delivered (✅)", lambda: any(
        "white_check_mark" in slack.reactions(conv.channel_id, m["ts"])
        for m in slack.replies(conv.channel_id, conv.thread_ts)), results)

    third = buyers[2] if len(buyers) > 2 else buyers[0]
    # First a plain message, so the buyer's thread exists before the alert that links to it.
    n.say(f"\n🛒 {third.name} writes: “Hello, my order came today.”")
    await market.buyer_says(shop.shop_id, third.buyer_id, "Hello, my order came today.")

    def third_thread() -> Any:  # seen in Slack: the card names the buyer
        return any(f"— {third.name} ·" in m.get("text", "")
                   for m in slack.messages(conv.channel_id))
    if await step(n, "a third thread", third_thread, results) is None:
        return
    n.say(f"\n🛒 {third.name} writes: “The mug arrived broken, I want a refund.”")
    await market.buyer_says(shop.shop_id, third.buyer_id,
                            "The mug arrived broken, I want a refund.")
    ops = next(cid for cid, name in n.channels.items() if name == "#cs-ops")
    await step(n, "priority flagged and the ops channel alerted", lambda: any(
        "Priority" in m.get("text", "") for m in slack.messages(ops)), results)
    third_conv = await service.store.conversations.first_with_thread(third.buyer_id)

    def refund_noted() -> bool:
        if third_conv is None or not third_conv.channel_id or not third_conv.thread_ts:
            return False
        return any("Refund requested for order" in m.get("text", "")
                   for m in slack.replies(third_conv.channel_id, third_conv.thread_ts))
    await step(n, "his refund request on the order, in his thread", refund_noted, results)
    await service.outbox.idle()  # his thread is told everything before the next story


async def _chatter(market: SandboxMarketplace, n: Narrator) -> None:
    rng = random.Random()
    while True:
        await asyncio.sleep(rng.uniform(4, 9))
        msg = await market.random_buyer_message(rng)
        buyer = (msg.get("buyer") or {}).get("name") or "a buyer"
        n.say(f"\n🛒 {buyer} sends: {describe(msg)}")


async def run_demo(*, once: bool, out: Callable[[str], None] = print,
                   db_dir: str | None = None, port: int = 0) -> int:
    """``port``: where the browser view of the Slack stand-in listens (0: any free port)."""
    with tempfile.TemporaryDirectory() as tmp:
        db_path = str(Path(db_dir or tmp) / "demo.db")
        async with SlackEmulator() as slack, SandboxMarketplace(auto_reply=not once) as market:
            market.seed_demo()
            names = {}
            agent = slack.add_user("mai", real_name="Mai Tran", display_name="Mai")
            arif = slack.add_user("arif", real_name="Arif Rahman", display_name="Arif")
            hana = slack.add_user("hana", real_name="Hana Lee", display_name="Hana")
            for s in market.ledger.stores.values():
                ref = f"#cs-{s.platform}-{s.site.lower()}"
                cid = slack.add_channel(ref[1:])
                slack.join(cid, agent)
                slack.join(cid, hana)  # the manager approves from the threads
                names[cid] = ref
            ops = slack.add_channel("cs-ops")
            slack.join(ops, agent)  # so the browser view shows the alerts too
            names[ops] = "#cs-ops"
            n = Narrator(names, out, users={agent: "Mai", arif: "Arif", hana: "Hana"})
            slack.on_call = n.on_call
            settings = demo_settings(slack, market, names, agent, db_path, colleague=arif,
                                     manager=hana)
            from bot.templates.cli import import_templates
            await import_templates(settings, Path(__file__).parents[1] / "templates" /
                                   "example_templates.yml")
            service = Service(settings)
            runner, base = await _serve(build_web_app(service))
            view = WebView(slack, agent, controls={
                "refuse_next_reply": ("💥 Refuse the next reply once",
                                      lambda: market.fail_next_send("refused")),
                "buyer_writes": ("🛒 A buyer writes now",
                                 lambda: market.random_buyer_message()),
            })
            try:
                await view.start(port)
                slack.configure_app(f"{base}/slack/events")
                market.set_webhook(f"{base}/webhooks/sandbox")
                n.say(f"StoreBridge demo: {len(market.ledger.stores)} sandbox stores, "
                      f"StoreBridge at {base}.\nSlack stand-in: open {view.url} in a browser "
                      "to watch, and to reply and click as Mai.")
                # Arif is off shift during the story (every conversation is Mai's), and
                # comes online after it, so Transfer has someone to hand over to.
                ops_id = next(cid for cid, name in names.items() if name == "#cs-ops")
                await slack.user_runs_command(arif, ops_id, "/cs", "idle")
                results = await story(slack, market, service, n, agent, hana)
                passed = sum(ok for _, ok in results)
                n.say(f"\n{passed} of {len(results)} steps happened.")
                if once:
                    return 0 if results and all(ok for _, ok in results) else 1
                await slack.user_runs_command(arif, ops_id, "/cs", "online")
                n.say("Arif (agent) is online now: Transfer can hand a conversation to him.")
                n.say("Buyers keep chatting (the agent is you: there is no real Slack here). "
                      "Ctrl-C to stop.")
                await _forever(_chatter(market, n))
                return 0
            finally:
                await view.stop()
                await runner.cleanup()


async def _forever(coro: Awaitable[None]) -> None:
    try:
        await coro
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("\nbye", file=sys.stderr)


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"
