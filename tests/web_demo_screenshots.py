"""Regenerate the README's screenshots of the web demo (docs/web-demo-*.png).

``python -m tests.web_demo_screenshots`` runs ``storebridge demo`` and photographs,
in Debian's Chromium (see tests/web_demo_browser.py), the Lazada channel with the
Malay-speaking buyer's thread after the story (translation, order request, approval),
and the quick-reply modal with its Chinese variant.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.web_demo_browser import CHROMIUM, ROOT, LiveDemo, need_browser

DOCS = ROOT / "docs"
WAIT = 20_000  # ms


async def _thread(page: Any, channel: str, buyer: str) -> Any:
    await page.locator("#channels .channel", has_text=channel).click()
    card = page.locator("#messages .msg").filter(has_text=f"{buyer} · buyer id").first
    await card.locator(".thread-link").click(timeout=WAIT)
    await page.locator("#thread").wait_for(state="visible")
    return card


async def shoot(url: str, docs: Path = DOCS) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM)
        page = await browser.new_page(viewport={"width": 1400, "height": 1000})
        await page.goto(url)
        await page.wait_for_selector("#channels .channel", timeout=WAIT)

        await _thread(page, "#cs-lazada-my", "Nurul Aisyah")
        thread = page.locator("#thread")
        await thread.locator(".msg", has_text="The buyer received (ms)").wait_for(timeout=WAIT)
        first = thread.locator(".msg", has_text="Saya nak batalkan pesanan ni").first
        await first.evaluate("m => m.scrollIntoView({block: 'start'})")
        await page.wait_for_timeout(500)  # images and fonts settle
        await page.screenshot(path=str(docs / "web-demo-thread.png"))

        card = await _thread(page, "#cs-shopee-sg", "Lim Wei Ming")
        await card.locator('button[data-action-id="template_open"]').click()
        modal = page.locator('#modal .modal-card[data-callback-id="template_reply"]')
        await modal.wait_for(timeout=WAIT)
        await modal.locator(".ext-search").fill("Size")
        results = modal.locator(".ext-results")
        await results.locator("option", has_text="Size advice").wait_for(state="attached",
                                                                         timeout=WAIT)
        await results.select_option(label="Size advice")
        await page.wait_for_function(
            "() => (document.querySelector('#modal textarea') || {}).value?.includes('尺码')",
            timeout=WAIT)
        await page.wait_for_timeout(500)
        await page.screenshot(path=str(docs / "web-demo-modal.png"))
        await browser.close()


def main() -> None:
    need_browser()
    demo = LiveDemo()
    try:
        asyncio.run(shoot(demo.url))
    finally:
        demo.stop()


if __name__ == "__main__":
    main()
