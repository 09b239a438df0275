"""``--export ARTICLE --format html``: one self-contained page, parsed with an HTML5 parser.

Structure (the pair and the time between, side-by-side cells that rebuild both texts, the
version list, the status), safety (a strict CSP, no script, every piece of hostile article text
shown as text, only http(s) links) and deterministic bytes without reading the clock.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from selectolax.lexbor import LexborHTMLParser

from newsdiff_tui import export_html
from newsdiff_tui.cli import main
from newsdiff_tui.diff import ArticleDiff, ParagraphDiff, WordOp, diff, render_new, render_old
from newsdiff_tui.export import Change, changes
from newsdiff_tui.export_html import CSP, diff_table, render_html, words_html
from newsdiff_tui.model import Article, ArticleText, CheckState, Version
from newsdiff_tui.store import Store
from newsdiff_tui.textnorm import normalize

SEED_ID = "eb003b29ba6b3e19"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

HOSTILE = [
    "<script>document.title='pwned'</script>",
    "<img src=x onerror=\"document.title='pwned'\">",
    "javascript:alert(1)",
    "</style><script>alert(1)</script>",
    "]]><x>",
    '" onmouseover="alert(1)" data-x="',
    "' onfocus='alert(1)' autofocus '",
    "</title><svg onload=alert(1)>",
    "<!-- comment --> &amp; &lt;b&gt; AT&T",
    "</textarea></noscript><iframe src=javascript:alert(1)>",
]


def parse(text: str) -> LexborHTMLParser:
    return LexborHTMLParser(text)


def texts(tree: LexborHTMLParser, selector: str) -> list[str]:
    return [node.text(deep=True) for node in tree.css(selector)]


def assert_inert(tree: LexborHTMLParser) -> None:
    """No script, no event handler, no remote or embedded resource, no dangerous link."""
    assert tree.css("script, iframe, object, embed, img, svg, form, base, noscript") == []
    assert len(tree.css("style")) == 1
    for node in tree.css("*"):
        for name, value in node.attributes.items():
            assert not name.lower().startswith("on"), (node.tag, name)
            if name in ("href", "src", "action", "formaction"):
                assert urlsplit(value or "").scheme in ("", "http", "https"), value


def history(paragraph_pairs: list[tuple[str, str]], title: tuple[str, str]) -> list[Version]:
    """Two versions made of the given (old, new) paragraphs, normalised as the store does."""
    old = ArticleText(
        title=title[0], byline=title[0], paragraphs=tuple(p for p, _ in paragraph_pairs)
    )
    new = ArticleText(
        title=title[1], byline=title[1], paragraphs=tuple(q for _, q in paragraph_pairs)
    )
    old, new = old.normalized(), new.normalized()
    return [
        Version(0, old, T0, old.hash_as_is()),
        Version(1, new, T0 + timedelta(minutes=32), new.hash_as_is()),
    ]


def article(url: str = "https://example.com/story", title: str = "A story", **kw) -> Article:
    return Article(id="0123456789abcdef", url=url, source=kw.pop("source", "example"),
                   title=title, first_seen=T0, last_changed=T0 + timedelta(minutes=32),
                   version_count=2, **kw)  # fmt: skip


# ----- the seed page --------------------------------------------------------------------------


def test_seed_page_structure(seeded_store: Store) -> None:
    art, versions = seeded_store.article(SEED_ID), seeded_store.versions(SEED_ID)
    text = render_html(art, versions)
    tree = parse(text)
    assert text.startswith("<!DOCTYPE html>\n")
    assert tree.css_first("h1").text() == art.title
    assert tree.css_first("title").text() == f"Changes to: {art.title}"
    source_link = tree.css_first("p.about a")
    assert source_link.attributes["href"] == art.url
    assert "nytimes" in tree.css_first("p.about").text()
    assert texts(tree, "section.change h2") == ["Version 0 vs Version 1, 32 minutes later"]
    status = tree.css_first("p.status").text()
    assert "The article has changed once." in status
    # The schedule depends on the clock: without --now the page says nothing of it.
    assert "As of" not in status and "next check" not in status
    items = texts(tree, "#versions li")
    assert [item.split(" · ")[0] for item in items] == ["Version 0", "Version 1"]
    assert "32 minutes after version 0" in items[1] and "+99 −48 words" in items[1]
    assert tree.css_first("#versions li a").attributes["href"] == "#v0-v1"
    assert tree.css_first("#v0-v1") is not None
    # Both marks, and a media query that turns the two columns into the inline one.
    # A lone insertion or deletion carries its one-sided space inside the mark (exact read-back).
    inserted = [text.strip() for text in texts(tree, "ins")]
    deleted = [text.strip() for text in texts(tree, "del")]
    assert "a serious rupture between two close American allies" in inserted
    assert "and conveyed their intentions to the Japanese government" in deleted
    assert "@media (max-width:46rem)" in export_html.CSS
    assert ".row>.old,.row>.new{display:none}" in export_html.CSS


def test_side_by_side_cells_rebuild_both_texts(seeded_store: Store) -> None:
    """Old cells (kept + deleted words) give the old paragraphs, new cells the new ones, in
    order (folded runs included); the inline cells carry both."""
    versions = seeded_store.versions(SEED_ID)
    tree = parse(render_html(seeded_store.article(SEED_ID), versions))
    rows = [row for row in tree.css(".diff .row") if "cols" not in row.attributes["class"]]
    old = [row.css_first(".old").text() for row in rows]
    new = [row.css_first(".new").text() for row in rows]
    assert old[0] == new[0] == versions[0].text.title
    assert [p for p in old[1:] if p] == list(versions[0].text.paragraphs)
    assert [p for p in new[1:] if p] == list(versions[1].text.paragraphs)
    assert len(tree.css("details.fold")) == 2  # two runs of two unchanged paragraphs
    for row in rows:
        cell = row.css_first(".inline")
        without_ins = "".join(
            n.text() for n in cell.iter(include_text=True) if n.tag not in ("ins", "span")
        )
        assert normalize(without_ins) == normalize(row.css_first(".old").text())


def test_csp_is_strict_and_allows_exactly_the_page_style(seeded_store: Store) -> None:
    tree = parse(render_html(seeded_store.article(SEED_ID), seeded_store.versions(SEED_ID)))
    head = tree.css_first("head").iter()
    first, second = next(head), next(head)
    assert first.attributes == {"charset": "utf-8"}
    assert second.attributes["http-equiv"] == "Content-Security-Policy"
    policy = second.attributes["content"]
    assert policy == CSP
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'none'"
    style = tree.css_first("style").text()
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert directives["style-src"] == f"'sha256-{digest}'"
    assert "unsafe" not in policy
    assert_inert(tree)


def test_bytes_are_deterministic_and_no_clock_is_read(
    seeded_store: Store, tmp_path, seed_data: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsdiff_tui.history import load_history

    first = render_html(seeded_store.article(SEED_ID), seeded_store.versions(SEED_ID))

    def no_clock() -> datetime:
        raise AssertionError("the HTML export read the clock")

    for module in ("newsdiff_tui.timeutil", "newsdiff_tui.schedule"):
        monkeypatch.setattr(f"{module}.utcnow", no_clock)
    with Store(tmp_path / "other") as other:
        load_history(other, seed_data)
        again = render_html(other.article(SEED_ID), other.versions(SEED_ID))
    assert again == first
    later = datetime(2020, 3, 1, tzinfo=UTC)
    at_later = render_html(seeded_store.article(SEED_ID), seeded_store.versions(SEED_ID), now=later)
    status = parse(at_later).css_first("p.status").text()
    assert "As of 2020-03-01 00:00 UTC: won't be checked again." in status


# ----- hostile text ---------------------------------------------------------------------------


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_is_shown_as_text(hostile: str) -> None:
    """The text sits in the title, byline, a kept, a modified, a deleted and an inserted
    paragraph, the source name and the error of the last check: all of it reads back as text."""
    pairs = [
        (f"kept {hostile}", f"kept {hostile}"),
        (f"before {hostile} after", f"before changed {hostile} after"),
    ]
    versions = history(pairs, (f"Old {hostile}", f"New {hostile}"))
    versions[1] = Version(1, ArticleText(
        title=versions[1].text.title, byline=versions[1].text.byline,
        paragraphs=(*versions[1].text.paragraphs, normalize(f"inserted {hostile}")),
    ), versions[1].fetched_at, "x")  # fmt: skip
    check = CheckState(last_checked=T0 + timedelta(hours=1), last_error=hostile, failures=2)
    art = article(title=normalize(f"New {hostile}"), source=hostile, check=check)
    text = render_html(art, versions)
    tree = parse(text)
    assert_inert(tree)
    clean = normalize(hostile)
    assert tree.css_first("h1").text() == f"New {clean}"
    assert tree.css_first("title").text() == f"Changes to: New {clean}"
    assert tree.css_first("p.about strong").text() == hostile
    assert f"{hostile}." in tree.css_first("p.status").text()
    rows = [row for row in tree.css(".diff .row") if "cols" not in row.attributes["class"]]
    assert rows[0].css_first(".old").text() == f"Old {clean}"
    assert rows[0].css_first(".new").text() == f"New {clean}"
    assert rows[2].css_first(".old").text() == f"kept {clean}"
    assert rows[3].css_first(".new").text() == f"before changed {clean} after"
    assert rows[4].css_first(".new").text() == f"inserted {clean}"
    assert "pwned" not in tree.css_first("title").text().replace(clean, "")


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(document.title)",
        "data:text/html,<script>alert(1)</script>",
        "https://exa mple.com/space",
        "vbscript:msgbox(1)",
    ],
)
def test_only_http_urls_become_links(url: str) -> None:
    art = article(url=url, feed_url=url)
    tree = parse(render_html(art, history([("a b c", "a b d")], ("T", "T"))))
    assert_inert(tree)
    assert tree.css("p.about a") == []
    assert url in tree.css_first("p.about").text()


@pytest.mark.parametrize(
    "url",
    ["https://example.com/a?b=1&c='x'&d=%22", 'https://example.com/"><script>alert(1)</script>'],
)
def test_an_http_url_with_quotes_stays_one_attribute(url: str) -> None:
    tree = parse(render_html(article(url=url), history([("a", "b")], ("T", "T"))))
    assert_inert(tree)
    link = tree.css_first("p.about a")
    assert link.attributes == {"href": url, "rel": "noreferrer noopener"}
    assert link.text() == url


# ----- the parts ------------------------------------------------------------------------------


def test_word_runs_keep_the_texts_own_spacing() -> None:
    """A replacement keeps the shared space outside both marks: "one [-two-]{+2+} three"."""
    words = (
        WordOp("equal", "one "),
        WordOp("delete", "two "),
        WordOp("insert", "<b>2</b> "),
        WordOp("equal", "three"),
    )
    assert words_html(words, "old") == "one <del>two</del> three"
    assert words_html(words, "new") == "one <ins>&lt;b&gt;2&lt;/b&gt;</ins> three"
    assert words_html(words) == "one <del>two</del><ins>&lt;b&gt;2&lt;/b&gt;</ins> three"


def test_moved_paragraph_says_where_from() -> None:
    old = ArticleText(
        "T", paragraphs=("First one here.", "A long paragraph that moved down.", "Last.")
    )
    new = ArticleText(
        "T", paragraphs=("First one here.", "Last.", "A long paragraph that moved down.")
    )
    versions = [Version(0, old, T0, "a"), Version(1, new, T0 + timedelta(hours=1), "b")]
    base = diff(old, new, timeout=None)
    moved, first = "A long paragraph that moved down.", "First one here."
    paragraphs = (
        ParagraphDiff("equal", first, first, (WordOp("equal", first),), 0, 0),
        ParagraphDiff("equal", "Last.", "Last.", (WordOp("equal", "Last."),), 2, 1),
        ParagraphDiff("move", moved, moved, (WordOp("equal", moved),), 1, 2),  # type: ignore[arg-type]
    )  # fmt: skip
    change = Change(
        versions[0], versions[1], ArticleDiff(base.title, base.byline, paragraphs, base.stats)
    )
    tree = parse(f"<div>{diff_table(change)}</div>")
    row = tree.css_first(".row.move")
    assert row.css_first(".new").text() == f"moved from ¶2: {moved}"
    assert row.css_first(".old").text() == f"moved to ¶3: {moved}"
    assert row.css_first(".inline").text() == f"moved from ¶2 to ¶3: {moved}"


def test_boring_versions_are_folded(store: Store) -> None:
    art = store.add_article("https://example.com/boring", first_seen=T0)
    steps = [(0, "It was a dark night."), (5, "It was a dark night!"),
             (9, "It was a dark, stormy night!"), (12, "It was a dark, stormy night.")]  # fmt: skip
    for minutes, text in steps:
        store.add_version(
            art.id, ArticleText("T", paragraphs=(text,)), T0 + timedelta(minutes=minutes)
        )
    versions = store.versions(art.id)
    assert [v.boring for v in versions] == [False, True, False, True]
    tree = parse(render_html(store.article(art.id), versions))
    folded = tree.css("#versions details")
    assert [d.css_first("summary").text() for d in folded] == [
        "1 boring version: only whitespace, quotes, dashes or punctuation changed"
    ] * 2
    assert [li.attributes["id"] for d in folded for li in d.css("li")] == ["v1", "v3"]
    assert [d.attributes["id"] for d in tree.css("details.change")] == ["v2-v3", "v0-v1"]
    assert [s.attributes["id"] for s in tree.css("section.change")] == ["v1-v2"]
    assert "(boring)" in tree.css_first("details.change summary h2").text()


def test_one_version_and_no_versions() -> None:
    only = history([("a", "b")], ("T", "T"))[:1]
    tree = parse(render_html(article(), only))
    assert "Only one version so far" in tree.body.text()
    assert "has not changed since it was first seen" in tree.css_first("p.status").text()
    empty = parse(render_html(article(title=""), []))
    assert "No version stored yet." in empty.body.text()
    assert empty.css_first("h1").text() == "https://example.com/story"


def test_every_change_newest_first(store: Store) -> None:
    art = store.add_article("https://example.com/three", first_seen=T0)
    for k in range(4):
        store.add_version(art.id, ArticleText("T", paragraphs=(f"Version text {k} here.",)),
                          T0 + timedelta(hours=k))  # fmt: skip
    versions = store.versions(art.id)
    tree = parse(render_html(store.article(art.id), versions))
    assert texts(tree, "section.change h2") == [
        "Version 2 vs Version 3, 1 hour later",
        "Version 1 vs Version 2, 1 hour later",
        "Version 0 vs Version 1, 1 hour later",
    ]
    assert tree.css("#versions a[href^='v']") == []  # standalone: no site pages to link
    assert len(changes(versions)) == 3


# ----- the CLI --------------------------------------------------------------------------------


def test_cli_stdout_and_file(
    seeded_store: Store, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(seeded_store.root)
    expected = render_html(seeded_store.article(SEED_ID), seeded_store.versions(SEED_ID))
    assert main(["--db", db, "--export", SEED_ID, "--format", "html"]) == 0
    assert capsys.readouterr().out == expected
    target = tmp_path / "seed.html"
    assert main(["--db", db, "--export", SEED_ID, "--format", "html", "-o", str(target)]) == 0
    assert capsys.readouterr().out == f"wrote {target}\n"
    assert target.read_text(encoding="utf-8") == expected


def test_cli_refuses_markdown_only_options(
    seeded_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--db", str(seeded_store.root), "--export", SEED_ID, "--format", "html", "--full"])
    assert code == 2
    assert "--full and --no-latest only apply to --format markdown" in capsys.readouterr().err
    code = main(
        ["--db", str(seeded_store.root), "--export", SEED_ID, "--format", "atom", "--now", "now"]
    )
    assert code == 2
    assert "--now only applies to --format markdown and html" in capsys.readouterr().err


def test_cli_now_tells_the_check_status(
    seeded_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--db", str(seeded_store.root), "--export", SEED_ID, "--format", "html"]
    assert main([*args, "--now", "2020-03-01"]) == 0
    status = parse(capsys.readouterr().out).css_first("p.status").text()
    assert "As of 2020-03-01 00:00 UTC: won't be checked again." in status


def test_render_old_new_agree_with_cells(seeded_store: Store) -> None:
    """The old/new cells equal the engine's own two sides of each modified paragraph."""
    versions = seeded_store.versions(SEED_ID)
    change = changes(versions)[0]
    tree = parse(f"<div>{diff_table(change)}</div>")
    modified = [p for p in change.diff.paragraphs if p.op == "modify"]
    rows = tree.css(".row.modify")
    assert len(rows) == len(modified)
    for row, paragraph in zip(rows, modified, strict=True):
        assert row.css_first(".old").text() == render_old(paragraph.words).strip()
        assert row.css_first(".new").text() == render_new(paragraph.words).strip()
