"""An agent's image, from a Slack thread to the buyer.

The reply row keeps Slack's file references (``attributes["files"]``) from the moment
the message is recorded, so a crash or a restart finds them again. Each image is one
*part* of the reply, after its text part(s): parts leave in order and ``parts_done``
says how far a reply got, exactly as for a long text split in several messages.
The bytes are fetched from Slack at send time with the bot token (``files:read``).

Where the platform lists sent images with their uploaded URL (:class:`TracedImages`),
an image is uploaded first and the upload kept on the row (``attributes["uploads"]``)
before the send: a send whose answer was lost is then looked up by that URL, like a
text by its words, and sent again (the same upload) only if the chat does not have it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp

from bot.actions.cards import send_card
from connectors.errors import PermanentError, RuleViolation, TransientError
from connectors.media import MediaRefused
from connectors.models import SentMessage, StoreAccount
from connectors.rich import ChatTarget, RichSender, TracedImages, UploadedImage

if TYPE_CHECKING:
    from bot.store import Message, Store

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


class TracedImage:
    """One image part sent in two steps (upload kept, then send), so that its outcome
    can be looked up; see the module's note."""

    def __init__(self, store: Store, connector: TracedImages, account: StoreAccount,
                 target: ChatTarget, ref: dict[str, Any], fetcher: SlackFileFetcher | None,
                 message_id: int, part: int, uploaded: dict[str, Any] | None) -> None:
        self.store, self.connector, self.account = store, connector, account
        self.target, self.ref, self.fetcher = target, ref, fetcher
        self.message_id, self.part, self.uploaded = message_id, part, uploaded

    def _image(self) -> UploadedImage | None:
        up = self.uploaded
        return UploadedImage(str(up["url"]), int(up["width"]), int(up["height"])) if up else None

    async def look_up(self) -> SentMessage | None:
        """The message this image became, if the chat has it. Never uploaded means
        never sent: the upload is kept before any send."""
        image, up = self._image(), self.uploaded
        if image is None or up is None:
            return None
        since = datetime.fromtimestamp(float(up["at"]) - 60, UTC)  # clock skew margin
        return await self.connector.find_sent_image(self.account, self.target, image, since)

    async def send(self) -> SentMessage:
        image = self._image()
        if image is None:
            if self.fetcher is None:
                raise PermanentError("no fetcher", code="files_off",
                                     user_message="Images are not enabled in this StoreBridge.")
            data = await self.fetcher.fetch(self.ref)
            image = await self.connector.upload_image(self.account, data, self.ref["mimetype"],
                                                      self.ref["name"])
            self.uploaded = {"url": image.url, "width": image.width, "height": image.height,
                             "at": self.store.database.clock()}
            await self.store.actions.keep_upload(self.message_id, self.part, self.uploaded)
        return await self.connector.send_uploaded_image(self.account, self.target, image)


Send = Callable[[], Awaitable[SentMessage]]
Find = Callable[[], Awaitable[SentMessage | None]]


def rich_part(store: Store, connector: object, account: StoreAccount, target: ChatTarget,
              msg: Message, part: int, image: int | None, fetcher: SlackFileFetcher | None
              ) -> tuple[str, Send, Find | None]:
    """What an image or card part is called (for the agent), how it is sent, and how it
    is looked up after a lost answer (None: this platform cannot tell)."""
    if image is None:
        card = msg.attributes["card"]
        return f"the {card['kind']} card", partial(send_card, connector, account, target,
                                                   card), None
    ref = (msg.attributes.get("files") or [])[image]
    if isinstance(connector, TracedImages):
        traced = TracedImage(store, connector, account, target, ref, fetcher, msg.id, part,
                             (msg.attributes.get("uploads") or {}).get(str(part)))
        return ref["name"], traced.send, traced.look_up
    return ref["name"], partial(send_image, connector, account, target, ref, fetcher), None
