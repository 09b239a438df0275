"""diffengine's SQLite database (peewee) -> imported articles.

diffengine keeps one ``entry`` per tracked URL and one ``entryversion`` per distinct text it
saw, with the page's title, its readability summary cleaned down to ``<p>`` tags
(``summary``), when it was seen (``created``) and, often, a Wayback Machine snapshot
(``archive_url``). ``feedentry`` ties entries to the ``feed`` they came from. Its ``diff``
table is not read: diffs are recomputed from the texts.

Each entry version becomes a version of the entry's URL: ``origin_ref`` ``diffengine:<id>``,
``origin_url`` its archive link when that is an http(s) URL. The summary's paragraphs are its
``<p>`` elements (text outside them, as bleach may leave, is a paragraph of its own; scripts
and styles are dropped, entities decoded).
"""

from __future__ import annotations

from collections.abc import Iterator

import lxml.html
from lxml.etree import ParserError, _Element

from newsdiff_tui.importers.base import (
    ArticleProblem,
    BadRow,
    ImportedArticle,
    ImportOptions,
    article_url,
    articles_or_problems,
    grouped,
    imported_text,
    in_time_order,
    link_url,
    parse_time,
)
from newsdiff_tui.importers.sqlitesrc import SQLiteSource
from newsdiff_tui.textnorm import strip_control

__all__ = ["html_paragraphs", "read"]

FORMAT = "diffengine"
REQUIRED = {
    "entry": ("id", "url", "created"),
    "entryversion": ("id", "title", "url", "summary", "created", "archive_url", "entry_id"),
}
# Elements whose text is never article text, and elements that end a paragraph.
_SKIPPED = frozenset({"script", "style", "template", "noscript", "head", "title"})
_BLOCKS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "pre"}
    | {"blockquote", "section", "article", "table", "tr", "figure", "figcaption"}
)


def read(source: str, options: ImportOptions) -> Iterator[ImportedArticle | ArticleProblem]:
    """The entries of a diffengine database, one article each (entries with no version are
    left out: there is nothing to import)."""
    with SQLiteSource(source, fmt=FORMAT) as db:
        db.require(REQUIRED)
        feeds = _feeds(db)
        rows = db.rows(
            "SELECT ev.entry_id, ev.id, ev.title, ev.summary, ev.created, ev.archive_url, "
            "e.id, e.url, e.created "
            "FROM entryversion ev LEFT JOIN entry e ON e.id = ev.entry_id "
            "ORDER BY ev.entry_id, ev.id"
        )

        def build(group: list[tuple]) -> ImportedArticle:
            """One article from its group of entry-version rows."""
            return _article(group, feeds, options)

        yield from articles_or_problems(grouped(rows), build, lambda g: f"entry {g[0][0]}")


def _feeds(db: SQLiteSource) -> dict[object, object]:
    """entry id -> the URL of the first feed it was found in (when the tables are there)."""
    if not (db.has("feed") and db.has("feedentry")):
        return {}
    if not {"feed_id", "entry_id"} <= db.columns("feedentry"):
        return {}
    # peewee's Feed has its URL as primary key; an older schema may have an integer id.
    key = "id" if "id" in db.columns("feed") else "url"
    found: dict[object, object] = {}
    for entry_id, url in db.rows(
        f"SELECT fe.entry_id, f.url FROM feedentry fe JOIN feed f ON f.{key} = fe.feed_id"
    ):
        found.setdefault(entry_id, url)
    return found


def _article(
    group: list[tuple], feeds: dict[object, object], options: ImportOptions
) -> ImportedArticle:
    """The article of one group of entry-version rows, its paragraphs from each summary's HTML."""
    entry_id, _, _, _, _, _, found_id, entry_url, entry_created = group[0]
    if found_id is None:
        raise BadRow(f"its versions refer to an entry that is not in the {FORMAT} database")
    url = article_url(entry_url, "the entry's url")
    zone = options.timezone
    texts = []
    for _, version_id, title, summary, created, archive_url, _, _, _ in group:
        what = f"entry version {version_id}"
        texts.append(
            imported_text(
                title,
                html_paragraphs(summary),
                parse_time(created, f"{what}: 'created'", zone),
                f"{FORMAT}:{version_id}",
                link=link_url(archive_url, f"{what}: 'archive_url'"),
            )
        )
    feed = feeds.get(entry_id)
    first_seen = parse_time(entry_created, "the entry's 'created'", zone) if entry_created else None
    return ImportedArticle(
        url=url,
        texts=in_time_order(texts),
        where=f"entry {entry_id}",
        feed_url=link_url(feed, "its feed's url") if feed else None,
        first_seen=first_seen,
    )


def html_paragraphs(html: object) -> list[str]:
    """The paragraphs of an HTML fragment: each ``<p>`` (or other block), and each run of text
    between blocks, as plain text (entities decoded, scripts and styles dropped)."""
    text = strip_control(html if isinstance(html, str) else "" if html is None else str(html))
    if not text.strip():
        return []
    try:
        root = lxml.html.fragment_fromstring(text, create_parent="div")
    except (ParserError, ValueError):
        return []
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        """End the current run of text as a paragraph (whitespace collapsed), if it has any."""
        paragraph = " ".join("".join(run).split())
        if paragraph:
            out.append(paragraph)
        run.clear()

    def walk(element: _Element) -> None:
        """Gather the text of ``element`` into runs, ending a paragraph at each block's edges."""
        tag = element.tag if isinstance(element.tag, str) else ""
        block = tag.lower() in _BLOCKS
        if block:
            flush()
        if tag and tag.lower() not in _SKIPPED:
            run.append(element.text or "")
            for child in element:
                walk(child)
                run.append(child.tail or "")
        if block:
            flush()

    walk(root)
    flush()
    return out
