"""The sandbox marketplace's error codes, as connector errors and plain words."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from connectors.backoff import parse_retry_after
from connectors.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RateLimited,
    RuleViolation,
    TransientError,
)
from connectors.sandbox.limits import MAX_TEXT_LENGTH

#: Every error code the sandbox returns -> (error class, what an agent is told).
ERRORS: dict[str, tuple[type[ConnectorError], str]] = {
    "invalid_signature": (AuthError, "The marketplace rejected StoreBridge's app key or "
                          "secret; check the app credentials in the configuration."),
    "timestamp_expired": (PermanentError, "This server's clock is out of sync with the "
                          "marketplace; correct the system time."),
    "invalid_access_token": (AuthError, "The store's authorization is invalid or expired; "
                             "reconnect the store."),
    "shop_not_found": (PermanentError, "The marketplace does not know this store; check "
                       "its shop id."),
    "conversation_not_found": (PermanentError, "This chat no longer exists on the marketplace."),
    "reply_window_closed": (RuleViolation, "The buyer's 48-hour reply window has closed, so "
                            "the marketplace no longer accepts replies in this chat."),
    "buyer_blocked": (PermanentError, "The buyer has blocked the store, so replies cannot "
                      "be delivered."),
    "text_too_long": (RuleViolation, f"The reply is longer than the {MAX_TEXT_LENGTH:,} "
                      "characters the marketplace allows; shorten it and send it again."),
    "invalid_request": (PermanentError, "The marketplace could not understand the request."),
    "invalid_cursor": (PermanentError, "The marketplace no longer accepts the saved sync "
                       "position."),
    # Not resent automatically (nothing says it would pass): the agent decides.
    "send_refused": (PermanentError, "The marketplace refused this message without giving a "
                     "reason, so it was not delivered. It usually goes through when sent "
                     "again: press Retry."),
    "rate_limited": (RateLimited, "The marketplace asked us to slow down; StoreBridge will "
                     "try again shortly."),
    "system_busy": (TransientError, "The marketplace is busy right now; StoreBridge will "
                    "try again."),
    "maintenance": (TransientError, "The marketplace is down for maintenance; StoreBridge "
                    "will try again."),
}


def api_error(status: int, data: Mapping[str, Any], headers: Mapping[str, str]) -> ConnectorError:
    """The typed error for a non-2xx answer, from its code or failing that its status."""
    code = data.get("error") if isinstance(data.get("error"), str) else None
    cls, words = ERRORS.get(code or "") or _by_status(status)
    detail = (f"HTTP {status} {code or '-'}: {data.get('message', '')} "
              f"(request {data.get('request_id', '?')})")
    if issubclass(cls, TransientError):
        return cls(detail, code=code, user_message=words,
                   retry_after=parse_retry_after(headers.get("Retry-After"), time.time()))
    return cls(detail, code=code, user_message=words)


def _by_status(status: int) -> tuple[type[ConnectorError], str]:
    if status == 429:
        return ERRORS["rate_limited"]
    if status >= 500:
        return TransientError, TransientError.user_message
    if status == 401:
        return AuthError, AuthError.user_message
    return PermanentError, PermanentError.user_message
