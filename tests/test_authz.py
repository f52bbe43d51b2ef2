"""Least privilege, as a hostile colleague tries it (issue 10): a ``visitor`` in every
channel but in no team, and ``an`` of another team. Every card button, modal and
command is checked against the conversation's store as stored; refusals are
private; a forged button ``value`` or modal changes nothing.

Two teams (``two_teams=True``): the Shopee SG store belongs to group "team" (Mai,
manager Bo), the Lazada MY store to group "other" (An); Ada is the admin.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.authz import NOT_AGENT
from bot.store import Conversation
from connectors.orders import Order, OrderItem, OrderStatus
from tests.harness import Bridge, running_bridge
from tests.test_team_home_panel import open_home
from tests.test_templates_support import add_template

SG, MY = "sg-1", "my-1"
REFUSED = "not an agent of this store's team"


async def conversation(b: Bridge, shop: str = SG) -> Conversation:
    buyer = "b-rachel" if shop == SG else "b-aisyah"
    await b.buyer_says("Hi, has my order shipped?", shop=shop, buyer=buyer)
    conv = await b.thread(shop)
    await b.wait(lambda: b.replies(conv) or None)
    return await b.store.conversations.get(conv.id)


def told(b: Bridge, user: str, words: str = REFUSED) -> Any:
    return b.wait(lambda: [e for e in b.slack.ephemerals(user) if words in e["text"]])


def card(b: Bridge, conv: Conversation) -> str:
    return json.dumps(b.slack.message(conv.channel_id, conv.thread_ts)["blocks"])


async def test_visitor_cannot_close_or_reopen(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2, two_teams=True) as b:
        conv = await conversation(b)
        await b.slack.user_clicks(b.outsider, conv.channel_id, conv.thread_ts,
                                  "conversation_close")
        await told(b, b.outsider)
        assert (await b.store.conversations.get(conv.id)).status == "open"
        await b.slack.user_clicks(b.agent, conv.channel_id, conv.thread_ts, "conversation_close")
        await b.until(lambda: b.store.conversations.get(conv.id), lambda c: c.status == "closed")
        await b.wait(lambda: "conversation_reopen" in card(b, conv))
        b.slack.ephemerals(b.outsider).clear()
        await b.slack.user_clicks(b.outsider, conv.channel_id, conv.thread_ts,
                                  "conversation_reopen")
        await told(b, b.outsider)
        assert (await b.store.conversations.get(conv.id)).status == "closed"


async def test_another_team_cannot_close_by_editing_the_button_value(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2, two_teams=True) as b:
        an = b.agents[1]
        sg = await conversation(b, SG)
        my = await conversation(b, MY)
        # An's own card (MY), the value edited to name Mai's conversation (SG).
        await b.slack.user_clicks(an, my.channel_id, my.thread_ts, "conversation_close",
                                  value=str(sg.id))
        await told(b, an)
        assert (await b.store.conversations.get(sg.id)).status == "open"
        assert (await b.store.conversations.get(my.id)).status == "open"
        # Their own conversation they may close.
        await b.slack.user_clicks(an, my.channel_id, my.thread_ts, "conversation_close")
        await b.until(lambda: b.store.conversations.get(my.id), lambda c: c.status == "closed")


async def test_visitor_cannot_open_transfer_nor_see_the_buyer(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2, two_teams=True) as b:
        conv = await conversation(b)
        await b.slack.user_clicks(b.outsider, conv.channel_id, conv.thread_ts, "transfer_open")
        await told(b, b.outsider)
        assert not b.slack.open_views(b.outsider)
        assert (await b.store.conversations.get(conv.id)).assignee == b.agent


async def test_transfer_offers_and_accepts_only_who_may_reply(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=3, two_teams=True) as b:
        mai, an, binh = b.agents
        conv = await conversation(b)
        await b.slack.user_clicks(mai, conv.channel_id, conv.thread_ts, "transfer_open")
        view = (await b.wait(lambda: b.slack.open_views(mai)))[-1]
        shown = json.dumps(view["blocks"])
        assert binh in shown and an not in shown  # An's team does not serve this store
        assert '"value": "team"' in shown and '"value": "other"' not in shown
        # A forged submission naming An (not among the options) is refused …
        ws = b.slack.workspace
        ws.views[view["id"]]["blocks"][1]["element"]["options"].append(
            {"text": {"type": "plain_text", "text": "An"}, "value": an})
        forged = await b.slack.user_submits_view(mai, view["id"], {"member": {"value": an}})
        assert "not on this store's team" in json.dumps(forged.json)
        assert (await b.store.conversations.get(conv.id)).assignee == mai
        # … and a real one to Binh goes through.
        ok = await b.slack.user_submits_view(mai, view["id"], {"member": {"value": binh}})
        assert not (ok.json or {}).get("errors")
        await b.until(lambda: b.store.conversations.get(conv.id), lambda c: c.assignee == binh)
        await b.slack.replay(ok)  # a replayed submission: no second note, no second DM
        await b.settle()
        notes = [m for m in b.replies(conv) if "transferred this conversation" in m["text"]]
        dms = [c for c in b.slack.calls_to("chat.postMessage")
               if c.ok and "handed you conversation" in c.params.get("text", "")]
        assert len(notes) == 1 and len(dms) == 1


async def test_forged_transfer_submit_from_another_team_changes_nothing(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2, two_teams=True) as b:
        an = b.agents[1]
        sg = await conversation(b, SG)
        my = await conversation(b, MY)
        await b.slack.user_clicks(an, my.channel_id, my.thread_ts, "transfer_open")
        view = (await b.wait(lambda: b.slack.open_views(an)))[-1]
        # An's own modal, its private_metadata edited to Mai's conversation.
        b.slack.workspace.views[view["id"]]["private_metadata"] = str(sg.id)
        answer = await b.slack.user_submits_view(an, view["id"], {"group": {"value": "other"}})
        assert "not an agent of this store" in json.dumps(answer.json)
        assert (await b.store.conversations.get(sg.id)).assignee == b.agent


async def order(b: Bridge, store_key: str, buyer: str, order_id: str, item: str) -> None:
    now = datetime.now(UTC)
    await b.store.orders.upsert(store_key, Order(
        shop_id=store_key.split(":")[1], order_id=order_id, buyer_id=buyer,
        status=OrderStatus.SHIPPED, platform_status="SHIPPED", amount="10", currency="SGD",
        created_at=now, updated_at=now, items=(OrderItem(item, 1),), tracking_no="TRK-1"))


async def test_orders_of_another_store_are_not_shown(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2, two_teams=True) as b:
        an = b.agents[1]
        await order(b, "shopee:sg-1", "b-rachel", "SG-ORDER-1", "Secret Mug")
        await order(b, "lazada:my-1", "b-aisyah", "MY-ORDER-1", "Baju Kurung")
        sg = await conversation(b, SG)
        my = await conversation(b, MY)
        await b.wait(lambda: "orders_open" in card(b, my))
        # An's Orders button, its value edited to Mai's conversation: no items, no view.
        await b.slack.user_clicks(an, my.channel_id, my.thread_ts, "orders_open",
                                  value=str(sg.id))
        await told(b, an)
        assert not b.slack.open_views(an)
        await b.slack.user_clicks(an, my.channel_id, my.thread_ts, "orders_open")
        view = (await b.wait(lambda: b.slack.open_views(an)))[-1]
        assert "Baju Kurung" in json.dumps(view) and "Secret Mug" not in json.dumps(view)
        # /cs order: another store's order is not known to An; Mai and the admin see it.
        for user, sees in ((an, False), (b.agent, True), (b.admin, True)):
            b.slack.responses.clear()
            await b.slack.user_runs_command(user, sg.channel_id, "/cs", "order SG-ORDER-1")
            answer = json.dumps((await b.wait(lambda: b.slack.responses))[-1].payload)
            assert ("Secret Mug" in answer) is sees, (user, answer)
            assert ("TRK-1" in answer) is sees


async def test_cs_stats_shows_only_the_persons_stores(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2, two_teams=True) as b:
        an = b.agents[1]
        await conversation(b, SG)
        await conversation(b, MY)

        async def stats(user: str) -> str:
            b.slack.responses.clear()
            await b.slack.user_runs_command(user, b.channels["cs-ops"], "/cs", "stats")
            return json.dumps((await b.wait(lambda: b.slack.responses))[-1].payload,
                              ensure_ascii=False)
        mine, theirs, none = await stats(b.agent), await stats(an), await stats(b.outsider)
        assert "Kopi" in mine and "Men's Clothing" not in mine
        assert "Men's Clothing" in theirs and "Kopi" not in theirs
        assert "not on any store's team" in none and "Kopi" not in none


async def test_edit_and_resend_never_shows_another_agents_text(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2, two_teams=True) as b:
        conv = await conversation(b)
        b.market.fail_next_send("blocked")
        await b.agent_replies(conv, "Your ID-card number ends 1234")
        notice = await b.wait(lambda: next((m for m in b.replies(conv)
                                            if "reply_edit_resend" in json.dumps(m["blocks"])),
                                           None))
        for user in (b.outsider, b.agents[1]):
            await b.slack.user_clicks(user, conv.channel_id, notice["ts"], "reply_edit_resend")
            await told(b, user)
            assert not b.slack.open_views(user)
            await b.slack.user_clicks(user, conv.channel_id, notice["ts"], "reply_retry")
        await b.settle()
        assert b.sent_texts() == []


async def test_retry_sync_runs_once_then_says_when_it_may_run_again(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2, two_teams=True) as b:
        b.market.set_down(True)
        assert await b.service.repair("shopee:sg-1") == 0
        channel = b.channels["cs-shopee-sg"]
        banner = await b.wait(lambda: next((m for m in b.slack.messages(channel)
                                            if "store_retry_sync" in json.dumps(m.get("blocks"))),
                                           None))
        # Still down: the banner keeps its button, as when clicks come faster than a sync.
        runs: list[str] = []
        real = b.service.repair

        async def counted(key: str, full: bool = False) -> int:
            runs.append(key)
            return await real(key, full)
        b.service.repair = counted  # type: ignore[method-assign]
        # Someone of no team, and An of the other team, may not start it.
        for user in (b.outsider, b.agents[1]):
            await b.slack.user_clicks(user, channel, banner["ts"], "store_retry_sync")
            await told(b, user)
        for _ in range(20):
            await b.slack.user_clicks(b.agent, channel, banner["ts"], "store_retry_sync")
        await b.settle()
        assert runs == ["shopee:sg-1"]
        later = await told(b, b.agent, "may run again in")
        assert len(later) == 19 and "60 s" in later[0]["text"]


async def test_visibility_follows_membership(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2, two_teams=True) as b:
        an = b.agents[1]
        sg = await conversation(b, SG)
        my = await conversation(b, MY)

        async def home_of(user: str) -> str:
            return json.dumps(await open_home(b, user), ensure_ascii=False)

        assert sg.ref in await home_of(b.agent) and my.ref not in await home_of(b.agent)
        assert my.ref in await home_of(an) and sg.ref not in await home_of(an)
        visitor = await home_of(b.outsider)
        assert sg.ref not in visitor and my.ref not in visitor
        assert "Rachel" not in visitor and "Kopi" not in visitor
        admin = await home_of(b.admin)
        assert sg.ref in admin and my.ref in admin


def test_refusals_are_plain_words() -> None:
    assert "<" not in NOT_AGENT and "*" not in NOT_AGENT and len(NOT_AGENT) < 200


async def test_template_picker_and_replayed_submission(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2, two_teams=True) as b:
        an = b.agents[1]
        conv = await conversation(b)
        await add_template(b, "Greetings", "Hello", "Hello {buyer_name}!")
        await b.slack.user_clicks(b.agent, conv.channel_id, conv.thread_ts, "template_open")
        view = (await b.wait(lambda: b.slack.open_views(b.agent)))[-1]
        mine = await b.slack.user_searches_options(b.agent, view["id"], "template_pick", "")
        assert "Hello" in json.dumps(mine.json)
        # The same picker request, forged by An for Mai's modal: nothing is listed.
        b.slack.workspace.view_stacks.setdefault(an, []).append(view["id"])
        forged = await b.slack.user_searches_options(an, view["id"], "template_pick", "")
        assert forged.json == {"options": []}
        b.slack.workspace.view_stacks[an].remove(view["id"])

        await b.slack.user_acts_in_view(b.agent, view["id"], "template_pick",
                                        mine.json["option_groups"][0]["options"][0])
        view = await b.wait(lambda: next((v for v in b.slack.open_views(b.agent)
                                          if "Hello Rachel" in json.dumps(v)), None))
        sent = await b.slack.user_submits_view(b.agent, view["id"], {"value": "Hello Rachel!"})
        assert sent.ok and not (sent.json or {}).get("errors")
        for _ in range(2):  # the same submission replayed
            again = await b.slack.replay(sent)
            assert again.status == 200
        await b.wait(lambda: b.sent_texts() == ["Hello Rachel!"])
        await b.settle()
        assert b.sent_texts() == ["Hello Rachel!"]


def test_admins_are_slack_user_ids_in_the_config() -> None:
    from bot.config import ConfigError
    from bot.config_read import parse_settings
    settings = parse_settings({"admins": ["U01OWNER"]}, {}, "<test>")
    assert settings.admins == ("U01OWNER",)
    try:
        parse_settings({"admins": ["ada"]}, {}, "<test>")
    except ConfigError as e:
        assert any("admins[0]" in p and "Slack user id" in p for p in e.problems)
    else:
        raise AssertionError("a name instead of a user id was accepted")


def test_approvals_and_order_answers_are_decided_in_one_place() -> None:
    """bot/authz.py answers who approves held replies and who answers buyer requests;
    the approval gate and the order actions only ask it."""
    from bot.authz import Access
    from bot.config import GroupConfig, Settings, StoreConfig

    team = StoreConfig("shopee", "1", "SG", "X", "#x", group="team")
    bare = StoreConfig("shopee", "2", "SG", "Y", "#y", group="crew")  # a group, no managers
    lone = StoreConfig("shopee", "3", "SG", "Z", "#z")  # no group
    groups = (GroupConfig("team", ("U1",), ("U2",)), GroupConfig("crew", ("U3",)))
    access = Access(Settings(groups=groups, stores=(team, bare, lone), admins=("U7",)))
    assert access.approvers("shopee:1") == ("U2",)
    assert access.may_approve("U2", "shopee:1") and access.may_approve("U7", "shopee:1")
    assert not access.may_approve("U1", "shopee:1")
    assert access.approvers("shopee:2") == access.approvers("shopee:3") == ("U7",)
    assert not access.may_approve("U2", "shopee:2")  # a manager of another group
    assert access.approvers("shopee:9") == () and not access.may_approve("U7", "shopee:9")
    assert Access(Settings(stores=(lone,))).approvers("shopee:3") == ()  # nobody: never held
    assert access.may_act_on_orders("U7", "shopee:3") and not access.may_act_on_orders(
        "U3", "shopee:2")
