"""HTML -> ArticleText: the article's title, byline, date and paragraphs, stable across fetches.

Pure and CPU-bound (the tracker runs ``extract`` in a process pool). Steps:

1. Metadata from the page's JSON-LD (``NewsArticle`` and friends: headline, authors,
   datePublished), then OpenGraph / ``<meta>`` tags, then ``<h1>`` / ``<title>``.
2. Boilerplate that changes between fetches is removed before extraction (selectolax):
   scripts, navigation, headers, footers, asides, forms, ads, share tools, related links,
   newsletters, consent banners and "Updated N minutes ago" labels.
3. Paragraphs: a per-site rule where the generic result is poor (``SITE_RULES``), else
   trafilatura's main-content extraction (no metadata pass: it is slow and date guessing is
   unstable).
4. Paragraphs that are page furniture ("Advertisement", "Updated 5 minutes ago", the title
   repeated, the byline line) are dropped.

``collapse_reason`` tells a collapsed extraction (paywall, consent wall, error page) from a real
version, so a check never stores a version that deletes the article.
"""

from __future__ import annotations

import codecs
import html as htmllib
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from lxml import etree
from selectolax.lexbor import LexborHTMLParser, LexborNode

from newsdiff_tui.model import ArticleText
from newsdiff_tui.textnorm import normalize

__all__ = [
    "MIN_WORDS",
    "SITE_RULES",
    "CharsetError",
    "collapse_reason",
    "decode_html",
    "extract",
]

MIN_WORDS = 25  # fewer words than this on a first version: a wall or an error page, not news
COLLAPSE_RATIO = 0.5  # a text shrinking below this share of the last version has collapsed
COLLAPSE_FLOOR = 60  # ...but only when the last version had at least this many words

# Per-site paragraph selectors, for sites whose markup trafilatura handles poorly. A rule is
# used only when it finds real text; otherwise the generic extraction runs.
SITE_RULES: dict[str, str] = {
    "nytimes.com": 'section[name="articleBody"] p',
    "bbc.co.uk": '[data-component="text-block"] p',
    "bbc.com": '[data-component="text-block"] p',
}

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

_DROP_TAGS = [
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "iframe",
    "svg",
    "button",
    "dialog",
    "input",
    "select",
    "textarea",
]
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
_ROLE_DROP = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog"}

_RELATIVE_TIME = re.compile(
    r"^(?:last\s+)?(?:updated|published|posted|modified)?\s*:?\s*"
    r"(?:\d+|an?|one|a few)\s+(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?)\s+ago\.?$",
    re.IGNORECASE,
)
_JUNK = {
    "advertisement",
    "supported by",
    "continue reading the main story",
    "skip to content",
    "skip to main content",
    "share this article",
    "share",
    "share on twitter",
    "share on facebook",
    "read more",
    "related coverage",
}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_TITLE_SUFFIX = re.compile(r"\s+[-|–—·:]\s+[^-|–—·:]{2,60}$")


class CharsetError(ValueError):
    """A page's bytes cannot be decoded as text (unknown charset and not UTF-8)."""


# ----- decoding ------------------------------------------------------------------------------
def decode_html(body: bytes, declared: str | None = None) -> str:
    """Decode a page: BOM, else the declared (header) charset, else ``<meta charset>``, else
    UTF-8, else Windows-1252.

    An unknown charset label falls back to UTF-8 when the bytes are valid UTF-8 (pages often
    mislabel ASCII); otherwise it raises ``CharsetError``. A known charset with a few invalid
    bytes decodes with replacement characters, as browsers do (the same bytes always give the
    same text, so this never looks like a change).
    """
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if body.startswith(bom):
            return body.decode(codec, errors="replace")
    label = declared
    if not label:
        match = _META_CHARSET.search(body[:4096])
        label = match.group(1).decode("ascii", "replace") if match else None
    if label:
        try:
            codec = codecs.lookup(label.strip().strip("\"'")).name
        except LookupError:
            try:
                return body.decode("utf-8")
            except UnicodeDecodeError:
                raise CharsetError(
                    f"unknown charset {label!r} and the page is not valid UTF-8"
                ) from None
        if codec in {"latin-1", "iso8859-1", "ascii"}:
            codec = "cp1252"  # what browsers use for these labels (WHATWG Encoding)
        return body.decode(codec, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


# ----- metadata ------------------------------------------------------------------------------
def _ld_objects(tree: LexborHTMLParser) -> Iterator[dict[str, Any]]:
    """Every JSON object in the page's JSON-LD scripts, flattening lists and ``@graph``."""
    for node in tree.css('script[type="application/ld+json"]'):
        raw = node.text(deep=True) or ""
        try:
            data = json.loads(raw, strict=False)
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
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)}


def _news_ld(tree: LexborHTMLParser) -> dict[str, Any]:
    """The page's NewsArticle-like JSON-LD object (news types preferred), or {}."""
    best: dict[str, Any] = {}
    for obj in _ld_objects(tree):
        kinds = _types(obj)
        if kinds & (_NEWS_TYPES - {"Article", "BlogPosting", "Report"}):
            return obj
        if kinds & _NEWS_TYPES and not best:
            best = obj
    return best


def _text_of(value: Any) -> str | None:
    if isinstance(value, str):
        text = normalize(htmllib.unescape(value))
        return text or None
    return None


def _authors(value: Any) -> list[str]:
    names: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        name = _text_of(item.get("name")) if isinstance(item, dict) else _text_of(item)
        if name and name not in names:
            names.append(name)
    return names


def _join_names(names: list[str]) -> str | None:
    if not names:
        return None
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _meta(tree: LexborHTMLParser, *selectors: str) -> str | None:
    for selector in selectors:
        node = tree.css_first(selector)
        if node is not None:
            value = _text_of(node.attributes.get("content") or node.attributes.get("datetime"))
            if value:
                return value
    return None


def _title(tree: LexborHTMLParser, ld: dict[str, Any]) -> str:
    title = _text_of(ld.get("headline")) or _meta(
        tree, 'meta[property="og:title"]', 'meta[name="twitter:title"]'
    )
    if title:
        return title
    h1 = tree.css_first("h1")
    if h1 is not None and normalize(h1.text(deep=True)):
        return normalize(h1.text(deep=True))
    node = tree.css_first("title")
    raw = normalize(node.text(deep=True)) if node is not None else ""
    return _TITLE_SUFFIX.sub("", raw) or raw


# ----- cleaning ------------------------------------------------------------------------------
def _is_boilerplate(node: LexborNode) -> bool:
    attrs = node.attributes
    if (attrs.get("role") or "").lower() in _ROLE_DROP:
        return True
    if "hidden" in attrs or (attrs.get("aria-hidden") or "").lower() == "true":
        return True
    tokens = set(_TOKEN_SPLIT.split(f"{attrs.get('class') or ''} {attrs.get('id') or ''}".lower()))
    return bool(tokens & _BOILERPLATE_TOKENS)


_DROP_SELECTOR = ", ".join(_DROP_TAGS)
_ATTR_SELECTOR = "[class], [id], [role], [hidden], [aria-hidden]"


def _clean(tree: LexborHTMLParser) -> None:
    """Remove the parts of a page that change between fetches without the article changing."""
    root = tree.root
    if root is None:
        return
    doomed = list(root.css(_DROP_SELECTOR))
    body = tree.body
    if body is not None:
        doomed += [node for node in body.css(_ATTR_SELECTOR) if _is_boilerplate(node)]
    # ``decompose`` frees a node's whole subtree: delete only the outermost doomed nodes, so
    # no freed descendant is touched afterwards.
    marked = {node.mem_id for node in doomed}
    outermost = {}
    for node in doomed:
        parent = node.parent
        while parent is not None and parent.mem_id not in marked:
            parent = parent.parent
        if parent is None:
            outermost[node.mem_id] = node
    for node in outermost.values():
        node.decompose()


# ----- paragraphs ----------------------------------------------------------------------------
_LEAF = {"p", "head", "item", "code"}
_BLOCK = _LEAF | {"list", "quote", "table", "div"}


def _xml_paragraphs(xml: str) -> list[str]:
    """The block texts of trafilatura's XML output, in document order."""
    root = etree.fromstring(xml.encode("utf-8"))
    main = root.find("main")
    if main is None:
        return []
    out: list[str] = []

    def walk(element: etree._Element) -> None:
        children = [c for c in element if isinstance(c.tag, str)]
        if element.tag in _LEAF or not any(c.tag in _BLOCK for c in children):
            for lb in element.iter("lb"):
                lb.text = " "
            out.append("".join(element.itertext()))
            return
        for child in children:
            walk(child)

    for child in main:
        if isinstance(child.tag, str):
            walk(child)
    return out


def _rule_for(url: str | None) -> str | None:
    host = (urlsplit(url).hostname or "").lower() if url else ""
    for suffix, selector in SITE_RULES.items():
        if host == suffix or host.endswith("." + suffix):
            return selector
    return None


def _generic_paragraphs(cleaned_html: str, url: str | None) -> list[str]:
    import trafilatura  # imported lazily: ~0.3 s, and only extraction needs it

    xml = trafilatura.extract(
        cleaned_html,
        url=url,
        output_format="xml",
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        with_metadata=False,
        deduplicate=False,
        fast=True,  # no fallback extractors: faster, and the same page gives the same path
    )
    return _xml_paragraphs(xml) if xml else []


def _is_furniture(text: str, title: str, byline: str | None) -> bool:
    lowered = text.casefold().rstrip(":")
    if lowered in _JUNK or _RELATIVE_TIME.match(text):
        return True
    if text == title:
        return True
    return bool(byline) and lowered in {byline.casefold(), f"by {byline.casefold()}"}


def extract(html: str | bytes, url: str | None = None) -> ArticleText:
    """The article in a page: title, byline, published date (ISO, as given) and paragraphs.

    ``url`` selects a site rule, if one exists. Bytes are decoded with ``decode_html`` (which
    may raise ``CharsetError``). The result is normalised text; an empty ``paragraphs`` means
    nothing article-like was found (see ``collapse_reason``).
    """
    if isinstance(html, bytes):
        html = decode_html(html)
    tree = LexborHTMLParser(html)
    ld = _news_ld(tree)
    title = _title(tree, ld)
    byline = _join_names(_authors(ld.get("author"))) or _meta(
        tree, 'meta[name="author"]', 'meta[property="article:author"]'
    )
    if byline and byline.lower().startswith("by "):
        byline = byline[3:].strip() or None
    published = _text_of(ld.get("datePublished")) or _meta(
        tree,
        'meta[property="article:published_time"]',
        'meta[itemprop="datePublished"]',
        'time[itemprop="datePublished"]',
    )
    _clean(tree)
    paragraphs: list[str] = []
    selector = _rule_for(url)
    if selector:
        paragraphs = [node.text(deep=True) for node in tree.css(selector)]
        if sum(len(p.split()) for p in paragraphs) < MIN_WORDS:
            paragraphs = []
    if not paragraphs:
        paragraphs = _generic_paragraphs(tree.html or "", url)
    kept: list[str] = []
    for raw in paragraphs:
        text = normalize(raw)
        if text and not _is_furniture(text, title, byline):
            kept.append(text)
    return ArticleText(title=title, byline=byline, published=published, paragraphs=tuple(kept))


def collapse_reason(text: ArticleText, previous_words: int | None = None) -> str | None:
    """Why an extraction is not a real version (a wall or error page), or None if it is.

    No paragraphs, a first version under ``MIN_WORDS`` words, or a text that shrank below
    ``COLLAPSE_RATIO`` of a previous version of at least ``COLLAPSE_FLOOR`` words
    (``previous_words``: the latest stored version's word count; None for a first version).
    """
    words = text.word_count
    if not text.paragraphs:
        return "no article text found on the page (a paywall, consent wall or error page?)"
    if previous_words is None:
        if words < MIN_WORDS:
            return (
                f"only {words} words of article text found (a paywall, consent wall or error page?)"
            )
        return None
    before = previous_words
    if before >= COLLAPSE_FLOOR and words < before * COLLAPSE_RATIO:
        return (
            f"article text collapsed to {words} words from {before} "
            "(a paywall, consent wall or error page?); not stored as a version"
        )
    return None
