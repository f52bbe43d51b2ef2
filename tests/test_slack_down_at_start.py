"""Slack outages never reject Slack's requests (issue 10): events, commands and
clicks are verified by signature and recorded without calling Slack first."""

from __future__ import annotations

from pathlib import Path

from bot.http import build_web_app
from bot.service import Service
from tests.harness import running_bridge, serve
from tests.test_authz import card, conversation


async def test_slack_web_api_down_at_start_up_loses_nothing(tmp_path: Path) -> None:
    """StoreBridge restarts while Slack's Web API is down. Bolt used to call
    auth.test before its first listener, so every event and click got an error and
    nothing was recorded. Now both are recorded and acted on at once (the reply
    reaches the buyer), and what needs Slack follows when it is back."""
    async with running_bridge(tmp_path) as b:
        conv = await conversation(b)
        await b.slack.go_down()
        assert b.runner is not None
        await b.runner.cleanup()  # the old process stops …
        b.service = Service(b.service.settings, repair_on_start=False, clock=b.clock)
        runner, base = await serve(build_web_app(b.service))  # … a new one starts
        try:
            b.slack.configure_app(f"{base}/slack/events")
            assert not b.service.outbox.reachable
            event = await b.slack.user_posts(b.agent, conv.channel_id, "Shipped today!",
                                             thread_ts=conv.thread_ts)
            click = await b.slack.user_clicks(b.agent, conv.channel_id, conv.thread_ts,
                                              "conversation_close")
            assert click.status == 200
            await b.wait(lambda: b.sent_texts() == ["Shipped today!"])  # no Slack needed
            await b.until(lambda: b.store.conversations.get(conv.id),
                          lambda c: c.status == "closed")
            await b.slack.come_back()
            await b.wait(lambda: "white_check_mark" in b.reactions(conv, event), timeout=20)
            await b.wait(lambda: "conversation_reopen" in card(b, conv), timeout=20)
        finally:
            await runner.cleanup()
