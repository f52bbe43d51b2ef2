"""The explicit list of optional features wired into the service.

A feature is ``install(service) -> register`` : it connects its hooks to the
core (ingest listeners, the sender's translation hook, scheduled jobs) and
returns a function that registers its Slack listeners on the bolt app (or None).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.service import Service

Register = Callable[[Any], None]
Installer = Callable[["Service"], Register | None]


def default_features() -> list[Installer]:
    from bot.account_risk import install as account_risk
    from bot.actions import install as actions
    from bot.buyer_language import install as buyer_language
    from bot.orders import install as orders
    from bot.team import install as team
    from bot.templates import install as templates
    from bot.translation import install as translation

    # Orders first: the team feature's hand-over notes use its open-orders text.
    return [orders, translation, team, templates, buyer_language, account_risk, actions]
