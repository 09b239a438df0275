"""How a history leaves the app: Markdown, Atom and JSON renderers and an atomic file writer.

The CLI (``--export``) and the TUI's ``e`` key both call ``export_article``; the renderers are
pure functions of an article and its versions, so the same cache always gives the same bytes
on any day: no "generated at" time, every time shown comes from the cache, and the one line
that depends on the clock (the Markdown "Checking" line: when the next check is due) appears
only when the caller passes ``now`` explicitly (``--now``). Every diff comes from
``newsdiff_tui.diff``: one engine for all.

Article text is untrusted: in Markdown every character that could start markup is
backslash-escaped, in Atom the diff's HTML is escaped once for HTML and once for XML.
"""

from __future__ import annotations

import html
import itertools
import os
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from newsdiff_tui.diff import ArticleDiff, FieldDiff, WordOp, diff
from newsdiff_tui.difftext import (
    HTML_MARKS,
    SIGNS,
    fold_unchanged,
    move_label,
    render_words,
    stats_summary,
    unchanged_note,
)
from newsdiff_tui.errors import NewsdiffError
from newsdiff_tui.history import dump_history
from newsdiff_tui.model import Article, Version
from newsdiff_tui.schedule import next_check
from newsdiff_tui.storage import atomic_write_bytes
from newsdiff_tui.store import Store
from newsdiff_tui.textnorm import strip_control
from newsdiff_tui.timeutil import humanize_delta, short_time

FORMATS: dict[str, str] = {"markdown": ".md", "json": ".json", "atom": ".atom", "html": ".html"}
ARROW = "→"
WONT_BE_CHECKED = "won't be checked again"


class ExportError(NewsdiffError):
    """An export that cannot be written (bad path, unknown format); the message says why."""


# ----- the changes of a history -------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One step of a history: a version, the one before it, and the diff between them."""

    old: Version
    new: Version
    diff: ArticleDiff

    @property
    def gap(self) -> str:
        """The time between the two versions as people say it: '32 minutes'."""
        return humanize_delta((self.new.fetched_at - self.old.fetched_at).total_seconds())

    @property
    def heading(self) -> str:
        """'Version 0 → Version 1, 32 minutes later', plus a boring or revert label."""
        text = f"Version {self.old.number} {ARROW} Version {self.new.number}, {self.gap} later"
        return text + "".join(f" ({label})" for label in self.labels)

    @property
    def labels(self) -> list[str]:
        """Short labels for versions the UI marks: boring changes and reverts."""
        labels = []
        if self.new.revert_of is not None:
            labels.append(f"reverts to version {self.new.revert_of}")
        if self.new.boring:
            labels.append("boring")
        return labels


def changes(versions: Sequence[Version]) -> list[Change]:
    """Each version diffed against the one before it, oldest first."""
    ordered = sorted(versions, key=lambda v: v.number)
    # No time budget: a deadline would make the output depend on the machine's speed, and the
    # same cache must give the same bytes; the engine's own step bounds keep every diff finite.
    return [
        Change(a, b, diff(a.text, b.text, timeout=None)) for a, b in itertools.pairwise(ordered)
    ]


def check_status(article: Article, now: datetime) -> str:
    """What the scheduler says at ``now`` about the next check (never the clock's own time:
    exports must not change as days pass)."""
    when = next_check(article, now=now)
    return WONT_BE_CHECKED if when is None else f"next check due {utc_time(when)}"


def utc_time(moment: datetime) -> str:
    """A timestamp for people, always in UTC so that exports do not depend on the machine."""
    return f"{short_time(moment)} UTC"


def provenance(version: Version) -> str | None:
    """Where a version's text was seen, for people; None for our own (live) fetches."""
    if version.origin == "wayback":
        when = utc_time(version.fetched_at)
        return f"Version {version.number}: archived by the Wayback Machine on {when}"
    if version.origin == "import":
        ref = f" (original id {version.origin_ref})" if version.origin_ref else ""
        return f"Version {version.number}: imported from another tracker{ref}"
    return None


def _provenance_of(change: Change) -> list[Version]:
    """The versions a change section names the origin of: the new one, and v0 in the first."""
    return [change.old, change.new] if change.old.number == 0 else [change.new]


def _md_provenance(version: Version) -> list[str]:
    """A Markdown line (and blank) saying where a non-live version came from, with its link."""
    label = provenance(version)
    if label is None:
        return []
    link = f" {_md_url(version.origin_url)}" if version.origin_url else ""
    return [f"_{md_escape(label)}_{link}", ""]


def _folded(count: int) -> str:
    """The note that stands for a run of unchanged paragraphs."""
    return f"… {unchanged_note(count)} …"


# ----- Markdown -----------------------------------------------------------------------------

# Characters that can start inline markup or HTML anywhere in a line ('!' only matters before
# '[', which is escaped); '#' and '>' only at the start of a line, but ATX headings also strip
# trailing '#'s, so those are escaped everywhere. '&' only where it would start an entity.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~#]|&(?=#?[A-Za-z0-9]+;))")
# Block markers that only count at the start of a line: list bullets, setext underlines,
# ordered-list numbers ("2019. It was" would become a list item numbered 2019).
_MD_START = re.compile(r"^([-+=])|^(\d{1,9})([.)])")
_SPACE = re.compile(r"\s+")


def md_escape(text: str) -> str:
    """Untrusted text as Markdown that renders to exactly that text and never to markup."""
    return _md_line_start(_md_inline(text).strip())


def _md_inline(text: str) -> str:
    """Untrusted text as Markdown for the middle of a line: whitespace runs made one space
    (a newline could start a block), inline markup characters escaped, nothing stripped."""
    text = _SPACE.sub(" ", strip_control(unicodedata.normalize("NFC", text)))
    return _MD_INLINE.sub(r"\\\1", text)


def _md_line_start(line: str) -> str:
    """Escape what would start a block (list item, setext underline) at the start of a line."""
    return _MD_START.sub(
        lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}", line
    )


def _md_words(words: Sequence[WordOp]) -> str:
    """A word diff inline: deletions in <del>, insertions in <ins>, with the text's own spacing
    (``difftext``), so either side reads back exactly."""
    return _md_line_start(render_words(words, marks=HTML_MARKS, escape=_md_inline).strip())


def _paragraph_blocks(
    change: Change,
    *,
    full: bool,
    words: Callable[[Sequence[WordOp]], str],
    fold: Callable[[int], str],
    moved: Callable[[str], str],
) -> list[str]:
    """The paragraph diff as blocks: one per changed paragraph, unchanged runs folded, a moved
    paragraph led by ``moved`` of its label."""
    blocks: list[str] = []
    for item in fold_unchanged(change.diff.paragraphs, fold=not full):
        if isinstance(item, int):
            blocks.append(fold(item))
        elif item.op == "move":
            label = f"{SIGNS['move']} {move_label(item)}:"
            blocks.append(f"{moved(label)} {words(item.words)}")
        else:
            blocks.append(words(item.words))
    return blocks


def _field_lines(change: Change, words: Callable[[Sequence[WordOp]], str]) -> list[tuple[str, str]]:
    """(label, rendered diff) for the title and byline when they changed."""
    fields: list[tuple[str, FieldDiff]] = [
        ("Headline", change.diff.title),
        ("Byline", change.diff.byline),
    ]
    return [(label, words(field.words)) for label, field in fields if field.changed]


def render_markdown(
    article: Article,
    versions: Sequence[Version],
    *,
    full: bool = False,
    latest: bool = True,
    now: datetime | None = None,
) -> str:
    """An article's history as Markdown: metadata, each change as a word diff, the latest text.

    ``full`` includes unchanged paragraphs instead of folding them; ``latest`` appends the
    latest version's full text; ``now`` adds a "Checking" line (when the next check is due, as
    of ``now``), left out otherwise so that the same cache gives the same bytes on any day.
    """
    ordered = sorted(versions, key=lambda v: v.number)
    title = article.title or (ordered[-1].text.title if ordered else "") or article.url
    lines = [f"# {md_escape(title)}", ""]
    meta = [
        ("Source", md_escape(article.source)),
        ("URL", _md_url(article.url)),
        ("First seen", utc_time(article.first_seen)),
    ]
    if ordered:
        meta.append(("Last changed", utc_time(ordered[-1].fetched_at)))
    count = len(ordered)
    meta.append(("Versions", f"{count} ({max(count - 1, 0)} change{'' if count == 2 else 's'})"))
    if now is not None:
        meta.append(("Checking", f"{check_status(article, now)} (as of {utc_time(now)})"))
    if article.check.last_checked:
        failed = (
            f", failed: {md_escape(article.check.last_error)}" if article.check.last_error else ""
        )
        meta.append(("Last checked", utc_time(article.check.last_checked) + failed))
    if article.feed_url:
        meta.append(("Feed", _md_url(article.feed_url)))
    meta.append(("Article id", f"`{article.id}`"))
    lines += [f"- **{label}:** {value}" for label, value in meta]
    lines.append("")

    steps = changes(ordered)
    if not steps:
        lines += ["No changes recorded yet.", ""]
    for change in steps:
        lines += [f"## {md_escape(change.heading)}", ""]
        lines += [
            f"{utc_time(change.old.fetched_at)} {ARROW} {utc_time(change.new.fetched_at)} · "
            f"{stats_summary(change.diff)}",
            "",
        ]
        if change.new.boring:
            lines += [
                "_Boring: only whitespace, typographic quotes or dashes, or punctuation._",
                "",
            ]
        if change.new.revert_of is not None:
            lines += [f"_Returns to the text of version {change.new.revert_of}._", ""]
        lines += [line for v in _provenance_of(change) for line in _md_provenance(v)]
        fields = _field_lines(change, _md_words)
        if not change.diff.title.changed:
            lines += ["Headline unchanged.", ""]
        for label, rendered in fields:
            lines += [f"**{label}:** {rendered}", ""]
        for block in _paragraph_blocks(
            change,
            full=full,
            words=_md_words,
            fold=lambda n: f"_{_folded(n)}_",
            moved=lambda label: f"_{md_escape(label)}_",
        ):
            lines += [block, ""]

    if latest and ordered:
        last = ordered[-1]
        lines += [f"## Latest text (version {last.number}, {utc_time(last.fetched_at)})", ""]
        lines += _md_provenance(last)
        title, byline = md_escape(last.text.title), md_escape(last.text.byline or "")
        lines += [f"**{title}**", ""] if title else []
        lines += [f"_{byline}_", ""] if byline else []
        lines += [line for p in last.text.paragraphs for line in (md_escape(p), "")]
    return "\n".join(lines).rstrip("\n") + "\n"


def _md_url(url: str) -> str:
    """A URL as a Markdown autolink when it is a plain http(s) URL, else as escaped text."""
    if re.fullmatch(r"https?://[^\s<>\\`\x00-\x1f\x7f]+", url):
        return f"<{url}>"
    return md_escape(url)


# ----- Atom ---------------------------------------------------------------------------------

# Characters XML 1.0 forbids even as references (beyond what strip_control removes).
_XML_INVALID = re.compile("[\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """Untrusted text made safe for XML character data and attribute values."""
    clean = _XML_INVALID.sub("", strip_control(text))
    return html.escape(clean, quote=True)


def _html_words(words: Sequence[WordOp]) -> str:
    """A word diff as an HTML fragment, changes in <del> and <ins> (``difftext``)."""
    return _SPACE.sub(" ", render_words(words, marks=HTML_MARKS, escape=xml_text)).strip()


def atom_time(moment: datetime) -> str:
    """An RFC 3339 time in UTC, as Atom requires."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def tag_uri(article: Article, specific: str) -> str:
    """A stable tag: URI (RFC 4151) for the feed or an entry, from the article id."""
    return f"tag:newsdiff-tui,{article.first_seen.astimezone(UTC):%Y-%m-%d}:{article.id}{specific}"


def change_html(change: Change) -> str:
    """One change as an HTML fragment (stats, headline/byline change, paragraph diff)."""
    parts = [f"<p>{xml_text(stats_summary(change.diff))}</p>"]
    for version in _provenance_of(change):
        label = provenance(version)
        if label is not None:
            link = version.origin_url
            href = f' <a href="{xml_text(link)}">{xml_text(link)}</a>' if link else ""
            parts.append(f"<p><em>{xml_text(label)}</em>{href}</p>")
    for label in change.labels:
        parts.append(f"<p><em>{xml_text(label.capitalize())}</em></p>")
    for label, rendered in _field_lines(change, _html_words):
        parts.append(f"<p><strong>{label}:</strong> {rendered}</p>")
    for block in _paragraph_blocks(
        change,
        full=False,
        words=_html_words,
        fold=lambda n: f"<em>{_folded(n)}</em>",
        moved=lambda label: f"<em>{xml_text(label)}</em>",
    ):
        parts.append(f"<p>{block}</p>")
    return "\n".join(parts)


def render_atom(article: Article, versions: Sequence[Version]) -> str:
    """An Atom feed of an article's changes: one entry per new version, newest first."""
    ordered = sorted(versions, key=lambda v: v.number)
    title = article.title or (ordered[-1].text.title if ordered else "") or article.url
    updated = ordered[-1].fetched_at if ordered else article.first_seen
    link = f'<link rel="alternate" type="text/html" href="{xml_text(article.url)}"/>'
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"  <id>{tag_uri(article, '')}</id>",
        f"  <title>Changes to: {xml_text(title)}</title>",
        f"  <subtitle>{xml_text(article.source)}, as tracked by newsdiff-tui</subtitle>",
        f"  {link}",
        f"  <updated>{atom_time(updated)}</updated>",
        f"  <author><name>{xml_text(article.source)}</name></author>",
        "  <generator>newsdiff-tui</generator>",
    ]
    for change in reversed(changes(ordered)):
        out += [
            "  <entry>",
            f"    <id>{tag_uri(article, f'/v{change.new.number}')}</id>",
            f"    <title>{xml_text(change.heading)}</title>",
            f"    <updated>{atom_time(change.new.fetched_at)}</updated>",
            f"    {link}",
            f"    <summary>{xml_text(stats_summary(change.diff))}</summary>",
            f'    <content type="html">{html.escape(change_html(change), quote=False)}</content>',
            "  </entry>",
        ]
    out.append("</feed>")
    return "\n".join(out) + "\n"


# ----- files --------------------------------------------------------------------------------


def render(
    article: Article,
    versions: Sequence[Version],
    fmt: str = "markdown",
    *,
    full: bool = False,
    latest: bool = True,
    now: datetime | None = None,
) -> str:
    """The export of an article in ``fmt`` (one of ``FORMATS``); ``now``: see
    ``render_markdown`` (HTML uses it the same way; Atom and JSON hold nothing that depends
    on the clock)."""
    if fmt == "markdown":
        return render_markdown(article, versions, full=full, latest=latest, now=now)
    if fmt == "atom":
        return render_atom(article, versions)
    if fmt == "json":
        return dump_history(article, versions)
    if fmt == "html":
        from newsdiff_tui.export_html import render_html  # it builds on this module

        return render_html(article, versions, now=now)
    raise ExportError(f"unknown export format {fmt!r} (use one of: {', '.join(FORMATS)})")


def slugify(text: str, *, limit: int = 60) -> str:
    """A file-name-safe slug: ASCII letters and digits joined by hyphens, at most ``limit``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0] or slug[:limit]
    return slug


def default_filename(article: Article, fmt: str = "markdown") -> str:
    """'<slug of the title>-<id>.md' (the extension of ``fmt``): readable, unique by the id."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r} (use one of: {', '.join(FORMATS)})")
    slug = slugify(article.title) or "article"
    return f"{slug}-{article.id}{FORMATS[fmt]}"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` so that ``path`` holds the old file or the new one, never half of one."""
    if path.is_dir():
        raise ExportError(f"cannot write {path}: it is a directory; name a file")
    parent = path.parent
    if not parent.is_dir():
        why = "is not a directory" if parent.exists() else "does not exist"
        raise ExportError(f"cannot write {path}: {parent} {why}")
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644  # an export is for sharing, not private like the temp file it starts as
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror}") from None
    try:
        atomic_write_bytes(path, text.encode("utf-8"), create_dirs=False)
        os.chmod(path, mode)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None


def export_article(
    store: Store,
    article_id: str,
    *,
    fmt: str = "markdown",
    path: Path | None = None,
    directory: Path | None = None,
    full: bool = False,
    latest: bool = True,
    now: datetime | None = None,
) -> Path:
    """Write an article's export to a file and return where (the TUI's ``e`` key, the CLI).

    ``path`` names the file (relative to ``directory`` when both are given); otherwise the file
    is ``default_filename`` in ``directory`` (created if missing), default the current one.
    Raises ``NewsdiffError`` subclasses with a message for the user.
    """
    article = store.article(article_id)
    text = render(article, store.versions(article_id), fmt, full=full, latest=latest, now=now)
    base = Path(directory) if directory is not None else None
    if path is not None:
        target = base / path if base is not None else Path(path)
    else:
        base = base if base is not None else Path.cwd()
        try:
            base.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportError(f"cannot create the directory {base}: {exc.strerror}") from None
        target = base / default_filename(article, fmt)
    write_atomic(target, text)
    return target
