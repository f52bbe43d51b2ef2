"""Scheduled posts go out once per period even if several workers run the job."""

from __future__ import annotations

from pathlib import Path

from bot.templates.report import JOB_ID
from tests.harness import running_bridge


async def test_weekly_stale_report_posts_once_per_week(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        from bot.store.templates import Templates

        await Templates(b.store.database).upsert("Logistics", "Old one", "Hello {buyer_name}", {})
        b.clock.advance(40 * 86400)
        job = b.service.scheduler.get_job(JOB_ID)
        await job.func()
        await job.func()  # a second worker's scheduler, same week
        await b.settle()
        ops = b.channels["cs-ops"]
        reports = [m for m in b.slack.messages(ops) if "unused for 30 days" in m["text"]]
        assert len(reports) == 1
        b.clock.advance(7 * 86400)
        await job.func()
        await b.settle()
        assert len([m for m in b.slack.messages(ops) if "unused for 30 days" in m["text"]]) == 2
