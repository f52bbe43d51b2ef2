"""Translation with a shared memory (PRODUCT §2.6).

``feature(service)`` declares what it adds: buyer messages get a translation beneath
them (it listens to ``MessageClaimed``), agents' replies may be translated before
sending (the ``translate_replies`` slot, the sender's hook), failures are retried by
scheduler jobs, and the ``translator`` slot serves other features (template
previews). Nothing is added when the provider is ``none``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from apscheduler.triggers.interval import IntervalTrigger

from bot.feature_api import Feature, Job, MessageClaimed, Services, Slots, on
from bot.translation.actions import TranslationActions
from bot.translation.glossary import Glossary
from bot.translation.inbound import SWEEP_MINUTES, InboundTranslations
from bot.translation.providers import DEFAULT_TIMEOUT, Provider, TranslationError
from bot.translation.service import Translator
from bot.translation.slack import listeners

__all__ = ["TranslationError", "Translator", "feature"]

log = logging.getLogger(__name__)

#: Optional tuning through the environment (seconds).
TIMEOUT_ENV = "STOREBRIDGE_TRANSLATION_TIMEOUT"
RETRY_ENV = "STOREBRIDGE_TRANSLATION_RETRY_SECONDS"
DEFAULT_RETRY = 5.0


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        log.warning("%s=%r is not a positive number of seconds; using %g", name, raw, default)
        return default
    return value


def feature(service: Services) -> Feature | None:
    settings = service.settings
    if settings.translation.provider == "none":
        return None
    provider = Provider.from_config(settings.translation,
                                    timeout=_seconds(settings.env, TIMEOUT_ENV, DEFAULT_TIMEOUT))
    translator = Translator(service.store.database, provider,
                            Glossary(settings, service.store.database),
                            team_language=settings.team_language,
                            scope_of=service.relay.access.team_scope)
    inbound = InboundTranslations(service, translator,
                                  retry_base=_seconds(settings.env, RETRY_ENV, DEFAULT_RETRY))
    return Feature(
        "translation", inbound,
        listeners=(on(MessageClaimed, inbound.on_message),),
        # The sweep picks up what a previous process left pending, failed or unstarted.
        jobs=(Job("translation-sweep", inbound.sweep, IntervalTrigger(minutes=SWEEP_MINUTES),
                  first_run_after=0),),
        slack=listeners(TranslationActions(service, translator)),
        provides=Slots(translator=translator, translate_replies=translator.translate_reply))
