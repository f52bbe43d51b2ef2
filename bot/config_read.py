"""Reading ``storebridge.yml`` and the environment into :class:`bot.config.Settings`.

Every problem is collected and reported together (file, key, what is expected)
so an operator fixes the file in one pass instead of one error per restart.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from bot import yaml_strict
from bot.actions.approval_rules import ApprovalConfig, read_approval
from bot.actions.reply_guard_rules import GuardConfig, read_reply_guard
from bot.actions.response_rules import read_response_rules
from bot.config import (
    CONNECTORS,
    PLATFORMS,
    ConfigError,
    GroupConfig,
    SandboxConfig,
    Settings,
    StoreConfig,
)
from bot.config_checker import Checker
from bot.config_env import check_platform_env, read_port, slack_config
from bot.config_sections import (
    HHMM,
    SlaConfig,
    read_email,
    read_glossary,
    read_sla,
    read_timezone,
    read_translation,
)

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_TOP_KEYS = {"team_language", "ops_channel", "groups", "admins", "stores", "slack", "sandbox",
             "send_max_attempts", "translation", "sla", "priority_keywords", "digest_time",
             "timezone", "presence_idle", "ship_by_lead_hours", "backfill_hours",
             "approval", "response_rate", "reply_guard"}
_STORE_KEYS = {"platform", "shop_id", "seller_id", "site", "name", "nickname", "channel",
               "group", "api_url", "credentials", "connector", "glossary", "sla",
               "ship_by_lead_hours", "approval", "reply_guard", "dispute_email"}


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
    sandbox = _read_sandbox(c, top.get("sandbox"))
    stores = _read_stores(c, top.get("stores"), groups, sandbox is not None)
    rate, burst = _read_pacing(c, top.get("slack"))
    attempts = int(c.number("send_max_attempts", top.get("send_max_attempts"), 6, minimum=1))
    backfill = c.number("backfill_hours", top.get("backfill_hours"), 24.0, minimum=0)
    translation = read_translation(c, top.get("translation"))
    sla = read_sla(c, "sla", top.get("sla")) or SlaConfig()
    keywords = _read_keywords(c, top.get("priority_keywords"))
    digest_time = c.text("digest_time", top.get("digest_time")) or "09:00"
    if not HHMM.match(digest_time):
        c.problem("digest_time", f"expected HH:MM, got {digest_time!r}")
    timezone = read_timezone(c, "timezone", top.get("timezone"))
    lead = c.number("ship_by_lead_hours", top.get("ship_by_lead_hours"), 6.0, minimum=0.1)
    presence = top.get("presence_idle", False)
    if not isinstance(presence, bool):
        c.problem("presence_idle", f"expected true or false, got {presence!r}")
    check_platform_env(c, env, stores)
    port = read_port(c, env)
    approval = read_approval(c, "approval", top.get("approval")) or ApprovalConfig()
    response_rate = read_response_rules(c, top.get("response_rate"))
    reply_guard = read_reply_guard(c, "reply_guard", top.get("reply_guard")) or GuardConfig()
    if c.problems:
        raise ConfigError(source, c.problems)
    return Settings(
        team_language=team_language, ops_channel=ops_channel, groups=groups, admins=admins,
        stores=stores, slack=slack_config(env, rate, burst), sandbox=sandbox,
        db_path=env.get("STOREBRIDGE_DB", "storebridge.db"),
        database_url=env.get("DATABASE_URL") or None,
        public_url=env.get("STOREBRIDGE_PUBLIC_URL"), port=port,
        env=dict(env), source=source, send_max_attempts=attempts, translation=translation,
        sla=sla, priority_keywords=keywords, digest_time=digest_time,
        timezone=timezone, presence_idle=bool(presence), ship_by_lead_hours=lead,
        backfill_hours=backfill, approval=approval, response_rate=response_rate,
        reply_guard=reply_guard,
    )


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


def _read_sandbox(c: Checker, raw: Any) -> SandboxConfig | None:
    sb = c.mapping("sandbox", raw, {"url", "app_key", "app_secret"})
    if not sb:
        return None
    url = c.text("sandbox.url", sb.get("url"), required=True)
    if not url:
        return None
    return SandboxConfig(url=url, app_key=str(sb.get("app_key", "sandbox-app")),
                         app_secret=str(sb.get("app_secret", "sandbox-secret")))


def _read_stores(c: Checker, raw: Any, groups: tuple[GroupConfig, ...], has_sandbox: bool
                 ) -> tuple[StoreConfig, ...]:
    stores: list[StoreConfig] = []
    raw_stores = raw or []
    if not isinstance(raw_stores, list):
        c.problem("stores", "expected a list of stores")
        raw_stores = []
    for i, s in enumerate(raw_stores):
        store = _read_store(c, f"stores[{i}]", s, groups, has_sandbox)
        if store and store.key in {x.key for x in stores}:
            c.problem(f"stores[{i}]", f"duplicate store {store.key}")
        elif store:
            stores.append(store)
    return tuple(stores)


def _read_store(c: Checker, key: str, s: Any, groups: tuple[GroupConfig, ...],
                has_sandbox: bool) -> StoreConfig | None:
    s = c.mapping(key, s, _STORE_KEYS)
    platform, connector = _read_platform(c, key, s, has_sandbox)
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
    nickname = c.text(f"{key}.nickname", s.get("nickname"))
    rules = _store_rules(c, key, s)
    return StoreConfig(
        platform=platform, shop_id=shop_id, site=site, name=name, channel=channel,
        nickname=nickname, group=group, seller_id=seller_id, api_url=api_url,
        connector=connector,
        # An empty value (an unset ${NAME:-}) means "none": tokens then come from
        # `storebridge stores authorize`, kept in the database.
        credentials={k: str(v) for k, v in creds.items() if v not in (None, "")},
        glossary=rules.glossary, sla=rules.sla, approval=rules.approval,
        reply_guard=rules.reply_guard, dispute_email=rules.dispute_email,
        ship_by_lead_hours=rules.ship_by_lead_hours,
    )


def _read_platform(c: Checker, key: str, s: dict[str, Any], has_sandbox: bool
                   ) -> tuple[str | None, str]:
    """(platform, connector): the connector defaults to the platform's own."""
    platform = c.text(f"{key}.platform", s.get("platform"), required=True)
    if platform and platform not in PLATFORMS:
        c.problem(f"{key}.platform", f"expected one of {', '.join(PLATFORMS)}, got {platform!r}")
    connector = c.text(f"{key}.connector", s.get("connector")) or platform or ""
    if connector and connector not in CONNECTORS:
        c.problem(f"{key}.connector", f"expected one of {', '.join(CONNECTORS)}, "
                                      f"got {connector!r}")
    if connector == "sandbox" and not has_sandbox:
        c.problem(f"{key}.connector", "'sandbox' needs a top-level 'sandbox: {url: ...}' section")
    return platform, connector


class _StoreRules(NamedTuple):
    """A store's own overrides of the top-level rules (None: the top-level one)."""

    glossary: Mapping[str, str | None]
    sla: SlaConfig | None
    approval: ApprovalConfig | None
    reply_guard: GuardConfig | None
    dispute_email: str | None
    ship_by_lead_hours: float | None


def _store_rules(c: Checker, key: str, s: dict[str, Any]) -> _StoreRules:
    lead = s.get("ship_by_lead_hours")
    return _StoreRules(
        glossary=read_glossary(c, f"{key}.glossary", s.get("glossary")),
        sla=read_sla(c, f"{key}.sla", s.get("sla")),
        approval=read_approval(c, f"{key}.approval", s.get("approval")),
        reply_guard=read_reply_guard(c, f"{key}.reply_guard", s.get("reply_guard")),
        dispute_email=read_email(c, f"{key}.dispute_email", s.get("dispute_email")),
        ship_by_lead_hours=(c.number(f"{key}.ship_by_lead_hours", lead, 6.0, minimum=0.1)
                            if lead is not None else None),
    )


def _read_pacing(c: Checker, raw: Any) -> tuple[float, int]:
    sl = c.mapping("slack", raw, {"post_rate_per_channel", "post_burst"})
    rate = c.number("slack.post_rate_per_channel", sl.get("post_rate_per_channel"), 1.0,
                    minimum=0.01)
    burst = int(c.number("slack.post_burst", sl.get("post_burst"), 3, minimum=1))
    return rate, burst


def _read_keywords(c: Checker, raw: Any) -> tuple[str, ...]:
    keywords = raw or []
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        c.problem("priority_keywords", "expected a list of words")
        return ()
    return tuple(keywords)
