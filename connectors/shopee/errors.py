"""The one table from Shopee's wire errors to connector errors and agent words.

Shopee reports failures in the envelope (``error`` + ``message``); the HTTP status
only matters when the body is not an envelope (gateways, proxies). Several codes
mean different things depending on ``message`` (``error_auth`` is used for an
expired token, an unknown shop *and* a missing permission), so a row may also name
a message fragment. Shopee documents no codes for "buyer blocked", "reply window
closed" or "too many messages without a reply": those rows match message words
only (INFERRED) so that whatever code carries them, the agent gets plain words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from connectors.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RateLimited,
    RuleViolation,
    TransientError,
)


class AccessTokenRejected(AuthError):
    """Shopee refused the access token; a refresh may fix it (the connector retries once)."""


@dataclass(frozen=True)
class Row:
    code: str  # wire ``error`` value, "http:<status>", or "*" for any code
    words: tuple[str, ...]  # lowercase message fragments, any of which must match; () = any
    kind: type[ConnectorError]
    user_message: str


_TOKEN = "The store's Shopee access token is invalid or expired."
_FORBIDDEN = (
    "Our Shopee app is not allowed to do this (forbidden): check the app type and "
    "permissions in Shopee Open Platform."
)
_REAUTH = "Shopee no longer accepts this store's authorization; the seller must reconnect it."
_INVALID = "Shopee rejected the request as invalid."
_SERVER = "Shopee had an internal problem; it will be retried shortly."

TABLE: tuple[Row, ...] = (
    # Access token and authorization.
    Row("error_auth", ("access_token", "access token", "token"), AccessTokenRejected, _TOKEN),
    Row("invalid_acceess_token", (), AccessTokenRejected, _TOKEN),  # sic: Shopee's spelling
    Row("invalid_access_token", (), AccessTokenRejected, _TOKEN),
    Row("error_auth", ("permission",), PermanentError, _FORBIDDEN),
    Row("error_auth", (), AuthError, _REAUTH),
    Row("error_api_permission", (), PermanentError, _FORBIDDEN),
    Row("error_permission", (), PermanentError, _FORBIDDEN),
    Row("user_is_unauthorized", (), PermanentError, _FORBIDDEN),
    Row("shop_access_expired", (), AuthError,
        "The store's authorization for StoreBridge has expired; the seller must authorize it "
        "again."),
    Row("error_shop_refresh_token", (), AuthError,
        "Shopee refused the store's refresh token (wrong or already used); reconnect the store."),
    Row("refresh_token_expired", (), AuthError,
        "The store's Shopee refresh token has expired; reconnect the store."),
    Row("shop_no_linked", (), AuthError,
        "This store is no longer linked to our Shopee app; reconnect the store."),
    Row("error_shop", (), PermanentError, "Shopee says this shop id is invalid."),
    Row("shop_banned", (), PermanentError, "Shopee has banned this store; nothing can be sent."),
    Row("error_sign", (), PermanentError,
        "Shopee rejected our request signature: the configured partner key is wrong."),
    Row("source_ip_undeclared", (), PermanentError,
        "Shopee blocked the request: our server's IP address is not on the app's allow-list."),
    # Rate limits.
    Row("error_rate_limit", (), RateLimited, "Shopee asked us to slow down (too many requests)."),
    Row("system_busy", (), RateLimited, "Shopee is busy and asked us to send fewer requests."),
    Row("error_limit", (), RateLimited,
        "The store reached Shopee's daily API limit; it resets at midnight Singapore time."),
    # Server side.
    Row("error_server", (), TransientError, _SERVER),
    Row("internal_server_error", (), TransientError, _SERVER),
    Row("error_network", (), TransientError, _SERVER),
    Row("error_inner", (), TransientError, _SERVER),
    # Chat rules. Shopee documents no codes for these; match the words (INFERRED).
    Row("not_open_market", (), RuleViolation,
        "Shopee's chat API does not serve this market (for example Taiwan); reply in Shopee "
        "Seller Centre."),
    Row("*", ("region is not supported", "tw region"), RuleViolation,
        "Shopee's chat API does not serve this market (for example Taiwan); reply in Shopee "
        "Seller Centre."),
    Row("*", ("blocked", "block list", "blacklist"), RuleViolation,
        "The buyer has blocked the shop, so the message cannot be delivered."),
    Row("*", ("reply window", "conversation expired", "cannot reply", "can not reply",
              "chat expired"), RuleViolation,
        "The reply window for this conversation has closed; the buyer has to write first."),
    Row("*", ("without buyer reply", "until the buyer replies", "buyer has not replied",
              "too many messages"), RuleViolation,
        "Too many messages were sent without a reply from the buyer; wait for the buyer to "
        "answer."),
    Row("*", ("sensitive", "censor", "prohibited"), RuleViolation,
        "Shopee refused the text because it contains words its chat rules do not allow."),
    Row("*", ("too long", "exceeds", "length"), RuleViolation,
        "The message is longer than Shopee allows; shorten or split it."),
    Row("resource_not_found", (), PermanentError,
        "Shopee could not find this conversation or message."),
    Row("error_not_found", (), PermanentError,
        "Shopee could not find this conversation or message."),
    Row("error_param", ("timestamp",), PermanentError,
        "Shopee rejected the request time: this server's clock is more than 5 minutes off."),
    Row("error_param", (), PermanentError, _INVALID),
    Row("param_error", (), PermanentError, _INVALID),
    Row("error_data", (), PermanentError, _INVALID),
    # HTTP statuses without a Shopee envelope.
    Row("http:429", (), RateLimited, "Shopee asked us to slow down (too many requests)."),
    Row("http:401", (), AuthError, _REAUTH),
    Row("http:403", (), PermanentError, _FORBIDDEN),
    Row("http:404", (), PermanentError, "Shopee does not know this API address."),
    Row("http:5xx", (), TransientError, "Shopee is temporarily unavailable."),
)

_SGT = timezone(timedelta(hours=8))


# Codes too vague to say what went wrong: the message words decide.
_GENERIC = frozenset({"error_param", "param_error", "error_data", "error_permission"})


def _specificity(row: Row, code: str) -> int:
    if row.code == code and row.words:
        return 0
    vague = code in _GENERIC
    if row.code == "*":
        return 1 if vague else 2
    return 2 if vague else 1


def lookup(code: str, message: str = "") -> Row | None:
    text = message.lower()
    hits = [
        row
        for row in TABLE
        if row.code in (code, "*")
        and (not row.words or any(w in text for w in row.words))
        and not (row.code == "*" and code.startswith("http:"))
    ]
    return min(hits, key=lambda r: _specificity(r, code)) if hits else None


def seconds_to_daily_reset(now: float) -> float:
    """Shopee's daily ``error_limit`` resets at 00:00 UTC+8."""
    local = datetime.fromtimestamp(now, UTC).astimezone(_SGT)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1.0, (midnight - local).total_seconds())


def classify(
    code: str,
    message: str = "",
    *,
    http_status: int | None = None,
    retry_after: float | None = None,
    now: float | None = None,
    request_id: str = "",
) -> ConnectorError:
    """The connector error for a wire ``error`` code (or ``http:<status>``)."""
    row = lookup(code, message)
    if row is None and http_status is not None and http_status >= 500:
        row = lookup("http:5xx")
    detail = f"shopee {code}: {message}".strip().rstrip(":")
    if request_id:
        detail += f" (request_id {request_id})"
    if row is None:
        return PermanentError(detail, code=code, user_message="Shopee rejected the request.")
    if row.kind is RateLimited:
        if code == "error_limit" and retry_after is None and now is not None:
            retry_after = seconds_to_daily_reset(now)
        return RateLimited(detail, code=code, user_message=row.user_message,
                           retry_after=retry_after)
    if issubclass(row.kind, TransientError):
        return row.kind(detail, code=code, user_message=row.user_message, retry_after=retry_after)
    return row.kind(detail, code=code, user_message=row.user_message)


def classify_http(status: int, *, retry_after: float | None = None) -> ConnectorError:
    key = f"http:{status}"
    if lookup(key) is None:
        key = "http:5xx" if status >= 500 else key
    return classify(key, f"HTTP {status} without a Shopee envelope", http_status=status,
                    retry_after=retry_after)
