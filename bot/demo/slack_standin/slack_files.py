"""Files in the Slack stand-in: a member shares files in a thread, the app downloads them.

Real Slack sends a ``message`` event with ``subtype: file_share`` and a ``files`` list
whose ``url_private`` / ``url_private_download`` need the bot token in an
``Authorization: Bearer`` header *and* the ``files:read`` scope. Without either, Slack
does not answer 401: it redirects to its sign-in page and the client ends up with HTML
(a well-known trap: an app that does not check gets a web page instead of the image).
The stand-in does the same, so the app under test must check what it downloaded.
"""

from __future__ import annotations

import mimetypes
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .slack_blocks import escape, rich_text
from .slack_socket import SlackSocketMode

SIGN_IN_PAGE = "<!DOCTYPE html><html><body>Sign in to Slack</body></html>"


@dataclass
class SharedFile:
    id: str
    name: str
    mimetype: str
    data: bytes
    user: str
    deleted: bool = False


class SlackFiles(SlackSocketMode):
    """The emulator's file hosting and the ``file_share`` action."""

    downloads: list[tuple[str, bool]]  # (file id, authorised) per download request

    def _files(self) -> dict[str, SharedFile]:
        if not hasattr(self, "_shared_files"):
            self._shared_files: dict[str, SharedFile] = {}
            self.downloads = []
        return self._shared_files

    def _add_file_routes(self, app: web.Application) -> None:
        app.router.add_get("/files-pri/{team}-{file_id}/{rest:.*}", self._handle_file)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        shared = self._files().get(request.match_info["file_id"])
        auth = request.headers.get("Authorization", "")
        ok = (auth == f"Bearer {self.bot_token}" and self.workspace.has_scope("files:read"))
        self.downloads.append((request.match_info["file_id"], ok))
        if not ok:  # Slack's answer to a missing token or scope: its sign-in page
            return web.Response(text=SIGN_IN_PAGE, content_type="text/html")
        if shared is None or shared.deleted:
            return web.Response(status=404, text="Not found", content_type="text/plain")
        return web.Response(body=shared.data, content_type=shared.mimetype)

    def delete_file(self, file_id: str) -> None:
        self._files()[file_id].deleted = True

    def _file_json(self, f: SharedFile) -> dict[str, Any]:
        base = f"{self.base_url}/files-pri/{self.workspace.team_id}-{f.id}"
        filetype = (mimetypes.guess_extension(f.mimetype) or ".bin").lstrip(".")
        return {"id": f.id, "created": 0, "timestamp": 0, "name": f.name, "title": f.name,
                "mimetype": f.mimetype, "filetype": filetype, "pretty_type": filetype.upper(),
                "user": f.user, "size": len(f.data), "mode": "hosted", "is_external": False,
                "is_public": True, "url_private": f"{base}/{f.name}",
                "url_private_download": f"{base}/download/{f.name}"}

    async def user_shares_files(self, user_id: str, channel_id: str,
                                files: list[tuple[str, bytes, str]], text: str = "",
                                thread_ts: str | None = None) -> str:
        """A member uploads ``files`` — (name, bytes, mimetype) — with an optional comment,
        in a thread when ``thread_ts`` is given. Returns the message ts."""
        user = self._human(user_id)
        channel = self._member_channel(user, channel_id)
        shared = []
        for name, data, mimetype in files:
            f = SharedFile("F" + uuid.uuid4().hex[:10].upper(), name, mimetype, data, user.id)
            self._files()[f.id] = f
            shared.append(self._file_json(f))
        escaped = escape(text)
        msg: dict[str, Any] = {
            "type": "message", "subtype": "file_share", "text": escaped, "user": user.id,
            "ts": self.workspace.clock.next(), "files": shared, "upload": False,
            "display_as_bot": False, "team": self.workspace.team_id,
        }
        if escaped:
            msg["blocks"] = rich_text(escaped)
        return await self._member_message(channel, msg, thread_ts)
