"""``/templates``: managers browse, search, add, edit and delete templates in Slack."""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.store.templates import DuplicateTemplate, Templates
from bot.templates import manage_views as views
from bot.templates.validate import problems

if TYPE_CHECKING:
    from bot.feature_api import Services

log = logging.getLogger(__name__)

COMMAND = "/templates"
NOT_MANAGER = ("Only managers can change templates (those listed under `managers:` in a "
               "group of storebridge.yml, and `admins:`). Agents use them with `/reply` or "
               "“Reply with template” in a conversation thread.")


def is_manager(service: Services, user: str) -> bool:
    """Templates are shared by every store: managers of any group, and admins."""
    return service.relay.access.may_manage(user)


def register_manage(app: AsyncApp, service: Services, repo: Templates) -> None:
    async def browse(back: dict[str, Any]) -> dict[str, Any]:
        query, topic = str(back.get("q") or ""), back.get("topic") or None
        found = await repo.search(query, topic=topic, limit=views.LIST_LIMIT + 1)
        return views.browse_view(found, await repo.topics(), await repo.count(), query=query,
                                 topic=topic)

    async def refresh_browser(client: AsyncWebClient, view: dict[str, Any]) -> None:
        """After a save or delete in a pushed view, the browser under it shows the change."""
        if view.get("previous_view_id"):
            try:
                await client.views_update(view_id=view["previous_view_id"],
                                          view=await browse(_meta(view)))
            except SlackApiError as e:
                log.info("could not refresh the template browser: %s", e.response.get("error"))

    @app.command(COMMAND)
    async def on_command(ack: AsyncAck, command: dict[str, Any],
                         client: AsyncWebClient) -> None:
        if not is_manager(service, command["user_id"]):
            await ack(text=NOT_MANAGER)
            return
        await ack()
        back = {"q": (command.get("text") or "").strip(), "topic": None}
        await client.views_open(trigger_id=command["trigger_id"], view=await browse(back))

    @app.view(views.BROWSE)
    async def on_search(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        if not is_manager(service, body["user"]["id"]):
            await ack(response_action="errors", errors={"search": NOT_MANAGER})
            return
        query = view["state"]["values"].get("search", {}).get("query", {}).get("value") or ""
        await ack(response_action="update", view=await browse({**_meta(view), "q": query.strip()}))

    @app.action(views.TOPIC_ACTION)
    async def on_topic(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                       client: AsyncWebClient) -> None:
        await ack()
        if not is_manager(service, body["user"]["id"]):
            return
        value = (action.get("selected_option") or {}).get("value")
        back = {**_meta(body["view"]), "topic": None if value == views.ALL_TOPICS else value}
        await client.views_update(view_id=body["view"]["id"], hash=body["view"].get("hash"),
                                  view=await browse(back))

    @app.action(views.ADD_ACTION)
    @app.action(re.compile(rf"^{views.ROW_ACTION}:\d+$"))
    async def on_row(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                     client: AsyncWebClient) -> None:
        await ack()
        if not is_manager(service, body["user"]["id"]):
            return
        back = _meta(body["view"])
        what, _, tid = ((action.get("selected_option") or {}).get("value") or "add:").partition(":")
        template = await repo.get(int(tid)) if tid.isdigit() else None
        if what == "delete" and template:
            view = views.delete_view(template, back)
        else:
            view = views.edit_view(template if what == "edit" else None,
                                   service.settings.team_language, back)
        await client.views_push(trigger_id=body["trigger_id"], view=view)

    @app.view(views.EDIT)
    async def on_save(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any],
                      client: AsyncWebClient) -> None:
        user = body["user"]["id"]
        if not is_manager(service, user):
            await ack(response_action="errors", errors={"topic": NOT_MANAGER})
            return
        errors = await _save(repo, view, user)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        await refresh_browser(client, view)

    @app.view(views.DELETE)
    async def on_delete(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any],
                        client: AsyncWebClient) -> None:
        if not is_manager(service, body["user"]["id"]):
            await ack(response_action="errors", errors={"confirm": NOT_MANAGER})
            return
        await repo.delete(int(_meta(view).get("id") or 0))
        await ack()
        await refresh_browser(client, view)


async def _save(repo: Templates, view: dict[str, Any], user: str) -> dict[str, str]:
    """Add or update from the editor; returns errors by block id (empty: saved)."""
    values = view["state"]["values"]

    def text(block: str) -> str:
        return (values.get(block, {}).get(block, {}).get("value") or "").strip()

    topic, name, body = text("topic"), text("name"), text("body")
    variants = {b[len("lang_"):]: text(b) for b in values if b.startswith("lang_") and text(b)}
    other_lang, other_text = text("other_lang").lower(), text("other_text")
    if bool(other_lang) != bool(other_text):
        return {"other_lang" if other_text else "other_text":
                "Give both the language code and its text, or neither."}
    if other_lang:
        if other_lang in variants:
            return {"other_lang": f"{other_lang} already has a text above."}
        variants[other_lang] = other_text
    found = problems(topic, name, body, variants)
    if found:
        errors: dict[str, str] = {}
        for key, message in found:
            block = key
            if key.startswith("variants."):
                code = key.split(".", 1)[1]
                block = (f"lang_{code}" if f"lang_{code}" in values
                         else "other_lang" if "language code" in message else "other_text")
            errors.setdefault(block, f"This {message}.")
        return errors
    tid = _meta(view).get("id")
    try:
        if tid:
            if not await repo.update(int(tid), topic, name, body, variants):
                return {"topic": "This template was deleted meanwhile."}
        elif await repo.find(topic, name):
            return {"name": "A template with this topic and name exists; edit that one."}
        else:
            await repo.upsert(topic, name, body, variants, by=user)
    except DuplicateTemplate:
        return {"name": "Another template has this topic and name."}
    return {}


def _meta(view: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
