"""The demo you can watch and click: the Slack stand-in in headless Chromium.

Against the real ``storebridge demo`` (a subprocess), over HTTP: what the page
shows comes from the Block Kit the bot sent, and what is clicked reaches the bot
as signed Slack events and interactions (the ✅ proves the round trip).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest

from tests.web_demo_browser import CHROMIUM, LiveDemo, live_demo, need_browser

TIMEOUT = 20_000  # ms: a reply goes bot -> sandbox -> bot -> Slack stand-in -> page


@pytest.fixture(scope="module")
def demo() -> Iterator[LiveDemo]:
    need_browser()
    yield from live_demo()


@pytest.fixture
async def page(demo: LiveDemo) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM)
        tab = await browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        tab.on("pageerror", lambda e: errors.append(str(e)))
        await tab.goto(demo.url)
        await tab.wait_for_selector("#channels .channel", timeout=TIMEOUT)
        yield tab
        await browser.close()
        assert not errors, f"JavaScript errors: {errors}"


def card(page: Any, buyer: str) -> Any:
    """The conversation card (thread root) of a buyer in the open channel."""
    return page.locator("#messages .msg").filter(has_text=f"{buyer} · buyer id").first


async def open_thread(page: Any, buyer: str) -> Any:
    await card(page, buyer).locator(".thread-link").click()
    thread = page.locator("#thread")
    await thread.wait_for(state="visible")
    return thread


async def pixel_stats(page: Any, png: bytes) -> dict[str, float]:
    """Distinct colours and the share of non-white pixels, counted by the browser."""
    data = "data:image/png;base64," + base64.b64encode(png).decode()
    return await page.evaluate("""async (src) => {
        const img = new Image(); img.src = src; await img.decode();
        const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
        const g = c.getContext('2d'); g.drawImage(img, 0, 0);
        const px = g.getImageData(0, 0, c.width, c.height).data;
        const colours = new Set(); let ink = 0;
        for (let i = 0; i < px.length; i += 4) {
          colours.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
          if (px[i] + px[i + 1] + px[i + 2] < 720) ink++;
        }
        return {colours: colours.size, ink: ink / (px.length / 4), width: c.width};
    }""", data)


async def test_page_shows_channels_and_the_card_with_flag_and_store(page: Any) -> None:
    names = await page.locator("#channels .channel").all_inner_texts()
    assert {"#cs-shopee-sg", "#cs-lazada-my", "#cs-tiktok-vn", "#cs-ops"} <= set(names)
    rachel = card(page, "Rachel Tan")
    await rachel.wait_for()
    head = await rachel.locator(".block-section").first.inner_text()
    assert "🇸🇬" in head and "SG" in head and "Kopi & Co. Homeware" in head
    assert await rachel.locator("b", has_text="Kopi & Co. Homeware").count() == 1  # *bold*
    assert "Ref SP-SG-0001" in await rachel.inner_text()
    assert await rachel.locator('button[data-action-id="conversation_close"], '
                                'button[data-action-id="conversation_reopen"]').count() == 1

    shot = await rachel.screenshot()
    stats = await pixel_stats(page, shot)
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    assert stats["colours"] > 50, stats  # text, buttons, a coloured avatar: not a blank box
    assert 0.02 < stats["ink"] < 0.9, stats
    blank = await pixel_stats(page, await page.locator("#channel header").screenshot())
    assert blank["colours"] < stats["colours"]


async def test_a_reply_typed_in_the_thread_is_delivered_and_the_buyer_answers(
        page: Any) -> None:
    load_id = await page.evaluate("window.__pageLoadId")
    thread = await open_thread(page, "Rachel Tan")
    text = f"Your parcel is on its way ({uuid.uuid4().hex[:6]})"
    await page.fill("#thread-input", text)
    await page.press("#thread-input", "Enter")
    mine = thread.locator(".msg", has_text=text)
    await mine.locator('.reaction[data-name="white_check_mark"]').wait_for(timeout=TIMEOUT)
    assert await mine.locator(".author").inner_text() == "Mai"
    # The sandbox buyer answers; it shows up below without a reload.
    answer = mine.locator("xpath=following-sibling::div[contains(@class, 'msg')]"
                          ).locator(".author", has_text="Rachel Tan (buyer)")
    await answer.first.wait_for(timeout=TIMEOUT)
    assert await page.evaluate("window.__pageLoadId") == load_id


async def test_a_refused_reply_shows_x_and_retry_delivers_it(page: Any) -> None:
    thread = await open_thread(page, "Rachel Tan")
    await page.locator('#controls [data-control="refuse_next_reply"]').click()
    await page.wait_for_timeout(300)  # the control's POST lands before the reply's
    text = f"Checking with the courier ({uuid.uuid4().hex[:6]})"
    await page.fill("#thread-input", text)
    await page.click("#thread-send")
    mine = thread.locator(".msg", has_text=text)
    await mine.locator('.reaction[data-name="x"]').wait_for(timeout=TIMEOUT)
    notice = thread.locator(".msg", has_text="Not delivered").last
    assert "press Retry" in await notice.inner_text()
    await notice.locator('button[data-action-id="reply_retry"]').click()
    await mine.locator('.reaction[data-name="white_check_mark"]').wait_for(timeout=TIMEOUT)
    assert await mine.locator('.reaction[data-name="x"]').count() == 0


async def test_edit_and_resend_opens_the_bots_modal_and_sends_the_edit(page: Any) -> None:
    thread = await open_thread(page, "Rachel Tan")
    await page.locator('#controls [data-control="refuse_next_reply"]').click()
    await page.wait_for_timeout(300)
    await page.fill("#thread-input", f"Draft {uuid.uuid4().hex[:6]}")
    await page.click("#thread-send")
    edit = thread.locator(".msg", has_text="Not delivered").last.locator(
        'button[data-action-id="reply_edit_resend"]')
    await edit.click(timeout=TIMEOUT)
    modal = page.locator("#modal .modal-card")
    await modal.wait_for(timeout=TIMEOUT)
    corrected = f"Corrected {uuid.uuid4().hex[:6]}"
    await modal.locator("textarea").fill(corrected)
    await modal.locator('button[data-role="submit"]').click()
    await thread.locator(".msg", has_text=f"The buyer received: {corrected}").wait_for(
        timeout=TIMEOUT)


async def test_typed_markup_stays_text(page: Any) -> None:
    """What anyone types is drawn as text: no element, script or link comes of it."""
    thread = await open_thread(page, "Lim Wei Ming")
    text = '<img src=x onerror="window.__owned=1"><script>window.__owned=2</script> ok'
    await page.fill("#thread-input", text)
    await page.press("#thread-input", "Enter")
    shown = thread.locator(".msg", has_text="<img src=x")
    await shown.wait_for(timeout=TIMEOUT)
    assert await thread.locator("img[src='x'], script").count() == 0
    assert await page.evaluate("window.__owned") is None


async def test_close_and_reopen_change_the_card(page: Any) -> None:
    daniel = card(page, "Daniel Goh")
    await daniel.wait_for()
    if await daniel.locator('button[data-action-id="conversation_reopen"]').count():
        await daniel.locator('button[data-action-id="conversation_reopen"]').click()
        await daniel.locator('button[data-action-id="conversation_close"]').wait_for()
    assert "🟢 Open" in await daniel.inner_text()
    await daniel.locator('button[data-action-id="conversation_close"]').click()
    await daniel.locator('button[data-action-id="conversation_reopen"]').wait_for(timeout=TIMEOUT)
    assert "⚪ Closed" in await daniel.inner_text()
    await daniel.locator('button[data-action-id="conversation_reopen"]').click()
    await daniel.locator('button[data-action-id="conversation_close"]').wait_for(timeout=TIMEOUT)
    assert "🟢 Open" in await daniel.inner_text()


async def test_live_update_from_elsewhere_arrives_without_reload(
        page: Any, demo: LiveDemo) -> None:
    """Another client of the stand-in posts in the thread: the open page shows it."""
    load_id = await page.evaluate("window.__pageLoadId")
    thread = await open_thread(page, "Lim Wei Ming")
    state = await (await page.request.get(demo.url + "api/state")).json()
    channel = next(c for c in state["channels"] if c["name"] == "#cs-shopee-sg")
    root = next(m for m in channel["messages"] if "Lim Wei Ming" in m["text"])
    # In Chinese, as Lim Wei Ming writes: English would wait on the reply guard's question.
    text = f"从另一个窗口发送的消息 {uuid.uuid4().hex[:6]}"
    async with aiohttp.ClientSession() as http:
        resp = await http.post(demo.url + "api/post", json={
            "channel": channel["id"], "thread_ts": root["ts"], "text": text})
        assert resp.status == 200, await resp.text()
    mine = thread.locator(".msg", has_text=text)
    await mine.locator('.reaction[data-name="white_check_mark"]').wait_for(timeout=TIMEOUT)
    assert await page.evaluate("window.__pageLoadId") == load_id


async def test_quick_reply_modal_is_rendered_and_submitted(page: Any) -> None:
    thread = await open_thread(page, "Rachel Tan")
    await card(page, "Rachel Tan").locator('button[data-action-id="template_open"]').click()
    modal = page.locator('#modal .modal-card[data-callback-id="template_reply"]')
    await modal.wait_for(timeout=TIMEOUT)
    assert "To Rachel Tan" in await modal.inner_text()
    await modal.locator(".ext-search").fill("Size")
    results = modal.locator(".ext-results")
    await results.locator("option", has_text="Size advice").wait_for(state="attached",
                                                                     timeout=TIMEOUT)
    await results.select_option(label="Size advice")
    box = modal.locator("textarea.text-input")
    await page.wait_for_function(
        "() => (document.querySelector('#modal textarea') || {}).value?.includes('size')",
        timeout=TIMEOUT)
    text = await box.input_value()
    await modal.locator('button[data-role="submit"]').click()
    await page.locator("#modal").wait_for(state="hidden", timeout=TIMEOUT)
    sent = thread.locator(".msg", has_text=text.split("\n")[0][:40])
    await sent.last.locator('.reaction[data-name="white_check_mark"]').wait_for(timeout=TIMEOUT)


async def test_transfer_hands_the_conversation_to_a_colleague(page: Any) -> None:
    thread = await open_thread(page, "Daniel Goh")
    await card(page, "Daniel Goh").locator('button[data-action-id="transfer_open"]').click()
    modal = page.locator('#modal .modal-card[data-callback-id="transfer_submit"]')
    await modal.wait_for(timeout=TIMEOUT)
    assert await modal.locator('select[data-block-id="group"] option',
                               has_text="sea-team").count() == 1
    await modal.locator('select[data-block-id="member"]').select_option(label="Arif (online)")
    await modal.locator("textarea").fill("Refund case, over to you")
    await modal.locator('button[data-role="submit"]').click()
    await page.locator("#modal").wait_for(state="hidden", timeout=TIMEOUT)
    await card(page, "Daniel Goh").locator(".mention", has_text="@Arif").wait_for(
        timeout=TIMEOUT)
    await thread.locator(".msg", has_text="transferred this conversation to @Arif").wait_for(
        timeout=TIMEOUT)


async def test_the_ops_alert_link_opens_the_buyers_thread(page: Any) -> None:
    await page.locator("#channels .channel", has_text="#cs-ops").click()
    # The demo's background buyers may raise more alerts: follow the story's one.
    alert = page.locator("#messages .msg", has_text="Priority").filter(
        has_text="SP-SG").first
    await alert.locator("a", has_text="Open the thread").first.click()
    await page.locator("#thread .msg", has_text="The mug arrived broken").first.wait_for(
        timeout=TIMEOUT)
    assert await page.locator("#channel-name").inner_text() == "#cs-shopee-sg"


async def test_the_malay_buyers_story_shows_translation_order_and_approval(
        page: Any) -> None:
    await page.locator("#channels .channel", has_text="#cs-lazada-my").click()
    nurul = card(page, "Nurul Aisyah")
    await nurul.wait_for(timeout=TIMEOUT)
    shown = await nurul.inner_text()
    assert "210044718263051 · Cancelled · 129.00 MYR" in shown  # the order line
    assert "Translate my replies: on" in shown
    thread = await open_thread(page, "Nurul Aisyah")
    said = thread.locator(".msg", has_text="Saya nak batalkan pesanan ni.").first
    assert "🌐 I want to cancel this order." in await said.inner_text()
    assert await said.locator('button[data-action-id="translation_fix"]').count() == 1
    request = thread.locator(".msg", has_text="The buyer asked to cancel order").first
    assert "Respond by" in await request.inner_text()
    await thread.locator(".msg", has_text="Mai accepted the buyer's cancellation").first.wait_for()
    # The held reply's request: its buttons gave way to the manager's decision.
    held = thread.locator(".msg", has_text="Awaiting approval").first
    assert "Approved by @Hana" in await held.inner_text()
    assert await held.locator("button").count() == 0
    mine = thread.locator(".msg", has_text="refund you in full").first
    await mine.locator('.reaction[data-name="white_check_mark"]').wait_for(timeout=TIMEOUT)
    await thread.locator(".msg", has_text="The buyer received (ms): Tiada masalah").wait_for()


async def test_an_agent_cannot_approve_her_own_held_reply(page: Any) -> None:
    thread = await open_thread(page, "Rachel Tan")
    text = f"We can offer a 10% discount ({uuid.uuid4().hex[:6]})"
    await page.fill("#thread-input", text)
    await page.press("#thread-input", "Enter")
    held = thread.locator(".msg", has_text="Awaiting approval").filter(has_text=text[-7:-1])
    await held.wait_for(timeout=TIMEOUT)
    await thread.locator(".msg", has_text=text).locator(
        '.reaction[data-name="hourglass_flowing_sand"]').wait_for(timeout=TIMEOUT)
    await held.locator('button[data-action-id="approval_approve"]').click()
    # The refusal is private (the stand-in shows a response_url's answer in the channel).
    refusal = page.locator("#messages .msg.ephemeral", has_text="Only this store's managers")
    await refusal.last.wait_for(timeout=TIMEOUT)
    assert await held.locator('button[data-action-id="approval_approve"]').count() == 1


async def test_bad_requests_get_a_clear_400(demo: LiveDemo) -> None:
    async with aiohttp.ClientSession() as http:
        form = await http.post(demo.url + "api/post", data={"channel": "C1", "text": "x"})
        assert form.status == 415  # no cross-site form posts
        for body in ({"channel": "CNOPE", "text": "hi"}, {"channel": 5, "text": "hi"},
                     {"view_id": "VNOPE", "values": {}}):
            name = "view_submit" if "view_id" in body else "post"
            resp = await http.post(demo.url + f"api/{name}", json=body)
            assert resp.status == 400, (body, await resp.text())
            assert (await resp.json())["error"]
        broken = await http.post(demo.url + "api/click", data="{not json",
                                 headers={"Content-Type": "application/json"})
        assert broken.status == 400


def test_without_chromium_ci_fails_and_a_workstation_skips(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import tests.web_demo_browser as browser

    monkeypatch.setattr(browser, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium"):
        browser.need_browser()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        browser.need_browser()
