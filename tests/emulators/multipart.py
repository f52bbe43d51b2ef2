"""Read a multipart/form-data body the emulators already hold as raw bytes (they
read the body first to check the signature, so aiohttp's reader is spent)."""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP


def form_parts(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes, str]]:
    """field name -> (filename or None, bytes, part content type)."""
    if not content_type.lower().startswith("multipart/form-data"):
        return {}
    msg = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + body)
    out: dict[str, tuple[str | None, bytes, str]] = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            data = part.get_payload(decode=True) or b""
            out[name] = (part.get_filename(), data, part.get_content_type())
    return out
