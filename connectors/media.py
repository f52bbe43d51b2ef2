"""Outgoing images: what the bytes really are, and whether a platform can take them.

The type comes from the file's own header, never from the declared content type or
the file name (Slack reports what the uploader's browser guessed). Dimensions are
read from the PNG / JPEG / GIF / WebP headers directly: four small formats do not
justify Pillow as a dependency, and a header parser never decodes untrusted pixels.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from connectors.errors import RuleViolation

MB = 1024 * 1024
CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif",
                 "webp": "image/webp"}
# Files an agent may well drop into a thread, named so the refusal is plain.
_KNOWN_OTHERS = ((b"%PDF", "a PDF document"), (b"PK\x03\x04", "a ZIP or Office document"),
                 (b"\x1aE\xdf\xa3", "a video (WebM/MKV)"),
                 (b"RIFF", "a RIFF file (audio or video)"), (b"BM", "a BMP bitmap"),
                 (b"II*\x00", "a TIFF image"), (b"MM\x00*", "a TIFF image"))


class MediaRefused(RuleViolation):
    """The file cannot go to this platform; nothing was uploaded. ``reason`` is plain."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, code="media_refused", user_message=reason)
        self.reason = reason


@dataclass(frozen=True)
class ImageInfo:
    format: str  # "png" | "jpeg" | "gif" | "webp"
    width: int
    height: int
    size: int

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]


@dataclass(frozen=True)
class ImageLimits:
    """One platform's rules for chat images (sources in docs/platform-actions.md)."""

    platform: str  # as agents know it: "Shopee", "Lazada", "TikTok Shop"
    formats: frozenset[str]
    max_bytes: int
    max_side: int | None = None
    min_side: int = 1


def _png(d: bytes) -> tuple[int, int] | None:
    if d[:8] == b"\x89PNG\r\n\x1a\n" and len(d) >= 24 and d[12:16] == b"IHDR":
        return struct.unpack(">II", d[16:24])
    return None


def _gif(d: bytes) -> tuple[int, int] | None:
    if d[:6] in (b"GIF87a", b"GIF89a") and len(d) >= 10:
        return struct.unpack("<HH", d[6:10])
    return None


def _webp(d: bytes) -> tuple[int, int] | None:
    if len(d) < 25 or d[:4] != b"RIFF" or d[8:12] != b"WEBP":
        return None
    chunk = d[12:16]
    if chunk == b"VP8 " and len(d) >= 30 and d[23:26] == b"\x9d\x01\x2a":
        w, h = struct.unpack("<HH", d[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L" and d[20] == 0x2F:
        b = int.from_bytes(d[21:25], "little")
        return (b & 0x3FFF) + 1, ((b >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(d) >= 30:
        return int.from_bytes(d[24:27], "little") + 1, int.from_bytes(d[27:30], "little") + 1
    return None


def _jpeg(d: bytes) -> tuple[int, int] | None:
    if d[:3] != b"\xff\xd8\xff":
        return None
    i = 2
    while i + 9 < len(d):
        if d[i] != 0xFF:
            return None
        marker = d[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            i += 2
            continue
        (length,) = struct.unpack(">H", d[i + 2:i + 4])
        # SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG), CC (DAC) do not.
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", d[i + 5:i + 9])
            return w, h
        i += 2 + length
    return None


_PARSERS = (("png", _png), ("jpeg", _jpeg), ("gif", _gif), ("webp", _webp))


def sniff_image(data: bytes) -> ImageInfo | None:
    """The image's format and size from its header; None when it is no image we read."""
    for name, parse in _PARSERS:
        dims = parse(data)
        if dims is not None:
            return ImageInfo(name, dims[0], dims[1], len(data))
    return None


def _what(data: bytes, content_type: str) -> str:
    if data[4:8] == b"ftyp":
        return "a video (MP4/MOV)" if b"qt" in data[8:12] or b"mp4" in data[8:12] or \
            b"iso" in data[8:12] else "an MP4-family file (video or HEIC photo)"
    for magic, name in _KNOWN_OTHERS:
        if data.startswith(magic):
            return name
    if content_type.startswith("video/"):
        return "a video"
    return f"a {content_type} file" if content_type else "not an image"


def _human(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB else f"{n / 1024:.0f} KB"


def check_image(data: bytes, content_type: str, filename: str, limits: ImageLimits) -> ImageInfo:
    """The image, or :class:`MediaRefused` naming the rule it breaks (no I/O)."""
    name = filename or "The file"
    if not data:
        raise MediaRefused(f"{name} is empty.")
    info = sniff_image(data)
    allowed = ", ".join(sorted(f.upper() for f in limits.formats))
    if info is None:
        raise MediaRefused(f"{name} is {_what(data, content_type.lower())}, not an image "
                           f"{limits.platform} can show: send {allowed}.")
    if info.format not in limits.formats:
        raise MediaRefused(f"{name} is a {info.format.upper()} image; {limits.platform} chat "
                           f"takes {allowed} only.")
    if info.size > limits.max_bytes:
        raise MediaRefused(f"{name} is {_human(info.size)}; {limits.platform} takes images up "
                           f"to {_human(limits.max_bytes)}.")
    if min(info.width, info.height) < limits.min_side:
        raise MediaRefused(f"{name} is {info.width}×{info.height} pixels; {limits.platform} "
                           f"needs at least {limits.min_side} pixels a side.")
    if limits.max_side is not None and max(info.width, info.height) > limits.max_side:
        raise MediaRefused(f"{name} is {info.width}×{info.height} pixels; {limits.platform} "
                           f"takes at most {limits.max_side} pixels a side.")
    return info
