"""Slack work in a conversation's thread: its card (the root), the buyer's
messages, copies of replies, reactions and notices.

Each handler renders from the database and returns the ts it posted, or None;
it raises :class:`~bot.slack_work.Permanent` when the row can never succeed.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

from bot.card_fallback import call_or_plain
from bot.render.messages import (
    REACTIONS,
    agent_copy,
    delivery_notice,
    sent_translation,
    thread_message,
)
from bot.slack_errors import Fault, classify
from bot.slack_work import Permanent
from bot.store import Conversation, SlackOp

if TYPE_CHECKING:
    from bot.slack_effects import SlackEffects

#: Seconds a new conversation's root post waits for the platform to name its buyer.
PROFILE_WAIT = 2.0


async def _thread(fx: SlackEffects, op: SlackOp) -> Conversation:
    conv = await fx.store.conversations.get(op.conversation_id or 0)
    if conv is None or not conv.thread_ts:
        raise Permanent("the conversation's thread could not be created")
    return conv


async def post_root(fx: SlackEffects, op: SlackOp, ref: str) -> str | None:
    # A push that named nobody: the platform is being asked; wait for it, briefly.
    # Polled: the answer may be written by another worker.
    while await fx.store.buyers.still_asking(  # noqa: ASYNC110
            op.conversation_id or 0, PROFILE_WAIT):
        await asyncio.sleep(0.05)
    conv, text, blocks = await fx.card(op.conversation_id or 0)
    if conv.thread_ts:
        return conv.thread_ts
    ts = await fx.post_in(op, ref, text=text, blocks=blocks)
    fx.remember_card(conv.id, text, blocks)
    return ts


async def update_card(fx: SlackEffects, op: SlackOp, ref: str) -> str | None:
    conv, text, blocks = await fx.card(op.conversation_id or 0)
    if not conv.thread_ts:
        return None  # the root post, still to come, renders the current state
    if not fx.remember_card(conv.id, text, blocks):
        return None  # Slack shows this already
    try:
        await call_or_plain(fx.client.chat_update, dict(
            channel=conv.channel_id, ts=conv.thread_ts, text=text, blocks=blocks),
            fx.fallbacks, op.kind, conv.id)
    except BaseException:
        fx.forget_card(conv.id)
        raise
    return None


async def post_message(fx: SlackEffects, op: SlackOp, ref: str) -> str | None:
    msg = await fx.store.conversations.message(op.message_id or 0)
    if msg is None:
        return None  # an echo of our own reply, dropped once the send claimed it
    if msg.slack_ts:
        return msg.slack_ts
    conv = await fx.store.conversations.get(msg.conversation_id)
    if conv is None or not conv.thread_ts:
        raise Permanent("the conversation's thread could not be created")
    late = await fx.store.conversations.arrived_late(msg)
    args = thread_message(msg, conv, customize=fx.customize, late=late)
    return await fx.post_in(op, ref, thread_ts=conv.thread_ts, **args)


async def update_message(fx: SlackEffects, op: SlackOp, ref: str) -> str | None:
    msg = await fx.store.conversations.message(op.message_id or 0)
    if msg is None or not msg.slack_ts or msg.direction not in ("in", "seller"):
        return None  # not posted yet: the post will render the current state
    conv = await fx.store.conversations.get(msg.conversation_id)
    assert conv is not None
    late = await fx.store.conversations.arrived_late(msg)
    args = thread_message(msg, conv, customize=fx.customize, late=late)
    await call_or_plain(fx.client.chat_update, dict(
        channel=msg.channel_id, ts=msg.slack_ts, text=args["text"],
        blocks=args["blocks"]), fx.fallbacks, op.kind, conv.id)
    return None


async def post_agent_copy(fx: SlackEffects, op: SlackOp, ref: str) -> str | None:
    msg = await fx.store.replies.get(op.message_id or 0)
    conv = await fx.store.conversations.get(op.conversation_id or 0)
    if msg is None or conv is None:
        return None
    if msg.slack_ts:
        return msg.slack_ts
    if not conv.thread_ts:
        raise Permanent("the conversation's thread could not be created")
    name = await fx.directory.user_name(msg.author or "")
    args = agent_copy(msg, name, customize=fx.customize)
    return await fx.post_in(op, ref, thread_ts=conv.thread_ts, **args)


async def post_sent_translation(fx: SlackEffects, op: SlackOp, ref: str) -> str | None:
    msg = await fx.store.replies.get(op.message_id or 0)
    conv = await fx.store.conversations.get(op.conversation_id or 0)
    if msg is None or conv is None or not conv.thread_ts:
        return None
    text, blocks = sent_translation(msg)
    return await fx.post_in(op, ref, thread_ts=conv.thread_ts, text=text,
                         blocks=blocks)


async def sync_reaction(fx: SlackEffects, op: SlackOp, ref: str) -> str | None:
    msg = await fx.store.replies.get(op.message_id or 0)
    if msg is None or not msg.slack_ts or not msg.channel_id:
        return None
    want = REACTIONS.get("note" if msg.direction == "note" else msg.state)
    have = msg.shown_reaction
    if want == have:
        return None
    for call, name in ((fx.client.reactions_remove, have), (fx.client.reactions_add, want)):
        if not name:
            continue
        try:
            await call(channel=msg.channel_id, timestamp=msg.slack_ts, name=name)
        except SlackApiError as e:
            if classify(e).kind is not Fault.ALREADY:  # gone: the outbox gives up
                raise
    await fx.store.replies.set_shown_reaction(msg.id, want)
    return None


async def notice(fx: SlackEffects, op: SlackOp, ref: str) -> str | None:
    msg = await fx.store.replies.get(op.message_id or 0)
    conv = await fx.store.conversations.get(op.conversation_id or 0)
    if msg is None or conv is None or not conv.thread_ts or not conv.channel_id:
        return None  # no thread (a thread has its channel) to put a notice in
    text, blocks = delivery_notice(msg, conv.buyer_name)
    if msg.notice_ts:
        await fx.client.chat_update(channel=conv.channel_id, ts=msg.notice_ts, text=text,
                                    blocks=blocks)
        return msg.notice_ts
    if msg.state != "failed":
        return None  # the reaction says enough until something goes wrong
    return await fx.post_in(op, ref, thread_ts=conv.thread_ts, text=text,
                         blocks=blocks)


async def post_thread_note(fx: SlackEffects, op: SlackOp, ref: str) -> str | None:
    """A message of ours in a conversation's thread (payload: text, blocks);
    callers escape any untrusted part."""
    conv = await _thread(fx, op)
    return await fx.post_in(op, ref, thread_ts=conv.thread_ts,
                         text=op.payload["text"], blocks=op.payload.get("blocks"),
                         unfurl_links=False)
