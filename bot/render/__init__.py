"""Slack Block Kit for what StoreBridge shows. Pure functions of stored rows."""
