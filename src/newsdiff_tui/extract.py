"""HTML -> ArticleText: the article's title, byline, date and paragraphs, stable across fetches.

Pure and CPU-bound (the tracker runs ``extract`` in a process pool). Steps:

1. Metadata from what the page states about itself (``extract_meta``): JSON-LD, then
   ``<meta>`` tags, then the markup (``<h1>``, ``<title>``, author elements).
2. Cleaning (``extract_clean``): labelled widgets that change between fetches (ads, share
   tools, related lists, "Updated N minutes ago", consent banners) are removed, but never a
   block that holds the article, whatever its class says.
3. Paragraphs: a per-site rule where the generic result is poor (``SITE_RULES``), else
   trafilatura's main-content extraction of the cleaned page (tables included, a row per
   paragraph: figures in a table are article text). Checks: if the cleaned page gives less
   than a first version needs, the page as served is extracted instead; the lead the page
   shows (a block whose text is its description) is put first when extraction left it out;
   if JSON-LD ``articleBody`` states at least twice as many words as were found, it is used.
4. Paragraphs that are page furniture ("Advertisement", "Updated 5 minutes ago", the title
   repeated, the byline line) are dropped.

``explain`` returns every decision (for ``extract --explain``); ``collapse_reason`` tells a page
with no article (a wall or an error page, or a text that collapsed) from a real version, and
names the rule that refused it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml.etree import _Element

from newsdiff_tui.extract_charset import CharsetError, decode_html
from newsdiff_tui.extract_clean import Block, clean_page, reading_words
from newsdiff_tui.extract_meta import PageMeta, article_body_paragraphs, page_meta
from newsdiff_tui.model import ArticleText
from newsdiff_tui.textnorm import normalize

__all__ = [
    "MIN_WORDS",
    "SITE_RULES",
    "CharsetError",
    "Explanation",
    "collapse_reason",
    "decode_html",
    "explain",
    "extract",
]

MIN_WORDS = 5  # fewer words on a first version: a scrap ("Loading", "Home"), not an article
COLLAPSE_RATIO = 0.5  # a text shrinking below this share of the last version has collapsed
COLLAPSE_FLOOR = 60  # ...but only when the last version had at least this many words
WALL_MAX_WORDS = 150  # a text this short that mostly reads like a wall is one
WALL_PARAGRAPH_WORDS = 40  # ...counting the wall phrases of paragraphs this short only
ARTICLE_BODY_RATIO = 2.0  # JSON-LD articleBody this many times longer than the extraction wins
_VOID = re.compile(r"<(embed|source|track|wbr|keygen)\b([^>]*?)\s*/?>", re.IGNORECASE)
_SENTENCE_WORDS = 8  # a text this long found inside another is the same sentence, not a word

# Per-site paragraph XPaths, for sites whose markup trafilatura handles poorly. A rule is
# used only when it finds real text; otherwise the generic extraction runs.
SITE_RULES: dict[str, str] = {
    "nytimes.com": './/section[@name="articleBody"]//p',
    "bbc.co.uk": './/*[@data-component="text-block"]//p',
    "bbc.com": './/*[@data-component="text-block"]//p',
}

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
# Phrases of pages that stand in for an article: consent and pay walls, bot checks, errors.
_WALL_PHRASES = (
    r"we use cookies",
    r"(?:accept|reject|manage)(?: all)? cookies",
    r"cookie (?:settings|policy|preferences)",
    r"we value your privacy",
    r"your privacy choices",
    r"before you continue",
    r"(?:subscribe|sign in|log in|register|sign up)(?: now)? (?:to|for) "
    r"(?:continue|read|access|unlock|keep reading)",
    r"already a subscriber",
    r"enable javascript",
    r"requires? javascript",
    r"javascript is (?:disabled|required)",
    r"are you a robot",
    r"not a robot",
    r"(?:complete|solve|enter) the captcha",
    r"access denied",
    r"403 forbidden",
    r"(?:page|article|story) (?:was )?(?:not found|cannot be found|could not be found"
    r"|is no longer available)",
    r"(?:we )?(?:could not|couldn't|cannot|can't) find (?:that|this|the) page",
    r"404 not found",
    r"error 404",
    r"something went wrong",
    r"not available in your (?:country|region)",
    r"ad ?blocker",
    r"please wait while",
)
_WALL = re.compile(r"\b(?:" + "|".join(_WALL_PHRASES) + r")\b", re.IGNORECASE)


@dataclass(frozen=True)
class Explanation:
    """How a page's text came out: what cleaning removed, which rule gave the paragraphs,
    which paragraphs were dropped as furniture, and whether the page is refused (and why)."""

    text: ArticleText
    extractor: str
    byline_source: str
    removed: tuple[Block, ...] = ()
    spared: tuple[Block, ...] = ()
    dropped: tuple[tuple[str, str], ...] = field(default=())  # (paragraph, why)
    refused: str | None = None


# ----- paragraphs ----------------------------------------------------------------------------
_LEAF = {"p", "head", "item", "code"}
_BLOCK = _LEAF | {"list", "quote", "table", "div", "row", "cell"}
# Elements of trafilatura's output that end a run of text: their text never runs into the next.
_SPACED = _BLOCK | {"lb", "cell", "row", "graphic"}


def _block_text(element: _Element) -> str:
    """An output block's text, with a space wherever two of its inner blocks meet."""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str):
            space = " " if child.tag in _SPACED else ""
            parts += (space, _block_text(child), space)
        parts.append(child.tail or "")
    return "".join(parts)


def _body_paragraphs(main: _Element) -> list[str]:
    """The block texts of trafilatura's output tree, in document order."""
    out: list[str] = []

    def walk(element: _Element) -> None:
        """Collect one paragraph per innermost block (a row of plain cells counts as one)."""
        children = [c for c in element if isinstance(c.tag, str)]
        if element.tag == "row" and not any(
            c.tag in _BLOCK for cell in children for c in cell if isinstance(c.tag, str)
        ):
            out.append(_block_text(element))  # a table row of plain cells: one paragraph
            return
        if element.tag in _LEAF or not any(c.tag in _BLOCK for c in children):
            out.append(_block_text(element))
            return
        for child in children:
            walk(child)

    for child in main:
        if isinstance(child.tag, str):
            walk(child)
    return out


def _trafilatura_paragraphs(page: str | _Element, url: str | None) -> list[str]:
    """trafilatura's main text of a page (a parsed tree or HTML), as paragraphs."""
    import trafilatura  # imported lazily: ~0.3 s, and only extraction needs it

    document = trafilatura.bare_extraction(
        page,
        url=url,
        output_format="xml",  # keeps the result a tree: no serialising and parsing again
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        with_metadata=False,
        deduplicate=False,
        fast=True,  # no fallback extractors: faster, and the same page gives the same path
    )
    body = getattr(document, "body", None)
    return _body_paragraphs(body) if body is not None else []


def _site_rule(url: str | None) -> tuple[str, str] | None:
    """The ``SITE_RULES`` entry (host suffix, XPath) for ``url``'s host, if there is one."""
    host = (urlsplit(url).hostname or "").lower() if url else ""
    for suffix, xpath in SITE_RULES.items():
        if host == suffix or host.endswith("." + suffix):
            return suffix, xpath
    return None


def _count(paragraphs: list[str]) -> int:
    """The reading words in ``paragraphs``."""
    return sum(reading_words(p) for p in paragraphs)


def _furniture(text: str, title: str, byline: str | None) -> str | None:
    """Why a paragraph is page furniture rather than article text, or None."""
    lowered = text.casefold().rstrip(":")
    if lowered in _JUNK:
        return "a page label"
    if _RELATIVE_TIME.match(text):
        return "a relative time label"
    if text == title:
        return "the title repeated"
    if byline and lowered in {byline.casefold(), f"by {byline.casefold()}"}:
        return "the byline line"
    return None


def _visible_lead(tree: _Element, description: str | None, paragraphs: list[str]) -> str | None:
    """The page's lead (standfirst), when extraction left it out: a block of the cleaned page
    whose text is exactly the page's description (extractors often drop it as a teaser)."""
    if not description or reading_words(description) < _SENTENCE_WORDS:
        return None
    if description in normalize(" ".join(paragraphs)):
        return None
    start = " ".join(description.split()[:_SENTENCE_WORDS])
    for node in tree.xpath(".//body//text()[contains(normalize-space(.), $start)]", start=start):
        block = node.getparent()
        while block is not None and len(normalize(block.text_content())) < len(description):
            block = block.getparent()
        if block is not None and normalize(block.text_content()) == description:
            return description
    return None


def _lead_before(paragraphs: list[str], stated: list[str]) -> list[str]:
    """The page's paragraphs before the first one that ``stated`` holds: a kicker or a lead
    that JSON-LD ``articleBody`` leaves out (all of them when it holds none)."""
    body, exact = " ".join(stated), set(stated)
    lead = []
    for paragraph in paragraphs:
        text = normalize(paragraph)
        if text in exact or (reading_words(text) >= _SENTENCE_WORDS and text in body):
            break
        lead.append(paragraph)
    return lead


def _load(html: str) -> _Element | None:
    """The page parsed as trafilatura parses it, with HTML5 void elements closed first."""
    from trafilatura.utils import load_html  # lazy, as above

    return load_html(_close_void_elements(html))


def _close_void_elements(html: str) -> str:
    """``<embed ...>`` -> ``<embed .../>`` (also source, track, wbr, keygen).

    libxml2's HTML parser predates HTML5 and reads these void elements as containers, so the
    paragraphs after an ``<embed>`` would end up inside it and be dropped with it.
    """
    return _VOID.sub(r"<\1\2/>", html)


def explain(html: str | bytes, url: str | None = None) -> Explanation:
    """Extract the article in a page and say how (see the module docstring).

    ``url`` selects a site rule, if one exists. Bytes are decoded with ``decode_html`` (which
    may raise ``CharsetError``).
    """
    if isinstance(html, bytes):
        html = decode_html(html)
    tree = _load(html)
    if tree is None:
        text = ArticleText(title="")
        return Explanation(text, "none: not an HTML page", "none", refused=collapse_reason(text))
    meta = page_meta(tree)
    stated = article_body_paragraphs(meta.ld)
    cleaning = clean_page(tree, stated)
    paragraphs: list[str] = []
    extractor = ""
    rule = _site_rule(url)
    if rule:
        paragraphs = [normalize(node.text_content()) for node in tree.xpath(rule[1])]
        if _count(paragraphs) >= MIN_WORDS:
            extractor = f"site rule for {rule[0]} ({rule[1]})"
        else:
            paragraphs = []
    if not extractor:
        paragraphs = _trafilatura_paragraphs(tree, url)
        extractor = "trafilatura's main-content rules on the cleaned page"
        found = _count(paragraphs)
        if found < MIN_WORDS:
            served = _trafilatura_paragraphs(_close_void_elements(html), url)
            if _count(served) > found:
                paragraphs = served
                extractor = (
                    f"trafilatura on the page as served (the cleaned page gave {found} words)"
                )
    lead = _visible_lead(tree, meta.description, paragraphs)
    if lead:
        paragraphs = [lead, *paragraphs]
        extractor += "; the lead that the page shows and its description states, first"
    found, stated_words = _count(paragraphs), _count(stated)
    if stated_words >= MIN_WORDS and stated_words >= ARTICLE_BODY_RATIO * found:
        lead = _lead_before(paragraphs, stated)
        paragraphs = lead + stated
        extractor = f"JSON-LD articleBody ({stated_words} words; the page gave {found})" + (
            f", after the page's {len(lead)} leading paragraphs that it lacks" if lead else ""
        )
    return _finish(meta, paragraphs, extractor, cleaning.removed, cleaning.spared)


def _finish(
    meta: PageMeta, paragraphs: list[str], extractor: str, removed: list, spared: list
) -> Explanation:
    """The Explanation of an extraction: paragraphs normalised, page furniture dropped (and why),
    and the collapse verdict."""
    kept: list[str] = []
    dropped: list[tuple[str, str]] = []
    for raw in paragraphs:
        text = normalize(raw)
        if not text:
            continue
        why = _furniture(text, meta.title, meta.byline)
        if why:
            dropped.append((text, why))
        else:
            kept.append(text)
    text = ArticleText(
        title=meta.title, byline=meta.byline, published=meta.published, paragraphs=tuple(kept)
    )
    return Explanation(
        text=text,
        extractor=extractor,
        byline_source=meta.byline_source,
        removed=tuple(removed),
        spared=tuple(spared),
        dropped=tuple(dropped),
        refused=collapse_reason(text),
    )


def extract(html: str | bytes, url: str | None = None) -> ArticleText:
    """The article in a page: title, byline, published date (ISO, as given) and paragraphs.

    ``url`` selects a site rule, if one exists. Bytes are decoded with ``decode_html`` (which
    may raise ``CharsetError``). The result is normalised text; an empty ``paragraphs`` means
    nothing article-like was found (see ``collapse_reason``).
    """
    return explain(html, url).text


# ----- refusing ------------------------------------------------------------------------------
def _reads_like_a_wall(text: ArticleText, words: int) -> bool:
    """A short text most of whose words are in consent/pay-wall or error-page sentences, or
    whose title itself reads like one ("Page Not Found", "Access Denied")."""
    if words >= WALL_MAX_WORDS:
        return False
    if _WALL.search(text.title):
        return True
    walled = 0
    for paragraph in text.paragraphs:
        count = reading_words(paragraph)
        if count <= WALL_PARAGRAPH_WORDS and _WALL.search(paragraph):
            walled += count
    return walled * 2 >= words


def collapse_reason(text: ArticleText, previous_words: int | None = None) -> str | None:
    """Why an extraction is not a real version (a page with no article), or None if it is.

    Rules, each named in its message: *no text* (no paragraphs); *wall* (a short text that
    mostly reads like a consent wall, paywall, bot check or error page); *word floor* (a
    first version under ``MIN_WORDS`` words, CJK characters counted two to a word); *collapse*
    (a text that shrank below ``COLLAPSE_RATIO`` of a previous version of at least
    ``COLLAPSE_FLOOR`` words; ``previous_words``: the latest stored version's word count).
    """
    if not text.paragraphs:
        return (
            "no article text found on the page "
            "(rule: no text; a paywall, consent wall or error page?)"
        )
    words = reading_words(" ".join(text.paragraphs))
    if _reads_like_a_wall(text, words):
        return (
            f"the page reads like a consent wall, paywall or error page, not an article "
            f"(rule: wall; {words} words)"
        )
    if previous_words is None:
        if words < MIN_WORDS:
            return (
                f"only {words} word{'' if words == 1 else 's'} of article text found "
                f"(rule: word floor, {MIN_WORDS} for a first version)"
            )
        return None
    now = text.word_count  # the same measure as ``previous_words``
    if previous_words >= COLLAPSE_FLOOR and now < previous_words * COLLAPSE_RATIO:
        return (
            f"article text collapsed to {now} words from {previous_words} "
            "(rule: collapse; a paywall, consent wall or error page?); not stored as a version"
        )
    return None
