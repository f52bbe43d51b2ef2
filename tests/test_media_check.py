"""The image header reader and the limit checks (pure: no I/O)."""

from __future__ import annotations

import struct

import pytest

from connectors.media import ImageLimits, MediaRefused, check_image, sniff_image
from tests.image_samples import PDF, gif, jpeg, png, webp

LIMITS = ImageLimits("Testmarket", frozenset({"jpeg", "png"}), 1000, max_side=500, min_side=10)


def webp_lossy(w: int, h: int) -> bytes:
    frame = b"\x00\x00\x00" + b"\x9d\x01\x2a" + struct.pack("<HH", w, h)
    chunk = b"VP8 " + struct.pack("<I", len(frame)) + frame
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def webp_lossless(w: int, h: int) -> bytes:
    bits = (w - 1) | ((h - 1) << 14)
    body = b"\x2f" + bits.to_bytes(4, "little")
    chunk = b"VP8L" + struct.pack("<I", len(body)) + body
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk + b"\x00" * 4


@pytest.mark.parametrize(("data", "fmt", "size"), [
    (png(1920, 1080), "png", (1920, 1080)), (jpeg(4032, 3024), "jpeg", (4032, 3024)),
    (gif(1, 65535), "gif", (1, 65535)), (webp(16383, 2), "webp", (16383, 2)),
    (webp_lossy(800, 450), "webp", (800, 450)), (webp_lossless(300, 200), "webp", (300, 200)),
    # A fill byte before a marker and an APPn segment before the frame header.
    (b"\xff\xd8\xff\xff\xe1\x00\x04ab" + jpeg(7, 9)[2:], "jpeg", (7, 9)),
])
def test_sniff_reads_format_and_size_from_headers(data: bytes, fmt: str,
                                                  size: tuple[int, int]) -> None:
    info = sniff_image(data)
    assert info is not None and (info.format, (info.width, info.height)) == (fmt, size)


@pytest.mark.parametrize("data", [b"", b"\x89PNG\r\n", b"\xff\xd8\xff", PDF, b"GIF8",
                                  b"RIFF\x00\x00\x00\x00WEBPVP8 ", b"\xff\xd8\xff\xe0\xff"])
def test_truncated_or_foreign_bytes_are_not_images(data: bytes) -> None:
    assert sniff_image(data) is None


def test_limits_name_the_rule_broken() -> None:
    assert check_image(png(100, 100), "text/plain", "ok.bin", LIMITS).format == "png"
    cases = [(gif(20, 20), "GIF image; Testmarket chat takes JPEG, PNG only"),
             (png(600, 20), "600×20 pixels; Testmarket takes at most 500 pixels a side"),
             (png(20, 5), "needs at least 10 pixels a side"),
             (png(20, 20, pad=2000), "Testmarket takes images up to 1 KB"),
             (PDF, "is a PDF document, not an image Testmarket can show: send JPEG, PNG.")]
    for data, words in cases:
        with pytest.raises(MediaRefused) as err:
            check_image(data, "image/png", "pic", LIMITS)
        assert words in err.value.user_message, err.value.user_message
