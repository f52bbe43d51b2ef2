"""The one table from TikTok wire codes and HTTP statuses to error classes and words.

``user_message`` is what an agent reads; the wire text goes into the exception's
detail only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectors.errors import (
    AuthError,
    ConnectorError,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
    RuleViolation,
    TransientError,
)


class TokenInvalid(AuthError):
    """The access token is expired or unknown: refresh it and retry the call once."""


class QuotaExhausted(RateLimited):
    """The daily customer-service quota is used up; ``retry_after`` runs to its reset."""

    user_message = ("TikTok's daily limit of customer-service requests for this shop is "
                    "used up; it resets tomorrow.")


@dataclass(frozen=True)
class WireError:
    cls: type[ConnectorError]
    words: str


_CLOSED = ("TikTok's conversation rules block this message: the conversation has closed or "
           "the reply window has passed, the buyer cannot receive messages from the shop "
           "(for example they blocked it), or too many messages were sent without a buyer "
           "reply.")

CODES: dict[int, WireError] = {
    105002: WireError(TokenInvalid, "The store's TikTok access token has expired and could "
                                    "not be renewed; reconnect the store."),
    36009004: WireError(TokenInvalid, "TikTok rejected the store's access token; reconnect "
                                      "the store."),
    106001: WireError(AuthError, "TikTok rejected the request signature; check the app "
                                 "secret (TIKTOK_APP_SECRET)."),
    101000: WireError(AuthError, "The access token does not belong to this shop; reconnect "
                                 "the store."),
    106013: WireError(AuthError, "The shop's cipher is missing; reconnect the store."),
    105005: WireError(AuthError, "The app is not allowed to use TikTok customer service for "
                                 "this shop (missing permission); reconnect the store with "
                                 "the Customer Service scope."),
    36009033: WireError(PermanentError, "Forbidden: this server's IP address is not on the "
                                        "TikTok app's allow list."),
    36009002: WireError(RateLimited, "TikTok asked us to slow down (too many requests)."),
    45111012: WireError(RateLimited, "TikTok limits coupon cards to one every two seconds."),
    45101004: WireError(QuotaExhausted, QuotaExhausted.user_message),
    45109001: WireError(RuleViolation, _CLOSED),
    45101006: WireError(RuleViolation, "TikTok refused the message because it contains "
                                       "sensitive words."),
    45102007: WireError(PermanentError, "Forbidden: the shop has no access to this "
                                        "conversation."),
    45101003: WireError(PermanentError, "TikTok could not find this conversation."),
    45101001: WireError(PermanentError, "TikTok rejected the request as invalid."),
    45101002: WireError(PermanentError, "TikTok rejected the request as invalid."),
    45111001: WireError(PermanentError, "TikTok does not support this kind of message here."),
    36009003: WireError(TransientError, "TikTok had an internal error."),
    36009007: WireError(TransientError, "TikTok timed out handling the request."),
    36009009: WireError(PermanentError, "TikTok does not know this API path."),
    36009010: WireError(PermanentError, "TikTok does not accept this HTTP method here."),
    # Token endpoints (auth host): a bad, used or expired auth code or refresh token.
    36004004: WireError(AuthError, "TikTok rejected the authorization code or refresh "
                                   "token; reconnect the store."),
}

HTTP: dict[int, WireError] = {
    429: WireError(RateLimited, "TikTok asked us to slow down (too many requests)."),
    503: WireError(TransientError, "TikTok is overloaded or under maintenance."),
    401: WireError(TokenInvalid, "TikTok refused the store's credentials; reconnect the "
                                 "store."),
    403: WireError(PermanentError, "Forbidden by TikTok."),
    404: WireError(PermanentError, "TikTok does not know this API path."),
}


def _refine_by_message(code: int, message: str) -> WireError | None:
    """Two codes carry several meanings; only the message tells them apart."""
    text = message.lower()
    if code == 36009004:
        if "timestamp" in text:
            return WireError(TransientError, "Our server clock and TikTok's disagree.")
        if "app_key" in text:
            return WireError(AuthError, "TikTok does not recognise the app key "
                                        "(TIKTOK_APP_KEY).")
        if "identifier" in text or "version" in text or "signature" in text:
            return WireError(PermanentError, "TikTok rejected the request as invalid.")
    if code == 45101001 and "internal" in text:
        # The read endpoints document 45101001 as an internal error, send as bad input.
        return WireError(TransientError, "TikTok had an internal error.")
    return None


def error_for(code: int | None, message: str, http_status: int, *,
              retry_after: float | None = None, idempotent: bool = True) -> ConnectorError:
    """Build the exception for a failed answer (``code`` None: no JSON envelope)."""
    entry = None
    if code is not None:
        entry = _refine_by_message(code, message) or CODES.get(code)
    if entry is None and http_status in HTTP:
        entry = HTTP[http_status]
    if entry is None:
        garbled = code is None and 200 <= http_status < 300
        if not idempotent and (http_status >= 500 or garbled):
            # A gateway error or an unreadable success after a send went out: the
            # message may exist; the bot must look before sending again.
            return OutcomeUnknown(f"TikTok http={http_status} code={code}: {message}"[:300],
                                  code=_code_text(code, http_status))
        if http_status >= 500 or garbled:
            entry = WireError(TransientError, "TikTok answered with an error; try again.")
        else:
            entry = WireError(PermanentError, "TikTok rejected the request.")
    detail = f"TikTok code={code} http={http_status}: {message}"[:300]
    kwargs: dict[str, Any] = {"code": _code_text(code, http_status), "user_message": entry.words}
    if issubclass(entry.cls, TransientError):
        kwargs["retry_after"] = retry_after
    return entry.cls(detail, **kwargs)


def _code_text(code: int | None, http_status: int) -> str:
    return str(code) if code is not None else f"HTTP{http_status}"
