"""The reply guard: a typed reply that looks like a slip waits for its author.

A reply written in a language the buyer does not write (and that will not be
translated for them), or naming an order number stored for another buyer or store,
or another of the seller's stores, is recorded ``unconfirmed`` (⏳; the sender never
takes it) and its author is asked privately in the thread: **Send anyway** or
**Cancel**. The answer is claimed in the database before anything is sent, so two
clicks (or two workers) act once; a reply sent anyway still passes the approval
gate. Editing the reply checks the new text again. ``reply_guard: {enabled,
language, orders}`` switches it (top level or per store).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.actions.reply_guard_rules import order_tokens, reply_language, same_language
from bot.buyer_language import language_name
from bot.language import SITE_LANGUAGES, normalize
from bot.relay import id_if
from bot.slack_work import SlackWork
from bot.store import Conversation, Message
from bot.text_safety import escape_untrusted

if TYPE_CHECKING:
    from bot.feature_api import Register, Services

SEND, CANCEL = "reply_guard_send", "reply_guard_cancel"
NOT_YOURS = ("Only the agent who wrote this reply, or a manager of the store, can send or "
             "cancel it.")
ANSWERED = "This reply was already sent or cancelled."
GONE = "That reply no longer exists."


class ReplyGuard:
    def __init__(self, service: Services) -> None:
        self.service = service
        self.store = service.store
        self._names: tuple[Any, re.Pattern[str], dict[str, tuple[str, set[str]]]] | None = None
        self.settings = service.settings
        self.access = service.relay.access

    # -- the checks --------------------------------------------------------------------
    async def reason(self, conv: Conversation, user: str, text: str) -> str | None:
        """Why ``user`` should look again before ``text`` reaches this buyer, or None."""
        cfg = self.settings.reply_guard_for(conv.store_key)
        if cfg.checks_orders:
            found = await self._other_order(conv, user, text) or self._other_store(conv, text)
            if found:
                return found
        return self._language(conv, text) if cfg.checks_language else None

    def _language(self, conv: Conversation, text: str) -> str | None:
        buyer = normalize(conv.buyer_language)
        written = reply_language(text)
        if not buyer or not written:
            return None
        accepted = [buyer]
        if conv.language_source in (None, "site"):  # a guess: any of the site's languages
            site = self.settings.store(conv.store_key).site
            accepted += SITE_LANGUAGES.get(site, ())
        team = self.settings.team_language
        can_translate = self.settings.translation.provider != "none"
        translated = bool(conv.translate_replies) and can_translate
        if translated:
            accepted.append(team)
        if any(same_language(written, lang) for lang in accepted):
            return None
        words = (f"This reply looks like {language_name(written)}, but {_who(conv)} writes "
                 f"in {language_name(buyer)}")
        if translated:
            return f"{words}, and replies here are translated from {language_name(team)}."
        if can_translate and same_language(written, team):
            return f"{words}. “Translate my replies” on the card would translate it."
        return f"{words}."

    async def _other_order(self, conv: Conversation, user: str, text: str) -> str | None:
        tokens = order_tokens(text)
        asked = {t: t for t in tokens} | {t.upper(): t for t in tokens}  # ids are upper-case
        owners = await self.store.orders.owners(list(asked), [s.key for s in
                                                              self.settings.stores])
        mine = {conv.buyer_id, conv.buyer_order_id} - {None, ""}
        for token in tokens:
            rows = [(store, buyer) for oid, store, buyer in owners if asked[oid] == token]
            if not rows or any(store == conv.store_key and buyer in mine
                               for store, buyer in rows):
                continue  # unknown here, or this buyer's own
            if any(store == conv.store_key for store, _ in rows):
                return f"Order {token} belongs to another buyer of this store, not {_who(conv)}."
            other = rows[0][0]
            where = (self.settings.store(other).display_name  # may_act: configured
                     if self.access.may_act(user, other) else "another of the seller's stores")
            return (f"Order {token} belongs to a buyer of another store ({where}), not "
                    f"{_who(conv)}.")
        return None

    def _store_names(self) -> tuple[re.Pattern[str], dict[str, tuple[str, set[str]]]]:
        """One pattern for every store's names, built once per configuration: a
        regex per name and store (1,500 at a seller's size) cost more than the rest
        of a reply's handling together."""
        settings = self.settings
        if self._names is None or self._names[0] is not settings:
            owners: dict[str, tuple[str, set[str]]] = {}
            for s in settings.stores:
                names = [n for n in (s.nickname, s.name) if n and len(n) >= 4]
                if len(s.shop_id) >= 5:  # "1" or "sg-1" would match anything
                    names.append(s.shop_id)
                for n in names:
                    owners.setdefault(n.lower(), (n, set()))[1].add(s.key)
            alternatives = "|".join(re.escape(n) for n in sorted(owners, key=len, reverse=True))
            pattern = re.compile(rf"(?<!\w)(?:{alternatives or '(?!)'})(?!\w)", re.IGNORECASE)
            self._names = (settings, pattern, owners)
        return self._names[1], self._names[2]

    def _other_store(self, conv: Conversation, text: str) -> str | None:
        own = self.settings.store(conv.store_key)
        own_names = [n for n in (own.name, own.nickname, own.shop_id) if n]
        for name in sorted(own_names, key=len, reverse=True):  # "Lumen Home SG" ⊃ "Lumen Home"
            text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", text, flags=re.IGNORECASE)
        lowered = {n.lower() for n in own_names}
        pattern, owners = self._store_names()
        for m in pattern.finditer(text):
            found = m.group(0).lower()
            if found in lowered:
                continue
            spelled, keys = owners[found]
            hit = spelled  # as the seller configured it, not as typed
            if any(key != own.key for key in keys):
                return (f"This reply names “{hit}”, another of the seller's stores, but "
                        f"{_who(conv)} wrote to {own.display_name}.")
        return None

    # -- the question and its answer ---------------------------------------------------
    async def ask(self, conv: Conversation, message_id: int, user: str, text: str,
                  reason: str) -> None:
        """Ask the author privately in the thread (an op: a restart still asks)."""
        head = f"✋ Not sent yet. {escape_untrusted(reason)} Send anyway?"
        quoted = escape_untrusted(text[:300]).replace("\n", "\n>")
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f"{head}\n>{quoted}"}},
                  {"type": "actions", "block_id": f"reply_guard:{message_id}", "elements": [
                      {"type": "button", "action_id": SEND, "style": "primary",
                       "text": {"type": "plain_text", "text": "Send anyway"},
                       "value": str(message_id)},
                      {"type": "button", "action_id": CANCEL,
                       "text": {"type": "plain_text", "text": "Cancel"},
                       "value": str(message_id)}]}]
        await self.store.ops.enqueue(conv.channel_ref, SlackWork.EPHEMERAL, conversation_id=conv.id,
                                     payload={"user": user, "text": head, "blocks": blocks,
                                              "thread_ts": conv.thread_ts})
        self.service.outbox.kick(conv.channel_ref)

    async def answer(self, user: str, message_id: int, send: bool) -> tuple[str, bool]:
        """Send anyway or cancel; (what the clicker is told, whether it was done)."""
        msg = await self.store.replies.get(message_id)
        if msg is None or msg.direction != "out":
            return GONE, False
        author = msg.author or ""
        if not ((user == author and self.access.may_act(user, msg.store_key))
                or self.access.may_manage(user, msg.store_key)):
            return NOT_YOURS, False
        conv = await self.store.conversations.get(msg.conversation_id)
        if conv is None:
            return GONE, False
        if not send:
            if not await self.store.actions.answer_guard(message_id, user, "cancelled",
                                                         msg.text):
                return ANSWERED, False
            self.service.outbox.kick(conv.channel_ref)
            return ("🚫 Not sent: the buyer will not get this reply. Delete it or post the "
                    "corrected text."), True
        released = await self._release(conv, msg, user)
        if released is None:
            return ANSWERED, False
        return released or "✅ Sent anyway: your reply is on its way to the buyer.", True

    async def _release(self, conv: Conversation, msg: Message, user: str) -> str | None:
        """Queue it (or hold it for the approval gate), once: None when it was answered
        already, else a word for the author ("" when it simply goes)."""
        async with self.store.database.tx():  # the claim and the managers' request: both
            # Through the one approval gate, as the author's words (bot/relay.py).
            queued = await self.service.relay.queue_reply(
                conv, msg.author or "", msg.text, lambda held: id_if(
                    self.store.actions.answer_guard(msg.id, user, "held" if held else "queued",
                                                    msg.text), msg.id))
        if queued is None:
            return None
        if queued.reason is not None:
            return (f"⏳ It mentions {escape_untrusted(queued.reason)}, so it now waits for a "
                    "manager's approval.")
        return ""

    async def edited(self, msg: Message, conv: Conversation, user: str, text: str) -> str:
        """The author edited a reply waiting for their answer: check the new text."""
        if not text.strip() or not await self.store.replies.edit_unconfirmed(msg.id, text):
            return "ignored: not waiting any more"
        reason = await self.reason(conv, user, text)
        if reason is not None:
            await self.ask(conv, msg.id, user, text, reason)
            return "edited: asked again"
        released = await self._release(conv, (await self.store.replies.get(msg.id)) or msg, user)
        if released is None:
            return "ignored: not waiting any more"
        await self.service.relay.tell(
            conv, user, released or "✅ Your edited reply is on its way to the buyer.")
        return "edited: released"


def _who(conv: Conversation) -> str:
    return conv.buyer_name or "the buyer"


def listeners(guard: ReplyGuard) -> Register:
    def register(app: AsyncApp) -> None:
        @app.action(SEND)
        @app.action(CANCEL)
        async def guard_click(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                              respond: AsyncRespond) -> None:
            await ack()
            try:
                message_id = int(action.get("value") or "")
            except ValueError:
                return
            told, done = await guard.answer(body["user"]["id"], message_id,
                                            action["action_id"] == SEND)
            # Done: the question loses its buttons; refused: a private word beside it.
            await respond(text=told, replace_original=done, response_type="ephemeral")

    return register
