"""The contract harness behaves as the cross-connector test expects."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import pytest

from connectors.errors import AuthError, OutcomeUnknown, PermanentError, TransientError
from tests.emulators.tiktok import harness


async def test_harness_round_trip() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        await h.buyer_says("k1", "pulled")
        headers, body, url = h.signed_push("pushed", "k1")
        (pushed,) = h.connector.verify_push(headers, body, url).messages
        page = await h.connector.fetch_since(h.store, None)
        assert [m.text for m in page.messages] == ["pulled", "pushed"]
        assert page.messages[1].message_id == pushed.message_id
        await h.connector.send_text(h.store, h.outbound("k1", "reply", "idem-1"))
        assert h.sent_texts("k1") == ["reply"] and h.sent_texts("k2") == []


@pytest.mark.parametrize(("mode", "error"), [("transient", TransientError),
                                             ("permanent", PermanentError),
                                             ("auth", AuthError),
                                             ("timeout", OutcomeUnknown)])
async def test_fail_next_send_modes(mode: str, error: type) -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        out = h.outbound("k", f"try {mode}", "idem")
        since = datetime.now(UTC)
        h.fail_next_send(mode)
        with pytest.raises(error):
            await h.connector.send_text(h.store, out)
        stored = mode == "timeout"
        assert h.sent_texts("k") == ([out.text] if stored else [])
        assert (await h.connector.find_sent(h.store, out, since) is not None) == stored
        await h.connector.send_text(h.store, h.outbound("k", "next one", "idem-2"))
        assert h.sent_texts("k")[-1] == "next one"
