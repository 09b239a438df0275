"""What a page states about itself: title, byline, date and JSON-LD ``articleBody``.

Read from the parsed page (an lxml tree) before any cleaning. Sources, most trusted first:
the page's JSON-LD (``NewsArticle`` and friends), then OpenGraph / ``<meta>`` tags, then the
page's own markup (``<h1>``, ``<title>``, and for the byline the author elements that
trafilatura's metadata module knows). Each value says where it came from, for ``--explain``.
"""

from __future__ import annotations

import html as htmllib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import html as lxml_html
from lxml.etree import ParserError, _Element

from newsdiff_tui.textnorm import normalize

__all__ = ["PageMeta", "article_body_paragraphs", "page_meta"]

_NEWS_TYPES = {
    "NewsArticle",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "BackgroundNewsArticle",
    "ReviewNewsArticle",
    "LiveBlogPosting",
    "Article",
    "BlogPosting",
    "Report",
}
_GENERIC_TYPES = {"Article", "BlogPosting", "Report"}
# <meta name=...> / <meta property=...> that name the author (as trafilatura reads them).
_AUTHOR_META = {
    "author",
    "article:author",
    "authors",
    "byl",
    "citation_author",
    "dc.creator",
    "dc:creator",
    "dcterms.creator",
    "dcsext.author",
    "parsely-author",
    "sailthru.author",
    "atc-metaauthor",
    "rbauthors",
    "shareaholic:article_author_name",
}
_TITLE_SUFFIX = re.compile(r"\s+[-|–—·:]\s+[^-|–—·:]{2,60}$")
_BY_PREFIX = re.compile(r"^by\s+", re.IGNORECASE)
_NOT_A_NAME = re.compile(r"^(?:https?:|www\.)|://|^@|@.+\.", re.IGNORECASE)  # URLs, handles, mail
_BLOCK_TAGS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre")
_MAX_BYLINE_CHARS = 120
# Author elements, most specific first (trafilatura's AUTHOR_XPATHS in XPath 1.0).
_BYLINE_XPATHS = (
    ".//*[self::a or self::address or self::div or self::link or self::p or self::span"
    " or self::strong][@rel='author' or @id='author' or @class='author'"
    " or @itemprop='author name' or @data-testid='AuthorCard' or @data-testid='AuthorURL'"
    " or contains(@class, 'author-name') or contains(@class, 'authorname')"
    " or contains(@class, 'AuthorName') or contains(@class, 'authorName')] | .//author",
    ".//*[self::a or self::div or self::h3 or self::h4 or self::p or self::span]"
    "[@class='byline' or @class='username' or @class='byl' or @class='BBL'"
    " or contains(@itemprop, 'author') or contains(@id, 'author') or contains(@class, 'author')"
    " or contains(@class, 'submitted-by') or contains(@class, 'posted-by')"
    " or contains(@class, 'journalist-name')]",
    ".//*[contains(@data-component, 'Byline') or contains(@itemprop, 'author')"
    " or contains(@id, 'Author') or contains(@class, 'Author') or contains(@class, 'screenname')"
    " or contains(@class, 'writer') or contains(@class, 'Byline') or contains(@class, 'byline')]",
)
_BYLINE_TEXT = ".//text()[not(ancestor::time) and not(ancestor::figure)]"
# Blocks whose author elements are not the article's (trafilatura's AUTHOR_DISCARD_XPATHS).
_DISCARD_TAGS = {"a", "div", "section", "span"}
_DISCARD_CLASS = re.compile(
    r"^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram"
    r"|article-(?:share|support)|print|category|meta-date|meta-reviewer"
)
_DISCARD_ID = re.compile(r"^comments|comment-?list|ProductReviews")
_DISCARD_EXACT_CLASS = {"comments", "title", "date"}


@dataclass(frozen=True)
class PageMeta:
    """Title, byline and date of a page, where each came from, and its JSON-LD article."""

    title: str
    byline: str | None
    published: str | None
    byline_source: str  # "JSON-LD", "<meta name=author>", "page markup" or "none"
    ld: dict[str, Any]
    description: str | None = None  # what the page says it is about (often its lead)


def _ld_objects(tree: _Element) -> Iterator[dict[str, Any]]:
    """Every JSON object in the page's JSON-LD scripts, flattening lists and ``@graph``."""
    for node in tree.iter("script"):
        if (node.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(node.text or "", strict=False)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                yield item
                if isinstance(item.get("@graph"), list):
                    stack.extend(item["@graph"])


def _types(obj: dict[str, Any]) -> set[str]:
    """The schema.org types a JSON-LD object declares, without their URL prefix."""
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)}


def _news_ld(tree: _Element) -> dict[str, Any]:
    """The page's NewsArticle-like JSON-LD object (specific news types preferred), or {}."""
    best: dict[str, Any] = {}
    for obj in _ld_objects(tree):
        kinds = _types(obj)
        if kinds & (_NEWS_TYPES - _GENERIC_TYPES):
            return obj
        if kinds & _NEWS_TYPES and not best:
            best = obj
    return best


def _text_of(value: Any) -> str | None:
    """A JSON-LD or attribute string as clean text (entities decoded), or None."""
    if isinstance(value, str):
        text = normalize(htmllib.unescape(value))
        return text or None
    return None


def _name(raw: str | None) -> str | None:
    """An author name from a raw value: "By " dropped; URLs, handles and e-mails refused."""
    text = _text_of(raw)
    if not text:
        return None
    text = _BY_PREFIX.sub("", text).strip()
    if not text or _NOT_A_NAME.search(text) or len(text) > _MAX_BYLINE_CHARS:
        return None
    return text


def _authors(value: Any) -> list[str]:
    """The distinct author names of a JSON-LD ``author`` value (one or a list, names or objects)."""
    names: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        name = _name(item.get("name")) if isinstance(item, dict) else _name(item)
        if name and name.casefold() not in {n.casefold() for n in names}:
            names.append(name)
    return names


def _join_names(names: list[str]) -> str | None:
    """Names as English prose ("A, B and C"); None for none."""
    if not names:
        return None
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _meta_content(tree: _Element, attribute: str, names: set[str]) -> list[str]:
    """The ``content`` of every ``<meta ATTRIBUTE=NAME>`` whose name is one of ``names``."""
    found = []
    for node in tree.iter("meta"):
        if (node.get(attribute) or "").strip().lower() in names:
            value = node.get("content") or node.get("datetime")
            if value:
                found.append(value)
    return found


def _first_meta(tree: _Element, *pairs: tuple[str, str]) -> str | None:
    """The first non-empty ``<meta>`` content of the (attribute, name) ``pairs``, in their order."""
    for attribute, name in pairs:
        for value in _meta_content(tree, attribute, {name}):
            text = _text_of(value)
            if text:
                return text
    return None


def _title(tree: _Element, ld: dict[str, Any]) -> str:
    """The headline: JSON-LD, else Open Graph or Twitter, else the first ``<h1>``, else ``<title>``
    without its site suffix."""
    title = _text_of(ld.get("headline")) or _first_meta(
        tree, ("property", "og:title"), ("name", "twitter:title")
    )
    if title:
        return title
    for h1 in tree.iter("h1"):
        text = normalize(h1.text_content())
        if text:
            return text
        break
    for node in tree.iter("title"):
        raw = normalize(node.text_content())
        return _TITLE_SUFFIX.sub("", raw) or raw
    return ""


def _discarded(node: _Element) -> bool:
    """Whether a node sits in comments, a sidebar or a quote (no byline of the article)."""
    for element in (node, *node.iterancestors()):
        if element.tag == "figure" or element.tag == "time":
            return True
        if element.tag not in _DISCARD_TAGS:
            continue
        css, ident = element.get("class") or "", element.get("id") or ""
        if css in _DISCARD_EXACT_CLASS or ident == "comments":
            return True
        if (css and _DISCARD_CLASS.search(css)) or (ident and _DISCARD_ID.search(ident)):
            return True
    return False


def _markup_byline(tree: _Element) -> str | None:
    """The byline in the page's author elements (rel=author, .byline, ...), or None.

    trafilatura's author rules, written as plain XPath 1.0 (its own use regular expressions
    evaluated in Python, which made them the slowest step of extraction); names are cleaned
    with trafilatura's ``normalize_authors``.
    """
    from trafilatura.json_metadata import normalize_authors  # lazy: ~0.3 s to import

    for xpath in _BYLINE_XPATHS:
        for node in tree.xpath(xpath):
            if _discarded(node):
                continue
            text = " ".join(" ".join(node.xpath(_BYLINE_TEXT)).split())
            if not 2 < len(text) < _MAX_BYLINE_CHARS:
                continue
            found = normalize_authors(None, text)
            names = [n for n in (_name(part) for part in (found or "").split("; ")) if n]
            if names:
                return _join_names(names)
    return None


def _byline(tree: _Element, ld: dict[str, Any]) -> tuple[str | None, str]:
    """The byline and where it came from: JSON-LD, then ``<meta>``, then the page's markup."""
    byline = _join_names(_authors(ld.get("author")))
    if byline:
        return byline, "JSON-LD author"
    names: list[str] = []
    for attribute in ("name", "property", "itemprop"):
        for value in _meta_content(tree, attribute, _AUTHOR_META):
            name = _name(value)
            if name and name.casefold() not in {n.casefold() for n in names}:
                names.append(name)
        if names:
            return _join_names(names), f"<meta {attribute}=author>"
    found = _markup_byline(tree)
    if found:
        return found, "page markup (author elements, as trafilatura finds them)"
    return None, "none found"


def _published(tree: _Element, ld: dict[str, Any]) -> str | None:
    """The publication time as the page states it: JSON-LD, a ``<meta>``, or ``<time itemprop>``."""
    found = _text_of(ld.get("datePublished")) or _first_meta(
        tree, ("property", "article:published_time"), ("itemprop", "datePublished")
    )
    if found:
        return found
    for node in tree.iter("time"):
        if node.get("itemprop") == "datePublished":
            return _text_of(node.get("datetime") or node.get("content"))
    return None


def page_meta(tree: _Element) -> PageMeta:
    """Title, byline, published date and the JSON-LD article object of a parsed page."""
    ld = _news_ld(tree)
    byline, source = _byline(tree, ld)
    return PageMeta(
        title=_title(tree, ld),
        byline=byline,
        published=_published(tree, ld),
        byline_source=source,
        ld=ld,
        description=_text_of(ld.get("description"))
        or _first_meta(
            tree,
            ("name", "description"),
            ("property", "og:description"),
            ("name", "twitter:description"),
        ),
    )


def article_body_paragraphs(ld: dict[str, Any]) -> list[str]:
    """The paragraphs of JSON-LD ``articleBody`` (plain text or HTML, entities decoded)."""
    raw = ld.get("articleBody")
    if not isinstance(raw, str) or not raw.strip():
        return []
    text = htmllib.unescape(raw)
    if "<" in text and ">" in text:
        try:
            fragment = lxml_html.fragment_fromstring(text, create_parent="div")
        except (ParserError, ValueError):
            fragment = None
        if fragment is not None:
            leaves = [
                node
                for node in fragment.iter(*_BLOCK_TAGS)
                if next(node.iterdescendants(*_BLOCK_TAGS), None) is None
            ]
            blocks = [b for b in (normalize(node.text_content()) for node in leaves) if b]
            text = "\n".join(blocks) if blocks else fragment.text_content()
    return [p for p in (normalize(line) for line in text.splitlines()) if p]
