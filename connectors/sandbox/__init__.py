"""The connector for the sandbox marketplace: ``connector: sandbox`` in the config.

The marketplace itself (the fake server the demo and the tests start) is not here:
it is demo code, in :mod:`bot.demo.marketplace`. This package holds only what the
product needs to talk to it: the client, the protocol's signing rules and limits,
and how its answers and errors read. It imports nothing from ``bot`` (connectors are
a leaf).
"""

from connectors.sandbox.client import SandboxConnector

__all__ = ["SandboxConnector"]
