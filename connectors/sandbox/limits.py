"""The sandbox protocol's limits, shared by the marketplace (which enforces them) and
the connector (which stays within them)."""

from __future__ import annotations

#: Longest message text the marketplace accepts, in characters.
MAX_TEXT_LENGTH = 1000
#: Most messages one page of ``GET /messages`` returns.
MAX_PAGE = 50
