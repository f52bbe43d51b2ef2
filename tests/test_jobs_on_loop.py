"""Scheduled jobs run on the event loop, and one tick delivers everything due.

The issue saw 20 of 20 SLA ticks raise ``RuntimeError: no running event loop``:
the jobs ran on APScheduler's thread pool and woke the Slack outbox from there,
so at most one reminder per tick was queued. Jobs are coroutines now; this test
runs them through the scheduler itself and fails if a job is a plain function
(APScheduler would run it on a worker thread) or wakes Slack from another thread.
"""

from __future__ import annotations

import inspect
import threading
from datetime import UTC, datetime
from pathlib import Path

from bot.config import SlaConfig
from bot.team import TeamFeature
from tests.harness import BUYER, SHOP, Bridge, running_bridge

BUYERS = ((SHOP, BUYER), (SHOP, "b-daniel"), ("my-1", "b-aisyah"))


def posted(b: Bridge, words: str) -> list[str]:
    return [c.params.get("text", "") for c in b.slack.calls_to("chat.postMessage")
            if c.ok and words in str(c.params.get("text", ""))]


async def run_now(b: Bridge, job_id: str) -> None:
    """Let the scheduler itself run the job now (not a direct call)."""
    b.service.scheduler.get_job(job_id).modify(next_run_time=datetime.now(UTC))
    b.service.scheduler.wakeup()


async def test_sla_job_runs_on_the_loop_and_delivers_every_due_reminder(tmp_path: Path) -> None:
    sla = SlaConfig(first_response_minutes=5, reminder_minutes=3, escalation_minutes=10)
    async with running_bridge(tmp_path, sla=sla) as b:
        for job in b.service.scheduler.get_jobs():
            assert inspect.iscoroutinefunction(job.func), f"job {job.id} would run in a thread"
        loop_thread = threading.get_ident()
        woken_from: set[int] = set()
        wake = b.service.feature(TeamFeature).sla.wake_slack

        def spy(ref: str) -> None:
            woken_from.add(threading.get_ident())
            wake(ref)

        b.service.feature(TeamFeature).sla.wake_slack = spy
        for shop, buyer in BUYERS:
            await b.buyer_says("hello?", shop=shop, buyer=buyer)
        await b.until(lambda: b.store.team.sla_due(b.clock() + 3600),
                      lambda due: len(due) == 3 and all(c.thread_ts for c in due))
        await b.settle()

        b.clock.advance(4 * 60)
        await run_now(b, "sla")
        await b.wait(lambda: len(posted(b, "SLA reminder")) == 3)
        b.clock.advance(7 * 60)
        await run_now(b, "sla")
        await b.wait(lambda: len(posted(b, "SLA escalation")) == 3)
        assert woken_from == {loop_thread}
        # Escalated: nothing left for the SLA tick to look at, however long it waits.
        assert await b.store.team.sla_due(b.clock() + 86400) == []
