"""Connector errors. Retry policy lives in the type: the bot retries
:class:`TransientError` (honouring ``retry_after``), looks up the outcome of
:class:`OutcomeUnknown` before any resend, and stops on :class:`PermanentError`.

``user_message`` is written for an agent, never the raw wire text.
"""

from __future__ import annotations


class ConnectorError(Exception):
    user_message: str = "The marketplace rejected the request."

    def __init__(self, detail: str = "", *, code: str | None = None,
                 user_message: str | None = None) -> None:
        super().__init__(detail or self.user_message)
        self.code = code
        if user_message is not None:
            self.user_message = user_message


class TransientError(ConnectorError):
    """Worth retrying: rate limited, 5xx, system busy, connection refused."""

    user_message = "The marketplace is temporarily unavailable."

    def __init__(self, detail: str = "", *, code: str | None = None,
                 user_message: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(detail, code=code, user_message=user_message)
        self.retry_after = retry_after


class RateLimited(TransientError):
    user_message = "The marketplace asked us to slow down."


class OutcomeUnknown(ConnectorError):
    """The request may or may not have taken effect (timeout after sending)."""

    user_message = "The marketplace did not answer in time; delivery is being checked."


class PermanentError(ConnectorError):
    """Retrying the same request cannot succeed."""


class AuthError(PermanentError):
    user_message = "The store's authorization is invalid or expired; reconnect the store."


class RuleViolation(PermanentError):
    """A platform rule (length, reply window, message cap) would be broken; nothing was sent."""


class PushRejected(Exception):
    """A webhook delivery that must not be stored. ``status`` is 401 or 400."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
