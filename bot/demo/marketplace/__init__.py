"""The sandbox marketplace: a fake server for ``storebridge demo`` and the tests.

It simulates stores labelled Shopee, Lazada or TikTok Shop, but speaks one protocol
of its own: HMAC-signed API calls in, HMAC-signed webhook pushes out. The product
reaches it through :mod:`connectors.sandbox`, whose signing rules and limits it
shares.
"""

from bot.demo.marketplace.pushes import PushDelivery
from bot.demo.marketplace.server import SandboxMarketplace
from bot.demo.marketplace.state import SandboxBuyer, SandboxStore

__all__ = ["PushDelivery", "SandboxBuyer", "SandboxMarketplace", "SandboxStore"]
