"""Authorize Slack's requests without asking Slack: one workspace, one bot token.

Bolt's single-workspace authorization calls ``auth.test`` before the first listener
runs, and answers an error while Slack's Web API is down (at start-up, nothing is
cached yet): events, commands and clicks were then rejected and never recorded.
Signatures are verified by bolt before this runs, so the bot token and what the
outbox learned from its own ``auth.test`` (when Slack answered) are all a request
needs; what needs Slack happens later, through the outbox, when Slack answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

#: (bot user id, bot id), known once an ``auth.test`` succeeded; (None, None) before.
Identity = Callable[[], tuple[str | None, str | None]]


def authorize_locally(token: str, identity: Identity
                      ) -> Callable[..., Awaitable[AuthorizeResult]]:
    async def authorize(enterprise_id: str | None, team_id: str | None,
                        user_id: str | None) -> AuthorizeResult:
        bot_user_id, bot_id = identity()
        # Unknown ids only cost bolt's self-event filter; the relay ignores bot messages.
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=token,
                               bot_user_id=bot_user_id, bot_id=bot_id, user_id=user_id)
    return authorize


def without_token(client: AsyncWebClient) -> AsyncWebClient:
    """The same client, tokenless: bolt then takes the token from ``authorize`` (with a
    token of its own, bolt would insist on its ``auth.test`` authorization)."""
    return AsyncWebClient(token=None, base_url=client.base_url, timeout=client.timeout,
                          ssl=client.ssl, proxy=client.proxy, session=client.session,
                          headers=client.headers, logger=client.logger,
                          retry_handlers=client.retry_handlers)
