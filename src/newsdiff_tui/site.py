"""The static site: ``--export all --format html -o DIR`` writes a NewsDiffs-style folder.

Layout (every link relative, so the folder works from disk and from any static host)::

    index.html                    the articles, most recently changed first, source filter links
    source-<name>.html            the same list for one source
    changes.atom                  Atom feed of the latest changes (linked by the index)
    articles/<id>.html            an article: every version, every consecutive pair's diff
    articles/<id>.atom            that article's own feed of changes (``export.render_atom``)
    articles/<id>-v<i>-v<j>.html  a pre-rendered comparison of two versions that are not
                                  neighbours: each version against the first and against the
                                  latest (at most 2n - 3 pages for n versions; any other pair
                                  is one ``newsdiff-tui diff ARTICLE@i ARTICLE@j`` away)

Re-running rewrites only what changed: a manifest (``.newsdiff-site.json``) records, per
article, a key of everything its pages are made from and the hash of each file written; an
article whose key and files are unchanged is not even rendered, and any file is written (always
atomically) only when its bytes differ, so unchanged files keep their bytes and mtime. Files the
site wrote before and no longer produces (an article no longer selected, a comparison with a
former latest version) are removed; nothing the manifest does not list is ever touched.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsdiff_tui.difftext import stats_summary
from newsdiff_tui.errors import NewsdiffError
from newsdiff_tui.export import (
    Change,
    ExportError,
    atom_time,
    change_html,
    changes,
    render_atom,
    slugify,
    tag_uri,
    utc_time,
    write_atomic,
    xml_text,
)
from newsdiff_tui.export_html import (
    SiteLinks,
    esc,
    page,
    pair_anchor,
    render_compare,
    render_html,
)
from newsdiff_tui.model import Article, Version
from newsdiff_tui.storage import read_json_file
from newsdiff_tui.store import Store
from newsdiff_tui.textnorm import plural
from newsdiff_tui.timeutil import to_iso
from newsdiff_tui.urls import url_problem

INDEX = "index.html"
FEED = "changes.atom"
ARTICLES = "articles"
MANIFEST = ".newsdiff-site.json"
#: Entries in ``changes.atom``: the latest changes across the site's articles.
FEED_ENTRIES = 100
#: Bump when the pages' layout changes, so that a re-run renders every article again.
RENDER_VERSION = 1
_MANIFEST_FORMAT = "newsdiff-tui/site"
# What the site may have written: only files of these shapes are ever removed.
_OWN_FILE = re.compile(
    r"(?:index\.html|changes\.atom|source-[a-z0-9-]+\.html"
    r"|articles/[A-Za-z0-9_-]+(?:-v\d+-v\d+)?\.(?:html|atom))"
)
_SAFE_ID = re.compile(r"[A-Za-z0-9_]{1,64}")


@dataclass
class SiteReport:
    """What a build did: files written, left as they were and removed (paths relative to the
    site's folder), and notes for the user (e.g. an unreadable manifest)."""

    directory: Path
    articles: int = 0
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """One line for the CLI."""
        return (
            f"site of {plural(self.articles, 'article')} in {self.directory}: "
            f"{len(self.written)} written, {self.unchanged} unchanged, "
            f"{len(self.removed)} removed"
        )


def compare_pairs(numbers: Sequence[int]) -> list[tuple[int, int]]:
    """The pairs of versions given a page of their own: each version against the first and
    against the latest, leaving out neighbours (their diff is on the article page)."""
    ordered = sorted(numbers)
    if len(ordered) < 3:
        return []
    first, last = ordered[0], ordered[-1]
    pairs = {(first, v) for v in ordered[2:]} | {(v, last) for v in ordered[:-2]}
    return sorted(pairs)


def article_stem(article: Article) -> str:
    """The file name stem of an article's pages: its id when that is a safe name (it always
    is for ids the store makes), else a hash of it."""
    if _SAFE_ID.fullmatch(article.id):
        return article.id
    return "x" + hashlib.sha256(article.id.encode("utf-8")).hexdigest()[:16]


def source_pages(sources: Iterable[str]) -> dict[str, str]:
    """A safe, unique page name per source: ``source-<slug>.html`` (a hash settles clashes)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for source in sorted(set(sources)):
        slug = slugify(source) or "unnamed"
        if slug in taken:
            slug = f"{slug}-{hashlib.sha256(source.encode('utf-8')).hexdigest()[:8]}"
        taken.add(slug)
        names[source] = f"source-{slug}.html"
    return names


def _last_change(article: Article) -> datetime:
    """When the article last changed, or was first seen if it never did."""
    return article.last_changed or article.first_seen


def _by_last_change(articles: Iterable[Article]) -> list[Article]:
    """Most recently changed first; ties by id, so the order never depends on the input's."""
    ordered = sorted(articles, key=lambda a: a.id)
    return sorted(ordered, key=_last_change, reverse=True)


# ----- the index and source pages -----------------------------------------------------------


def listing_page(
    articles: Sequence[Article],
    sources: dict[str, str],
    counts: dict[str, int],
    *,
    current: str | None = None,
) -> str:
    """The index (``current`` None) or one source's page: articles by last change."""
    heading = (
        f"Changes to {plural(len(articles), 'tracked article')}"
        if current is None
        else f"Changes to {plural(len(articles), 'article')} from {current}"
    )
    total = sum(max(a.version_count - 1, 0) for a in articles)
    latest = f"; the latest {utc_time(_last_change(articles[0]))}" if articles else ""
    body = [
        f"<h1>{esc(heading)}</h1>",
        f'<p class="about">{esc(plural(total, "change"))} in all{esc(latest)}. '
        f'<a href="{FEED}">Atom feed of the latest changes</a>.</p>',
        _source_nav(sources, counts, current),
        '<table class="index"><thead><tr><th>Last change</th><th>Source</th>'
        '<th>Article</th><th class="n">Changes</th></tr></thead><tbody>',
    ]
    for article in articles:
        source = esc(article.source)
        if article.source in sources and article.source != current:
            source = f'<a href="{sources[article.source]}">{source}</a>'
        href = f"{ARTICLES}/{article_stem(article)}.html"
        title = esc(article.title or article.url)
        body.append(
            f"<tr><td>{esc(utc_time(_last_change(article)))}</td><td>{source}</td>"
            f'<td><a href="{href}">{title}</a></td>'
            f'<td class="n">{max(article.version_count - 1, 0)}</td></tr>'
        )
    body.append("</tbody></table>")
    nav = (("index.html", "All articles"),) if current is not None else ()
    return page(heading, body, nav=nav, feed=(FEED, "Latest changes"))


def _source_nav(sources: dict[str, str], counts: dict[str, int], current: str | None) -> str:
    """Links to every source's page (and back to all), the current one not a link."""
    all_count = sum(counts.values())
    items = [
        f"<strong>All ({all_count})</strong>"
        if current is None
        else f'<a href="{INDEX}">All ({all_count})</a>'
    ]
    for source, name in sources.items():
        label = f"{esc(source)} ({counts.get(source, 0)})"
        items.append(
            f'<strong aria-current="page">{label}</strong>'
            if source == current
            else f'<a href="{name}">{label}</a>'
        )
    return '<nav class="sources">Sources: ' + " ".join(items) + "</nav>"


# ----- the feed of changes ------------------------------------------------------------------


def render_changes_feed(
    entries: Sequence[tuple[Article, Change]], *, scope: str | None, updated: datetime
) -> str:
    """An Atom feed of changes across articles, newest first; links relative to the site.

    Entries keep the ids of the per-article feeds (``export.render_atom``): the same change
    is the same entry wherever a reader meets it.
    """
    label = f" from {scope}" if scope else ""
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"  <id>tag:newsdiff-tui,2024:changes{xml_text('/' + scope if scope else '')}</id>",
        f"  <title>Latest changes to tracked articles{xml_text(label)}</title>",
        f'  <link rel="alternate" type="text/html" href="{INDEX}"/>',
        f"  <updated>{atom_time(updated)}</updated>",
        "  <author><name>newsdiff-tui</name></author>",
        "  <generator>newsdiff-tui</generator>",
    ]
    for article, change in entries:
        page_href = (
            f"{ARTICLES}/{article_stem(article)}.html"
            f"#{pair_anchor(change.old.number, change.new.number)}"
        )
        title = f"{change.new.text.title or article.title or article.url}: {change.heading}"
        out += [
            "  <entry>",
            f"    <id>{tag_uri(article, f'/v{change.new.number}')}</id>",
            f"    <title>{xml_text(title)}</title>",
            f"    <updated>{atom_time(change.new.fetched_at)}</updated>",
            f'    <link rel="alternate" type="text/html" href="{page_href}"/>',
        ]
        if url_problem(article.url) is None:
            out.append(f'    <link rel="related" href="{xml_text(article.url)}"/>')
        out += [
            f"    <author><name>{xml_text(article.source)}</name></author>",
            f"    <summary>{xml_text(stats_summary(change.diff))}</summary>",
            f'    <content type="html">{html.escape(change_html(change), quote=False)}</content>',
            "  </entry>",
        ]
    out.append("</feed>")
    return "\n".join(out) + "\n"


# ----- building -----------------------------------------------------------------------------


class _Site:
    """One build of the site in ``directory``: writes what differs, records it, prunes."""

    def __init__(self, directory: Path, report: SiteReport) -> None:
        """A site written to ``directory``, reading the manifest of the previous export there."""
        self.directory = directory
        self.report = report
        self.old_manifest = self._read_manifest()

    def _read_manifest(self) -> dict[str, Any]:
        """The last build's manifest, or an empty one (noted) when it is missing or unusable."""
        try:
            data = read_json_file(self.directory / MANIFEST)
        except NewsdiffError as exc:
            self.report.notes.append(f"ignored the site manifest: {exc}")
            return {}
        if data is None:
            return {}
        if (
            not isinstance(data, dict)
            or data.get("format") != _MANIFEST_FORMAT
            or not isinstance(data.get("articles"), dict)
            or not isinstance(data.get("pages"), dict)
        ):
            self.report.notes.append(f"ignored the site manifest {MANIFEST}: not one of ours")
            return {}
        return data

    def put(self, relative: str, text: str) -> str:
        """Write ``relative`` atomically unless it holds these bytes already; its hash."""
        payload = text.encode("utf-8")
        path = self.directory / relative
        try:
            same = path.read_bytes() == payload
        except OSError:
            same = False
        if same:
            self.report.unchanged += 1
        else:
            write_atomic(path, text)
            self.report.written.append(relative)
        return hashlib.sha256(payload).hexdigest()

    def intact(self, files: dict[str, str]) -> bool:
        """Whether every recorded file is still there with the recorded bytes."""
        for relative, digest in files.items():
            try:
                payload = (self.directory / relative).read_bytes()
            except OSError:
                return False
            if hashlib.sha256(payload).hexdigest() != digest:
                return False
        return True

    def remove(self, relatives: Iterable[str]) -> None:
        """Delete files an earlier build wrote and this one no longer produces."""
        for relative in sorted(relatives):
            if not _OWN_FILE.fullmatch(relative):
                continue  # a manifest edited by hand never makes us delete other files
            try:
                (self.directory / relative).unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise ExportError(
                    f"cannot remove {self.directory / relative}: {exc.strerror}"
                ) from None
            self.report.removed.append(relative)


def _article_key(article: Article, now: datetime | None) -> str:
    """Everything an article's pages are made from, as a hash: the index entry (which changes
    with every version and check), the renderer's version and the status time."""
    material = repr((RENDER_VERSION, article, to_iso(now)))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _article_files(
    article: Article,
    versions: Sequence[Version],
    now: datetime | None,
    sources: dict[str, str],
) -> dict[str, str]:
    """Every file of one article: its page, its feed and its comparison pages (path -> text)."""
    stem = article_stem(article)
    pairs = set(compare_pairs([v.number for v in versions]))

    def compare(old: int, new: int) -> str | None:
        """The comparison page of versions ``old`` and ``new``, if the site has one."""
        return f"{stem}-v{old}-v{new}.html" if (old, new) in pairs else None

    nav = [("../index.html", "All articles")]
    if article.source in sources:
        nav.append((f"../{sources[article.source]}", f"More from {article.source}"))
    links = SiteLinks(nav=tuple(nav), feed=f"{stem}.atom", article=f"{stem}.html", compare=compare)
    files = {
        f"{ARTICLES}/{stem}.html": render_html(article, versions, now=now, links=links),
        f"{ARTICLES}/{stem}.atom": render_atom(article, versions),
    }
    back = SiteLinks(nav=(*links.nav, (f"{stem}.html", "This article")), article=f"{stem}.html")
    for old, new in sorted(pairs):
        files[f"{ARTICLES}/{compare(old, new)}"] = render_compare(
            article, versions, old, new, links=back
        )
    return files


def _feed_entries(
    store: Store, ordered: Sequence[Article], read: dict[str, list[Version]]
) -> list[tuple[Article, Change]]:
    """The latest ``FEED_ENTRIES`` changes across ``ordered`` (most recently changed first),
    reading only as many articles as can hold one of them."""
    found: list[tuple[datetime, str, int, Article]] = []  # (time, id, position, article)
    for article in ordered:
        if len(found) >= FEED_ENTRIES and _last_change(article) < found[-1][0]:
            break
        if article.version_count < 2:
            continue
        versions = read.get(article.id)
        if versions is None:
            versions = read[article.id] = store.versions(article.id)
        found += [(v.fetched_at, article.id, i, article) for i, v in enumerate(versions) if i]
        found.sort(key=lambda item: item[:3], reverse=True)
        del found[FEED_ENTRIES:]
    return [(article, changes(read[article.id][i - 1 : i + 1])[0]) for _, _, i, article in found]


def build_site(
    store: Store,
    articles: Sequence[Article],
    directory: Path,
    *,
    scope: str | None = None,
    now: datetime | None = None,
) -> SiteReport:
    """Write (or bring up to date) the static site of ``articles`` in ``directory``.

    ``scope`` names the selection in the feed (the ``--source`` filter); ``now`` is when the
    check status is told (default: not told, since it depends on the clock). Raises
    ``ExportError`` when the directory cannot be used.
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ExportError(f"-o {directory} is a file: the site needs a directory")
    try:
        (directory / ARTICLES).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create the directory {directory}: {exc.strerror}") from None
    report = SiteReport(directory=directory, articles=len(articles))
    site = _Site(directory, report)
    ordered = _by_last_change(articles)
    sources = source_pages(a.source for a in ordered)
    counts: dict[str, int] = {}
    for article in ordered:
        counts[article.source] = counts.get(article.source, 0) + 1

    old_articles: dict[str, Any] = site.old_manifest.get("articles", {})
    new_articles: dict[str, Any] = {}
    read: dict[str, list[Version]] = {}
    for article in ordered:
        key = _article_key(article, now)
        previous = old_articles.get(article.id)
        if (
            isinstance(previous, dict)
            and previous.get("key") == key
            and isinstance(previous.get("files"), dict)
            and site.intact(previous["files"])
        ):
            new_articles[article.id] = previous
            report.unchanged += len(previous["files"])
            continue
        versions = read[article.id] = store.versions(article.id)
        files = _article_files(article, versions, now, sources)
        new_articles[article.id] = {
            "key": key,
            "files": {path: site.put(path, text) for path, text in files.items()},
        }

    pages = {
        INDEX: listing_page(ordered, sources, counts),
        **{
            name: listing_page(
                [a for a in ordered if a.source == source], sources, counts, current=source
            )
            for source, name in sources.items()
        },
    }
    entries = _feed_entries(store, ordered, read)
    updated = max(
        [change.new.fetched_at for _, change in entries[:1]] + [a.first_seen for a in ordered],
        default=datetime(1970, 1, 1, tzinfo=UTC),
    )
    pages[FEED] = render_changes_feed(entries, scope=scope, updated=updated)
    new_pages = {path: site.put(path, text) for path, text in pages.items()}

    produced = set(new_pages) | {p for entry in new_articles.values() for p in entry["files"]}
    before = set(site.old_manifest.get("pages", {})) | {
        path
        for entry in old_articles.values()
        if isinstance(entry, dict) and isinstance(entry.get("files"), dict)
        for path in entry["files"]
    }
    site.remove(before - produced)

    manifest = {
        "format": _MANIFEST_FORMAT,
        "render_version": RENDER_VERSION,
        "pages": new_pages,
        "articles": new_articles,
    }
    if manifest != site.old_manifest:
        write_atomic(directory / MANIFEST, json.dumps(manifest, ensure_ascii=False))
    return report
