"""An article's history as one self-contained HTML page, in the spirit of the NewsDiffs page.

The page holds the headline and a link to the source, each pair of versions compared ("Version
0 vs Version 1, 32 minutes later") as a side-by-side word diff that becomes one inline column
on narrow screens (a CSS media query), moved paragraphs, the list of every version with its
time and stats (boring versions folded in ``<details>``), how often the article changed and its
check status. ``--export ARTICLE --format html`` writes it; ``site.py`` builds the static site
from the same pieces.

Safety: article text is untrusted. Every piece of it is escaped for HTML (also inside
attributes), only http(s) URLs become links, and the page carries a Content-Security-Policy
that forbids every script, remote resource and form, and allows only its own stylesheet (by
hash), so even a broken escape could not run script. There is no JavaScript and nothing
remote: the page works from disk, offline, and in any static host.

Determinism: no clock is read. The check status is computed at ``now`` when the caller gives
one, else at the article's last check (or its latest version): the same cache gives the same
bytes.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from newsdiff_tui.diff import ParagraphDiff, WordOp, diff
from newsdiff_tui.difftext import HTML_MARKS, Side, move_label, render_words, stats_summary
from newsdiff_tui.export import Change, changes, check_status, utc_time, xml_text
from newsdiff_tui.model import Article, Version
from newsdiff_tui.textnorm import plural
from newsdiff_tui.timeutil import humanize_delta
from newsdiff_tui.urls import url_problem

#: The one stylesheet of every page: inline, allowed by the CSP through its hash.
CSS = """\
:root{--fg:#1d1d1f;--muted:#5f6368;--line:#d9d9de;--bg:#fff;--del-bg:#ffd7d5;--del-fg:#8a1109;
--ins-bg:#cdf3d3;--ins-fg:#0b5a1c;--move:#e9e4ff;--head:#f5f5f7}
@media (prefers-color-scheme:dark){:root{--fg:#e8e8ea;--muted:#a0a4aa;--line:#3a3b40;
--bg:#16171a;--del-bg:#5c1d1a;--del-fg:#ffc9c4;--ins-bg:#173f20;--ins-fg:#c4f5cc;
--move:#2e2850;--head:#202125}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);
font:16px/1.55 Georgia,"Times New Roman",serif}
main,header.site,footer{max-width:72rem;margin:0 auto;padding:0 1rem}
header.site{padding-top:.8rem;font:14px/1.4 system-ui,sans-serif}
header.site a{margin-right:.6em}
footer{margin:3rem auto 1rem;color:var(--muted);font:13px/1.4 system-ui,sans-serif}
h1{font-size:1.9rem;line-height:1.2;margin:1.2rem 0 .6rem}
h2{font:600 1.15rem/1.3 system-ui,sans-serif;margin:0}
a{color:inherit}
.about,.status,.meta,.versions,nav.sources,.index{font:15px/1.5 system-ui,sans-serif}
.about,.status{margin:.3rem 0;overflow-wrap:anywhere}
.muted,.meta{color:var(--muted)}
del{background:var(--del-bg);color:var(--del-fg);text-decoration:line-through}
ins{background:var(--ins-bg);color:var(--ins-fg);text-decoration:underline}
section.change,details.change{margin:2rem 0;border-top:2px solid var(--line);padding-top:.8rem}
details.change>summary{cursor:pointer;list-style-position:outside}
details.change>summary h2{display:inline}
.meta{margin:.3rem 0 .8rem}
.diff{border:1px solid var(--line)}
.row{display:grid;grid-template-columns:1fr 1fr;border-top:1px solid var(--line)}
.row:first-child{border-top:0}
.row>div{padding:.45rem .7rem;overflow-wrap:anywhere}
.row>.old{border-right:1px solid var(--line)}
.row>.inline{display:none}
.row.cols{background:var(--head);font:600 14px/1.4 system-ui,sans-serif}
.row.field>div{font-weight:bold}
.row.move>div{background:var(--move)}
.note{font:italic 13px/1.4 system-ui,sans-serif;color:var(--muted)}
details.fold{border-top:1px solid var(--line)}
details.fold>summary{padding:.3rem .7rem;color:var(--muted);cursor:pointer;
font:13px/1.4 system-ui,sans-serif}
ul.versions{padding-left:1.6rem}
ul.versions li{margin:.25rem 0}
ul.versions details>summary{cursor:pointer;color:var(--muted)}
table.index{border-collapse:collapse;width:100%}
table.index th,table.index td{text-align:left;padding:.35rem .5rem;
border-bottom:1px solid var(--line);vertical-align:top}
table.index td.n{text-align:right}
nav.sources a{margin-right:.8em}
@media (max-width:46rem){
.row{grid-template-columns:1fr}
.row>.old,.row>.new{display:none}
.row>.inline{display:block}
.row.cols>.inline{display:block}
h1{font-size:1.5rem}}
@media print{details.fold>*,details.change>*{display:block}}
"""

_STYLE_HASH = base64.b64encode(hashlib.sha256(CSS.encode("utf-8")).digest()).decode("ascii")

#: No script, no remote or local resource, no form, no <base>: only the stylesheet above.
CSP = (
    "default-src 'none'; "
    f"style-src 'sha256-{_STYLE_HASH}'; "
    "img-src 'none'; script-src 'none'; object-src 'none'; "
    "base-uri 'none'; form-action 'none'"
)


def esc(text: str | None) -> str:
    """Untrusted text as HTML character data or an attribute value (quotes escaped too)."""
    return xml_text(text or "")


def external_link(url: str, text: str | None = None) -> str:
    """An http(s) URL as a link (text defaults to the URL); anything else only as text."""
    label = esc(text if text is not None else url)
    if url_problem(url) is not None:
        return label
    return f'<a href="{esc(url)}" rel="noreferrer noopener">{label}</a>'


def changed_times(count: int) -> str:
    """How often an article changed, as the NewsDiffs page says it."""
    if count <= 0:
        return "The article has not changed since it was first seen."
    return f"The article has changed {'once' if count == 1 else f'{count} times'}."


def page(
    title: str,
    body: Iterable[str],
    *,
    nav: Iterable[tuple[str, str]] = (),
    feed: tuple[str, str] | None = None,
) -> str:
    """A whole HTML document around ``body`` (trusted HTML): CSP first, inline CSS, no script.

    ``title`` is untrusted text; ``nav`` holds (relative href, label text) pairs for the top
    bar; ``feed`` a (relative href, title) pair announced with ``<link rel="alternate">``.
    """
    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="newsdiff-tui">',
        f"<title>{esc(title)}</title>",
        f"<style>{CSS}</style>",
    ]
    if feed is not None:
        href, feed_title = feed
        head.append(
            f'<link rel="alternate" type="application/atom+xml" href="{esc(href)}" '
            f'title="{esc(feed_title)}">'
        )
    head += ["</head>", "<body>"]
    links = [f'<a href="{esc(href)}">{esc(label)}</a>' for href, label in nav]
    if links:
        head.append(f'<header class="site"><nav>{" ".join(links)}</nav></header>')
    tail = [
        "<footer>Made with newsdiff-tui: every version as it was seen, the differences "
        "word by word. Deleted words are struck through, inserted ones underlined.</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join([*head, "<main>", *body, "</main>", *tail]) + "\n"


# ----- word runs ----------------------------------------------------------------------------

_SIDES: dict[str, Side] = {"old": "old", "new": "new", "inline": "both"}


def words_html(words: Sequence[WordOp], side: str = "inline") -> str:
    """Word runs as escaped HTML through the one word-run renderer: deletions in ``<del>``,
    insertions in ``<ins>``; ``side`` is "old", "new" or "inline" (both)."""
    return render_words(words, marks=HTML_MARKS, escape=esc, side=_SIDES[side]).strip()


# ----- the diff of one pair -----------------------------------------------------------------


def _row(kind: str, old: str, new: str, inline: str) -> str:
    """One aligned row: old and new cells side by side, the inline cell for narrow screens."""
    return (
        f'<div class="row {kind}"><div class="old">{old}</div>'
        f'<div class="new">{new}</div><div class="inline">{inline}</div></div>'
    )


def _paragraph_number(index: int | None) -> str:
    """A paragraph position for people: ¶1 is the first."""
    return f"¶{index + 1}" if index is not None else "¶?"


def _paragraph_row(paragraph: ParagraphDiff) -> str:
    """The row of one aligned paragraph, by its op (equal, modify, insert, delete, move)."""
    words = paragraph.words
    old, new, inline = (words_html(words, side) for side in ("old", "new", "inline"))
    if paragraph.op == "move":
        moved_from = _paragraph_number(paragraph.old_index)
        moved_to = _paragraph_number(paragraph.new_index)
        old = f'<span class="note">moved to {moved_to}:</span> {old}'
        new = f'<span class="note">moved from {moved_from}:</span> {new}'
        inline = f'<span class="note">{esc(move_label(paragraph))}:</span> {inline}'
    return _row(esc(paragraph.op), old, new, inline)


def _folded_rows(rows: list[str]) -> str:
    """A run of unchanged paragraphs, folded behind a summary that opens without script."""
    return (
        f'<details class="fold"><summary>{plural(len(rows), "unchanged paragraph")}</summary>'
        + "".join(rows)
        + "</details>"
    )


def diff_table(change: Change) -> str:
    """The side-by-side (and, on narrow screens, inline) diff of a pair as HTML.

    Headline and byline first, then every paragraph in order; runs of two or more unchanged
    paragraphs are folded into ``<details>``.
    """
    old_label, new_label = f"Version {change.old.number}", f"Version {change.new.number}"
    rows = [
        _row("cols", old_label, new_label, f"{old_label} → {new_label}"),
    ]
    for label, field_diff in (("Headline", change.diff.title), ("Byline", change.diff.byline)):
        if label == "Byline" and not (field_diff.old or field_diff.new):
            continue
        cells = (words_html(field_diff.words, side) for side in ("old", "new", "inline"))
        note = "" if field_diff.changed else ' <span class="note">(unchanged)</span>'
        old, new, inline = cells
        rows.append(_row("field", old, new, inline + note))
    for equal, run in itertools.groupby(change.diff.paragraphs, key=lambda p: p.op == "equal"):
        run_rows = [_paragraph_row(p) for p in run]
        if equal and len(run_rows) >= 2:
            rows.append(_folded_rows(run_rows))
        else:
            rows += run_rows
    return '<div class="diff">' + "".join(rows) + "</div>"


def pair_heading(old: Version, new: Version) -> str:
    """'Version 0 vs Version 1, 32 minutes later' (text, not yet escaped)."""
    gap = humanize_delta((new.fetched_at - old.fetched_at).total_seconds())
    later = "later" if new.fetched_at >= old.fetched_at else "earlier"
    return f"Version {old.number} vs Version {new.number}, {gap} {later}"


def pair_anchor(old: int, new: int) -> str:
    """The fragment id of a pair's section on an article page: 'v0-v1'."""
    return f"v{old}-v{new}"


def change_section(change: Change, *, consecutive: bool = True) -> str:
    """A pair's section: heading with the time between, times and stats, then the diff.

    Consecutive pairs also carry the new version's labels (boring, revert, provenance); a
    boring change is folded (``<details>``), since only whitespace or punctuation moved.
    """
    heading = pair_heading(change.old, change.new)
    labels = [*change.labels, *_origin_labels(change.new)] if consecutive else []
    heading += "".join(f" ({label})" for label in labels)
    anchor = pair_anchor(change.old.number, change.new.number)
    meta = (
        f'<p class="meta">{esc(utc_time(change.old.fetched_at))} → '
        f"{esc(utc_time(change.new.fetched_at))} · {esc(stats_summary(change.diff))}"
        + (" · coarse: paragraph-level only" if change.diff.coarse else "")
        + "</p>"
    )
    body = meta + diff_table(change)
    if consecutive and change.new.boring:
        return (
            f'<details class="change boring" id="{anchor}"><summary><h2>{esc(heading)}</h2>'
            f"</summary>{body}</details>"
        )
    return f'<section class="change" id="{anchor}"><h2>{esc(heading)}</h2>{body}</section>'


def _origin_labels(version: Version) -> list[str]:
    """Where a version's text was seen, when not by our own fetch (wayback or import)."""
    return {"wayback": ["from the Wayback Machine"], "import": ["imported"]}.get(version.origin, [])


# ----- the page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteLinks:
    """Relative links of an article page inside the static site (None: a standalone page).

    ``compare`` gives the href of a pre-rendered page comparing two versions, or None when
    that pair is not published; ``nav`` is the top bar; ``feed`` the article's Atom feed.
    """

    nav: tuple[tuple[str, str], ...] = ()
    feed: str | None = None
    article: str = ""
    compare: Callable[[int, int], str | None] = field(default=lambda old, new: None)


def _about(article: Article, versions: Sequence[Version], now: datetime | None) -> list[str]:
    """The paragraphs under the headline: source, link, how often it changed, check status."""
    lines = [
        f'<p class="about">From <strong>{esc(article.source)}</strong>, first seen '
        f"{esc(utc_time(article.first_seen))}. The article at its source: "
        f"{external_link(article.url)}</p>",
    ]
    status = [changed_times(len(versions) - 1)]
    if versions:
        status.append(f"It last changed {utc_time(versions[-1].fetched_at)}.")
    checked = article.check.last_checked
    status.append(
        f"Last checked {utc_time(checked)}." if checked else "Not checked by this tracker yet."
    )
    if article.check.last_error:
        failures = article.check.failures
        status.append(
            f"The last check failed ({plural(failures, 'failure')} in a row): "
            f"{article.check.last_error}."
        )
    if now is not None:  # the schedule depends on the clock: told only at an explicit --now
        status.append(f"As of {utc_time(now)}: {check_status(article, now=now)}.")
    lines.append(f'<p class="status">{esc(" ".join(status))}</p>')
    if article.feed_url:
        lines.append(f'<p class="about">Found in the feed {external_link(article.feed_url)}</p>')
    return lines


def _version_item(
    version: Version, step: Change | None, first: int, last: int, links: SiteLinks
) -> str:
    """One version in the list: number, time, gap and stats, labels, comparison links."""
    parts = [f"<strong>Version {version.number}</strong>", esc(utc_time(version.fetched_at))]
    if step is not None:
        gap = humanize_delta((step.new.fetched_at - step.old.fetched_at).total_seconds())
        parts.append(esc(f"{gap} after version {step.old.number}"))
        parts.append(esc(stats_summary(step.diff)))
        parts += [f"<em>{esc(label)}</em>" for label in step.labels]
        parts.append(
            f'<a href="#{pair_anchor(step.old.number, version.number)}">diff with previous</a>'
        )
    else:
        parts.append("first seen")
    parts += [f"<em>{esc(label)}</em>" for label in _origin_labels(version)]
    for other, label in ((first, "compare with the first"), (last, "compare with the latest")):
        pair = (min(other, version.number), max(other, version.number))
        href = links.compare(*pair) if other != version.number else None
        if href:
            parts.append(f'<a href="{esc(href)}">{label}</a>')
    return f'<li id="v{version.number}">' + " · ".join(parts) + "</li>"


def version_list(versions: Sequence[Version], steps: Sequence[Change], links: SiteLinks) -> str:
    """Every version with its time and stats; runs of boring versions folded in ``<details>``."""
    if not versions:
        return ""
    step_of = {step.new.number: step for step in steps}
    first, last = versions[0].number, versions[-1].number
    items: list[str] = []
    for boring, run in itertools.groupby(versions, key=lambda v: v.boring):
        run_items = [_version_item(v, step_of.get(v.number), first, last, links) for v in run]
        if boring:
            summary = (
                f"{plural(len(run_items), 'boring version')}: only whitespace, quotes, "
                "dashes or punctuation changed"
            )
            items.append(
                f"<li><details><summary>{esc(summary)}</summary><ul>"
                + "".join(run_items)
                + "</ul></details></li>"
            )
        else:
            items += run_items
    listing = "".join(items)
    return f'<section id="versions"><h2>Versions</h2><ul class="versions">{listing}</ul></section>'


def article_body(
    article: Article,
    versions: Sequence[Version],
    *,
    now: datetime | None = None,
    links: SiteLinks | None = None,
) -> list[str]:
    """The body of an article page: headline, about and status, versions, every change."""
    links = links or SiteLinks()
    ordered = sorted(versions, key=lambda v: v.number)
    steps = changes(ordered)
    title = article.title or (ordered[-1].text.title if ordered else "") or article.url
    body = [f"<h1>{esc(title)}</h1>", *_about(article, ordered, now)]
    if links.feed:
        body.append(
            f'<p class="about">There is an <a href="{esc(links.feed)}">Atom feed of its '
            "changes</a>.</p>"
        )
    body.append(version_list(ordered, steps, links))
    if not ordered:
        body.append("<p>No version stored yet.</p>")
    elif not steps:
        body.append("<p>Only one version so far: no change to show.</p>")
    body += [change_section(step) for step in reversed(steps)]
    return body


def render_html(
    article: Article,
    versions: Sequence[Version],
    *,
    now: datetime | None = None,
    links: SiteLinks | None = None,
) -> str:
    """An article's whole history as one self-contained HTML page, newest change first."""
    links = links or SiteLinks()
    feed = (links.feed, f"Changes to: {article.title or article.url}") if links.feed else None
    return page(
        f"Changes to: {article.title or article.url}",
        article_body(article, versions, now=now, links=links),
        nav=links.nav,
        feed=feed,
    )


def render_compare(
    article: Article,
    versions: Sequence[Version],
    old_number: int,
    new_number: int,
    *,
    links: SiteLinks,
) -> str:
    """A page comparing two versions that need not be neighbours (the site's compare pages)."""
    by_number = {v.number: v for v in versions}
    old, new = by_number[old_number], by_number[new_number]
    change = Change(old, new, diff(old.text, new.text, timeout=None))
    title = article.title or article.url
    body = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="about">From <strong>{esc(article.source)}</strong>. '
        f"{external_link(article.url)} · "
        f'<a href="{esc(links.article)}#versions">every version of this article</a></p>',
        change_section(change, consecutive=False),
    ]
    heading = pair_heading(old, new)
    return page(f"{heading}: {title}", body, nav=links.nav)
