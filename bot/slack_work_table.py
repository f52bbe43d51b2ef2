"""What each kind of Slack work does, whether it posts, and how it is found again.

One row per :class:`~bot.slack_work.SlackWork`. A kind that posts is paced
(Slack's per-channel limit) and, when a crash leaves its outcome unknown, looked
for where it posts before being tried again; any other kind is simply repeated.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot import slack_channel_work as channel
from bot import slack_thread_work as thread
from bot.slack_work import FoundBy, SlackWork
from bot.store import SlackOp, Store

if TYPE_CHECKING:
    from bot.slack_effects import SlackEffects

Handler = Callable[["SlackEffects", SlackOp, str], Awaitable[str | None]]
#: Writes a post's (channel, ts) where the product reads it.
Recorder = Callable[[Store, SlackOp, str, str], Awaitable[None]]


@dataclass(frozen=True)
class Work:
    do: Handler
    found_by: FoundBy
    record: Recorder | None = None

    @property
    def posts(self) -> bool:
        return self.found_by is not FoundBy.REPEAT


async def _thread_root(store: Store, op: SlackOp, channel_id: str, ts: str) -> None:
    if op.conversation_id:
        await store.conversations.set_thread(op.conversation_id, channel_id, ts)


async def _message_ts(store: Store, op: SlackOp, channel_id: str, ts: str) -> None:
    if op.message_id:
        await store.conversations.set_message_ts(op.message_id, channel_id, ts)


async def _notice_ts(store: Store, op: SlackOp, channel_id: str, ts: str) -> None:
    if op.message_id:
        await store.replies.set_notice_ts(op.message_id, ts)


async def _banner_ts(store: Store, op: SlackOp, channel_id: str, ts: str) -> None:
    await store.books.set_banner_ts(op.payload["store"], op.channel_ref, ts)


WORK: dict[SlackWork, Work] = {
    SlackWork.POST_ROOT: Work(thread.post_root, FoundBy.CHANNEL, _thread_root),
    SlackWork.UPDATE_CARD: Work(thread.update_card, FoundBy.REPEAT),
    SlackWork.POST_MESSAGE: Work(thread.post_message, FoundBy.THREAD, _message_ts),
    SlackWork.UPDATE_MESSAGE: Work(thread.update_message, FoundBy.REPEAT),
    SlackWork.POST_AGENT_COPY: Work(thread.post_agent_copy, FoundBy.THREAD, _message_ts),
    SlackWork.POST_SENT_TRANSLATION: Work(thread.post_sent_translation, FoundBy.THREAD),
    SlackWork.SYNC_REACTION: Work(thread.sync_reaction, FoundBy.REPEAT),
    SlackWork.NOTICE: Work(thread.notice, FoundBy.THREAD, _notice_ts),
    SlackWork.BANNER: Work(channel.banner, FoundBy.CHANNEL, _banner_ts),
    SlackWork.POST_THREAD_NOTE: Work(thread.post_thread_note, FoundBy.THREAD),
    SlackWork.POST_CHANNEL: Work(channel.post_channel, FoundBy.CHANNEL),
    SlackWork.DM: Work(channel.dm, FoundBy.DM),
    # In no history, so it cannot be looked up: at worst shown twice, to one person.
    SlackWork.EPHEMERAL: Work(channel.ephemeral, FoundBy.REPEAT),
}
if WORK.keys() != set(SlackWork):  # a new kind must say what it does
    raise RuntimeError(f"no work row for {set(SlackWork) - WORK.keys()}")


def work_of(op: SlackOp) -> Work | None:
    """The row's work; None for a kind this code does not know."""
    kind = SlackWork.parse(op.kind)
    return WORK[kind] if kind is not None else None
