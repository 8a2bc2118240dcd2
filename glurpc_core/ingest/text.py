"""Raw bytes -> text of a plausible CSV/JSON export (pure compute: no I/O).

The first gate every upload passes. It rejects what is plainly not a CGM
export (empty, binary, HTML/XML, undecodable) with `invalid_data` before any
parser sees it, and normalises encodings (UTF-8 with or without BOM, UTF-16,
Windows-1252) and line endings. It never guesses at the format.
"""

from __future__ import annotations

from glurpc_core.ingest.errors import IngestError

SNIFF_BYTES = 65536
_MAGIC = {
    b"PK\x03\x04": "a zip archive (an .xlsx workbook?)",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\x1f\x8b": "a gzip archive",
    b"\xff\xd8\xff": "a JPEG image",
    b"SQLite format 3": "an SQLite database",
}


def decode_export(raw: bytes) -> str:
    """Text of the upload with `\\n` line endings; raises IngestError(invalid_data)."""
    refuse_non_text(raw)
    text = _decode(bytes(raw))
    _reject_control_characters(text[:SNIFF_BYTES])
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype", "<html", "<?xml", "<head", "<body", "<")):
        raise IngestError.invalid(
            "the file is an HTML or XML document (a saved web page?), not a CSV export",
            reason="html",
            line=1,
        )
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def refuse_non_text(raw: bytes) -> None:
    """What is plainly not an export, said before anything is decoded or counted."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise IngestError.invalid("the upload must be bytes")
    if not raw or bytes(raw).isspace():  # isspace, not strip: no copy of a large upload
        raise IngestError.invalid("the file is empty", reason="empty")
    for magic, what in _MAGIC.items():
        if raw.startswith(magic):
            raise IngestError.invalid(f"the file is {what}, not a CSV export", reason="binary")
    if not raw.startswith((b"\xff\xfe", b"\xfe\xff")) and b"\x00" in raw[:SNIFF_BYTES]:
        raise IngestError.invalid("the file is binary (it contains NUL bytes)", reason="binary")


def _decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise IngestError.invalid(
                "the file starts with a UTF-16 mark but is not UTF-16 text", reason="encoding"
            ) from exc
    sample = raw[:SNIFF_BYTES]
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        high = sum(byte >= 0x80 for byte in sample)
        if high > len(sample) * 0.3:
            raise IngestError.invalid(
                "the file is binary (mostly non-text bytes)", reason="binary"
            ) from exc
        # Older exports from Windows machines are Windows-1252, not UTF-8.
        return raw.decode("cp1252", errors="replace")


def _reject_control_characters(sample: str) -> None:
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    if controls > max(8, len(sample) // 100):
        raise IngestError.invalid(
            "the file is binary (it contains control characters)", reason="binary"
        )
