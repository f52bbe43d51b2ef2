"""Every kind of Slack work the outbox carries out, named once.

The values are the strings in ``slack_ops.kind``: the enum types them, the
database keeps them as they were. What each kind does, and how it is found
again after a crash, is the table in :mod:`bot.slack_work_table`; this module
stays a leaf so the store can name kinds without importing Slack code.
"""

from __future__ import annotations

from enum import Enum, StrEnum


class SlackWork(StrEnum):
    POST_ROOT = "post_root"  # a conversation's card: the thread's root
    UPDATE_CARD = "update_card"
    POST_MESSAGE = "post_message"  # a buyer's (or the seller app's) message in the thread
    UPDATE_MESSAGE = "update_message"
    POST_AGENT_COPY = "post_agent_copy"  # a reply sent from elsewhere, shown in the thread
    POST_SENT_TRANSLATION = "post_sent_translation"
    SYNC_REACTION = "sync_reaction"  # a reply's delivery state as a reaction
    NOTICE = "notice"  # a delivery failure, in the thread
    BANNER = "banner"  # a store's outage, at the top of its channel
    POST_THREAD_NOTE = "post_thread_note"
    POST_CHANNEL = "post_channel"  # alerts, digests, escalations
    DM = "dm"  # a direct message from the bot (a hand-over's recipient)
    EPHEMERAL = "ephemeral"  # a private word to one person

    @classmethod
    def parse(cls, kind: str) -> SlackWork | None:
        """The kind of a stored row; None for a kind this code does not know (a row
        written by a newer version): it is given up, not guessed at."""
        try:
            return cls(kind)
        except ValueError:
            return None


class FoundBy(Enum):
    """Where a post whose outcome a crash left unknown is looked for (by the
    metadata naming its row) before it is tried again."""

    CHANNEL = "the channel's history"  # top-level posts
    THREAD = "the conversation's thread"
    DM = "the direct message's history"
    #: Not looked for: doing it again is harmless (updates, reactions, ephemerals).
    REPEAT = "repeating it"


class Permanent(Exception):
    """This op cannot succeed; record why and move on."""


class NotYet(Exception):
    """This op should wait a moment (what it links to does not exist yet)."""

    def __init__(self, delay: float) -> None:
        super().__init__(f"not yet; again in {delay:.0f} s")
        self.delay = delay
