"""Bytes -> text for web pages: which charset a page uses, as a browser would decide it.

The one decoder for page bodies (the fetcher, ``extract FILE``, ``diff FILE FILE``). Labels
come from the byte-order mark, the HTTP header, ``<meta charset>`` / ``<meta http-equiv>``
and the XML declaration, in that order. A label that names no text encoding (``rot13``,
``base64``, ``hex``, ``zlib``: codecs that Python knows but that turn bytes into bytes) is
ignored, as if the page had declared nothing, so a hostile page cannot crash the decoder.
"""

from __future__ import annotations

import codecs
import re

__all__ = ["CharsetError", "decode_html"]

# Labels in the first bytes of the document: <meta charset=...>, the charset parameter of
# <meta http-equiv="Content-Type" content="text/html; charset=...">, and <?xml encoding=...?>.
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)["']""", re.IGNORECASE)
_PRESCAN_BYTES = 4096
# What browsers decode these labels as (WHATWG Encoding Standard).
_BROWSER_ALIASES = {"latin-1": "cp1252", "iso8859-1": "cp1252", "ascii": "cp1252"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


class CharsetError(ValueError):
    """A page's bytes cannot be decoded as text (unknown charset and not UTF-8)."""


class _NotText(Exception):
    """A label names a codec that is not a text encoding (rot13, base64, ...)."""


def _text_codec(label: str) -> str | None:
    """The Python codec a charset label names, or None when it is unknown.

    Raises ``_NotText`` for a label that Python knows but that is not a text encoding.
    """
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except (LookupError, ValueError):  # ValueError: a label with a NUL byte
        return None
    try:
        b"".decode(name)  # bytes-to-bytes and str-to-str codecs raise LookupError here
    except LookupError:
        raise _NotText(label) from None
    return _BROWSER_ALIASES.get(name, name)


def _declared_labels(body: bytes, declared: str | None) -> list[str]:
    """Charset labels the page states, most authoritative first (header, meta, XML)."""
    labels = [declared] if declared else []
    head = body[:_PRESCAN_BYTES]
    for pattern in (_META_CHARSET, _XML_ENCODING):
        match = pattern.search(head)
        if match:
            labels.append(match.group(1).decode("ascii", "replace"))
    return labels


def decode_html(body: bytes, declared: str | None = None) -> str:
    """Decode a page: BOM, else the first declared label that names a text encoding (the
    HTTP header's, then ``<meta>``'s, then the XML declaration's), else UTF-8, else
    Windows-1252.

    An unknown label falls back to UTF-8 when the bytes are valid UTF-8 (pages often mislabel
    ASCII); otherwise it raises ``CharsetError``. A label that is not a text encoding is
    skipped. A known charset with a few invalid bytes decodes with replacement characters, as
    browsers do (the same bytes always give the same text, so this never looks like a change).
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace")
    for label in _declared_labels(body, declared):
        try:
            codec = _text_codec(label)
        except _NotText:
            continue
        if codec is None:
            try:
                return body.decode("utf-8")
            except UnicodeDecodeError:
                raise CharsetError(
                    f"unknown charset {label!r} and the page is not valid UTF-8"
                ) from None
        try:
            return body.decode(codec, errors="replace")
        except (LookupError, UnicodeError):
            continue  # a codec with no 'replace' handling (idna, punycode): not a page charset
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")
