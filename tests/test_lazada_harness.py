"""The harness the cross-connector contract test drives, exercised once here."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import pytest

from connectors.base import Connector
from connectors.errors import AuthError, OutcomeUnknown, PermanentError, TransientError
from tests.emulators.lazada import harness


async def test_harness_round_trip() -> None:
    async with aiohttp.ClientSession() as http, harness(http) as h:
        assert isinstance(h.connector, Connector)
        assert (h.connector.platform, h.connector.periodic_pull_allowed) == ("lazada", False)
        assert h.connector.push_ack.status == 200 and h.connector.max_text_length == 1000
        await h.buyer_says("c1", "Is this in stock?")
        page = await h.connector.fetch_since(h.store, None)
        assert [m.text for m in page.messages] == ["Is this in stock?"]
        headers, body, url = h.signed_push("And in red?", "c1")
        (pushed,) = h.connector.verify_push(headers, body, url).messages
        assert pushed.text == "And in red?" and pushed.shop_id == h.store.shop_id
        page = await h.connector.fetch_since(h.store, page.cursor)
        assert [m.message_id for m in page.messages] == [pushed.message_id]

        out = h.outbound("c1", "Yes, both.", "key-1")
        assert out.conversation_id == pushed.conversation_id
        await h.connector.send_text(h.store, out)
        assert h.sent_texts("c1") == ["Yes, both."] and h.sent_texts("c2") == []

        for mode, error in (("transient", TransientError), ("permanent", PermanentError),
                            ("auth", AuthError)):
            h.fail_next_send(mode)
            with pytest.raises(error):
                await h.connector.send_text(h.store, h.outbound("c1", mode, "k"))
        assert h.sent_texts("c1") == ["Yes, both."]

        since = datetime.now(UTC)
        h.fail_next_send("timeout")
        late = h.outbound("c1", "Answer comes late", "key-2")
        with pytest.raises(OutcomeUnknown):
            await h.connector.send_text(h.store, late)
        assert await h.connector.find_sent(h.store, late, since) is not None
        assert h.sent_texts("c1") == ["Yes, both.", "Answer comes late"]
