"""Quick replies: templates with placeholders and language variants, sent from a
modal (message shortcut, card button, ``/reply``) and managed with ``/templates``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.store.templates import Templates
from bot.templates.manage import register_manage
from bot.templates.report import schedule
from bot.templates.slack import register_reply

if TYPE_CHECKING:
    from bot.features import Register
    from bot.service import Service

__all__ = ["install"]


def install(service: Service) -> Register:
    """Wire the feature: the weekly stale-template report, and the Slack listeners."""
    repo = Templates(service.store.database)
    schedule(service, repo)

    def register(app: Any) -> None:
        register_reply(app, service, repo)
        register_manage(app, service, repo)

    return register
