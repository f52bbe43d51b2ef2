"""The one owner of the database. Everything else asks it by intent."""

from __future__ import annotations

import time

from bot.store.bookkeeping import Bookkeeping
from bot.store.conversations import Claim, Conversations
from bot.store.db import Clock, Database
from bot.store.orders import Orders
from bot.store.replies import Replies
from bot.store.rows import Conversation, Message, SlackOp
from bot.store.slack_ops import SlackOps
from bot.store.team import Team

__all__ = ["Claim", "Conversation", "Message", "SlackOp", "Store"]


class Store:
    def __init__(self, path: str, *, clock: Clock = time.time) -> None:
        self.database = Database(path, clock=clock)
        self.ops = SlackOps(self.database)
        self.conversations = Conversations(self.database, self.ops)
        self.replies = Replies(self.database, self.ops)
        self.books = Bookkeeping(self.database)
        self.team = Team(self.database, self.ops)
        self.orders = Orders(self.database)

    def ping(self) -> bool:
        return self.database.one("SELECT 1")[0] == 1

    def close(self) -> None:
        self.database.close()
