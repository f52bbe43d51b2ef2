"""The connection banner of a store, in the ops channel and the store's channel."""

from __future__ import annotations

from typing import Any

from bot.render.labels import flag, platform_name, slack_date
from bot.text_safety import escape_untrusted


def banner(store: dict[str, Any], display_name: str) -> tuple[str, list[dict[str, Any]]]:
    who = (f"{flag(str(store['site']))} {store['site']} · {platform_name(str(store['platform']))}"
           f" · *{display_name}*")
    since = slack_date(store["health_since"])
    detail = escape_untrusted(str(store["health_detail"] or ""))
    state = store["health"]
    if state == "unauthorized":
        text = (f"🔒 {who} lost its authorization ({since}): {detail}\nReplies wait ⏳ until "
                f"the store is reconnected: `storebridge stores authorize {store['platform']}`.")
    elif state == "disconnected":
        text = (f"⚠️ {who} is disconnected since {since}: {detail}\nSync is paused and "
                "replies wait ⏳; StoreBridge keeps probing and catches up by itself.")
    else:
        caught = store["caught_up"] or 0
        text = (f"✅ {who} reconnected {since}; caught up {caught} message"
                f"{'' if caught == 1 else 's'}.")
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn",
                                                                 "text": text}}]
    if state != "ok":
        blocks.append({"type": "actions", "block_id": f"banner:{store['key']}", "elements": [
            {"type": "button", "action_id": "store_retry_sync", "value": str(store["key"]),
             "text": {"type": "plain_text", "text": "Retry sync"}}]})
    return text, blocks
