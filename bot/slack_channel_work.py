"""Slack work outside a conversation's thread: a store's banner, top-level
messages, direct messages and ephemerals. Same contract as bot/slack_thread_work.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.render.banner import banner as render_banner
from bot.store import SlackOp

if TYPE_CHECKING:
    from bot.slack_effects import SlackEffects


async def banner(fx: SlackEffects, op: SlackOp, ref: str) -> str | None:
    key = op.payload["store"]
    row = await fx.store.books.store_row(key)
    if row is None:
        return None
    text, blocks = render_banner(row, (await fx.store_info(key))["name"])
    ts = await fx.store.books.banner_ts(key, ref)
    if ts:
        await fx.client.chat_update(channel=await fx.channel(ref), ts=ts, text=text,
                                    blocks=blocks)
        if row["health"] == "ok":  # the incident is over; a new one gets a new banner
            await fx.store.books.set_banner_ts(key, ref, None)
        return ts
    if row["health"] == "ok":
        return None
    return await fx.post_in(op, ref, text=text, blocks=blocks)


async def post_channel(fx: SlackEffects, op: SlackOp, ref: str) -> str | None:
    """A top-level message in a channel (alerts, digests, escalations); with a
    conversation, a link to its thread."""
    return await fx.post_in(op, ref, text=await fx.with_link(op, op.payload["text"]),
                            blocks=op.payload.get("blocks"), unfurl_links=False)


async def dm(fx: SlackEffects, op: SlackOp, ref: str) -> str | None:
    """A direct message from the bot (a transfer's recipient). Posted with the
    row's metadata like every post: after a crash it is looked for in the DM."""
    opened = await fx.client.conversations_open(users=op.payload["user"])
    return await fx.post(op, str(opened["channel"]["id"]),
                         text=await fx.with_link(op, op.payload["text"]), unfurl_links=False)


async def ephemeral(fx: SlackEffects, op: SlackOp, ref: str) -> str | None:
    p = op.payload
    await fx.client.chat_postEphemeral(channel=await fx.channel(ref), user=p["user"],
                                       text=p["text"], thread_ts=p.get("thread_ts"),
                                       blocks=p.get("blocks"))
    return None
