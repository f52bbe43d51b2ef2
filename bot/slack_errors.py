"""Slack failures sorted by what to do about them: the one place that reads
Slack's error codes. Everyone else decides on :class:`Fault`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum

import aiohttp
from slack_sdk.errors import SlackApiError


class Fault(StrEnum):
    #: Slack asks us to slow down (``Retry-After``): being paced, not being down.
    RATELIMITED = "ratelimited"
    #: Slack or the network failed: try again with backoff.
    TRANSIENT = "transient"
    #: Neither Slack's answer nor the network's: a bug of ours. Retried a few times.
    UNEXPECTED = "unexpected"
    #: The token or its scopes: nothing works until an admin acts; retried slowly.
    AUTH = "auth"
    #: The bot must join the channel (public) or be invited (private).
    NOT_IN_CHANNEL = "not_in_channel"
    #: The channel does not exist, or is private and the bot was not invited.
    CHANNEL_NOT_FOUND = "channel_not_found"
    #: The message to change or react to is gone (deleted, or too old to edit).
    GONE = "gone"
    #: Slack refused the content as built (blocks, length): it may go out as plain text.
    REJECTED = "rejected"
    #: Any other refusal: the same call can never succeed.
    PERMANENT = "permanent"
    #: The state asked for already holds (reacted, not reacted, joined): done.
    ALREADY = "already"


_AUTH = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
         "no_permission", "missing_scope", "team_access_not_granted"}
_TRANSIENT = {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
_ALREADY = {"already_reacted", "no_reaction", "already_in_channel"}
_GONE = {"message_not_found", "cant_update_message"}
_REJECTED = {"invalid_blocks", "invalid_blocks_format", "msg_too_long", "invalid_attachments",
             "too_many_attachments", "msg_blocks_too_long"}
_BY_ERROR = {**dict.fromkeys(_AUTH, Fault.AUTH), **dict.fromkeys(_TRANSIENT, Fault.TRANSIENT),
             **dict.fromkeys(_ALREADY, Fault.ALREADY), **dict.fromkeys(_GONE, Fault.GONE),
             **dict.fromkeys(_REJECTED, Fault.REJECTED),
             "not_in_channel": Fault.NOT_IN_CHANNEL,
             "channel_not_found": Fault.CHANNEL_NOT_FOUND}


@dataclass(frozen=True)
class SlackFailure:
    kind: Fault
    #: Slack's error code (or the exception's type name), for logs and people.
    error: str
    retry_after: float | None = None
    # Slack's own words on what was wrong (invalid_blocks: "[ERROR] … [json-pointer:…]")
    detail: str = ""


def classify(exc: BaseException) -> SlackFailure:
    if isinstance(exc, SlackApiError):
        resp = exc.response
        error = str(resp.get("error") or f"http_{resp.status_code}")
        if resp.status_code == 429 or error == "ratelimited":
            raw = (resp.headers or {}).get("Retry-After") or (resp.headers or {}).get(
                "retry-after")
            return SlackFailure(Fault.RATELIMITED, "ratelimited", float(raw) if raw else 1.0)
        kind = _BY_ERROR.get(error)
        if kind is not Fault.ALREADY and (resp.status_code >= 500 or kind is Fault.TRANSIENT):
            return SlackFailure(Fault.TRANSIENT, error)
        metadata = resp.get("response_metadata") or {}
        messages = metadata.get("messages") if isinstance(metadata, dict) else None
        return SlackFailure(kind or Fault.PERMANENT, error,
                            detail="; ".join(map(str, messages or []))[:500])
    if isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | OSError):
        return SlackFailure(Fault.TRANSIENT, type(exc).__name__)
    return SlackFailure(Fault.UNEXPECTED, f"unexpected {type(exc).__name__}")

