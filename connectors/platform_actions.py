"""What the platforms' order actions share: which actions a pending request allows,
turning a marketplace's refusal into :class:`ActionRefused` in its own words, and
checking a partial-refund amount. A platform supplies its name, how its error
details quote the marketplace's words, and whether it offers partial refunds."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from connectors.errors import AuthError, PermanentError, RuleViolation
from connectors.order_actions import ActionRefused, OrderAction, pending_actions
from connectors.orders import Order

T = TypeVar("T")


class PlatformActions:
    def __init__(self, now: Callable[[], datetime], *, platform: str,
                 detail: re.Pattern[str], partial_refund: bool) -> None:
        self._now = now
        self._platform = platform
        self._quote = detail
        self._partial_refund = partial_refund

    def allowed_actions(self, order: Order, return_id: str | None = None
                        ) -> frozenset[OrderAction]:
        return pending_actions(order, return_id, self._now(),
                               partial_refund=self._partial_refund)

    async def _refusing(self, call: Awaitable[T]) -> T:
        """``call``'s result; a marketplace refusal becomes :class:`ActionRefused`,
        quoting the marketplace (authorization and rule errors pass as they are)."""
        try:
            return await call
        except (AuthError, RuleViolation):
            raise
        except PermanentError as exc:
            m = self._quote.match(str(exc))
            raise ActionRefused(self._platform, m.group(1) if m else exc.user_message,
                                code=exc.code) from exc


def positive_amount(value: str | None) -> Decimal:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        d = Decimal(0)
    if not d.is_finite() or d <= 0:
        raise RuleViolation(f"bad refund amount {value!r}",
                            user_message="A partial refund needs a positive amount.")
    return d
