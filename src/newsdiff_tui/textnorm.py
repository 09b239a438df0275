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
# ESC-introduced terminal sequences (CSI, OSC, and two-byte escapes), removed whole.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")


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


def display_safe(text: str) -> str:
    """Untrusted web text made safe for a terminal: control sequences stripped, one line per
    paragraph kept. Rich markup escaping is the UI's job (``rich.markup.escape``) where markup
    is parsed at all."""
    return strip_control(unicodedata.normalize("NFC", text))
