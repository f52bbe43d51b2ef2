"""Shopee Open Platform v2 seller-chat connector."""

from connectors.shopee.connector import ShopeeConnector
from connectors.shopee.rules import OutgoingContext, check_outgoing
from connectors.shopee.sync import SyncSettings

__all__ = ["OutgoingContext", "ShopeeConnector", "SyncSettings", "check_outgoing"]
