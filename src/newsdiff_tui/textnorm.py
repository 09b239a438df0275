"""Text normalisation for comparison and sanitising for display; pure functions, no I/O."""

from __future__ import annotations

import re
import unicodedata

# Zero-width and bidi formatting characters that pages sprinkle in without changing the text.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u202a\u202b\u202c\u202d\u202e"),
    None,
)
_WHITESPACE = re.compile(r"\s+")
# Terminal control sequences, removed whole (ECMA-48), in their 7-bit (ESC ...) and 8-bit (C1)
# forms: CSI (colours, cursor moves, clearing); the string controls OSC, DCS, SOS, PM and APC
# up to BEL or ST (an OSC sets the window title or a hyperlink); other escapes (ESC 7, ESC ( B).
# An 8-bit string control only counts when terminated: a stray U+009D (a byte that
# windows-1252 leaves undefined) must not swallow the rest of a paragraph.
_ANSI = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|\x1b[P\]X^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|[\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[ -/]*[0-~]"
)


# C0 and C1 control characters except tab and newline (Unicode category Cc, minus those two).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_control(text: str) -> str:
    """Remove terminal escape sequences and C0/C1 control characters, keeping tabs and newlines."""
    return _CONTROL.sub("", _ANSI.sub("", text))


def normalize(text: str) -> str:
    """Canonical form used to decide whether two texts differ.

    Unicode NFC, invisible and control characters dropped, whitespace runs collapsed to one
    space and trimmed.
    """
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    # Whitespace first, so a control character that is whitespace (\r, \f) separates words.
    text = strip_control(_WHITESPACE.sub(" ", text))
    return _WHITESPACE.sub(" ", text).strip()


_TYPOGRAPHIC = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2026": "...",
        "\u00a0": " ",
    }
)
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def boring_key(text: str) -> str:
    """What is left of a text once whitespace, typographic variants and punctuation are ignored.

    Two versions with the same boring key differ only in ways NewsDiffs calls boring.
    """
    text = normalize(text).translate(_TYPOGRAPHIC).casefold()
    return _NOT_WORD.sub(" ", text).strip()


# Bidi embedding, override and isolate controls: they reorder how a terminal shows the text
# around them ("Trojan Source"), so a title could make a line read differently from its bytes.
_BIDI_CONTROLS = dict.fromkeys(
    map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), None
)


def display_safe(text: object, *, one_line: bool = False) -> str:
    """Untrusted text (from the web, an import file or a cache file) made safe for a terminal.

    Escape sequences, C0/C1 control characters and bidi overrides are removed; tabs and
    newlines are kept unless ``one_line``, which folds every whitespace run into one space (for
    messages that must stay one line). Anything that is not a string is shown as ``str()``
    would. Rich markup escaping is the UI's job (``rich.markup.escape``) where markup is parsed.
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = strip_control(unicodedata.normalize("NFC", text).translate(_BIDI_CONTROLS))
    return _WHITESPACE.sub(" ", text).strip() if one_line else text


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """'1 version', '3 versions'."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"
