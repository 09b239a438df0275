"""``--export all --format html -o DIR``: the static site.

Every link resolves inside DIR (fragments included), the feeds parse without a bozo flag, a
second export of an unchanged cache writes no file (same inode and mtime), a grown cache
rewrites only the changed article's files, the index, its source page and the feed, and the
site never touches a file it did not write.
"""

from __future__ import annotations

import errno
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import pytest
from selectolax.lexbor import LexborHTMLParser

from newsdiff_tui import site
from newsdiff_tui.cli import main
from newsdiff_tui.model import ArticleText
from newsdiff_tui.site import MANIFEST, build_site, compare_pairs, source_pages
from newsdiff_tui.store import Store

SEED_ID = "eb003b29ba6b3e19"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
BBC = "https://www.bbc.co.uk/news/storm"
GUARDIAN = "https://www.theguardian.com/world/trade"


def add_history(store: Store, url: str, texts: list[str], start: datetime) -> str:
    """An article whose versions are ``texts`` (one paragraph each), an hour apart."""
    art = store.add_article(url, first_seen=start)
    for k, text in enumerate(texts):
        paragraphs = (f"{text} is the news.", "This paragraph stays the same in every version.")
        store.add_version(art.id, ArticleText(f"Story {k}", paragraphs=paragraphs),
                          start + timedelta(hours=k))  # fmt: skip
    return art.id


@pytest.fixture
def site_store(seeded_store: Store) -> Store:
    """The seed article, a BBC one with four versions and a Guardian one with one."""
    add_history(seeded_store, BBC, ["Wind", "Rain", "Snow", "Hail"], T0)
    add_history(seeded_store, GUARDIAN, ["Talks"], T0 - timedelta(days=3))
    return seeded_store


def export(store: Store, out: Path, *extra: str) -> tuple[int, str, str]:
    """Run the CLI and return (exit code, stdout, stderr)."""
    import contextlib
    import io

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["--db", str(store.root), "--export", "all", "--format", "html",
                     "-o", str(out), *extra])  # fmt: skip
    return code, stdout.getvalue(), stderr.getvalue()


def files_of(directory: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``directory``: relative path -> (inode, mtime in ns).

    An atomic write replaces the inode, so an unchanged inode and mtime mean "not written".
    """
    out = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            stat = path.stat()
            out[path.relative_to(directory).as_posix()] = (stat.st_ino, stat.st_mtime_ns)
    return out


def bbc_id(store: Store) -> str:
    return next(a.id for a in store.articles() if a.source == "bbc")


# ----- layout and links -----------------------------------------------------------------------


def test_layout(site_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "site"
    code, stdout, stderr = export(site_store, out)
    assert (code, stderr) == (0, "")
    assert stdout == f"site of 3 articles in {out}: 14 written, 0 unchanged, 0 removed\n"
    bbc = bbc_id(site_store)
    guardian = next(a.id for a in site_store.articles() if a.source == "theguardian")
    expected = {
        "index.html", "changes.atom", MANIFEST,
        "source-bbc.html", "source-nytimes.html", "source-theguardian.html",
        *(f"articles/{i}.{ext}" for i in (SEED_ID, bbc, guardian) for ext in ("html", "atom")),
        *(f"articles/{bbc}-v{a}-v{b}.html" for a, b in ((0, 2), (0, 3), (1, 3))),
    }  # fmt: skip
    assert set(files_of(out)) == expected
    index = LexborHTMLParser((out / "index.html").read_text(encoding="utf-8"))
    rows = [tr.css_first("td:nth-child(3)").text() for tr in index.css("tbody tr")]
    assert rows == ["Story 3", "Story 0", site_store.article(SEED_ID).title]  # by last change
    alternate = index.css_first('link[rel="alternate"]')
    assert alternate.attributes["href"] == "changes.atom"
    assert alternate.attributes["type"] == "application/atom+xml"
    sources = [a.attributes["href"] for a in index.css("nav.sources a")]
    assert sources == ["source-bbc.html", "source-nytimes.html", "source-theguardian.html"]
    page = LexborHTMLParser((out / "articles" / f"{bbc}.html").read_text(encoding="utf-8"))
    compare = {a.text(): a.attributes["href"] for a in page.css("#v3 a")}
    assert compare == {
        "diff with previous": "#v2-v3",
        "compare with the first": f"{bbc}-v0-v3.html",
    }
    assert [a.attributes["href"] for a in page.css("#v1 a")] == ["#v0-v1", f"{bbc}-v1-v3.html"]
    pair = LexborHTMLParser((out / "articles" / f"{bbc}-v0-v3.html").read_text(encoding="utf-8"))
    assert pair.css_first("h2").text() == "Version 0 vs Version 3, 3 hours later"
    assert [d.text() for d in pair.css(".old del")] == ["0", "Wind"]
    assert [i.text() for i in pair.css(".new ins")] == ["3", "Hail"]


def test_every_link_resolves_inside_the_folder(site_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert export(site_store, out)[0] == 0
    root = out.resolve()
    checked = 0
    for page in sorted(out.rglob("*.html")):
        tree = LexborHTMLParser(page.read_text(encoding="utf-8"))
        for node in tree.css("a[href], link[href]"):
            href = node.attributes["href"]
            parts = urlsplit(href)
            if parts.scheme:
                assert parts.scheme == "https" and node.tag == "a", href  # the article's source
                continue
            assert not parts.netloc and not href.startswith("/"), href  # relative only
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            assert target.is_relative_to(root) and target.is_file(), (page, href)
            if parts.fragment:
                anchor = LexborHTMLParser(target.read_text(encoding="utf-8"))
                assert anchor.css_first(f'[id="{parts.fragment}"]') is not None, (page, href)
            checked += 1
    assert checked > 40
    feed = feedparser.parse((out / "changes.atom").read_bytes())
    for entry in feed.entries:
        path, _, fragment = entry.link.partition("#")
        target = out / path
        assert target.is_file(), entry.link
        assert LexborHTMLParser(target.read_text()).css_first(f'[id="{fragment}"]') is not None


def test_feeds_parse_without_bozo(site_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert export(site_store, out)[0] == 0
    feed = feedparser.parse((out / "changes.atom").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title == "Latest changes to tracked articles"
    titles = [entry.title for entry in feed.entries]
    assert titles == [
        "Story 3: Version 2 → Version 3, 1 hour later",
        "Story 2: Version 1 → Version 2, 1 hour later",
        "Story 1: Version 0 → Version 1, 1 hour later",
        f"{site_store.article(SEED_ID).title}: Version 0 → Version 1, 32 minutes later",
    ]
    assert feed.entries[0].updated == "2024-05-01T15:00:00Z"
    assert "<del>" in feed.entries[0].content[0].value
    related = [link.href for link in feed.entries[-1].links if link.rel == "related"]
    assert related == [site_store.article(SEED_ID).url]
    for atom in (out / "articles").glob("*.atom"):
        assert not feedparser.parse(atom.read_bytes()).bozo, atom


def test_feed_holds_only_the_latest_changes(
    site_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(site, "FEED_ENTRIES", 2)
    out = tmp_path / "site"
    assert export(site_store, out)[0] == 0
    feed = feedparser.parse((out / "changes.atom").read_bytes())
    assert [e.title[:7] for e in feed.entries] == ["Story 3", "Story 2"]


def test_source_and_since_filters(site_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "bbc"
    code, _, _ = export(site_store, out, "--source", "BBC")
    assert code == 0
    assert sorted(p for p in files_of(out) if not p.startswith("articles/")) == [
        MANIFEST, "changes.atom", "index.html", "source-bbc.html"
    ]  # fmt: skip
    feed = feedparser.parse((out / "changes.atom").read_bytes())
    assert feed.feed.title == "Latest changes to tracked articles from BBC"
    since = tmp_path / "since"
    assert export(site_store, since, "--since", "2024-05-01")[0] == 0
    index = LexborHTMLParser((since / "index.html").read_text(encoding="utf-8"))
    assert [tr.css_first("td:nth-child(2)").text() for tr in index.css("tbody tr")] == ["bbc"]


# ----- rewriting only what changed ------------------------------------------------------------


def test_second_export_of_an_unchanged_cache_writes_nothing(
    site_store: Store, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    assert export(site_store, out)[0] == 0
    before = files_of(out)
    code, stdout, _ = export(site_store, out)
    assert code == 0
    assert stdout == f"site of 3 articles in {out}: 0 written, 14 unchanged, 0 removed\n"
    assert files_of(out) == before


def test_a_grown_cache_rewrites_only_what_changed(site_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert export(site_store, out)[0] == 0
    before = files_of(out)
    bbc = bbc_id(site_store)
    site_store.add_version(
        bbc, ArticleText("Story 4", paragraphs=("Sleet is the news.",)), T0 + timedelta(hours=4)
    )
    code, stdout, _ = export(site_store, out)
    assert code == 0
    after = files_of(out)
    rewritten = {p for p in after if p in before and after[p] != before[p]}
    added, removed = set(after) - set(before), set(before) - set(after)
    assert rewritten == {
        "index.html", "changes.atom", "source-bbc.html", MANIFEST,
        f"articles/{bbc}.html", f"articles/{bbc}.atom", f"articles/{bbc}-v0-v2.html",
        f"articles/{bbc}-v0-v3.html",  # "compare with the latest" links changed
    }  # fmt: skip
    assert added == {f"articles/{bbc}-v{a}-v4.html" for a in (0, 1, 2)}
    assert removed == {f"articles/{bbc}-v1-v3.html"}
    assert stdout.endswith(f"{len(rewritten) + len(added) - 1} written, 6 unchanged, 1 removed\n")


def test_pages_are_rewritten_when_deleted_or_edited(site_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert export(site_store, out)[0] == 0
    page = out / "articles" / f"{SEED_ID}.html"
    good = page.read_bytes()
    page.write_text("defaced", encoding="utf-8")
    (out / "index.html").unlink()
    code, stdout, _ = export(site_store, out)
    assert (code, page.read_bytes()) == (0, good)
    assert (out / "index.html").is_file()
    assert " 2 written, " in stdout


def test_bytes_do_not_depend_on_the_folder_or_the_run(site_store: Store, tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    assert export(site_store, one)[0] == export(site_store, two)[0] == 0
    for relative in files_of(one):
        assert (one / relative).read_bytes() == (two / relative).read_bytes(), relative


# ----- only our own files -----------------------------------------------------------------------


def test_pruning_removes_only_files_the_site_wrote(site_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    assert export(site_store, out)[0] == 0
    (out / "articles" / "mine.html").write_text("mine too", encoding="utf-8")
    code, stdout, _ = export(site_store, out, "--source", "nytimes")
    assert code == 0
    assert stdout.endswith(" 9 removed\n")  # bbc: 5 files, guardian: 2, their source pages: 2
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (out / "articles" / "mine.html").is_file()
    assert sorted(files_of(out / "articles")) == [f"{SEED_ID}.atom", f"{SEED_ID}.html", "mine.html"]


def test_a_hostile_manifest_never_deletes_other_files(site_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "site"
    outside = tmp_path / "outside.txt"
    outside.write_text("keep", encoding="utf-8")
    out.mkdir()
    manifest = {
        "format": "newsdiff-tui/site",
        "pages": {"../outside.txt": "x", "/etc/hostname": "x", "articles/../../outside.txt": "x"},
        "articles": {"zz": {"key": "k", "files": {"../outside.txt": "x"}}},
    }
    (out / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    code, stdout, _ = export(site_store, out)
    assert code == 0 and stdout.endswith(" 0 removed\n")
    assert outside.read_text(encoding="utf-8") == "keep"


@pytest.mark.parametrize("content", ["{broken", "[1, 2]", '{"format": "other"}'])
def test_an_unusable_manifest_is_noted_and_the_site_rebuilt(
    site_store: Store, tmp_path: Path, content: str
) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / MANIFEST).write_text(content, encoding="utf-8")
    code, stdout, stderr = export(site_store, out)
    assert code == 0
    assert stderr.startswith("newsdiff-tui: ignored the site manifest") and stderr.count("\n") == 1
    assert " 14 written" in stdout
    assert json.loads((out / MANIFEST).read_text())["format"] == "newsdiff-tui/site"


# ----- names and errors -------------------------------------------------------------------------


def test_a_manifest_that_cannot_be_written_is_one_line(
    site_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    assert export(site_store, out)[0] == 0
    (out / MANIFEST).unlink()  # every page is as it was: the manifest is all there is to write

    def full_disk(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    code, stdout, stderr = export(site_store, out)
    assert code == 2 and stdout == ""
    assert stderr == f"newsdiff-tui: cannot write {out / MANIFEST}: No space left on device\n"


def test_hostile_titles_and_sources_in_the_listing(store: Store, tmp_path: Path) -> None:
    hostile = "<img src=x onerror=alert(1)> \"quoted\" '../x' </style>"
    art = store.add_article("https://example.com/a", source="../../etc <b>", first_seen=T0)
    store.add_version(art.id, ArticleText(hostile, paragraphs=("one",)), T0)
    store.add_version(art.id, ArticleText(hostile, paragraphs=("two",)), T0 + timedelta(hours=1))
    out = tmp_path / "site"
    assert export(store, out)[0] == 0
    assert (out / "source-etc-b.html").is_file()
    for name in ("index.html", "source-etc-b.html", f"articles/{art.id}.html"):
        tree = LexborHTMLParser((out / name).read_text(encoding="utf-8"))
        assert tree.css("img, script, b") == [], name
        assert hostile in tree.body.text()
    index = LexborHTMLParser((out / "index.html").read_text(encoding="utf-8"))
    assert index.css_first("tbody td:nth-child(2)").text() == "../../etc <b>"
    feed = feedparser.parse((out / "changes.atom").read_bytes())
    assert not feed.bozo and feed.entries[0].title.startswith(hostile)


def test_source_page_names_are_safe_and_unique() -> None:
    names = source_pages(["a.b", "a-b", "../..", "", "Ünïcode", "a b"])
    assert len(set(names.values())) == 6
    for name in names.values():
        assert name.startswith("source-") and name.endswith(".html")
        assert "/" not in name and ".." not in name
    assert names["a b"] == "source-a-b.html"  # the first in sorted order keeps the plain slug
    assert names["a-b"].startswith("source-a-b-")


def test_compare_pairs_are_bounded() -> None:
    assert compare_pairs([0, 1]) == []
    assert compare_pairs([0, 1, 2]) == [(0, 2)]
    pairs = compare_pairs(list(range(50)))
    assert len(pairs) == 2 * 50 - 5  # each vs first (48) + each vs latest (48) - (0, 49) once
    assert all(b - a >= 2 for a, b in pairs)


def test_output_that_is_a_file_is_refused(site_store: Store, tmp_path: Path) -> None:
    target = tmp_path / "file.html"
    target.write_text("x", encoding="utf-8")
    code, _, stderr = export(site_store, target)
    assert code == 2
    assert stderr == f"newsdiff-tui: -o {target} is a file: --export all needs a directory\n"


def test_an_unusable_folder_is_a_clear_error(site_store: Store, tmp_path: Path) -> None:
    parent = tmp_path / "file"
    parent.write_text("x", encoding="utf-8")
    code, _, stderr = export(site_store, parent / "site")
    assert code == 2
    assert (
        stderr == f"newsdiff-tui: cannot create the directory {parent / 'site'}: Not a directory\n"
    )


def test_unchanged_articles_are_not_even_rendered(
    site_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_site(site_store, site_store.articles(), tmp_path / "s")
    rendered: list[str] = []
    real = site._article_files
    monkeypatch.setattr(
        site, "_article_files", lambda a, *rest: rendered.append(a.id) or real(a, *rest)
    )
    build_site(site_store, site_store.articles(), tmp_path / "s")
    assert rendered == []
    site_store.add_version(
        bbc_id(site_store), ArticleText("New", paragraphs=("x",)), T0 + timedelta(days=1)
    )
    build_site(site_store, site_store.articles(), tmp_path / "s")
    assert rendered == [bbc_id(site_store)]


def test_build_site_directly_with_a_status_time(site_store: Store, tmp_path: Path) -> None:
    later = datetime(2024, 7, 1, tzinfo=UTC)
    report = build_site(site_store, site_store.articles(), tmp_path / "s", now=later)
    assert report.articles == 3 and not report.removed
    page = (tmp_path / "s" / "articles" / f"{SEED_ID}.html").read_text(encoding="utf-8")
    status = LexborHTMLParser(page).css_first("p.status").text()
    assert "As of 2024-07-01 00:00 UTC: won't be checked again." in status
