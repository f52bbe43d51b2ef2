"""The built-in sandbox marketplace (for ``storebridge demo`` and tests) and its connector.

The server simulates stores labelled Shopee, Lazada or TikTok Shop, but speaks one
protocol of its own: HMAC-signed API calls in, HMAC-signed webhook pushes out.
"""

from connectors.sandbox.client import SandboxConnector
from connectors.sandbox.pushes import PushDelivery
from connectors.sandbox.server import SandboxMarketplace
from connectors.sandbox.state import SandboxBuyer, SandboxStore

__all__ = ["PushDelivery", "SandboxBuyer", "SandboxConnector", "SandboxMarketplace",
           "SandboxStore"]
