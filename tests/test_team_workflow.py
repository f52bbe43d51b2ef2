"""Team workflow driven by signed Slack payloads: status, assignment, transfer,
close/reopen, hand-over, SLA (clock moved by the test), priority words."""

from __future__ import annotations

import json
from pathlib import Path

from bot.config import SlaConfig
from bot.config_sections import BusinessHours
from bot.team import TeamFeature
from tests.harness import Bridge, running_bridge


def card_of(b: Bridge, conv) -> str:  # noqa: ANN001
    return json.dumps(b.slack.message(conv.channel_id, conv.thread_ts)["blocks"],
                      ensure_ascii=False)


async def cs(b: Bridge, user: str, text: str) -> str:
    await b.slack.user_runs_command(user, b.channels["cs-shopee-sg"], "/cs", text)
    answer = await b.wait(lambda: [r for r in b.slack.responses if r.user_id == user])
    b.slack.responses.clear()
    return json.dumps(answer[-1].payload, ensure_ascii=False)


def thread_notes(b: Bridge, conv) -> list[str]:  # noqa: ANN001
    return [m.get("text", "") for m in b.replies(conv) if not m.get("username")]


async def test_new_conversations_go_to_online_members_least_loaded(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2) as b:
        mai, an = b.agents
        await b.buyer_says("first buyer")
        c1 = await b.thread()
        assert (await b.store.conversations.get(c1.id)).assignee == mai  # tie: first listed
        await b.buyer_says("second buyer", buyer="b-daniel")
        row = await b.until(lambda: b.store.database.one(
            "SELECT assignee FROM conversations WHERE buyer_id = 'b-daniel'"),
            lambda r: r[0] is not None)  # assignment follows the claim
        assert row[0] == an  # mai already has one
        await b.wait(lambda: f"<@{mai}>" in card_of(b, c1))


async def test_idle_agents_get_no_new_conversations_and_nobody_online_tells_ops(
        tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2) as b:
        mai, an = b.agents
        assert "idle" in await cs(b, mai, "idle")
        await b.buyer_says("hello")
        conv = await b.thread()
        assert (await b.store.conversations.get(conv.id)).assignee == an
        assert "idle" in await cs(b, an, "idle")
        await b.buyer_says("anyone?", buyer="b-daniel")
        ops = b.channels["cs-ops"]
        await b.wait(lambda: any("Nobody in *team* is online" in m["text"]
                                 for m in b.slack.messages(ops)))
        # An idle agent keeps answering the conversations they have.
        ts = await b.agent_replies(conv, "Still here for you", user=an)
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        assert "online" in await cs(b, mai, "online")


async def test_the_agent_who_served_the_buyer_before_is_preferred(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2) as b:
        mai, an = b.agents
        await b.buyer_says("hello")
        conv = await b.thread()
        await b.slack.user_clicks(an, conv.channel_id, conv.thread_ts, "assign_to_me")
        await b.until(lambda: b.store.conversations.get(conv.id), lambda c: c.assignee == an)
        ts = await b.agent_replies(conv, "Hi!", user=an)
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        await b.slack.user_clicks(an, conv.channel_id, conv.thread_ts, "conversation_close")
        await b.until(lambda: b.store.conversations.get(conv.id), lambda c: c.status == "closed")
        await b.store.team.assign(conv.id, None, actor=an, kind="released")
        # Same buyer, other store of the same platform would also go to An; here the
        # conversation reopens unassigned and An (who served her) gets it back,
        # although Mai has fewer open conversations.
        await b.buyer_says("one more question")
        await b.until(lambda: b.store.conversations.get(conv.id), lambda c: c.assignee == an)
        events = [r[0] for r in await b.store.database.all(
            "SELECT kind FROM conversation_events WHERE conversation_id = ? ORDER BY id",
            conv.id)]
        assert "closed" in events and "reopened" in events
        closed = (await b.store.database.one("SELECT detail FROM conversation_events WHERE kind = "
                                      "'closed'"))[0]
        assert json.loads(closed)["service_seconds"] >= 0


async def test_assign_to_me_is_for_the_store_team_only(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        await b.buyer_says("hello")
        conv = await b.thread()
        await b.slack.user_clicks(b.outsider, conv.channel_id, conv.thread_ts, "assign_to_me")
        await b.wait(lambda: any("Only agents of this store" in e["text"]
                                 for e in b.slack.ephemerals(b.outsider)))
        assert (await b.store.conversations.get(conv.id)).assignee == b.agent


async def test_transfer_to_member_and_group_with_errors_for_idle(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=3) as b:
        mai, an, binh = b.agents
        await b.buyer_says("I need help with sizes")
        conv = await b.thread()
        await cs(b, binh, "idle")
        await b.slack.user_clicks(mai, conv.channel_id, conv.thread_ts, "transfer_open")
        view = (await b.wait(lambda: b.slack.open_views(mai)))[-1]
        refused = await b.slack.user_submits_view(mai, view["id"], {"member": {"member": binh}})
        assert "errors" in json.dumps(refused.json) and "idle" in json.dumps(refused.json)
        ok = await b.slack.user_submits_view(
            mai, view["id"], {"member": {"member": an},
                              "note": {"note": "Buyer wants a size chart <!here>"}})
        assert ok.status == 200 and not (ok.json or {}).get("errors")
        await b.until(lambda: b.store.conversations.get(conv.id), lambda c: c.assignee == an)
        note = await b.wait(lambda: [t for t in thread_notes(b, conv) if "transferred" in t])
        assert f"<@{mai}>" in note[0] and f"<@{an}>" in note[0]
        assert "<!here>" not in note[0]  # the note is escaped
        dm = await b.wait(lambda: [c for c in b.slack.calls_to("chat.postMessage")
                                   if c.ok and c.params["channel"].startswith("D")])
        assert conv.ref in dm[0].params["text"] and "Open the thread" in dm[0].params["text"]
        await b.wait(lambda: f"<@{an}>" in card_of(b, conv))
        # To the group: an online member other than the sender is picked.
        await b.slack.user_clicks(an, conv.channel_id, conv.thread_ts, "transfer_open")
        view = (await b.wait(lambda: b.slack.open_views(an)))[-1]
        await b.slack.user_submits_view(an, view["id"], {"group": {"group": "team"}})
        await b.until(lambda: b.store.conversations.get(conv.id), lambda c: c.assignee == mai)


async def test_shift_handover_moves_everything_with_notes(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2) as b:
        mai, an = b.agents
        await b.buyer_says("Where is my parcel? It was due Monday.")
        conv = await b.thread()
        ts = await b.agent_replies(conv, "It ships tomorrow, I promise")
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        await b.buyer_says("another", buyer="b-daniel")
        await b.until(lambda: b.store.database.one(
            "SELECT assignee FROM conversations WHERE buyer_id = 'b-daniel'"),
            lambda row: row[0] is not None)  # auto-assigned first, then moved to Mai
        await b.store.team.assign((await b.store.database.one(
            "SELECT id FROM conversations WHERE buyer_id = 'b-daniel'"))[0], mai, actor=None,
            kind="test")
        # Mai picks An from the @ list; with the manifest's should_escape: false the app
        # receives "handover @An" (see tests/test_team_handover_names.py).
        answer = await cs(b, mai, f"handover <@{an}>")
        assert "Handed 2 conversation(s) over" in answer
        assert await b.store.team.open_of(mai) == []
        note = await b.wait(lambda: [t for t in thread_notes(b, conv) if "hand-over" in t])
        assert "Where is my parcel?" in note[0] and "It ships tomorrow" in note[0]


async def test_sla_reminder_then_escalation_without_sleeping(tmp_path: Path) -> None:
    sla = SlaConfig(first_response_minutes=5, reminder_minutes=3, escalation_minutes=10)
    async with running_bridge(tmp_path, sla=sla) as b:
        await b.buyer_says("hello?")
        conv = await b.thread()
        tick = b.service.feature(TeamFeature).sla.tick
        assert await tick() == []
        b.clock.advance(4 * 60)
        assert await tick() == [(conv.ref, "reminder")]
        assert await tick() == []  # once
        note = await b.wait(lambda: [t for t in thread_notes(b, conv) if "SLA reminder" in t])
        assert f"<@{b.agent}>" in note[0]
        b.clock.advance(7 * 60)
        assert await tick() == [(conv.ref, "escalation")]
        await b.wait(lambda: any("SLA escalation" in m["text"] and conv.ref in m["text"]
                                 for m in b.slack.messages(b.channels["cs-ops"])))
        # An answer resets the clock: nothing more for this wait.
        ts = await b.agent_replies(conv, "Sorry! Here now.")
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        b.clock.advance(60 * 60)
        assert await tick() == []


async def test_sla_counts_business_hours_only(tmp_path: Path) -> None:
    closed_all_week = BusinessHours(start="09:00", end="09:01", days=(), timezone="UTC")
    sla = SlaConfig(first_response_minutes=5, reminder_minutes=3, escalation_minutes=10,
                    business_hours=closed_all_week)
    async with running_bridge(tmp_path, sla=sla) as b:
        await b.buyer_says("hello at night")
        await b.thread()
        b.clock.advance(24 * 3600)
        assert await b.service.feature(TeamFeature).sla.tick() == []


async def test_priority_words_flag_the_card_and_alert_ops_once(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        await b.buyer_says("Tôi muốn hoàn tiền, hàng bị vỡ")
        conv = await b.thread()
        await b.wait(lambda: "Priority:* damaged, refund" in card_of(b, conv))
        await b.buyer_says("I want a refund now")
        await b.buyer_says("REFUND!!")
        await b.settle()
        alerts = [m for m in b.slack.messages(b.channels["cs-ops"]) if "Priority" in m["text"]]
        assert len(alerts) == 1 and conv.ref in alerts[0]["text"]


async def test_same_buyer_links(tmp_path: Path) -> None:
    from bot.config import StoreConfig

    outlet = StoreConfig(platform="shopee", shop_id="sg-2", site="SG", name="Kopi Outlet",
                         channel="#cs-shopee-sg", group="team", connector="sandbox",
                         credentials={"access_token": "tok-sg2"})
    async with running_bridge(tmp_path, extra_stores=(outlet,)) as b:
        b.market.add_store("sg-2", "shopee", "SG", "Kopi Outlet", "tok-sg2", "en")
        b.market.add_buyer("sg-2", "b-rachel", "Rachel Tan", "en")
        await b.buyer_says("hi from the first store")
        first = await b.thread()
        await b.market.buyer_says("sg-2", "b-rachel", "and hi from the outlet")
        second = await b.thread("sg-2")
        await b.buyer_says("and again in the first")
        await b.wait(lambda: "Also talking to *Kopi Outlet*" in card_of(b, first))
        assert second.ref in card_of(b, first)
        assert f"archives/{second.channel_id}/p" in card_of(b, first)  # a link to the thread


async def test_presence_away_counts_as_idle_when_enabled(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2, presence_idle=True) as b:
        mai, an = b.agents
        b.slack.workspace.presence[mai] = "away"
        await b.service.feature(TeamFeature).presence.refresh()
        await b.buyer_says("hello")
        conv = await b.thread()
        assert (await b.store.conversations.get(conv.id)).assignee == an
        b.slack.workspace.presence[mai] = "active"
        await b.service.feature(TeamFeature).presence.refresh()
        assert await b.service.feature(TeamFeature).roster.online(mai)


async def test_cs_stats_and_the_daily_digest_are_wired(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, digest_time="08:30", timezone="Asia/Singapore") as b:
        await b.buyer_says("hello")
        conv = await b.thread()
        ts = await b.agent_replies(conv, "Hi!")
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        stats = await cs(b, b.agent, "stats")
        assert "Kopi" in stats and "median" in stats.lower()
        job = b.service.scheduler.get_job("daily_digest")
        assert job is not None and "hour='8'" in str(job.trigger)
        assert "minute='30'" in str(job.trigger) and str(job.trigger.timezone) == "Asia/Singapore"
