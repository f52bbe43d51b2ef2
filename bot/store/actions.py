"""Agents' decisions on buyer requests (and response-rate warnings), by intent.

A decision is *claimed* before the marketplace is called: one row per request
(cancellation: the order id; return: its return id). Two clicks, two workers or a
retried interaction find the row taken and act no more. A platform "no" or a failure
frees the request for another decision; an unknown outcome keeps it taken.
"""

from __future__ import annotations

import json
from typing import Any

from bot.store.db import Database
from bot.store.slack_ops import SlackOps

REOPENED = ("refused", "failed")


class Actions:
    def __init__(self, db: Database, ops: SlackOps) -> None:
        self.db = db
        self.ops = ops

    async def claim(self, store_key: str, order_id: str, request_id: str, action: str,
                    actor: str) -> bool:
        """True if this caller now owns the decision on the request."""
        now = self.db.clock()
        async with self.db.tx():
            if await self.db.run(
                    "INSERT OR IGNORE INTO order_actions (store_key, order_id, request_id, "
                    "action, actor, state, at) VALUES (?, ?, ?, ?, ?, 'acting', ?)",
                    store_key, order_id, request_id, action, actor, now) == 1:
                return True
            return await self.db.run(
                "UPDATE order_actions SET action = ?, actor = ?, state = 'acting', "
                "detail = NULL, at = ? WHERE store_key = ? AND order_id = ? AND "
                "request_id = ? AND state IN (?, ?)",
                action, actor, now, store_key, order_id, request_id, *REOPENED) == 1

    async def settle(self, store_key: str, order_id: str, request_id: str, state: str,
                     detail: str | None = None) -> None:
        await self.db.run(
            "UPDATE order_actions SET state = ?, detail = ?, at = ? WHERE store_key = ? AND "
            "order_id = ? AND request_id = ?",
            state, detail, self.db.clock(), store_key, order_id, request_id)

    async def decision(self, store_key: str, order_id: str, request_id: str
                       ) -> dict[str, Any] | None:
        row = await self.db.one(
            "SELECT action, actor, state, detail, at FROM order_actions WHERE store_key = ? "
            "AND order_id = ? AND request_id = ?", store_key, order_id, request_id)
        return None if row is None else {k: row[k] for k in ("action", "actor", "state",
                                                              "detail", "at")}

    async def warn_once(self, conversation_id: int, waiting_since: float) -> bool:
        """True the first time this wait of this conversation is warned about."""
        return await self.db.run(
            "INSERT OR IGNORE INTO response_warnings (conversation_id, waiting_since, at) "
            "VALUES (?, ?, ?)", conversation_id, waiting_since, self.db.clock()) == 1

    async def posted(self, dedupe_prefix: str) -> list[tuple[str, str]]:
        """(channel ref, ts) of the Slack posts made under keys starting with the prefix:
        a request's thread note and its alerts, to edit them once it is answered."""
        rows = await self.db.all(
            "SELECT channel_ref, result_ts FROM slack_ops WHERE dedupe_key LIKE ? AND "
            "state = 'done' AND result_ts IS NOT NULL ORDER BY id", dedupe_prefix + "%")
        return [(r[0], r[1]) for r in rows]

    # -- replies held: for a manager's approval, or for their author's confirmation ------
    async def decide_held(self, message_id: int, approve: bool, manager: str,
                          note: str = "") -> bool:
        """Approve (queued: the sender takes it) or reject a held reply, once: False
        when someone decided already (or the author deleted it)."""
        return await self._leave_hold(
            message_id, "held", "queued" if approve else "rejected", "approval",
            {"by": manager, "approved": approve, "note": note},
            None if approve else f"Rejected by a manager: {note}".strip())

    async def answer_guard(self, message_id: int, by: str, to_state: str, text: str) -> bool:
        """The answer to the reply guard's question (bot/actions/reply_guard.py), once:
        ``queued`` (send anyway), ``held`` (send, once a manager approves) or
        ``cancelled``; ``text`` is what the answer was decided on (an edit landing in
        between makes it fail). False when it was answered already (or deleted)."""
        return await self._leave_hold(message_id, "unconfirmed", to_state, "guard",
                                      {"by": by, "answer": to_state}, text=text)

    async def _leave_hold(self, message_id: int, from_state: str, to_state: str, key: str,
                          record: dict[str, Any], error: str | None = None,
                          text: str | None = None) -> bool:
        """One transition out of a hold, claimed by the row's state: of two clicks (or
        two workers) only the one whose UPDATE changes the row goes on."""
        async with self.db.tx():
            row = await self.db.one(
                "SELECT m.attributes, c.channel_ref, m.text FROM messages m JOIN "
                "conversations c ON c.id = m.conversation_id WHERE m.id = ? AND m.state = ?",
                message_id, from_state)
            if row is None or (text is not None and row[2] != text):
                return False
            attributes = {**json.loads(row[0] or "{}"), key: {**record, "at": self.db.clock()}}
            same_text = " AND text = ?" if text is not None else ""
            if await self.db.run(
                    "UPDATE messages SET state = ?, error = ?, attributes = ? WHERE id = ? AND "
                    "state = ?" + same_text, to_state, error,
                    json.dumps(attributes, ensure_ascii=False), message_id, from_state,
                    *([text] if text is not None else [])) != 1:
                return False
            await self.ops.sync_reaction(row[1], message_id)
            return True

    # -- images of replies ----------------------------------------------------------------
    async def keep_upload(self, message_id: int, part: int, upload: dict[str, Any]) -> None:
        """An image part's upload, kept before it is sent: what finds the message again
        when the send's answer is lost (bot/actions/images.py)."""
        async with self.db.tx():
            row = await self.db.one("SELECT attributes FROM messages WHERE id = ?", message_id)
            attributes = json.loads((row[0] if row else None) or "{}")
            attributes.setdefault("uploads", {})[str(part)] = upload
            await self.db.run("UPDATE messages SET attributes = ? WHERE id = ?",
                              json.dumps(attributes, ensure_ascii=False), message_id)

    # -- response rate ------------------------------------------------------------------
    async def answered_waits(self, store_key: str, since: float) -> list[tuple[float, float]]:
        """(waited from, answered at) of each buyer wait that began since ``since``."""
        rows = await self.db.all(
            "SELECT waited_from, responded_at FROM responses WHERE store_key = ? AND "
            "waited_from >= ?", store_key, since)
        return [(float(r[0]), float(r[1])) for r in rows]

    async def answered_wait(self, conversation_id: int, responded_at: float) -> float | None:
        """Since when the buyer had waited, if the reply delivered at ``responded_at``
        ended a wait (None: a follow-up, the buyer was not waiting)."""
        value = await self.db.value(
            "SELECT waited_from FROM responses WHERE responded_at = ? AND conversation_id = ?",
            responded_at, conversation_id)
        return float(value) if value is not None else None

    async def open_waits(self, since: float = 0.0) -> list[tuple[int, str, float]]:
        """(conversation id, store key, waiting since) of every buyer still waiting,
        since ``since`` (an index range on waiting_since)."""
        rows = await self.db.all(
            "SELECT id, store_key, waiting_since FROM conversations WHERE waiting_since IS "
            "NOT NULL AND waiting_since >= ? ORDER BY waiting_since", since)
        return [(int(r[0]), str(r[1]), float(r[2])) for r in rows]
