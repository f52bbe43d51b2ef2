"""Team workflow in Slack: /cs, Assign to me, Transfer, the status toggle."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.authz import NOT_AGENT

if TYPE_CHECKING:
    from bot.team import TeamFeature

HELP = ("*/cs* commands: `online`, `idle`, `handover @member` or `handover <group>`, `stats`"
        ", `order <order-number>`")


def register(app: AsyncApp, team: TeamFeature) -> None:
    from bot.team.home import filters_from_view, listeners

    listeners(team.service, team.panel, home_opened=False)(app)  # the panel's filter actions
    @app.command("/cs")
    async def cs(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        words = (command.get("text") or "").split()
        verb, rest = (words[0].lower(), words[1:]) if words else ("help", [])
        handler = team.command(verb)
        answer = await handler(command["user_id"], rest) if handler else HELP
        if isinstance(answer, list):
            await respond(blocks=answer, text="StoreBridge", response_type="ephemeral")
        else:
            await respond(text=answer, response_type="ephemeral")

    @app.action("assign_to_me")
    async def assign_to_me(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        await team.assign_to_me(int(action["value"]), body["user"]["id"])

    @app.action("transfer_open")
    async def transfer_open(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                            client: AsyncWebClient) -> None:
        await ack()
        user = body["user"]["id"]
        conv = await team.service.store.conversations.get(int(action["value"]))
        if conv is None:
            return
        if not team.handoffs.access.may_act(user, conv.store_key):
            await team.service.relay.tell(conv, user, NOT_AGENT)  # no buyer, no team shown
            return
        view = await team.transfer_view(conv.id, user)
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.view("transfer_submit")
    async def transfer_submit(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
                              ) -> None:
        values = view["state"]["values"]
        # each input's action_id is its block_id: unique in the view, like every id here
        member = ((values.get("member") or {}).get("member") or {}).get("selected_option")
        group = ((values.get("group") or {}).get("group") or {}).get("selected_option")
        note = ((values.get("note") or {}).get("note") or {}).get("value") or ""
        outcome = await team.handoffs.transfer(
            int(view["private_metadata"]), body["user"]["id"],
            user=member["value"] if member else None, group=group["value"] if group else None,
            note=note, once=f"view_submission:{view.get('id')}")
        if not outcome.ok:
            # The error goes beside an input the modal really has (Slack rejects others).
            block = "member" if (member or not group) and "member" in values else "group"
            await ack(response_action="errors",
                      errors={block if block in values else "note": outcome.message})
            return
        await ack()

    @app.action("agent_status_toggle")
    async def status_toggle(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        user = body["user"]["id"]
        await team.set_status(user, "idle" if await team.roster.online(user) else "online")
        await team.publish_home(user, filters_from_view(body.get("view")))

    @app.event("app_home_opened")
    async def home(event: dict[str, Any]) -> None:
        if event.get("tab") in (None, "home"):
            # Publishing may take a few queries and a users.info: not before the ack.
            team.service.spawn(team.publish_home(event["user"],
                                                 filters_from_view(event.get("view"))))
