"""The language a conversation's buyer writes in, on every platform.

Each buyer text message is detected (:func:`bot.language.detect`); the conversation's
language combines the platform's word, the detected history and the site's default
(:func:`bot.language.buyer_language`) and is stored on the conversation, where reply
translation, template variants and back-translation read it. A team member's choice
from the card sticks: later messages no longer change it.
"""

from __future__ import annotations

from typing import Any

from bot.language import MIN_SHARE, SUPPORTED, buyer_language, detect, normalize
from bot.store import Store

NAMES = {"vi": "Vietnamese", "th": "Thai", "ms": "Malay", "id": "Indonesian",
         "tl": "Filipino", "zh-Hans": "Chinese (simplified)",
         "zh-Hant": "Chinese (traditional)", "pt": "Portuguese", "es": "Spanish",
         "en": "English"}
SOURCES = {"platform": "from the marketplace", "detected": "detected",
           "site": "the site's default", "team": "set by the team"}
ACTION_ID = "buyer_language_set"


def language_name(code: str | None) -> str:
    return NAMES.get(code or "", code or "unknown")


class BuyerLanguages:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def observe(self, conversation_id: int, message_id: int | None, *, site: str,
                      text: str | None = None, reported: str | None = None) -> None:
        """A buyer message was claimed (or the platform reported a language). On the
        push path: one read of the conversation and its recent detections, and writes
        only for what changed."""
        buyers = self.store.buyers
        facts = await buyers.language_facts(conversation_id)
        if facts is None:
            return
        found = detect(text) if text and message_id is not None else None
        if found:
            await buyers.note_detected(message_id or 0, found)
        history = [found, *facts.detected] if found else facts.detected
        platform = facts.platform
        said = str(normalize(reported)) if reported and normalize(reported) else None
        if said and said != platform:
            await buyers.note_platform_language(conversation_id, said)
            platform = said
        if facts.source == "team":
            return
        chosen = buyer_language(history, site, platform)
        top = history.count(chosen) / len(history) if history else 0.0
        how = "platform" if platform else "detected" if top >= MIN_SHARE else "site"
        if (chosen, how) != (facts.language, facts.source):
            await buyers.set_language(conversation_id, chosen, how)

    async def correct(self, conversation_id: int, language: str) -> bool:
        if language not in SUPPORTED:
            return False
        return await self.store.buyers.set_language(conversation_id, language, "team")


def language_block(conv_id: int, language: str | None, source: str | None
                   ) -> dict[str, Any]:
    """The card's language line with a select to correct it."""
    options = [{"text": {"type": "plain_text", "text": NAMES[c]}, "value": c}
               for c in SUPPORTED]
    select: dict[str, Any] = {"type": "static_select", "action_id": ACTION_ID,
                              "placeholder": {"type": "plain_text", "text": "Change"},
                              "options": options}
    if language in NAMES:
        select["initial_option"] = next(o for o in options if o["value"] == language)
    how = f" ({SOURCES[source]})" if source in SOURCES else ""
    return {"type": "section", "block_id": f"language:{conv_id}",
            "text": {"type": "mrkdwn",
                     "text": f"🗣 *Language:* {language_name(language)}{how}"},
            "accessory": select}
