"""SQLite serves one StoreBridge process: a second ``run`` on the same file is
refused at start, naming who holds it.

The lock is ``flock`` on ``<database>.lock``: the kernel drops it when the holder
dies, even by SIGKILL, so a crashed worker never leaves the file locked. One-off
commands (``sync``, ``templates import``) do not take it: they are meant to run
beside the service.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time


class AlreadyRunning(RuntimeError):
    pass


class SingleProcessLock:
    def __init__(self, database_path: str) -> None:
        self.path = f"{database_path}.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            if holder.startswith(f"pid {os.getpid()} "):
                # This very process (a service restarted in place, as tests do): not
                # a second process, and the earlier holder is gone with its service.
                self._fd = fd
                return
            os.close(fd)
            raise AlreadyRunning(
                f"another StoreBridge process ({holder}) is already running on "
                f"{self.path.removesuffix('.lock')}. SQLite serves one process; stop it, or "
                "use PostgreSQL (DATABASE_URL) to run several workers."
            ) from None
        os.ftruncate(fd, 0)
        os.write(
            fd,
            json.dumps(
                {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
            ).encode(),
        )
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _read(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = json.loads(os.read(fd, 4096) or b"{}")
        return f"pid {data.get('pid')} on {data.get('host')}"
    except (OSError, ValueError):
        return "unknown pid"
