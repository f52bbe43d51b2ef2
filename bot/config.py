"""Typed configuration: ``storebridge.yml`` plus the environment, validated once.

Every problem is collected and reported together (file, key, what is expected)
so an operator fixes the file in one pass instead of one error per restart.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import yaml_strict
from bot.actions.approval_rules import ApprovalConfig, read_approval
from bot.actions.reply_guard_rules import GuardConfig, read_reply_guard
from bot.actions.response_rules import RULES, ResponseRule, read_response_rules
from bot.config_checker import Checker
from bot.config_sections import (
    HHMM,
    SlaConfig,
    TranslationConfig,
    read_email,
    read_glossary,
    read_sla,
    read_timezone,
    read_translation,
)
from bot.problems import ProblemsError

PLATFORMS = ("shopee", "lazada", "tiktok")
#: The app credentials each platform's connector needs from the environment.
APP_CREDENTIALS = {
    "shopee": ("SHOPEE_PARTNER_ID", "SHOPEE_PARTNER_KEY"),
    "lazada": ("LAZADA_APP_KEY", "LAZADA_APP_SECRET"),
    "tiktok": ("TIKTOK_APP_KEY", "TIKTOK_APP_SECRET"),
}
CONNECTORS = (*PLATFORMS, "sandbox")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


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
        by_key = self.__dict__.get("_stores_by_key")
        if by_key is None:
            by_key = {s.key: s for s in self.stores}
            object.__setattr__(self, "_stores_by_key", by_key)  # frozen: a cache, not state
        return by_key[key]

    def group(self, name: str | None) -> GroupConfig | None:
        return next((g for g in self.groups if g.name == name), None)


_TOP_KEYS = {"team_language", "ops_channel", "groups", "admins", "stores", "slack", "sandbox",
             "send_max_attempts", "translation", "sla", "priority_keywords", "digest_time",
             "timezone", "presence_idle", "ship_by_lead_hours", "backfill_hours",
             "approval", "response_rate", "reply_guard"}
_STORE_KEYS = {"platform", "shop_id", "seller_id", "site", "name", "nickname", "channel",
               "group", "api_url", "credentials", "connector", "glossary", "sla",
               "ship_by_lead_hours", "approval", "reply_guard", "dispute_email"}


def _read_user_ids(c: Checker, key: str, raw: Any) -> tuple[str, ...]:
    ids = raw or []
    if not isinstance(ids, list):
        c.problem(key, "expected a list of Slack user ids")
        return ()
    for j, uid in enumerate(ids):
        if not isinstance(uid, str) or not _USER_ID.match(uid):
            c.problem(f"{key}[{j}]", f"expected a Slack user id like 'U01AGENT1', got {uid!r}")
    return tuple(str(u) for u in ids)


def _read_groups(c: Checker, raw: Any) -> tuple[GroupConfig, ...]:
    groups: list[GroupConfig] = []
    if raw is None:
        return ()
    if not isinstance(raw, list):
        c.problem("groups", "expected a list of groups")
        return ()
    for i, g in enumerate(raw):
        key = f"groups[{i}]"
        g = c.mapping(key, g, {"name", "members", "managers", "order_actions"})
        name = c.text(f"{key}.name", g.get("name"), required=True)
        people: dict[str, tuple[str, ...]] = {}
        for role in ("members", "managers"):
            people[role] = _read_user_ids(c, f"{key}.{role}", g.get(role))
        if name in {x.name for x in groups}:
            c.problem(f"{key}.name", f"duplicate group name {name!r}")
        who = g.get("order_actions", "managers")
        if who not in ("managers", "members"):
            c.problem(f"{key}.order_actions", f"expected 'managers' or 'members', got {who!r}")
            who = "managers"
        if name:
            groups.append(GroupConfig(name, people["members"], people["managers"], who))
    return tuple(groups)


def _read_store(c: Checker, key: str, s: Any, groups: tuple[GroupConfig, ...],
                has_sandbox: bool) -> StoreConfig | None:
    s = c.mapping(key, s, _STORE_KEYS)
    platform = c.text(f"{key}.platform", s.get("platform"), required=True)
    if platform and platform not in PLATFORMS:
        c.problem(f"{key}.platform", f"expected one of {', '.join(PLATFORMS)}, got {platform!r}")
    connector = c.text(f"{key}.connector", s.get("connector")) or platform or ""
    if connector and connector not in CONNECTORS:
        c.problem(f"{key}.connector", f"expected one of {', '.join(CONNECTORS)}, "
                                      f"got {connector!r}")
    if connector == "sandbox" and not has_sandbox:
        c.problem(f"{key}.connector", "'sandbox' needs a top-level 'sandbox: {url: ...}' section")
    shop_id = c.text(f"{key}.shop_id", s.get("shop_id"), required=True)
    site = c.text(f"{key}.site", s.get("site"), required=True)
    if site and not re.fullmatch(r"[A-Z]{2}", site):
        c.problem(f"{key}.site", f"expected a two-letter upper-case site code like 'SG', "
                                 f"got {site!r}")
    seller_id = c.text(f"{key}.seller_id", s.get("seller_id"))
    if platform == "lazada" and connector == "lazada" and not seller_id:
        c.problem(f"{key}.seller_id", "is required for Lazada stores")
    name = c.text(f"{key}.name", s.get("name"), required=True)
    channel = c.channel(f"{key}.channel", s.get("channel"), required=True)
    group = c.text(f"{key}.group", s.get("group"))
    if group and group not in {g.name for g in groups}:
        c.problem(f"{key}.group", f"names no group defined under 'groups' ({group!r})")
    api_url = c.text(f"{key}.api_url", s.get("api_url"))
    if api_url and not re.match(r"^https?://", api_url):
        c.problem(f"{key}.api_url", f"expected an http(s) URL, got {api_url!r}")
    creds = c.mapping(f"{key}.credentials", s.get("credentials"),
                      {"access_token", "refresh_token", "shop_cipher"})
    if not (platform and shop_id and site and name and channel):
        return None
    return StoreConfig(
        platform=platform, shop_id=shop_id, site=site, name=name, channel=channel,
        nickname=c.text(f"{key}.nickname", s.get("nickname")), group=group,
        seller_id=seller_id, api_url=api_url, connector=connector,
        # An empty value (an unset ${NAME:-}) means "none": tokens then come from
        # `storebridge stores authorize`, kept in the database.
        credentials={k: str(v) for k, v in creds.items() if v not in (None, "")},
        glossary=read_glossary(c, f"{key}.glossary", s.get("glossary")),
        sla=read_sla(c, f"{key}.sla", s.get("sla")),
        approval=read_approval(c, f"{key}.approval", s.get("approval")),
        reply_guard=read_reply_guard(c, f"{key}.reply_guard", s.get("reply_guard")),
        dispute_email=read_email(c, f"{key}.dispute_email", s.get("dispute_email")),
        ship_by_lead_hours=(c.number(f"{key}.ship_by_lead_hours", s.get("ship_by_lead_hours"),
                                     6.0, minimum=0.1)
                            if s.get("ship_by_lead_hours") is not None else None),
    )


def parse_settings(raw: Any, env: Mapping[str, str], source: str) -> Settings:
    """Build :class:`Settings` from an already-parsed YAML document and the environment."""
    c = Checker(env)
    raw = c.interpolate("", raw) if raw is not None else {}
    top = c.mapping("", raw, _TOP_KEYS)
    team_language = c.text("team_language", top.get("team_language")) or "en"
    if not re.fullmatch(r"[a-z]{2}(-[A-Za-z]{2,4})?", team_language):
        c.problem("team_language", f"expected a language code like 'en', got {team_language!r}")
    ops_channel = c.channel("ops_channel", top.get("ops_channel"))
    groups = _read_groups(c, top.get("groups"))
    admins = _read_user_ids(c, "admins", top.get("admins"))

    sandbox = None
    sb = c.mapping("sandbox", top.get("sandbox"), {"url", "app_key", "app_secret"})
    if sb:
        url = c.text("sandbox.url", sb.get("url"), required=True)
        if url:
            sandbox = SandboxConfig(url=url, app_key=str(sb.get("app_key", "sandbox-app")),
                                    app_secret=str(sb.get("app_secret", "sandbox-secret")))

    stores: list[StoreConfig] = []
    raw_stores = top.get("stores") or []
    if not isinstance(raw_stores, list):
        c.problem("stores", "expected a list of stores")
        raw_stores = []
    for i, s in enumerate(raw_stores):
        store = _read_store(c, f"stores[{i}]", s, groups, sandbox is not None)
        if store and store.key in {x.key for x in stores}:
            c.problem(f"stores[{i}]", f"duplicate store {store.key}")
        elif store:
            stores.append(store)

    sl = c.mapping("slack", top.get("slack"), {"post_rate_per_channel", "post_burst"})
    rate = c.number("slack.post_rate_per_channel", sl.get("post_rate_per_channel"), 1.0,
                    minimum=0.01)
    burst = int(c.number("slack.post_burst", sl.get("post_burst"), 3, minimum=1))
    attempts = int(c.number("send_max_attempts", top.get("send_max_attempts"), 6, minimum=1))
    backfill = c.number("backfill_hours", top.get("backfill_hours"), 24.0, minimum=0)
    translation = read_translation(c, top.get("translation"))
    sla = read_sla(c, "sla", top.get("sla")) or SlaConfig()
    keywords = top.get("priority_keywords") or []
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        c.problem("priority_keywords", "expected a list of words")
        keywords = []
    digest_time = c.text("digest_time", top.get("digest_time")) or "09:00"
    if not HHMM.match(digest_time):
        c.problem("digest_time", f"expected HH:MM, got {digest_time!r}")
    timezone = read_timezone(c, "timezone", top.get("timezone"))
    lead = c.number("ship_by_lead_hours", top.get("ship_by_lead_hours"), 6.0, minimum=0.1)
    presence = top.get("presence_idle", False)
    if not isinstance(presence, bool):
        c.problem("presence_idle", f"expected true or false, got {presence!r}")

    for platform, names in APP_CREDENTIALS.items():
        if any(st.connector == platform for st in stores):
            for name in names:
                if not env.get(name):
                    c.problem(f"{name} (environment)", f"is required: the config has "
                                                       f"{platform} stores")
    if env.get("SHOPEE_PARTNER_ID") and not env["SHOPEE_PARTNER_ID"].isdigit():
        c.problem("SHOPEE_PARTNER_ID (environment)", "expected the numeric partner id")
    for name, shape, pattern in (
            ("SHOPEE_API_URL", "scheme and host, e.g. https://partner.shopeemobile.com",
             r"^https?://[^/]+/?$"),
            ("TIKTOK_API_URL", "scheme and host, e.g. https://open-api.tiktokglobalshop.com",
             r"^https?://[^/]+/?$"),
            ("LAZADA_API_URL", "up to and including /rest, e.g. https://api.lazada.sg/rest",
             r"^https?://[^/]+(/.*)?/rest/?$")):
        if env.get(name) and not re.match(pattern, env[name]):
            c.problem(f"{name} (environment)", f"expected {shape}, got {env[name]!r}")

    port_text = env.get("PORT", "3000")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        c.problem("PORT (environment)", f"expected a TCP port number, got {port_text!r}")
        port_text = "3000"
    slack = SlackConfig(
        bot_token=env.get("SLACK_BOT_TOKEN", ""),
        signing_secret=env.get("SLACK_SIGNING_SECRET", ""),
        app_token=env.get("SLACK_APP_TOKEN", ""),
        api_url=env.get("SLACK_API_URL", "https://slack.com/api/"),
        post_rate_per_channel=rate, post_burst=burst,
    )
    approval = read_approval(c, "approval", top.get("approval")) or ApprovalConfig()
    response_rate = read_response_rules(c, top.get("response_rate"))
    reply_guard = read_reply_guard(c, "reply_guard", top.get("reply_guard")) or GuardConfig()
    if c.problems:
        raise ConfigError(source, c.problems)
    return Settings(
        team_language=team_language, ops_channel=ops_channel, groups=groups, admins=admins,
        stores=tuple(stores), slack=slack, sandbox=sandbox,
        db_path=env.get("STOREBRIDGE_DB", "storebridge.db"),
        database_url=env.get("DATABASE_URL") or None,
        public_url=env.get("STOREBRIDGE_PUBLIC_URL"), port=int(port_text),
        env=dict(env), source=source, send_max_attempts=attempts, translation=translation,
        sla=sla, priority_keywords=tuple(keywords), digest_time=digest_time,
        timezone=timezone, presence_idle=bool(presence), ship_by_lead_hours=lead,
        backfill_hours=backfill, approval=approval, response_rate=response_rate,
        reply_guard=reply_guard,
    )


def load_settings(path: str | os.PathLike[str] | None = None,
                  env: Mapping[str, str] | None = None) -> Settings:
    """Read the config file named by ``path`` or ``$STOREBRIDGE_CONFIG``."""
    env = dict(os.environ if env is None else env)
    file = Path(path or env.get("STOREBRIDGE_CONFIG", "storebridge.yml"))
    try:
        raw = yaml_strict.load_file(file, ConfigError)
    except FileNotFoundError:
        raise ConfigError(str(file), ["file not found (set STOREBRIDGE_CONFIG or create "
                                      "storebridge.yml; see storebridge.example.yml)"]) from None
    except OSError as e:
        raise ConfigError(str(file), [f"cannot be read: {e.strerror}"]) from None
    return parse_settings(raw, env, str(file))
