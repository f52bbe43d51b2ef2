"""What one buyer message costs: SQL statements on the push path, Slack calls.

The issue measured 27-34 statements per buyer message in an existing
conversation (49 for a new one) and 3 Slack calls for a new conversation, the
third a card update identical to the root just posted."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.harness import Bridge, running_bridge

#: The issue's target. The claim's facts reach the listeners in the event (no re-reads),
#: which brought the push path to 10.
PUSH_PATH_LIMIT = 12


class StatementCount:
    """Every statement the service's database runs, with the task that ran it:
    background workers are named (``slack:<channel>``, ``leases``); the webhook
    request's own handler is not."""

    def __init__(self, b: Bridge) -> None:
        self.db = b.store.database
        self.statements: list[tuple[str, str]] = []
        self._original = self.db._execute

    async def _spy(self, sql: str, args: tuple[Any, ...], *, fetch: str) -> Any:
        task = asyncio.current_task()
        self.statements.append((task.get_name() if task else "", sql))
        return await self._original(sql, args, fetch=fetch)

    def __enter__(self) -> StatementCount:
        self.db._execute = self._spy  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        self.db._execute = self._original  # type: ignore[method-assign]

    def push_path(self) -> list[str]:
        return [sql for name, sql in self.statements
                if not name.startswith(("slack:", "leases", "sender:"))]

    def slack_side(self) -> list[str]:
        return [sql for name, sql in self.statements if name.startswith("slack:")]


def slack_writes(b: Bridge) -> list[str]:
    return [c.method for c in b.slack.calls if c.method.startswith(("chat.", "reactions."))]


async def test_buyer_message_costs_few_statements_and_slack_calls(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        b.service.scheduler.pause()  # periodic jobs are not the push path
        before = len(slack_writes(b))
        with StatementCount(b):
            await b.buyer_says("Hi, has my order shipped?")
            conv = await b.thread()
            await b.wait(lambda: len(b.replies(conv)) == 1)
            await b.settle()
        # The root already renders the first message: no identical card update.
        assert slack_writes(b)[before:] == ["chat.postMessage", "chat.postMessage"]

        before = len(slack_writes(b))
        with StatementCount(b) as count:
            await b.buyer_says("It was due yesterday")
            await b.wait(lambda: len(b.replies(conv)) == 2)
            await b.settle()
        push = count.push_path()
        assert any(s.startswith("INSERT OR IGNORE INTO messages") for s in push)
        assert len(push) <= PUSH_PATH_LIMIT, "\n".join(push)
        # The thread message, and the card (unread count, last message) once.
        assert slack_writes(b)[before:] == ["chat.postMessage", "chat.update"]
        # The Slack side: claim, post, record the ts, finish, for two ops.
        assert len(count.slack_side()) <= 26, "\n".join(count.slack_side())
