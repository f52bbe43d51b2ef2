"""When Slack refuses a message's blocks for good, post it as plain text instead.

A card Slack rejects permanently (``invalid_blocks``: an avatar it cannot download, a
field over a limit) used to be given up like any permanent failure: the root post
never existed, so every later message of that conversation was given up too, with no
alert and /healthz "ok". Now the same post goes out once more with no blocks — its
escaped fallback text plus the text of its blocks — the ops channel is told the first
time, and every fallback is counted (in memory, on the outbox) for /healthz.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.slack_errors import Fault, classify
from bot.text_safety import escape_untrusted

log = logging.getLogger(__name__)

TEXT_LIMIT = 3000  # well under Slack's 40,000; a fallback is a summary, not an archive
NOTE = "(Shown as plain text: Slack refused this message's layout.)"


def _texts(node: Any) -> list[str]:
    """Text objects in a block tree, buttons left out (they do nothing without blocks)."""
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    if not isinstance(node, dict) or node.get("type") in ("actions", "button"):
        return []
    if node.get("type") == "plain_text":  # never parsed in blocks; escape it for `text`
        return [escape_untrusted(str(node.get("text") or ""))]
    if node.get("type") == "mrkdwn":  # ours, with untrusted parts already escaped
        return [str(node.get("text") or "")]
    return [t for key in ("text", "fields", "elements") for t in _texts(node.get(key))]


def plain_args(args: dict[str, Any]) -> dict[str, Any]:
    """The same post or update as text only: no blocks, no attachments, no image URL."""
    lines: list[str] = []
    for line in [str(args.get("text") or ""), *_texts(args.get("blocks"))]:
        if line and line not in lines:
            lines.append(line)
    body = "\n".join(lines)
    if len(body) > TEXT_LIMIT:
        body = body[:TEXT_LIMIT - 1] + "…"
    out = {k: v for k, v in args.items()
           if k not in ("blocks", "attachments", "icon_url", "text")}
    if "icon_url" in args:  # a URL Slack could not fetch may be what it refused
        out["icon_emoji"] = ":bust_in_silhouette:"
    out["text"] = f"{body}\n{NOTE}" if body else NOTE
    return out


@dataclass
class CardFallbacks:
    """How many posts went out as plain text since start (in memory: a restart resets
    it, and the ops channel is told again the first time after one)."""

    ops_channel: str | None = None
    #: Awaited once, with the ops channel, the alert text and the conversation id.
    alert: Callable[[str, str, int | None], Awaitable[None]] | None = None
    count: int = 0
    last_error: str | None = None
    last_at: float | None = None
    by_kind: dict[str, int] = field(default_factory=dict)

    async def note(self, kind: str, error: str, conversation_id: int | None) -> None:
        self.count += 1
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        self.last_error, self.last_at = error, time.time()
        log.warning("Slack refused a %s (%s); posted it as plain text", kind, error)
        if self.count == 1 and self.ops_channel and self.alert:
            await self.alert(self.ops_channel, (
                f"⚠️ Slack refused a message StoreBridge built ({kind}: {error}), so it "
                "was posted as plain text. Conversations keep flowing; the card's buttons "
                "are missing on such posts. Further cases are only counted in /healthz "
                "(slack.card_fallbacks). Please report this with the logs."), conversation_id)

    def health(self) -> dict[str, Any]:
        return {"count": self.count, "last_error": self.last_error, "last_at": self.last_at,
                "by_kind": dict(self.by_kind)}


async def call_or_plain(call: Callable[..., Awaitable[Any]], args: dict[str, Any],
                        fallbacks: CardFallbacks | None, kind: str,
                        conversation_id: int | None) -> Any:
    """``call(**args)``; if Slack refuses the content, ``call`` again as plain text."""
    try:
        return await call(**args)
    except SlackApiError as e:
        failure = classify(e)
        if failure.kind is not Fault.REJECTED or not (args.get("blocks")
                                                     or args.get("attachments")):
            raise
        resp = await call(**plain_args(args))
        if fallbacks is not None:
            await fallbacks.note(kind, failure.error, conversation_id)
        return resp
