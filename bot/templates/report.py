"""The weekly list of templates nobody used for 30 days, for the ops channel."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from apscheduler.triggers.cron import CronTrigger

from bot.feature_api import Job
from bot.render.labels import slack_date
from bot.slack_work import SlackWork
from bot.store.template_model import Template
from bot.store.templates import Templates
from bot.text_safety import escape_mrkdwn

if TYPE_CHECKING:
    from bot.feature_api import Services

STALE_DAYS = 30
JOB_ID = "templates_stale_report"
MAX_LINES = 200  # the rest is counted, not listed: a report is read, not scrolled


async def post_stale_report(service: Services, repo: Templates, now: float) -> int:
    """Queue the report in the ops channel; returns how many templates are stale
    (nothing is posted when none are, or when no ops channel is configured)."""
    stale = await repo.unused_since(now - STALE_DAYS * 86400)
    channel = service.settings.ops_channel
    if not stale or not channel:
        return len(stale)
    text, blocks = render(stale)
    await service.store.ops.enqueue(channel, SlackWork.POST_CHANNEL, payload={"text": text,
                                                                      "blocks": blocks})
    service.outbox.kick(channel)
    return len(stale)


def render(stale: list[Template]) -> tuple[str, list[dict[str, Any]]]:
    head = (f"🗂️ {len(stale)} quick-reply template(s) unused for {STALE_DAYS} days. "
            "Update or delete them with `/templates`.")
    lines = [f"• *{escape_mrkdwn(t.topic)}* — {escape_mrkdwn(t.name)} · "
             + (f"last used {slack_date(t.last_used_at)} ({t.usage_count}× in all)"
                if t.last_used_at else "never used")
             for t in stale[:MAX_LINES]]
    if len(stale) > MAX_LINES:
        lines.append(f"…and {len(stale) - MAX_LINES} more.")
    blocks: list[dict[str, Any]] = [{"type": "section",
                                     "text": {"type": "mrkdwn", "text": head}}]
    chunk: list[str] = []
    for line in lines:  # a section holds 3000 characters
        if sum(len(x) + 1 for x in chunk) + len(line) > 2900:
            blocks.append(_section(chunk))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(_section(chunk))
    return head, blocks[:50]


def _section(lines: list[str]) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}


def stale_report_job(service: Services, repo: Templates) -> Job:
    """Mondays 09:00 in the server's time zone."""
    async def job() -> None:
        year, week, _ = datetime.fromtimestamp(service.clock(), UTC).isocalendar()
        if await service.store.books.claim_period("stale_templates", f"{year}-W{week:02d}"):
            await post_stale_report(service, repo, service.clock())

    return Job(JOB_ID, job, CronTrigger(day_of_week="mon", hour=9), misfire_grace=3600)
