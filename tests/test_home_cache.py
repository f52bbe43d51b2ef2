"""App Home views are reused per person and filters, and rebuilt as soon as a
conversation the viewer sees (or one assigned to them) changes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from bot.store.home import HomeFilters
from bot.team import TeamFeature
from bot.team.home_cache import HomeCache
from tests.harness import Bridge, running_bridge


async def opened(b: Bridge, user: str) -> dict[str, Any]:
    """Open the Home tab; the view Slack received for it."""
    before = len(b.slack.calls_to("views.publish"))
    await b.slack.user_opens_home(user)
    call = await b.wait(lambda: (c := b.slack.calls_to("views.publish")[before:]) and c[0])
    view = call.params["view"]
    return json.loads(view) if isinstance(view, str) else view


async def test_home_is_reused_until_a_conversation_it_shows_changes(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        cache = b.service.feature(TeamFeature).home_cache
        await b.buyer_says("Hi, has my order shipped?")
        conv = await b.thread()
        await b.until(lambda: b.store.conversations.get(conv.id), lambda c: c.assignee)
        await b.settle()

        first = await opened(b, b.agent)
        assert "has my order shipped" in json.dumps(first)
        assert (cache.hits, cache.misses) == (0, 1)
        again = await opened(b, b.agent)
        assert again == first and (cache.hits, cache.misses) == (1, 1)
        # Another person's panel is their own.
        await opened(b, b.manager)
        assert cache.misses == 2

        await b.buyer_says("Actually, please cancel it")
        await b.until(lambda: b.store.conversations.get(conv.id),
                      lambda c: "cancel it" in (c.last_summary or ""))
        await b.settle()
        fresh = await opened(b, b.agent)
        assert "please cancel it" in json.dumps(fresh)
        assert cache.misses == 3


async def test_a_conversation_assigned_to_me_rebuilds_my_home(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2) as b:
        colleague = b.agents[1]
        await b.store.team.set_status(b.agent, "idle")  # new conversations go elsewhere
        await b.buyer_says("Hello?")
        conv = await b.thread()
        await b.until(lambda: b.store.conversations.get(conv.id), lambda c: c.assignee)
        await b.settle()
        assert "My conversations* (0)" in json.dumps(await opened(b, b.agent))
        await b.store.team.assign(conv.id, b.agent, actor=colleague, kind="transferred")
        assert "My conversations* (1)" in json.dumps(await opened(b, b.agent))


def test_assignment_drops_the_assignees_views_even_when_they_did_not_show_it() -> None:
    cache = HomeCache(clock=lambda: 0.0)
    view = {"blocks": [{"type": "section", "block_id": "mine:conv:7"}]}
    cache.put("U1", None, "online|None", view)
    cache.put("U2", None, "online|None", view)
    cache.conversation_changed(99)  # shown by nobody
    assert cache.get("U1", None, "online|None") == view
    cache.conversation_changed(99, assignee="U1")
    assert cache.get("U1", None, "online|None") is None
    assert cache.get("U2", None, "online|None") == view
    cache.conversation_changed(7)
    assert cache.get("U2", None, "online|None") is None


def test_views_expire() -> None:
    now = [0.0]
    cache = HomeCache(ttl=15, clock=lambda: now[0])
    cache.put("U1", None, "", {"blocks": []})
    now[0] = 14.0
    assert cache.get("U1", None, "") is not None
    now[0] = 15.5
    assert cache.get("U1", None, "") is None


async def test_store_counts_are_computed_once_for_everyone_then_refreshed() -> None:
    now = [0.0]
    cache = HomeCache(clock=lambda: now[0])
    calls = []

    async def compute() -> dict[str, int]:
        calls.append(now[0])
        await asyncio.sleep(0.01)
        return {"open": len(calls)}

    f = HomeFilters()
    together = await asyncio.gather(*(cache.counts(f, compute) for _ in range(5)))
    assert together == [{"open": 1}] * 5 and len(calls) == 1
    now[0] = 4.0
    assert await cache.counts(f, compute) == {"open": 1}
    assert await cache.counts(HomeFilters(site="SG"), compute) == {"open": 2}  # own filters
    now[0] = 5.5
    assert await cache.counts(f, compute) == {"open": 3}
