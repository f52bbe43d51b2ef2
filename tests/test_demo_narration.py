"""``storebridge demo --once`` reads right: each fault once seen in its narration, checked."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.demo.narration import WIDTH, _cells, describe, wrap


@pytest.fixture(scope="module")
def out() -> str:
    proc = subprocess.run([sys.executable, "-m", "bot", "demo", "--once"], capture_output=True,
                          text=True, timeout=120, cwd=Path(__file__).parents[1])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_buyer_names_are_said_once(out: str) -> None:
    assert "Rachel Tan (buyer) in the thread: Hi, has my order shipped?" in out
    assert not re.search(r"(\w[\w ]+) \(buyer\) in the thread: \1:", out)


def test_lines_wrap_at_words_and_links_stay_whole(out: str) -> None:
    for line in out.splitlines():
        assert _cells(line) <= WIDTH, line
    assert "https://track.example/SPX123" in out  # the link, never cut in two
    words = set(re.findall(r"[A-Za-z]{3,}", " ".join(out.split())))
    wrapped = set(re.findall(r"[A-Za-z]{3,}", out))
    assert wrapped == words  # joining the lines back gives no new half-words


def test_reactions_are_emoji_with_their_meaning(out: str) -> None:
    assert "⏳ sending to the buyer" in out and "✅ delivered to the buyer" in out
    assert "❌ not delivered" in out
    assert ":hourglass_flowing_sand:" not in out and "+:" not in out


def test_the_chinese_speaking_buyer_writes_chinese_and_is_answered_in_chinese(out: str) -> None:
    asked = re.search(r"Lim Wei Ming writes \(Chinese\): “(.+)”", out)
    assert asked and re.search(r"[\u4e00-\u9fff]", asked.group(1))
    answer = out.split("Mai in the thread:", 1)[1].split("\n", 1)[0]
    assert re.search(r"[\u4e00-\u9fff]", answer)


def test_the_forced_failure_is_one_retry_fixes_and_says_so(out: str) -> None:
    failure = out.split("refuse the next reply once", 1)[1].split("Mai clicks Retry", 1)[0]
    notice = " ".join(failure.split())
    assert "window" not in notice
    assert "press Retry" in notice and "refused this message" in notice
    assert "✓ retried reply delivered" in out


def test_the_refund_alert_follows_the_buyers_thread_and_links_to_it(out: str) -> None:
    thread = out.index("thread created in #cs-shopee-sg: 🇸🇬 SG · Shopee · Kopi & Co. "
                       "Homeware — Daniel Goh")
    alert = out.index("📣 in #cs-ops: 🚩 Priority")
    assert thread < alert
    assert "Open the thread" in out[alert:]


def test_a_malay_message_is_said_with_its_translation_beneath(out: str) -> None:
    flat = " ".join(out.split())  # wrapped lines joined back
    said = flat.index("Nurul Aisyah (buyer) in the thread: Saya nak batalkan pesanan ni.")
    # Beneath it; or, when other lines came first, naming the message it translates.
    beneath = "Saya nak batalkan pesanan ni. 🌐 translation: I want to cancel this order."
    named = ("🌐 translation of “Nurul Aisyah: Saya nak batalkan pesanan ni.”: I want to "
             "cancel this order.")
    assert flat.find(beneath, said) > 0 or flat.find(named, said) > 0
    assert "I am 165 cm tall, which size should I take?" in flat  # the Chinese buyer's too


def test_the_order_line_and_request_come_after_the_buyers_thread(out: str) -> None:
    thread = out.index("thread created in #cs-lazada-my: 🇲🇾 MY · Lazada · Kedai Batik Seri — "
                       "Nurul Aisyah")
    line = out.index("🧾 `210044718263051` · To ship · cancellation requested · 129.00 MYR")
    request = out.index("StoreBridge in the thread: 🛑 The buyer asked to cancel order "
                        "`210044718263051`. Respond by")
    assert thread < line < request
    assert re.search(r"Respond by \w{3} \d\d:\d\d \(in 23 h", " ".join(out.split()))
    accepted = out.index("✅ Mai accepted the buyer's cancellation of order")
    assert out.index("🧾 `210044718263051` · Cancelled", accepted)


def test_the_held_reply_waits_for_the_manager_and_names_read_as_names(out: str) -> None:
    story = out.split("Mai replies in English:", 1)[1]
    held, approved, delivered, received = (
        story.index("⏳ held: awaiting a manager's approval"),
        story.index("✅ Approved by @Hana: @Mai's reply is on its way."),
        story.index("✅ delivered to the buyer"),
        story.index("🌐 The buyer received (ms): Tiada masalah"))
    assert held < approved < delivered < received
    assert "⏳ sending to the buyer" not in story[:held]  # held is not called sending
    assert "Awaiting approval: @Mai's reply mentions “refund”" in " ".join(story.split())
    assert "<@" not in out and "<!date" not in out


def test_media_is_described_not_an_empty_line() -> None:
    video = {"type": "video", "content": {"url": "https://sandbox.example/videos/1.mp4",
                                          "duration": 12}}
    assert describe(video) == "🎬 a video (https://sandbox.example/videos/1.mp4, 12 s)"
    assert describe({"type": "sticker", "content": {"label": "thumbs up"}}) == \
        "🙂 a sticker (thumbs up)"
    assert describe({"type": "order", "content": {"order_sn": "24X"}}) == "🧾 an order (24X)"
    assert describe({"type": "text", "content": {"text": "Hi"}}) == "Hi"


def test_wrap_breaks_cjk_between_characters_and_keeps_indent() -> None:
    text = "   💬 Mai in the thread: " + "您好" * 60
    lines = wrap(text).splitlines()
    assert len(lines) > 1 and all(_cells(x) <= WIDTH for x in lines)
    assert all(x.startswith("      ") for x in lines[1:])
    url = "https://example.com/" + "a" * 150
    assert url in wrap("see " + url)
