"""An agent's image, from a Slack thread to the buyer.

The reply row keeps Slack's file references (``attributes["files"]``) from the moment
the message is recorded, so a crash or a restart finds them again. Each image is one
*part* of the reply, after its text part(s): parts leave in order and ``parts_done``
says how far a reply got, exactly as for a long text split in several messages.
The bytes are fetched from Slack at send time with the bot token (``files:read``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import aiohttp

from connectors.errors import PermanentError, RuleViolation, TransientError
from connectors.media import MediaRefused
from connectors.models import SentMessage, StoreAccount
from connectors.rich import ChatTarget, RichSender

IMAGE_PART = "\x00image:"  # never produced by text: slack_to_plain drops control chars
MAX_DOWNLOAD = 50 * 1024 * 1024  # above every platform's limit: refuse before reading more


def file_refs(files: Any) -> list[dict[str, Any]]:
    """What to keep of Slack's ``files`` list: enough to download and name each one."""
    refs = []
    for f in files if isinstance(files, list) else []:
        if isinstance(f, dict) and f.get("id"):
            refs.append({"id": str(f["id"]), "name": str(f.get("name") or f["id"]),
                         "mimetype": str(f.get("mimetype") or ""),
                         "size": int(f.get("size") or 0),
                         "url": str(f.get("url_private_download") or f.get("url_private")
                                    or "")})
    return refs


def not_an_image(ref: dict[str, Any]) -> str | None:
    """A plain reason when Slack already tells us this is no picture (PDF, video...).
    The bytes decide for images: a file Slack calls image/* is checked when sent."""
    if ref["mimetype"].startswith("image/"):
        return None
    kind = ref["mimetype"] or "unknown type"
    return (f"{ref['name']} ({kind}) was not sent: buyers can receive images only, "
            "not documents or videos.")


def image_parts(refs: list[dict[str, Any]]) -> list[str]:
    return [f"{IMAGE_PART}{i}" for i in range(len(refs))]


def image_index(part: str) -> int | None:
    return int(part[len(IMAGE_PART):]) if part.startswith(IMAGE_PART) else None


class SlackFileFetcher:
    """Downloads a shared file with the bot token. The token only ever goes to the
    Slack host the app talks to (or slack.com's file hosts): a URL elsewhere is refused."""

    def __init__(self, session: aiohttp.ClientSession, bot_token: str, api_url: str) -> None:
        self.session = session
        self.bot_token = bot_token
        self.api_host = urlsplit(api_url).hostname or ""

    def _trusted(self, url: str) -> bool:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if host == self.api_host and parts.scheme in ("http", "https"):
            return True
        return parts.scheme == "https" and (host == "slack.com" or host.endswith(".slack.com"))

    async def fetch(self, ref: dict[str, Any]) -> bytes:
        name = ref["name"]
        if not self._trusted(ref["url"]):
            raise PermanentError("untrusted file url", code="file_url",
                                 user_message=f"{name} is not hosted by Slack; not sent.")
        try:
            async with self.session.get(ref["url"], headers={
                    "Authorization": f"Bearer {self.bot_token}"}) as resp:
                if resp.status == 404:
                    raise PermanentError("file gone", code="file_gone", user_message=(
                        f"{name} was deleted in Slack before it could be sent."))
                if resp.status >= 500 or resp.status == 429:
                    raise TransientError(f"Slack file download {resp.status}",
                                         code="file_download")
                if resp.status != 200:
                    raise PermanentError(f"download {resp.status}", code="file_download",
                                         user_message=f"Slack refused to hand over {name}.")
                if resp.content_type == "text/html":
                    # Slack's sign-in page: the token lacks files:read (reinstall the app).
                    raise PermanentError("sign-in page", code="files_read_missing",
                                         user_message=(
                        f"StoreBridge may not read files in Slack, so {name} was not sent: "
                        "an admin must reinstall the app with the files:read scope."))
                data = await resp.content.read(MAX_DOWNLOAD + 1)
        except aiohttp.ClientError as e:
            raise TransientError(f"Slack file download: {e}", code="file_download") from e
        if len(data) > MAX_DOWNLOAD:
            raise MediaRefused(f"{name} is over {MAX_DOWNLOAD // (1024 * 1024)} MB; "
                               "no marketplace takes images that large.")
        return data


async def send_image(connector: object, account: StoreAccount, target: ChatTarget,
                     ref: dict[str, Any], fetcher: SlackFileFetcher | None) -> SentMessage:
    """Download, check (inside the connector, from the bytes) and send one image."""
    if not isinstance(connector, RichSender):
        raise RuleViolation("no images", code="images_unsupported", user_message=(
            f"{ref['name']} was not sent: this marketplace connection cannot send images."))
    if fetcher is None:
        raise PermanentError("no fetcher", code="files_off",
                             user_message="Images are not enabled in this StoreBridge.")
    data = await fetcher.fetch(ref)
    return await connector.send_image(account, target, data, ref["mimetype"], ref["name"])
