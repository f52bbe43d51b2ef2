"""Translation with a shared memory (PRODUCT §2.6).

``install(service)`` wires it into the core: buyer messages get a translation
beneath them (ingest's ``on_new_message``), agents' replies may be translated
before sending (the sender's ``translate_out``), failures are retried by scheduler
jobs, and ``service.translator`` serves other features (template previews).
Nothing is wired when the provider is ``none``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.features import Register
from bot.translation.actions import TranslationActions
from bot.translation.glossary import Glossary
from bot.translation.inbound import InboundTranslations
from bot.translation.providers import DEFAULT_TIMEOUT, Provider, TranslationError
from bot.translation.service import Translator
from bot.translation.slack import listeners

if TYPE_CHECKING:
    from bot.service import Service

__all__ = ["TranslationError", "Translator", "install"]

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


def install(service: Service) -> Register | None:
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
    service.ingest.on_new_message.append(inbound.on_new_message)
    service.sender.translate_out = translator.translate_reply
    service.translator = translator  # read by the templates feature
    inbound.start()
    return listeners(TranslationActions(service, translator))
