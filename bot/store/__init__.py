"""The one owner of the database. Everything else asks it by intent."""

from __future__ import annotations

import time

from bot.store.account_notices import AccountNotices
from bot.store.actions import Actions
from bot.store.bookkeeping import Bookkeeping
from bot.store.buyers import BuyerFacts
from bot.store.catchups import CatchUps
from bot.store.conversations import Conversations
from bot.store.copying import Copying
from bot.store.counters import Counters
from bot.store.credentials import Credentials
from bot.store.db import Clock, Database, DatabaseBusy
from bot.store.home_viewers import HomeViewers
from bot.store.inbound import Claim
from bot.store.leases import Leases
from bot.store.migrate import SchemaTooNew, migrate
from bot.store.orders import Orders
from bot.store.replies import Replies
from bot.store.rows import Conversation, Message, SlackOp
from bot.store.slack_ops import SlackOps
from bot.store.team import Team
from bot.store.token_cipher import SecretKeyError, TokenCipher
from bot.store.writer_lock import urgently

__all__ = [
    "Claim",
    "Conversation",
    "DatabaseBusy",
    "Message",
    "SchemaTooNew",
    "SecretKeyError",
    "SlackOp",
    "Store",
    "TokenCipher",
    "connect",
    "is_postgres",
    "urgently",
]


def is_postgres(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))


async def connect(target: str, *, clock: Clock = time.time) -> Database:
    """``target``: a PostgreSQL URL, ``sqlite:///path`` or a plain SQLite path."""
    if is_postgres(target):
        from bot.store.postgres_db import PostgresDatabase

        return await PostgresDatabase(target, clock=clock).open()
    from bot.store.sqlite_db import SqliteDatabase

    path = target.removeprefix("sqlite:///") if target.startswith("sqlite:///") else target
    return await SqliteDatabase(path, clock=clock).open()


class Store:
    def __init__(self, database: Database, cipher: TokenCipher | None = None) -> None:
        self.database = database
        #: Marketplace tokens, sealed with ``cipher`` (without one they cannot be stored).
        self.credentials = Credentials(database, cipher or TokenCipher(None))
        self.ops = SlackOps(database)
        self.catchups = CatchUps(database, self.ops)
        self.buyers = BuyerFacts(database, self.ops)
        self.conversations = Conversations(database, self.ops, self.catchups)
        self.replies = Replies(database, self.ops)
        self.books = Bookkeeping(database, self.credentials)
        self.team = Team(database, self.ops)
        self.orders = Orders(database)
        self.leases = Leases(database)
        self.copying = Copying(database)
        self.counters = Counters(database)
        self.home_viewers = HomeViewers(database)
        self.account_notices = AccountNotices(database)
        self.actions = Actions(database, self.ops)

    @classmethod
    async def open(cls, target: str, *, clock: Clock = time.time,
                   cipher: TokenCipher | None = None) -> Store:
        """Connect and migrate (under a lock: several workers may start together)."""
        database = await connect(target, clock=clock)
        try:
            await migrate(database)
            await database.refresh_statistics(at_start=True)
        except BaseException:
            await database.close()
            raise
        return cls(database, cipher)

    async def ping(self, timeout: float = 0.08) -> bool:
        return await self.database.ping(timeout)

    async def close(self) -> None:
        await self.database.close()
