"""What agents' translation clicks mean: fix a translation, translate my replies.

Bolt-free on purpose: ``slack.py`` translates the payloads and calls in here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.store.rows import Conversation, Message
from bot.text_safety import escape_untrusted
from bot.translation.providers import normalise, same_language
from bot.translation.service import Translator

if TYPE_CHECKING:
    from bot.feature_api import Services

NOT_AGENT = "Only agents of this store's team can change its translations."


class TranslationActions:
    def __init__(self, service: Services, translator: Translator) -> None:
        self.service = service
        self.translator = translator

    async def fixable(self, message_id: int, user: str) -> tuple[Message, Conversation] | None:
        """The buyer message and its conversation if ``user`` may fix its translation;
        otherwise None (and the user has been told why, when there is a thread)."""
        store = self.service.store
        msg = await store.conversations.message(message_id)
        if msg is None or msg.direction != "in":
            return None
        conv = await store.conversations.get(msg.conversation_id)
        if conv is None:
            return None
        if not self.service.relay.may_reply(user, conv.store_key):
            await self.service.relay.tell(conv, user, NOT_AGENT)
            return None
        return msg, conv

    async def save_correction(self, message_id: int, user: str, text: str) -> str | None:
        """Store ``text`` as the translation of this message's text, for the store's
        team from now on, and show it with who corrected it. Returns a problem in words, or None."""
        text = text.strip()
        if not text:
            return "Write the translation to save."
        store = self.service.store
        msg = await store.conversations.message(message_id)
        conv = await store.conversations.get(msg.conversation_id) if msg else None
        if msg is None or conv is None or msg.direction != "in":
            return "That message no longer exists."
        if not self.service.relay.may_reply(user, conv.store_key):
            return NOT_AGENT
        team = self.translator.team_language
        await self.translator.correct(msg.text, conv.buyer_language or "auto", team, text, by=user,
                                store_key=conv.store_key, shown=msg.translation)
        name = await self.service.outbox.directory.user_name(user)
        await store.conversations.set_translation(msg.id, "done", text, normalise(team), by=name)
        self.service.outbox.kick(conv.channel_ref)
        return None

    async def toggle_replies(self, conversation_id: int, user: str) -> None:
        """Flip "translate my replies" for a conversation; the card shows the new state."""
        store = self.service.store
        conv = await store.conversations.get(conversation_id)
        if conv is None:
            return
        relay = self.service.relay
        if not relay.may_reply(user, conv.store_key):
            await relay.tell(conv, user, NOT_AGENT)
            return
        on = not conv.translate_replies
        lang = conv.buyer_language
        shown = escape_untrusted(lang or "")  # the marketplace's label, shown in mrkdwn
        team = self.translator.team_language
        if on and not lang:
            await relay.tell(conv, user, "The marketplace has not told StoreBridge this buyer's "
                       "language, so replies cannot be translated for them.")
            return
        if on and same_language(lang, team):
            await relay.tell(conv, user, f"This buyer writes in the team's language ({shown}); "
                       "replies go out as written.")
            return
        await store.conversations.set_translate_replies(conv.id, on)
        self.service.outbox.kick(conv.channel_ref)
        await relay.tell(conv, user,
                         f"Replies in this conversation are now translated into {shown} "
                   "before they are sent; the thread shows what the buyer received." if on
                   else "Replies in this conversation now go out as written.")
