"""The one table from Lazada wire codes to connector errors and plain words.

Gateway errors come as ``{"code": "<name>", "type": "ISV|ISP|SYSTEM", "message": ...}``;
IM service errors as ``{"code": "0", "success": "false", "err_code": ..., "err_message": ...}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from connectors.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RateLimited,
    RuleViolation,
    TransientError,
)


@dataclass(frozen=True)
class ErrorSpec:
    kind: type[ConnectorError]
    words: str


_RECONNECT = "The store's Lazada authorization is invalid or expired; reconnect the store."
_BUSY = "Lazada is temporarily unavailable; the message will be retried."
_SLOW_DOWN = "Lazada asked us to slow down; the message will be retried shortly."

ERROR_TABLE: dict[str, ErrorSpec] = {
    # Authorization [doc error tables; EcomPHP TokenException].
    "IllegalAccessToken": ErrorSpec(AuthError, _RECONNECT),
    "IllegalRefreshToken": ErrorSpec(AuthError, _RECONNECT),
    "InvalidCode": ErrorSpec(
        AuthError,
        "The Lazada authorization code is wrong, already used or older than 30 minutes; "
        "authorize the store again.",
    ),
    "AUTH_TYPE_UNSUPPORTED": ErrorSpec(
        AuthError,
        "This Lazada app was bought through the service market, so its authorization "
        "cannot be renewed here; renew the service order.",
    ),
    # Request shape / app configuration [doc].
    "IncompleteSignature": ErrorSpec(
        PermanentError, "Lazada rejected the request signature; check the app key and secret."
    ),
    "MissingParameter": ErrorSpec(PermanentError, "Lazada says the request is incomplete."),
    "InvalidParameter": ErrorSpec(PermanentError, "Lazada says the request is invalid."),
    # INFERRED names: the docs only say the timestamp must be within 7200 s.
    "InvalidTimestamp": ErrorSpec(
        PermanentError, "Lazada rejected the request time; the server clock is off by hours."
    ),
    "InvalidAppKey": ErrorSpec(PermanentError, "Lazada does not know this app key."),
    "InvalidApiPath": ErrorSpec(PermanentError, "Lazada does not offer this API."),
    "InsufficientPermission": ErrorSpec(
        PermanentError,
        "Forbidden: the Lazada app has no chat (IM) permission for this store.",
    ),
    "AccessDenied": ErrorSpec(
        PermanentError, "Forbidden: Lazada refused access to this conversation or store."
    ),
    # Throttling [obs ApiCallLimit; AppCallLimit INFERRED as its app-wide sibling].
    "ApiCallLimit": ErrorSpec(RateLimited, _SLOW_DOWN),
    "AppCallLimit": ErrorSpec(RateLimited, _SLOW_DOWN),
    # Backend trouble: "try again after some time" [doc "Error messages"].
    "ServiceUnavailable": ErrorSpec(TransientError, _BUSY),
    "ServiceTimeout": ErrorSpec(TransientError, _BUSY),
    "InternalError": ErrorSpec(TransientError, _BUSY),
    # IM rules [doc OpenSession].
    "-22": ErrorSpec(
        RuleViolation,
        "Lazada only lets the seller start a chat about a recent order; this order is too old.",
    ),
    # IM rules whose error codes Lazada does not document (UNKNOWN in the facts):
    # these names are our emulator's and are backed up by _RULE_WORDS below.
    "SESSION_NOT_EXIST": ErrorSpec(
        PermanentError, "This Lazada conversation no longer exists."
    ),
    "SESSION_EXPIRED": ErrorSpec(
        RuleViolation, "The reply window for this Lazada conversation has closed."
    ),
    "BUYER_BLOCKED": ErrorSpec(
        RuleViolation, "The buyer has blocked the shop on Lazada; the reply cannot be delivered."
    ),
    "SEND_LIMIT_WITHOUT_REPLY": ErrorSpec(
        RuleViolation,
        "Lazada allows at most 5 messages while the buyer has not replied for a day; "
        "wait for the buyer to answer.",
    ),
    "CONTENT_ILLEGAL": ErrorSpec(
        RuleViolation, "Lazada's content check refused this text; rephrase it."
    ),
}

# When an undocumented IM err_code arrives, its message is the only hint.
_RULE_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"block", re.I), "BUYER_BLOCKED"),
    (re.compile(r"(not|no) reply|reply limit|send limit|limit.*(message|send)", re.I),
     "SEND_LIMIT_WITHOUT_REPLY"),
    (re.compile(r"expire|closed|window", re.I), "SESSION_EXPIRED"),
    (re.compile(r"not exist|not found", re.I), "SESSION_NOT_EXIST"),
    (re.compile(r"sensitive|illegal content|security", re.I), "CONTENT_ILLEGAL"),
)

_SECONDS = re.compile(r"(\d+(?:\.\d+)?)\s*(?:s\b|sec|second)", re.I)


def retry_after_hint(message: str, header: float | None = None) -> float | None:
    """Seconds to wait: the Retry-After header (already read, see
    :func:`connectors.backoff.parse_retry_after`), else the seconds a ban message
    names ("banned for 1 seconds")."""
    if header is not None:
        return header
    try:
        return max(0.0, float(message))
    except ValueError:
        pass
    found = _SECONDS.search(message)
    return float(found.group(1)) if found else None


def error_for(
    code: str,
    message: str = "",
    *,
    error_type: str | None = None,
    http_status: int = 200,
    retry_after: float | None = None,
    im_level: bool = False,
    extra: Mapping[str, ErrorSpec] | None = None,
) -> ConnectorError:
    """The connector error for one Lazada failure (never raised here, only built)."""
    detail = f"lazada {code or http_status}: {message}".strip()
    spec = (extra or {}).get(code) or ERROR_TABLE.get(code)
    if spec is None and im_level:
        for pattern, name in _RULE_WORDS:
            if pattern.search(message):
                spec = ERROR_TABLE[name]
                break
    if spec is None:
        spec = _fallback(error_type, http_status)
    if issubclass(spec.kind, TransientError):
        return spec.kind(detail, code=code or None, user_message=spec.words,
                         retry_after=retry_after)
    return spec.kind(detail, code=code or None, user_message=spec.words)


def _fallback(error_type: str | None, http_status: int) -> ErrorSpec:
    if http_status == 429:
        return ErrorSpec(RateLimited, _SLOW_DOWN)
    if http_status >= 500 or (error_type or "").upper() in {"ISP", "SYSTEM"}:
        return ErrorSpec(TransientError, _BUSY)
    if http_status in (401, 403):
        return ErrorSpec(AuthError, _RECONNECT)
    return ErrorSpec(PermanentError, "Lazada rejected the request.")
