"""Account-risk notices a platform reports through its API: penalty points,
punishments in force, performance indicators below target.

What each platform exposes (docs/account-health.md has the sources):

* Shopee — ``account_health/get_penalty_point_history`` (the current quarter's
  penalty points) and ``account_health/get_punishment_history`` (punishments,
  ``punishment_status`` 1 = ongoing).
* Lazada — ``/seller/performance/get``: performance indicators, each with its
  target and whether it is respected. No penalty-point API.
* TikTok Shop — no API for violations, points or account health: Seller Center only.

A connector that can tell implements :class:`AccountHealthSource`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from connectors.models import StoreAccount


@dataclass(frozen=True)
class AccountNotice:
    kind: str  # "penalty_points" | "punishment" | "metric"
    key: str  # stable per notice, so a notice seen again is the same row
    summary: str  # built from the platform's words: untrusted text
    severity: str  # "warning" | "critical"
    issued_at: datetime | None = None
    ends_at: datetime | None = None


@runtime_checkable
class AccountHealthSource(Protocol):
    async def account_notices(self, store: StoreAccount) -> list[AccountNotice]:
        """Everything of concern now; an empty list means the account is in good standing."""
        ...


def from_seconds(value: Any) -> datetime | None:
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None
