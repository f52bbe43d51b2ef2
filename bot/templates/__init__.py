"""Quick replies: templates with placeholders and language variants, sent from a
modal (message shortcut, card button, ``/reply``) and managed with ``/templates``."""

from __future__ import annotations

from typing import Any

from bot.feature_api import Feature, Services
from bot.store.templates import Templates
from bot.templates.manage import register_manage
from bot.templates.report import stale_report_job
from bot.templates.slack import register_reply

__all__ = ["feature"]


def feature(service: Services) -> Feature:
    """The weekly stale-template report, and the Slack listeners."""
    repo = Templates(service.store.database)

    def register(app: Any) -> None:
        register_reply(app, service, repo)
        register_manage(app, service, repo)

    return Feature("templates", jobs=(stale_report_job(service, repo),), slack=register)
