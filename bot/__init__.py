"""StoreBridge: marketplace buyer chats as Slack threads."""
