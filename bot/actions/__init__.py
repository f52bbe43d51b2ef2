"""Agents act from Slack, not only type: images out, answers to buyers' cancellation
and return requests, an approval gate for risky replies, a guard against replies sent
to the wrong buyer or in the wrong language, a response-rate guard.

The feature is wired in :mod:`bot.actions.feature`; imported lazily so that
``bot.config`` may use :mod:`bot.actions.approval_rules` without an import cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.service import Service


def install(service: Service) -> Any:
    from bot.actions.feature import install as install_feature

    return install_feature(service)
