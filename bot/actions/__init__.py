"""Agents act from Slack, not only type: images out (and, as they land, cards, order
actions, an approval gate and a response-rate guard). Installed like every feature."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.actions.images import SlackFileFetcher
from bot.features import Register

if TYPE_CHECKING:
    from bot.service import Service


def install(service: Service) -> Register | None:
    slack = service.settings.slack
    service.sender.fetch_file = SlackFileFetcher(service.session, slack.bot_token, slack.api_url)
    return None
