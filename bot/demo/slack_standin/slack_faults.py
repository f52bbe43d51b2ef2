"""Faults a test can inject into the Slack stand-in's Web API: refused calls, and
calls that take effect but whose answer comes late (or never reaches a client
that gave up or died meanwhile)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .slack_requests import Params


@dataclass
class _Failure:
    error: str
    status: int
    remaining: int
    retry_after: int | None


@dataclass
class _Late:
    method: str
    channel: str | None
    seconds: float


class SlackFaults:
    def __init__(self) -> None:
        self._failures: dict[str, list[_Failure]] = {}
        self._late: list[_Late] = []

    def fail_next(self, method: str, error: str = "internal_error", status: int = 200,
                  count: int = 1, retry_after: int | None = None) -> None:
        """Make the next ``count`` calls of ``method`` (``"*"``: any) fail.

        200 -> ``{"ok": false, "error": error}``; 429 -> ``ratelimited`` with ``Retry-After``;
        5xx -> a plain non-JSON body, as Slack's front end sends.
        """
        self._failures.setdefault(method, []).append(_Failure(error, status, count, retry_after))

    def answer_late(self, method: str, seconds: float, *, channel: str | None = None) -> None:
        """The next call of ``method`` (to a channel whose id starts with ``channel``,
        e.g. ``"D"`` for a DM) takes effect at once, and is answered ``seconds`` later:
        Slack has done it, the client does not know yet."""
        self._late.append(_Late(method, channel, seconds))

    def _take_failure(self, method: str) -> _Failure | None:
        for key in (method, "*"):
            queue = self._failures.get(key)
            if queue:
                failure = queue[0]
                failure.remaining -= 1
                if failure.remaining <= 0:
                    queue.pop(0)
                return failure
        return None

    def _take_late(self, method: str, params: Params) -> float:
        """Seconds to hold this call's answer (0: answer now)."""
        channel = str(params.get("channel") or "")
        for late in self._late:
            if late.method == method and channel.startswith(late.channel or ""):
                self._late.remove(late)
                return late.seconds
        return 0.0

    @staticmethod
    def _failure_answer(failure: _Failure, headers: dict[str, str]
                        ) -> tuple[int, dict[str, Any] | str]:
        if failure.status == 429 or failure.retry_after is not None:
            headers["Retry-After"] = str(max(1, failure.retry_after or 1))
        if failure.status == 429:
            error = "ratelimited" if failure.error == "internal_error" else failure.error
            return 429, {"ok": False, "error": error}
        if failure.status >= 500:
            return failure.status, f"<html><body>{failure.status} {failure.error}</body></html>"
        return failure.status, {"ok": False, "error": failure.error}
