"""The response-rate guard: each store's chat response rate as its platform counts
it (bot/actions/response_rules.py), on App Home and in the digest, and a warning in
the store's channel before a waiting buyer is about to count as missed.

Counted from StoreBridge's own records: each time a buyer starts waiting is one chat;
answered by its deadline is on time; answered late, or still waiting past it, is
missed; still waiting before it is not counted yet. Replies typed in the seller
centre count once their echo reaches StoreBridge.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from bot.actions.response_rules import ResponseRule, deadline
from bot.render.labels import duration
from bot.slack_work import SlackWork
from bot.text_safety import escape_untrusted

if TYPE_CHECKING:
    from bot.events import ReplyDelivered
    from bot.feature_api import Services

DAY = 86400.0


#: The longest a wait can take to reach a next-day due hour (response_rules.deadline:
#: under two days); a configured reply_hours may be longer.
LONGEST_WAIT = 2 * DAY + 3600.0
YIELD_EVERY = 2000  # rows walked between yields to the event loop
RATES_TTL = 60.0
STALE_OK = 600.0  # older figures are recomputed before they are shown


@dataclass(frozen=True)
class StoreRate:
    store_key: str
    on_time: int
    missed: int
    pending: int
    rule: ResponseRule

    @property
    def rate(self) -> float | None:
        counted = self.on_time + self.missed
        return self.on_time / counted if counted else None

    def line(self, name: str) -> str:
        r = self.rate
        shown = f"*{r:.0%}*" if r is not None else "no chats yet"
        flag = "🟢" if r is None or r >= self.rule.target else "🔴"
        waiting = f" · {self.pending} waiting" if self.pending else ""
        return (f"{flag} {escape_untrusted(name)}: {shown} answered in time over "
                f"{self.rule.window_days} d ({self.on_time} on time, {self.missed} missed; "
                f"{self.rule.platform} target {self.rule.target:.0%}){waiting}")


class ResponseGuard:
    def __init__(self, service: Services) -> None:
        self.service = service
        self.store = service.store
        self._rates: tuple[float, list[StoreRate]] | None = None  # (computed at, rates)
        self._computing: asyncio.Future[list[StoreRate]] | None = None

    def rule(self, store_key: str) -> tuple[ResponseRule, str]:
        cfg = self.service.settings.store(store_key)
        rules = self.service.settings.response_rate
        return rules.get(cfg.platform) or rules["sandbox"], cfg.site

    async def rates(self, now: float) -> list[StoreRate]:
        """Every store's rate, computed at most once a minute: App Home asks on every
        open, and at 500 stores the computation reads every open wait and each store's
        answers (it held the event loop for seconds per open). A rate over a window of
        days does not move visibly within a minute."""
        cached = self._rates
        age = now - cached[0] if cached is not None else None
        if cached is not None and age is not None and 0 <= age < RATES_TTL:
            return cached[1]
        if self._computing is None or self._computing.done():
            # One computation at a time: ten Home opens a second must not start ten.
            self._computing = asyncio.ensure_future(self._compute_rates(now))
        if cached is not None and age is not None and 0 <= age < STALE_OK:
            return cached[1]  # a minute old is fine while the new figures come in
        return await asyncio.shield(self._computing)

    async def _compute_rates(self, now: float) -> list[StoreRate]:
        waits: dict[str, list[float]] = {}
        for i, (_, key, w) in enumerate(await self.store.actions.open_waits()):
            if i % YIELD_EVERY == 0:
                await asyncio.sleep(0)
            waits.setdefault(key, []).append(w)
        out = []
        for cfg in self.service.settings.stores:
            rule, site = self.rule(cfg.key)
            since = now - rule.window_days * DAY
            answered = await self.store.actions.answered_waits(cfg.key, since)
            on_time = sum(1 for asked, at in answered if at <= deadline(rule, site, asked))
            open_ = [w for w in waits.get(cfg.key, ()) if w >= since]
            late_open = sum(1 for w in open_ if now > deadline(rule, site, w))
            out.append(StoreRate(cfg.key, on_time, len(answered) - on_time + late_open,
                                 len(open_) - late_open, rule))
            await asyncio.sleep(0)  # 500 stores' arithmetic must not stall the loop
        self._rates = (now, out)
        return out

    async def on_delivered(self, event: ReplyDelivered) -> None:
        """A reply ended a buyer's wait: the cached figures count it answered now, so
        App Home's rate line agrees at once with its lists (where the buyer no longer
        waits) instead of a minute later, and without recomputing every store."""
        cached = self._rates
        if cached is None:
            return
        waited_from = await self.store.actions.answered_wait(event.conversation_id,
                                                             event.delivered_at)
        if waited_from is None or self._rates is not cached:
            return  # a follow-up reply, or figures computed meanwhile (they count it)
        at, rates = cached
        rule, site = self.rule(event.store_key)
        due = deadline(rule, site, waited_from)
        if not (at - rule.window_days * DAY <= waited_from <= at and at <= due):
            return  # not counted as waiting in these figures (outside, or already missed)
        self._rates = (at, [r if r.store_key != event.store_key else replace(
            r, pending=r.pending - 1, on_time=r.on_time + (event.delivered_at <= due),
            missed=r.missed + (event.delivered_at > due)) for r in rates])

    async def tick(self) -> list[int]:
        """Warn once per wait that is about to be missed; the conversations warned."""
        now = self.service.clock()
        warned = []
        rates = {r.store_key: r for r in await self.rates(now)}
        # Only waits whose deadline can still be ahead: one that began longer ago
        # than the longest rule allows is already missed (and was warned about).
        longest = max([LONGEST_WAIT, *(r.reply_hours * 3600 for r in
                                       self.service.settings.response_rate.values()
                                       if r.reply_hours is not None)])
        waits = await self.store.actions.open_waits(now - longest)
        for i, (conv_id, key, since) in enumerate(waits):
            if i % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # thousands of waits: never one long loop step
            if key not in rates:
                continue
            rule, site = self.rule(key)
            due = deadline(rule, site, since)
            if not (now < due <= now + rule.warn_minutes * 60):
                continue
            if not await self.store.actions.warn_once(conv_id, since):
                continue
            conv = await self.store.conversations.get(conv_id)
            if conv is None:
                continue
            rate = rates[key].rate
            now_rate = f" (now {rate:.0%}, target {rule.target:.0%})" if rate is not None else ""
            text = (f"⏰ {escape_untrusted(conv.buyer_name)} ({conv.ref}) has waited "
                    f"{duration(now - since)}: reply within {duration(due - now)} or "
                    f"{rule.platform} counts it as missed in the chat response rate{now_rate}.")
            cfg = self.service.settings.store(key)
            await self.store.ops.enqueue(cfg.channel, SlackWork.POST_CHANNEL,
                                         conversation_id=conv_id, payload={"text": text})
            self.service.outbox.kick(cfg.channel)
            warned.append(conv_id)
        return warned

    async def section(self, now: float, title: str, stores: tuple[str, ...] | None = None
                      ) -> list[dict[str, Any]]:
        shown = set(stores) if stores is not None else None
        rates = [r for r in await self.rates(now) if shown is None or r.store_key in shown]
        if not rates:
            return []
        # Drawn only as far as the section holds (a Home open asked for 500 lines
        # and kept 30): Slack cuts a section's text at 3000 characters.
        text, settings = f"*{title}*", self.service.settings
        for r in rates:
            text += "\n" + r.line(settings.store(r.store_key).display_name)
            if len(text) >= 2900:
                break
        return [{"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}]

    async def digest_section(self, now: float | None = None) -> list[dict[str, Any]]:
        return await self.section(self.service.clock() if now is None else now,
                                  "📈 Chat response rate, as the marketplaces count it")

    async def home_section(self, user_id: str, now: float) -> list[dict[str, Any]]:
        # Only the stores this person may see (bot/authz.py): their names are not public.
        visible = self.service.relay.access.visible_stores(user_id)
        return await self.section(now, "📈 Chat response rate per store", visible)
