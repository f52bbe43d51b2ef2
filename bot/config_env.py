"""What StoreBridge reads from the environment beside ``storebridge.yml``: the
platforms' app credentials and URL overrides, the port, and Slack's secrets."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.config import APP_CREDENTIALS, SlackConfig, StoreConfig
from bot.config_checker import Checker

#: Platform URL overrides in the environment: (name, the shape in words, pattern).
_API_URLS = (
    ("SHOPEE_API_URL", "scheme and host, e.g. https://partner.shopeemobile.com",
     r"^https?://[^/]+/?$"),
    ("TIKTOK_API_URL", "scheme and host, e.g. https://open-api.tiktokglobalshop.com",
     r"^https?://[^/]+/?$"),
    ("LAZADA_API_URL", "up to and including /rest, e.g. https://api.lazada.sg/rest",
     r"^https?://[^/]+(/.*)?/rest/?$"),
)


def check_platform_env(c: Checker, env: Mapping[str, str], stores: tuple[StoreConfig, ...]
                       ) -> None:
    """The app credentials the configured stores' platforms need, and URL overrides."""
    for platform, names in APP_CREDENTIALS.items():
        if any(st.connector == platform for st in stores):
            for name in names:
                if not env.get(name):
                    c.problem(f"{name} (environment)", f"is required: the config has "
                                                       f"{platform} stores")
    if env.get("SHOPEE_PARTNER_ID") and not env["SHOPEE_PARTNER_ID"].isdigit():
        c.problem("SHOPEE_PARTNER_ID (environment)", "expected the numeric partner id")
    for name, shape, pattern in _API_URLS:
        if env.get(name) and not re.match(pattern, env[name]):
            c.problem(f"{name} (environment)", f"expected {shape}, got {env[name]!r}")


def read_port(c: Checker, env: Mapping[str, str]) -> int:
    port_text = env.get("PORT", "3000")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        c.problem("PORT (environment)", f"expected a TCP port number, got {port_text!r}")
        return 3000
    return int(port_text)


def slack_config(env: Mapping[str, str], rate: float, burst: int) -> SlackConfig:
    return SlackConfig(
        bot_token=env.get("SLACK_BOT_TOKEN", ""),
        signing_secret=env.get("SLACK_SIGNING_SECRET", ""),
        app_token=env.get("SLACK_APP_TOKEN", ""),
        api_url=env.get("SLACK_API_URL", "https://slack.com/api/"),
        post_rate_per_channel=rate, post_burst=burst,
    )
