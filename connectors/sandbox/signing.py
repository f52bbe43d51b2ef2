"""The sandbox protocol's signing rules, shared by the server and the connector."""

from __future__ import annotations

import hashlib
import hmac

APP_KEY_HEADER = "X-Sandbox-App-Key"
TIMESTAMP_HEADER = "X-Sandbox-Timestamp"
SIGNATURE_HEADER = "X-Sandbox-Signature"
REQUEST_ID_HEADER = "X-Sandbox-Request-Id"

#: Largest accepted distance between a signed timestamp and the receiver's clock.
TIMESTAMP_TOLERANCE = 300


def _hmac_hex(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def api_signature(secret: str, timestamp: int | str, method: str, path_qs: str,
                  body: bytes) -> str:
    prefix = f"{timestamp}\n{method.upper()}\n{path_qs}\n".encode()
    return _hmac_hex(secret, prefix + body)


def push_signature(secret: str, timestamp: int | str, body: bytes) -> str:
    return _hmac_hex(secret, f"{timestamp}\n".encode() + body)


def same_signature(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode())


def parse_timestamp(value: str | None) -> int | None:
    """Unix seconds from a header, or None when absent or not a plain integer.

    Signatures cover the header text exactly as sent, so callers sign with the
    raw value and only use this number for the freshness check.
    """
    if value is None or not (value.isascii() and value.isdigit()):
        return None
    return int(value)


def is_fresh(timestamp: int, now: float) -> bool:
    return abs(now - timestamp) <= TIMESTAMP_TOLERANCE
