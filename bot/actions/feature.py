"""The actions feature: what it offers the core and the other features, its jobs,
sections and Slack listeners."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from apscheduler.triggers.interval import IntervalTrigger
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.actions.approval import APPROVE, REJECT, REJECT_VIEW, ApprovalGate
from bot.actions.card_flow import CardFlow
from bot.actions.cards import PICK, SEARCH, VIEW
from bot.actions.images import SlackFileFetcher
from bot.actions.order_actions import OrderActions, meta_from_click, parse_value
from bot.actions.order_views import ACTION_PREFIX, CONFIRM
from bot.actions.reply_guard import ReplyGuard
from bot.actions.reply_guard import listeners as reply_guard_listeners
from bot.actions.response_guard import ResponseGuard
from bot.authz import NOT_APPROVER
from bot.feature_api import Feature, Job, Register, ReplyDelivered, Services, Slots, on
from bot.store import Conversation

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


@dataclass(frozen=True)
class ActionsFeature:
    orders: OrderActions
    gate: ApprovalGate
    reply_guard: ReplyGuard
    guard: ResponseGuard
    cards: CardFlow


def feature(service: Services) -> Feature:
    slack = service.settings.slack
    actions = ActionsFeature(OrderActions(service), ApprovalGate(service), ReplyGuard(service),
                             ResponseGuard(service), CardFlow(service))
    guard = actions.guard

    async def reply_cards(client: AsyncWebClient, trigger_id: str, conv: Conversation, user: str,
                          kind: str, query: str) -> str | None:
        """``/reply product <name or id>`` and ``/reply order`` (bot/templates/slack.py)."""
        view = await actions.cards.view(conv, user, query if kind == "product" else "")
        if isinstance(view, str):
            return view
        await client.views_open(trigger_id=trigger_id, view=view)
        return None

    return Feature(
        "actions", actions,
        listeners=(on(ReplyDelivered, guard.on_delivered),),
        jobs=(Job("response-guard", guard.tick, IntervalTrigger(minutes=GUARD_EVERY_MINUTES)),),
        digest_sections=(guard.digest_section,), home_sections=(guard.home_section,),
        slack=_listeners(service, actions, reply_cards),
        provides=Slots(
            fetch_file=SlackFileFetcher(service.session, slack.bot_token, slack.api_url),
            order_note_blocks=actions.orders.note_blocks, approval=actions.gate,
            reply_guard=actions.reply_guard, reply_cards=reply_cards))


def _listeners(service: Services, actions: ActionsFeature, reply_cards: Any) -> Register:
    orders, gate, cards = actions.orders, actions.gate, actions.cards
    register_reply_guard = reply_guard_listeners(actions.reply_guard)

    def register(app: AsyncApp) -> None:
        register_reply_guard(app)

        @app.action(re.compile("^" + re.escape(ACTION_PREFIX)))
        async def order_click(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                              client: AsyncWebClient, respond: AsyncRespond) -> None:
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
        async def order_confirm(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
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
        async def approval_click(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                                 client: AsyncWebClient, respond: AsyncRespond) -> None:
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
        async def approval_reject(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
                                  ) -> None:
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
        async def card_open(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                            client: AsyncWebClient, respond: AsyncRespond) -> None:
            await ack()
            conv = await service.store.conversations.get(int(action.get("value") or 0))
            problem = "This conversation no longer exists." if conv is None else \
                await reply_cards(client, body["trigger_id"], conv, body["user"]["id"],
                                  "product", "")
            if problem:
                await respond(text=problem, response_type="ephemeral", replace_original=False)

        @app.action(SEARCH)
        @app.action(PICK)
        async def card_refresh(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                               client: AsyncWebClient) -> None:
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
        async def card_send(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
            meta = json.loads(view.get("private_metadata") or "{}")
            errors = await cards.send(body["user"]["id"], meta, _view_values(view))
            if errors:
                await ack(response_action="errors", errors=errors)
            else:
                await ack()

    return register
