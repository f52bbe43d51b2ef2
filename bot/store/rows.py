"""Typed views of database rows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.store.db import Row as DbRow


@dataclass(frozen=True)
class Conversation:
    id: int
    store_key: str
    platform_conversation_id: str
    ref: str
    buyer_id: str
    buyer_name: str
    buyer_avatar: str | None
    buyer_language: str | None
    channel_ref: str
    channel_id: str | None
    thread_ts: str | None
    status: str
    unread: int
    last_summary: str | None
    last_at: float | None
    waiting_since: float | None
    created_at: float
    closed_at: float | None
    translate_replies: int = 0
    assignee: str | None = None
    assigned_at: float | None = None
    last_agent: str | None = None
    flags: list[str] = field(default_factory=list)
    sla_reminded_at: float | None = None
    sla_escalated_at: float | None = None
    buyer_order_id: str | None = None  # the buyer's id on the order side, when it differs
    sla_next_at: float | None = None  # when the SLA tick looks next (None: nothing due)
    #: Set while the platform is asked who the buyer is (the root post waits briefly).
    profile_asked_at: float | None = None
    platform_language: str | None = None
    #: "platform", "detected", "site" or "team" (a correction from the card; it sticks).
    language_source: str | None = None

    @classmethod
    def of(cls, row: DbRow) -> Conversation:
        data = {k: row[k] for k in row.keys()}
        data["flags"] = json.loads(data.get("flags") or "[]")
        return cls(**data)


@dataclass(frozen=True)
class Message:
    id: int
    conversation_id: int
    store_key: str
    direction: str
    platform_message_id: str | None
    channel_id: str | None
    slack_ts: str | None
    author: str | None
    kind: str
    text: str
    attributes: dict[str, Any]
    raw: str | None
    state: str
    error: str | None
    attempts: int
    next_attempt_at: float
    idempotency_key: str | None
    sent_text: str | None
    notice_ts: str | None
    shown_reaction: str | None
    created_at: float
    platform_at: float | None
    delivered_at: float | None
    parts: list[str] | None
    parts_done: int
    source: str = "typed"
    template_id: int | None = None
    translation: str | None = None
    translation_state: str | None = None
    translation_lang: str | None = None
    #: Who corrected the translation shown (a display name), if a person did.
    translation_by: str | None = None
    detected_language: str | None = None

    @classmethod
    def of(cls, row: DbRow) -> Message:
        data = {k: row[k] for k in row.keys()}
        data["attributes"] = json.loads(data["attributes"] or "{}")
        data["parts"] = json.loads(data["parts"]) if data["parts"] else None
        return cls(**data)


@dataclass(frozen=True)
class SlackOp:
    id: int
    channel_ref: str
    kind: str
    conversation_id: int | None
    message_id: int | None
    payload: dict[str, Any]
    dedupe_key: str | None
    state: str
    attempts: int
    not_before: float
    created_at: float
    started_at: float | None
    result_ts: str | None
    error: str | None

    @classmethod
    def of(cls, row: DbRow) -> SlackOp:
        data = {k: row[k] for k in row.keys()}
        data["payload"] = json.loads(data["payload"] or "{}")
        return cls(**data)
