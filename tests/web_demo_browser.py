"""Shared by the browser tests: the live demo in a subprocess, and Chromium.

The browser is Debian's ``chromium`` driven by Playwright (never a downloaded
browser).  Without it the tests skip on a workstation, but fail in CI (``CI``
set): a CI run that silently skipped them would claim a demo nobody watched.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
INSTALL = ("apt-get install -y chromium fonts-noto-color-emoji fonts-wqy-zenhei; "
           "pip install -e '.[test]' (playwright)")


def need_browser() -> None:
    problem = None
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        problem = "Python Playwright is not installed"
    if problem is None and not os.access(CHROMIUM, os.X_OK):
        problem = f"no Chromium at {CHROMIUM}"
    if problem:
        message = f"browser tests need Chromium and Playwright: {problem} ({INSTALL})"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


class LiveDemo:
    """``storebridge demo`` (not ``--once``): the story, then buyers keep chatting."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "demo", "--port", "0"], cwd=ROOT, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=1,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        # Drain stdout all along: a full pipe would block the demo's narration.
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self._wait_for(r"Slack stand-in: open (http://127\.0\.0\.1:\d+/)")
        self._wait_for(r"(\d+) of \d+ steps happened")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def _wait_for(self, pattern: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if m := re.search(pattern, line):
                    return m.group(1)
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"the demo never printed {pattern!r}:\n" + "".join(self.lines))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def live_demo() -> Iterator[LiveDemo]:
    demo = LiveDemo()
    try:
        yield demo
    finally:
        demo.stop()
