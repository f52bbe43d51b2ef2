"""A template reply in the making: the conversation's facts, the chosen variant
filled in, and exactly what the buyer would receive."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from bot.store import Conversation
from bot.store.template_model import Template, normalise_language
from bot.templates.placeholders import fill, unfilled
from bot.text_safety import slack_to_plain

if TYPE_CHECKING:
    from bot.feature_api import Services

log = logging.getLogger(__name__)

#: Order facts and back-translation come from other features over the network;
#: a slow answer must not cost the modal (Slack's trigger lives 3 s).
LOOKUP_TIMEOUT = 1.5


@dataclass(frozen=True)
class Draft:
    conversation: Conversation
    store_name: str
    site: str
    template: Template | None
    language: str | None  # the variant's language; None: the default body
    text: str  # what the agent edits
    preview: str  # what the buyer receives: the sender's own conversion of ``text``
    missing: tuple[str, ...]  # placeholders without a value, still in ``text``
    #: "off" (no line), "pending", "done" (``back_translation`` set) or "failed"
    back_state: str = "off"
    back_translation: str | None = None
    hint: str | None = None
    #: The buyer's language when "Translate my replies" will translate this text
    #: on its way out (the preview then shows the text before translation).
    translated_into: str | None = None


def may_reply(service: Services, user: str, conv: Conversation) -> bool:
    try:
        return service.relay.may_reply(user, conv.store_key)
    except KeyError:  # the store was removed from the configuration
        return False


async def store_facts(service: Services, conv: Conversation) -> tuple[str, str]:
    row = await service.store.books.store_row(conv.store_key) or {}
    name = str(row.get("nickname") or row.get("name") or conv.store_key)
    return name, str(row.get("site") or "")


async def values_for(service: Services, conv: Conversation, user: str) -> dict[str, str]:
    """Placeholder values for this conversation and agent; absent ones are left out."""
    store_name, site = await store_facts(service, conv)
    values = {"buyer_name": conv.buyer_name, "store": store_name, "site": site,
              "agent": await service.outbox.directory.user_name(user)}
    order_facts = service.slots.order_facts  # the orders feature's, when it is there
    if order_facts is not None:
        try:
            facts: dict[str, Any] = await asyncio.wait_for(order_facts(conv.id),
                                                           LOOKUP_TIMEOUT)
        except Exception:  # noqa: BLE001 - no order facts: those placeholders are flagged
            log.warning("order facts for conversation %s unavailable", conv.id, exc_info=True)
            facts = {}
        values.update({k: str(v) for k, v in (facts or {}).items() if v not in (None, "")})
    return values


async def draft(service: Services, conv: Conversation, user: str,
                template: Template | None, *, text: str | None = None,
                hint: str | None = None) -> Draft:
    """``text`` None: the template's variant for this buyer, filled in; otherwise
    the agent's edited text, previewed as is."""
    store_name, site = await store_facts(service, conv)
    language = None
    if template is not None:
        body, language = template.text_for(conv.buyer_language, service.settings.team_language)
        if text is None:
            text = fill(body, await values_for(service, conv, user)).text
    text = text or ""
    preview = await slack_to_plain(text, service.outbox.directory.user_name)
    d = Draft(conv, store_name, site, template, language, text, preview,
              tuple(unfilled(text)), hint=hint,
              translated_into=_translated_on_send(service, conv, language))
    return replace(d, back_state="pending") if wants_back_translation(service, d) else d


def _translated_on_send(service: Services, conv: Conversation,
                        language: str | None) -> str | None:
    buyer = normalise_language(conv.buyer_language)
    if not (conv.translate_replies and buyer and service.slots.translator is not None):
        return None
    if _base(buyer) == _base(normalise_language(service.settings.team_language)):
        return None
    return None if language and _base(language) == _base(buyer) else buyer


def _base(code: str | None) -> str:
    return (code or "").split("-")[0]


def wants_back_translation(service: Services, d: Draft) -> bool:
    """Only text in a language other than the team's needs checking, and only when
    the translation feature is there to do it."""
    if service.slots.translator is None or not d.language or not d.preview:
        return False
    return _base(d.language) != _base(normalise_language(service.settings.team_language))


async def with_back_translation(service: Services, d: Draft) -> Draft:
    translator = service.slots.translator
    if translator is None or d.back_state != "pending" or not d.language:
        return d
    try:
        back = await asyncio.wait_for(translator.back_translate(d.preview, d.language),
                                      LOOKUP_TIMEOUT * 4)
    except Exception:  # noqa: BLE001 - a translation failure never blocks the reply
        log.warning("back-translation failed", exc_info=True)
        back = None
    return replace(d, back_state="done" if back else "failed", back_translation=back)
