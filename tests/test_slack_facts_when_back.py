"""Slack's facts (workspace URL, the chat:write.customize grant) are learnt again when
Slack answers after an outage, not only at boot; user names have one cache."""

from __future__ import annotations

from pathlib import Path

from tests.harness import running_bridge


async def test_identity_is_learnt_when_slack_comes_back(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        outbox = b.service.outbox
        # As after a boot while Slack was unreachable: nothing learnt yet.
        outbox.identity_known = False
        outbox.effects.workspace_url = None
        outbox.effects.customize = False
        await b.slack.go_down()
        await b.buyer_says("Hello, anyone there?")
        await b.until(lambda: b.store.ops.counts(), lambda c: c.get("pending", 0) > 0)
        await b.slack.come_back()
        conv = await b.thread()
        await b.wait(lambda: b.replies(conv) or None, timeout=20)
        await b.wait(lambda: outbox.identity_known, timeout=10)
        assert b.service.workspace_url and outbox.effects.customize
        # Posts from now on carry the buyer's name and thread links.
        await b.buyer_says("Second question")
        await b.wait(lambda: len(b.replies(conv)) >= 2, timeout=10)
        assert b.replies(conv)[-1].get("username", "").startswith("Rachel Tan")


async def test_user_names_have_one_cache(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        from bot.team.home import user_names

        assert await user_names(b.service, [b.agent]) == {b.agent: "Mai"}
        calls = len(b.slack.calls_to("users.info"))
        assert await b.service.directory.user_name(b.agent) == "Mai"
        assert await user_names(b.service, [b.agent]) == {b.agent: "Mai"}
        assert len(b.slack.calls_to("users.info")) == calls  # asked once, for both
