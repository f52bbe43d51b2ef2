"""The Home tab follows conversations for the people looking at it: one
views.publish per viewer per refresh period (debounced), with their own filters,
nobody who has not looked lately — over the Slack stand-in's views.publish."""

from __future__ import annotations

import json
from pathlib import Path

from bot.team import TeamFeature
from bot.team.home_refresh import EVERY_SECONDS, FRESH_SECONDS
from tests.harness import Bridge, running_bridge
from tests.test_team_home_panel import act_in_home, open_home


def publishes(b: Bridge, user: str) -> int:
    return len([c for c in b.slack.calls_to("views.publish")
                if c.ok and c.params.get("user_id") == user])


async def test_open_homes_follow_conversation_changes_debounced(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2) as b:
        mai, an = b.agents
        refresher = b.service.feature(TeamFeature).home_refresh
        job = b.service.scheduler.get_job("home_refresh")
        assert job is not None and job.trigger.interval.total_seconds() == EVERY_SECONDS
        job.pause()  # the test ticks itself, so the counts are its own
        await open_home(b, mai)
        await refresher.tick()  # settles on today's state
        before = {mai: publishes(b, mai), an: publishes(b, an)}
        assert await refresher.tick() == 0  # nothing changed: nobody is re-published

        for i in range(3):  # a burst: three messages before the next tick
            await b.buyer_says(f"question {i}")
        conv = await b.thread()
        await b.until(lambda: b.store.conversations.get(conv.id), lambda c: c.unread >= 3)
        assert await refresher.tick() == 1
        assert publishes(b, mai) == before[mai] + 1  # once for the burst
        assert publishes(b, an) == before[an]  # An never opened Home
        view = json.dumps(b.slack.workspace.home_views[mai]["blocks"], ensure_ascii=False)
        assert conv.ref in view and "question 2" in view

        # Filters are kept: Mai picked "unassigned only"; the refresh keeps them.
        view = await act_in_home(b, mai, "home_filter_assignee", "-")
        kept = b.slack.workspace.home_views[mai]["private_metadata"]
        assert json.loads(kept) == {"assignee": "-"}
        await b.slack.user_clicks(mai, conv.channel_id, conv.thread_ts, "conversation_close")
        await b.until(lambda: b.store.conversations.get(conv.id), lambda c: c.status == "closed")
        assert await refresher.tick() == 1
        assert b.slack.workspace.home_views[mai]["private_metadata"] == kept

        # Someone who has not looked for a while costs nothing.
        b.clock.advance(FRESH_SECONDS + 60)
        await b.buyer_says("later question")
        await b.until(lambda: b.store.conversations.get(conv.id), lambda c: c.status == "open")
        count = publishes(b, mai)
        assert await refresher.tick() == 0
        assert publishes(b, mai) == count


async def test_the_scheduled_job_refreshes_an_open_home(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        await open_home(b, b.agent)
        await b.buyer_says("Is the blue one back in stock?")
        conv = await b.thread()
        # No call from the test: the job (every EVERY_SECONDS) publishes it.
        await b.wait(lambda: conv.ref in json.dumps(b.slack.workspace.home_views[b.agent]),
                     timeout=3 * EVERY_SECONDS)


async def test_many_viewers_share_the_rate_limit_over_several_ticks(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=5) as b:
        refresher = b.service.feature(TeamFeature).home_refresh
        b.service.scheduler.get_job("home_refresh").pause()  # the test ticks itself
        people = [*b.agents, b.manager, b.outsider]  # seven people look at Home
        for user in people:
            await open_home(b, user)
        await refresher.tick()  # the first tick: one round for whoever is pending
        while await refresher.tick():
            pass
        counts = {u: publishes(b, u) for u in people}
        await b.buyer_says("a change everyone should see")
        await b.thread()
        per_tick = refresher.per_tick
        assert per_tick == 5
        assert await refresher.tick() == per_tick
        assert await refresher.tick() == len(people) - per_tick  # the rest, next tick
        assert await refresher.tick() == 0
        assert all(publishes(b, u) == counts[u] + 1 for u in people)  # each exactly once
