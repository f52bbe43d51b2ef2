"""Typed configuration: ``storebridge.yml`` plus the environment, validated once
(read by :mod:`bot.config_read`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from bot.actions.approval_rules import ApprovalConfig
from bot.actions.reply_guard_rules import GuardConfig
from bot.actions.response_rules import RULES, ResponseRule
from bot.config_sections import SlaConfig, TranslationConfig
from bot.problems import ProblemsError

PLATFORMS = ("shopee", "lazada", "tiktok")
#: The app credentials each platform's connector needs from the environment.
APP_CREDENTIALS = {
    "shopee": ("SHOPEE_PARTNER_ID", "SHOPEE_PARTNER_KEY"),
    "lazada": ("LAZADA_APP_KEY", "LAZADA_APP_SECRET"),
    "tiktok": ("TIKTOK_APP_KEY", "TIKTOK_APP_SECRET"),
}
CONNECTORS = (*PLATFORMS, "sandbox")


class ConfigError(ProblemsError):
    """Raised with every problem found; ``problems`` holds one line each."""

    noun = "configuration problem"


@dataclass(frozen=True)
class GroupConfig:
    name: str
    members: tuple[str, ...] = ()
    managers: tuple[str, ...] = ()
    #: Who may answer buyers' cancellation and return requests: "managers" or "members"
    #: (members always includes managers).
    order_actions: str = "managers"


@dataclass(frozen=True)
class StoreConfig:
    platform: str
    shop_id: str
    site: str
    name: str
    channel: str
    nickname: str | None = None
    group: str | None = None
    seller_id: str | None = None
    api_url: str | None = None
    #: Transport used to reach the store; "sandbox" for the built-in simulator.
    connector: str = ""
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)
    #: This store's own glossary terms (see TranslationConfig.glossary).
    glossary: Mapping[str, str | None] = field(default_factory=dict)
    sla: SlaConfig | None = None  # None: the top-level default
    #: Alert this long before an order's ship-by deadline (None: the top-level one).
    ship_by_lead_hours: float | None = None
    approval: ApprovalConfig | None = None  # None: the top-level one
    reply_guard: GuardConfig | None = None  # None: the top-level one
    #: Shopee: the seller's contact e-mail a return dispute (refusal) requires.
    dispute_email: str | None = None

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.shop_id}"

    @property
    def display_name(self) -> str:
        return self.nickname or self.name


@dataclass(frozen=True)
class SlackConfig:
    bot_token: str = field(default="", repr=False)
    signing_secret: str = field(default="", repr=False)
    app_token: str = field(default="", repr=False)
    api_url: str = "https://slack.com/api/"
    #: chat.postMessage pacing per channel (Slack allows ~1/s with short bursts).
    post_rate_per_channel: float = 1.0
    post_burst: int = 3


@dataclass(frozen=True)
class SandboxConfig:
    url: str
    app_key: str = "sandbox-app"
    app_secret: str = field(default="sandbox-secret", repr=False)


@dataclass(frozen=True)
class Settings:
    team_language: str = "en"
    ops_channel: str | None = None
    groups: tuple[GroupConfig, ...] = ()
    #: Workspace-wide administrators: act and see in every store, manage everything.
    admins: tuple[str, ...] = ()
    stores: tuple[StoreConfig, ...] = ()
    slack: SlackConfig = SlackConfig()
    sandbox: SandboxConfig | None = None
    db_path: str = "storebridge.db"
    #: ``DATABASE_URL``: PostgreSQL (postgresql://…) instead of the SQLite file.
    database_url: str | None = None
    public_url: str | None = None
    port: int = 3000
    #: Platform app credentials and URL overrides, passed to connectors' from_env.
    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    source: str = "<defaults>"
    #: Transient outbound send failures tolerated before a reply is marked failed.
    send_max_attempts: int = 6
    #: A store's first connection brings in the conversations waiting this long at most.
    backfill_hours: float = 24.0
    translation: TranslationConfig = TranslationConfig()
    sla: SlaConfig = SlaConfig()
    #: Words that flag a conversation (added to the built-in multilingual list).
    priority_keywords: tuple[str, ...] = ()
    digest_time: str = "09:00"
    timezone: str = "UTC"
    #: Slack presence "away" counts as idle for assignment.
    presence_idle: bool = False
    ship_by_lead_hours: float = 6.0
    #: Replies promising money or policy wait for a manager (bot/actions/approval_rules).
    approval: ApprovalConfig = ApprovalConfig()
    #: A typed reply in the wrong language or naming another buyer's order or another
    #: store waits for its author to confirm (bot/actions/reply_guard.py).
    reply_guard: GuardConfig = GuardConfig()
    #: Each platform's chat response rule, by connector (bot/actions/response_rules).
    response_rate: Mapping[str, ResponseRule] = field(default_factory=lambda: dict(RULES))

    @property
    def database(self) -> str:
        """What the store connects to: PostgreSQL when ``DATABASE_URL`` is set, else
        the SQLite file."""
        return self.database_url or self.db_path

    def approval_for(self, store_key: str) -> ApprovalConfig:
        return self.store(store_key).approval or self.approval

    def reply_guard_for(self, store_key: str) -> GuardConfig:
        return self.store(store_key).reply_guard or self.reply_guard

    def sla_for(self, store_key: str) -> SlaConfig:
        return self.store(store_key).sla or self.sla

    def store(self, key: str) -> StoreConfig:
        """By key, through a dict built once (500 stores scanned per waiting
        conversation once held the event loop for seconds)."""
        return self._stores_by_key[key]

    @cached_property  # frozen, yet cached: it writes the instance dict, not a field
    def _stores_by_key(self) -> dict[str, StoreConfig]:
        return {s.key: s for s in self.stores}

    def group(self, name: str | None) -> GroupConfig | None:
        return next((g for g in self.groups if g.name == name), None)
