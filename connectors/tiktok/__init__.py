"""TikTok Shop Partner API (202309) customer-service connector."""

from connectors.tiktok.connector import TikTokConnector
from connectors.tiktok.rules import MAX_TEXT_LENGTH, SendContext, check_outgoing

__all__ = ["TikTokConnector", "check_outgoing", "SendContext", "MAX_TEXT_LENGTH"]
