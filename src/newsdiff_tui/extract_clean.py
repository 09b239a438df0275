"""Removing the blocks of a page that change between fetches, without ever removing the article.

Boilerplate churns: ads, share tools, "Updated 5 minutes ago", related and trending lists,
newsletter promos, consent banners. Left in, it would make versions of an unchanged article.
But on real sites the element that holds the whole article often carries the same words in
its class ("ad-wrapper", "paywall", "no-ads", "offcanvas", a page-wide ASP.NET ``<form>``, a
``<body>`` class listing "social" features). So a labelled block is removed only when it
looks like a widget, and never when it holds the article:

- labelled: a ``<nav>``/``<aside>``/``<form>``/``<dialog>``, an ARIA role such as
  ``navigation``, ``hidden``/``aria-hidden``, or a class/id token such as ``ad``, ``share``,
  ``related``, ``updated`` (tokens: split on spaces, ``-`` and ``_``);
- a widget: small (at most ``SMALL_BLOCK_WORDS`` words) or link-dense (links are at least
  half its words);
- never removed: the ancestors of the page's densest run of paragraphs, of the paragraphs that
  JSON-LD ``articleBody`` states, and any block holding ``ARTICLE_SHARE`` of the page's text.

Every decision is recorded (``Block``) so ``extract --explain`` can show it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml.etree import _Element

from newsdiff_tui.textnorm import display_safe, normalize

__all__ = [
    "ARTICLE_SHARE",
    "SMALL_BLOCK_WORDS",
    "Block",
    "Cleaning",
    "clean_page",
    "reading_words",
]

SMALL_BLOCK_WORDS = 50  # a labelled block this small is a widget, not article text
LINK_DENSE = 0.5  # ...and so is one whose words are at least this share link text
ARTICLE_SHARE = 0.4  # a block holding this share of the page's words holds the article

_LABEL_TAGS = {"nav", "aside", "form", "dialog"}
_ROLE_LABELS = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog"}
# class / id tokens (split on - _ and spaces) that mark boilerplate blocks
_BOILERPLATE_TOKENS = {
    "ad",
    "ads",
    "advert",
    "advertisement",
    "adslot",
    "sponsored",
    "promo",
    "related",
    "recommended",
    "newsletter",
    "share",
    "sharing",
    "social",
    "consent",
    "cookie",
    "cookies",
    "gdpr",
    "paywall",
    "trending",
    "popular",
    "outbrain",
    "taboola",
    "updated",
    "timestamp",
    "breadcrumb",
    "breadcrumbs",
    "comments",
    "subscribe",
}
_TOKEN_SPLIT = re.compile(r"[\s_\-]+")
# One search finds whether any token of a class or id is a boilerplate token.
_TOKEN_SEARCH = re.compile(
    r"(?:^|[\s_\-])(?:" + "|".join(sorted(_BOILERPLATE_TOKENS)) + r")(?=$|[\s_\-])",
    re.IGNORECASE,
)
_CANDIDATES = (
    ".//*[@class or @id or @role or @hidden or @aria-hidden]"
    " | .//nav | .//aside | .//form | .//dialog"
)
# Scripts and styles hold no article text. JSON-LD goes too: it has been read already, and
# trafilatura's fallback would otherwise paste articleBody in as one paragraph.
_NO_TEXT = ".//script | .//style"
_PROTECT_MIN_WORDS = 8  # an articleBody paragraph this long is matched on the page
# Han, kana and hangul: no spaces between words, so characters are counted instead.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_CJK_CHARS_PER_WORD = 2


@dataclass(frozen=True)
class Block:
    """A labelled block of the page and what cleaning did with it."""

    tag: str
    label: str  # the class/id/role/tag that marked it, shortened
    words: int
    reason: str  # why it was removed, or why it was kept


@dataclass
class Cleaning:
    """What ``clean_page`` removed and which labelled blocks it kept."""

    removed: list[Block] = field(default_factory=list)
    spared: list[Block] = field(default_factory=list)


def reading_words(text: str) -> int:
    """Words in a text, counting CJK characters (written without spaces) two to a word."""
    cjk = len(_CJK.findall(text))
    if not cjk:
        return len(text.split())
    return len(_CJK.sub(" ", text).split()) + cjk // _CJK_CHARS_PER_WORD


def _label(node: _Element) -> str | None:
    """Why a block looks like boilerplate by its markup, or None."""
    role = (node.get("role") or "").strip().lower()
    if role in _ROLE_LABELS:
        return f'role="{role}"'
    if node.get("hidden") is not None:
        return "hidden"
    if (node.get("aria-hidden") or "").strip().lower() == "true":
        return 'aria-hidden="true"'
    for attribute in ("class", "id"):
        value = node.get(attribute)
        if value and _TOKEN_SEARCH.search(value):
            tokens = set(_TOKEN_SPLIT.split(value.lower())) & _BOILERPLATE_TOKENS
            return f'{attribute}="{_shorten(value)}" ({", ".join(sorted(tokens))})'
    if node.tag in _LABEL_TAGS:
        return f"<{node.tag}>"
    return None


def _shorten(text: str, limit: int = 60) -> str:
    """An attribute value of the page for a label: one line, no escape codes (``--explain``
    prints it, also as JSON, which leaves C1 controls as they are), at most ``limit`` long."""
    text = display_safe(text, one_line=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _words(node: _Element) -> int:
    """The reading words in ``node``'s text."""
    return reading_words(node.text_content())


def _link_words(node: _Element) -> int:
    """The reading words inside ``node``'s links (for its link density)."""
    return reading_words(" ".join(node.xpath(".//a//text()")))


def _drop(node: _Element) -> None:
    """Remove a node and its subtree, keeping the text that follows it (its tail)."""
    parent = node.getparent()
    if parent is None:
        return
    if node.tail and node.tail.strip():
        previous = node.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + node.tail
        else:
            previous.tail = (previous.tail or "") + node.tail
    parent.remove(node)


def _article_anchors(body: _Element, article_body: list[str]) -> list[_Element]:
    """Nodes that hold the article: the densest paragraph container and articleBody's text."""
    anchors: list[_Element] = []
    scores: dict[_Element, int] = {}
    stated = " ".join(article_body)
    for paragraph in body.iter("p"):
        text = paragraph.text_content()
        words = reading_words(text)
        if not words:
            continue
        parent = paragraph.getparent()
        if parent is not None:
            scores[parent] = scores.get(parent, 0) + words
        if stated and words >= _PROTECT_MIN_WORDS and normalize(text) in stated:
            anchors.append(paragraph)
    if scores:
        anchors.append(max(scores, key=scores.__getitem__))
    return anchors


def clean_page(tree: _Element, article_body: list[str] | None = None) -> Cleaning:
    """Remove the labelled widgets of a parsed page in place (see the module docstring).

    ``article_body``: the paragraphs JSON-LD states, whose blocks are never removed.
    """
    cleaning = Cleaning()
    for node in tree.xpath(_NO_TEXT):
        _drop(node)
    body = tree.find("body")
    if body is None:
        body = tree
    protected: set[_Element] = set()
    for anchor in _article_anchors(body, article_body or []):
        protected.add(anchor)
        protected.update(anchor.iterancestors())
    total = _words(body)
    removed: list[_Element] = []
    inside_removed: set[_Element] = set()
    for node in body.xpath(_CANDIDATES):
        if node in inside_removed:
            continue
        label = _label(node)
        if label is None:
            continue
        if node in protected:
            words = _words(node)
            cleaning.spared.append(Block(node.tag, label, words, "holds the article's paragraphs"))
            continue
        words = _words(node)
        if words > SMALL_BLOCK_WORDS and words >= ARTICLE_SHARE * total:
            share = round(100 * words / max(total, 1))
            cleaning.spared.append(Block(node.tag, label, words, f"holds {share}% of the text"))
            continue
        links = _link_words(node)
        if words <= SMALL_BLOCK_WORDS:
            reason = "small labelled block"
        elif links >= LINK_DENSE * words:
            reason = f"link list ({round(100 * links / words)}% link text)"
        else:
            cleaning.spared.append(Block(node.tag, label, words, "prose, not a widget"))
            continue
        removed.append(node)
        inside_removed.update(node.iterdescendants())
        cleaning.removed.append(Block(node.tag, label, words, reason))
    for node in removed:
        _drop(node)
    return cleaning
