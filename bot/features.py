"""The explicit list of optional features, and how the core wires what they declare.

Each feature is a builder ``(Services) -> Feature | None`` (bot/feature_api.py). All
are built before any offer is shared, so the list's order changes nothing but the
order of sections on the card, the App Home and the digest.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.events import EventBus
from bot.feature_api import Feature, FeatureBuilder, Register, Services


def default_features() -> list[FeatureBuilder]:
    from bot.account_risk import feature as account_risk
    from bot.actions.feature import feature as actions
    from bot.language_select import feature as language_select
    from bot.orders import feature as orders
    from bot.team import feature as team
    from bot.templates import feature as templates
    from bot.translation import feature as translation

    return [orders, translation, team, templates, language_select, account_risk, actions]


def install(services: Services, builders: Sequence[FeatureBuilder],
            events: EventBus) -> list[Feature]:
    """Build every feature, then share their offers and wire what they declared."""
    built = [f for f in (build(services) for build in builders) if f is not None]
    slots, sections = services.slots, services.sections
    for f in built:
        slots.take(f.name, f.provides)
        sections.card.extend(f.card_sections)
        sections.home.extend(f.home_sections)
        sections.digest.extend(f.digest_sections)
        for listener in f.listeners:
            events.subscribe(listener)
        services.store.ops.card_listeners.extend(f.card_changed)
        for job in f.jobs:
            options: dict[str, Any] = {"id": job.id, "max_instances": 1, "coalesce": True}
            if job.first_run_after is not None:
                options["next_run_time"] = datetime.now(UTC) + timedelta(
                    seconds=job.first_run_after)
            if job.misfire_grace is not None:
                options["misfire_grace_time"] = job.misfire_grace
            services.scheduler.add_job(job.run, job.trigger, **options)
    # The core's own hooks, from whichever feature offers them.
    services.sender.translate_out = slots.translate_replies
    services.sender.fetch_file = slots.fetch_file
    services.relay.approval = slots.approval
    services.relay.guard = slots.reply_guard
    services.outbox.effects.card_sections.extend(sections.card)
    for run in (run for f in built for run in f.startup):  # everything is shared by now
        services.spawn(run())
    return built


def slack_registers(features: Sequence[Feature]) -> list[Register]:
    return [f.slack for f in features if f.slack is not None]
