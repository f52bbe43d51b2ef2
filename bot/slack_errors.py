"""Slack failures sorted by what to do about them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp
from slack_sdk.errors import SlackApiError

_AUTH = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
         "no_permission", "missing_scope", "team_access_not_granted"}
_TRANSIENT = {"ratelimited", "internal_error", "fatal_error", "service_unavailable",
              "request_timeout"}
#: Answers that mean the desired state already holds.
ALREADY = {"already_reacted", "no_reaction", "already_in_channel"}


@dataclass(frozen=True)
class SlackFailure:
    kind: str  # "transient" | "auth" | "not_in_channel" | "permanent" | "already"
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
            return SlackFailure("transient", "ratelimited", float(raw) if raw else 1.0)
        if error in ALREADY:
            return SlackFailure("already", error)
        if resp.status_code >= 500 or error in _TRANSIENT:
            return SlackFailure("transient", error)
        if error in _AUTH:
            return SlackFailure("auth", error)
        if error == "not_in_channel":
            return SlackFailure("not_in_channel", error)
        metadata = resp.get("response_metadata") or {}
        messages = metadata.get("messages") if isinstance(metadata, dict) else None
        return SlackFailure("permanent", error, detail="; ".join(map(str, messages or []))[:500])
    if isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | OSError):
        return SlackFailure("transient", type(exc).__name__)
    return SlackFailure("transient", f"unexpected {type(exc).__name__}")
