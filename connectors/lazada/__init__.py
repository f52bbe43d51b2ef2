"""Lazada Open Platform IM (buyer chat) connector."""

from connectors.lazada.connector import LazadaConnector
from connectors.lazada.rules import SendContext, check_outgoing
from connectors.lazada.tokens import authorize_url

__all__ = ["LazadaConnector", "SendContext", "authorize_url", "check_outgoing"]
