"""The actions feature: its hooks into the core and its Slack listeners."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from bot.actions.approval import APPROVE, REJECT, REJECT_VIEW, ApprovalGate
from bot.actions.cards import PICK, SEARCH, VIEW, CardFlow
from bot.actions.images import SlackFileFetcher
from bot.actions.order_actions import OrderActions, meta_from_click, parse_value
from bot.actions.order_views import ACTION_PREFIX, CONFIRM
from bot.actions.reply_guard import ReplyGuard
from bot.actions.reply_guard import listeners as reply_guard_listeners
from bot.actions.response_guard import ResponseGuard
from bot.authz import NOT_APPROVER
from bot.features import Register

if TYPE_CHECKING:
    from bot.service import Service


GUARD_EVERY_MINUTES = 5


def _view_values(view: dict[str, Any]) -> dict[str, str]:
    out = {}
    for block_id, fields in ((view.get("state") or {}).get("values") or {}).items():
        for field in fields.values():
            chosen = (field.get("selected_option") or {}).get("value")
            value = chosen if chosen is not None else field.get("value")
            if isinstance(value, str) and value.strip():
                out[block_id] = value.strip()
    return out


def install(service: Service) -> Register | None:
    slack = service.settings.slack
    service.sender.fetch_file = SlackFileFetcher(service.session, slack.bot_token, slack.api_url)
    orders = OrderActions(service)
    service.orders.sync.note_blocks = orders.note_blocks  # type: ignore[attr-defined]
    gate = service.relay.approval = ApprovalGate(service)
    reply_guard = service.relay.guard = ReplyGuard(service)
    register_reply_guard = reply_guard_listeners(reply_guard)
    guard = ResponseGuard(service)
    service.digest_sections.append(guard.digest_section)
    service.home_sections = [*getattr(service, "home_sections", []), guard.home_section]
    service.scheduler.add_job(guard.tick, "interval", minutes=GUARD_EVERY_MINUTES,
                              id="response-guard", max_instances=1, coalesce=True)
    service.response_guard = guard  # type: ignore[attr-defined]
    cards = CardFlow(service)

    async def reply_cards(client: Any, trigger_id: str, conv: Any, user: str, kind: str,
                          query: str) -> str | None:
        """``/reply product <name or id>`` and ``/reply order`` (bot/templates/slack.py)."""
        view = await cards.view(conv, user, query if kind == "product" else "")
        if isinstance(view, str):
            return view
        await client.views_open(trigger_id=trigger_id, view=view)
        return None

    service.reply_cards = reply_cards  # type: ignore[attr-defined]

    def register(app: Any) -> None:
        register_reply_guard(app)

        @app.action(re.compile("^" + re.escape(ACTION_PREFIX)))
        async def order_click(ack: Any, body: dict[str, Any], action: dict[str, Any],
                              client: Any, respond: Any) -> None:
            await ack()
            value = parse_value(action.get("value") or "")
            if value is None:
                return
            channel = (body.get("channel") or {}).get("id") or ""
            thread = (body.get("message") or {}).get("thread_ts") or ""
            conv = await service.store.conversations.by_thread(channel, thread)
            answer = await orders.open(body["user"]["id"], value,
                                       meta_from_click(body, conv.id if conv else None))
            if isinstance(answer, str):
                await respond(text=answer, response_type="ephemeral", replace_original=False)
            else:
                await client.views_open(trigger_id=body["trigger_id"], view=answer)

        @app.view(CONFIRM)
        async def order_confirm(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
            meta = parse_value(view.get("private_metadata") or "")  # keeps ch, ts, n, c
            if meta is None:
                await ack()
                return
            errors = await orders.confirm(body["user"]["id"], meta, _view_values(view))
            if errors:
                await ack(response_action="errors", errors=errors)
            else:
                await ack()

        @app.action(APPROVE)
        @app.action(REJECT)
        async def approval_click(ack: Any, body: dict[str, Any], action: dict[str, Any],
                                 client: Any, respond: Any) -> None:
            await ack()
            try:
                message_id = int(action.get("value") or "")
            except ValueError:
                return
            where = meta_from_click(body, None)
            user = body["user"]["id"]
            if action["action_id"] == REJECT:
                msg = await service.store.replies.get(message_id)
                if msg is not None and service.relay.access.may_approve(user, msg.store_key):
                    await client.views_open(trigger_id=body["trigger_id"],
                                            view=gate.reject_view(message_id, where))
                    return
                answer: str | None = NOT_APPROVER
            else:
                answer = await gate.decide(user, message_id, True, "", where)
            if answer:
                await respond(text=answer, response_type="ephemeral", replace_original=False)

        @app.view(REJECT_VIEW)
        async def approval_reject(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
            try:
                meta = json.loads(view.get("private_metadata") or "")
                message_id = int(meta["m"])
            except (ValueError, KeyError, TypeError):
                await ack()
                return
            note = _view_values(view).get("note", "")
            answer = await gate.decide(body["user"]["id"], message_id, False, note,
                                       {k: str(meta.get(k) or "") for k in ("ch", "ts", "n")})
            if answer:
                await ack(response_action="errors", errors={"note": answer})
            else:
                await ack()

        @app.action("card_open")
        async def card_open(ack: Any, body: dict[str, Any], action: dict[str, Any],
                            client: Any, respond: Any) -> None:
            await ack()
            conv = await service.store.conversations.get(int(action.get("value") or 0))
            problem = "This conversation no longer exists." if conv is None else \
                await reply_cards(client, body["trigger_id"], conv, body["user"]["id"],
                                  "product", "")
            if problem:
                await respond(text=problem, response_type="ephemeral", replace_original=False)

        @app.action(SEARCH)
        @app.action(PICK)
        async def card_refresh(ack: Any, body: dict[str, Any], action: dict[str, Any],
                               client: Any) -> None:
            await ack()
            view = body.get("view") or {}
            meta = json.loads(view.get("private_metadata") or "{}")
            conv = await service.store.conversations.get(int(meta.get("c") or 0))
            if conv is None:
                return
            if action["action_id"] == SEARCH:
                query, picked = action.get("value") or "", None
            else:
                query = meta.get("q") or ""
                picked = (action.get("selected_option") or {}).get("value")
            new = await cards.view(conv, body["user"]["id"], query, picked)
            if not isinstance(new, str):
                await client.views_update(view_id=view["id"], view=new)

        @app.view(VIEW)
        async def card_send(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
            meta = json.loads(view.get("private_metadata") or "{}")
            errors = await cards.send(body["user"]["id"], meta, _view_values(view))
            if errors:
                await ack(response_action="errors", errors=errors)
            else:
                await ack()

    return register
