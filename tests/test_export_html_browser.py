"""The HTML export in a real browser: Debian's chromium, headless, started by the test.

``--dump-dom`` gives the document after it loaded (and after any script that could run did),
``--enable-logging=stderr`` prints every console message, CSP refusals included. The seed
article's page shows its diff with no console message at all; a page whose article text is
hostile runs nothing; and a page with a deliberately broken escape (raw markup injected after
rendering) runs nothing either, because the page's Content-Security-Policy refuses it, which a
control run without that policy shows the harness would have caught.

Skipped, with the reason, only where no chromium is installed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from headless_chromium import CHROMIUM, run_chromium
from selectolax.lexbor import LexborHTMLParser

from newsdiff_tui.cli import main
from newsdiff_tui.export_html import CSP, render_html
from newsdiff_tui.model import Article, ArticleText, Version
from newsdiff_tui.store import Store

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium on PATH: this real-browser test needs it (apt-get install chromium)",
)
_CONSOLE = re.compile(r"CONSOLE[(:]")
SEED_ID = "eb003b29ba6b3e19"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
# What a script that ran would do: set the title and add an element with id "pwned" (spelt
# so that no parser can produce either without running it).
PAYLOAD = (
    "document.title='pw'+'ned';"
    "document.body.appendChild(document.createElement('hr')).id='pw'+'ned'"
)
HOSTILE_TEXTS = (
    f"<script>{PAYLOAD}</script>",
    f'<img src=x onerror="{PAYLOAD}">',
    f"</style><script>{PAYLOAD}</script>",
    f'<a href="javascript:{PAYLOAD}">click</a> javascript:{PAYLOAD}',
    f'" onmouseover="{PAYLOAD}" x="',
    f'<svg onload="{PAYLOAD}"></svg>',
)


def open_in_chromium(page: Path, profile: Path) -> tuple[LexborHTMLParser, list[str]]:
    """The document chromium built from ``page`` (after load), and its console messages."""
    run = run_chromium(page, profile, "--enable-logging=stderr", "--v=0", "--dump-dom")
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.lstrip().startswith("<!DOCTYPE html>"), run.stderr[-3000:]
    console = [line for line in run.stderr.splitlines() if _CONSOLE.search(line)]
    return LexborHTMLParser(run.stdout), console


def assert_nothing_ran(dom: LexborHTMLParser, title: str) -> None:
    assert dom.css_first("title").text() == title
    assert dom.css_first("#pwned") is None


def test_seed_page_shows_its_diff_without_console_messages(
    seeded_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "seed.html"
    db = str(seeded_store.root)
    assert main(["--db", db, "--export", SEED_ID, "--format", "html", "-o", str(page)]) == 0
    capsys.readouterr()
    dom, console = open_in_chromium(page, tmp_path / "profile")
    assert console == []
    title = seeded_store.article(SEED_ID).title
    assert dom.css_first("h1").text() == title
    assert dom.css_first("section.change h2").text() == "Version 0 vs Version 1, 32 minutes later"
    assert len(dom.css(".row.modify")) == 5 and len(dom.css(".row.insert")) == 1
    inserted = [node.text().strip() for node in dom.css(".new ins")]
    assert "a serious rupture between two close American allies" in inserted
    assert "“We did not compromise,” he said." in inserted
    assert "and conveyed their intentions to the Japanese government" in [
        node.text().strip() for node in dom.css(".old del")
    ]


def test_hostile_article_text_runs_nothing(tmp_path: Path) -> None:
    old = ArticleText(
        title=HOSTILE_TEXTS[0], byline=HOSTILE_TEXTS[1], paragraphs=HOSTILE_TEXTS[:3]
    ).normalized()
    new = ArticleText(
        title=HOSTILE_TEXTS[1], byline=HOSTILE_TEXTS[2], paragraphs=HOSTILE_TEXTS[2:]
    ).normalized()
    versions = [
        Version(0, old, T0, old.hash_as_is()),
        Version(1, new, T0 + timedelta(minutes=5), new.hash_as_is()),
    ]
    article = Article(
        id="0123456789abcdef", url=f"javascript:{PAYLOAD}", source=HOSTILE_TEXTS[3],
        title=new.title, first_seen=T0, last_changed=versions[1].fetched_at, version_count=2,
        feed_url=f"javascript:{PAYLOAD}",
    )  # fmt: skip
    page = tmp_path / "hostile.html"
    page.write_text(render_html(article, versions), encoding="utf-8")
    dom, console = open_in_chromium(page, tmp_path / "profile")
    assert_nothing_ran(dom, f"Changes to: {new.title}")
    assert console == []  # nothing was even refused: the text never became markup
    assert dom.css("script, img, svg, a[href^='javascript'], a[href^='JAVASCRIPT']") == []
    assert dom.css_first("h1").text() == new.title
    for text in new.paragraphs:
        assert text in dom.body.text()


def test_the_csp_stops_even_a_broken_escape(seeded_store: Store, tmp_path: Path) -> None:
    """Markup injected raw into the rendered page (as a broken escape would) runs nothing;
    the same page without its CSP meta tag does run it, so the check can see script run."""
    html = render_html(seeded_store.article(SEED_ID), seeded_store.versions(SEED_ID))
    injection = (
        f'<img src="x" onerror="{PAYLOAD}">'
        f"<script>{PAYLOAD}</script>"
        f"<svg><style>p{{color:red}}</style><script>{PAYLOAD}</script></svg>"
    )
    broken = html.replace("<main>", f"<main>{injection}", 1)
    assert broken != html
    page = tmp_path / "broken.html"
    page.write_text(broken, encoding="utf-8")
    dom, console = open_in_chromium(page, tmp_path / "profile")
    title = f"Changes to: {seeded_store.article(SEED_ID).title}"
    assert_nothing_ran(dom, title)
    refusals = [line for line in console if "Content Security Policy" in line]
    assert refusals and len(refusals) == len(console)

    control = tmp_path / "control.html"
    csp_meta = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
    assert csp_meta in broken
    control.write_text(broken.replace(csp_meta, ""), encoding="utf-8")
    dom, _ = open_in_chromium(control, tmp_path / "profile-control")
    assert dom.css_first("title").text() == "pwned"
    assert dom.css_first("#pwned") is not None


def test_site_index_and_a_compare_page_open_cleanly(seeded_store: Store, tmp_path: Path) -> None:
    art = seeded_store.add_article("https://www.bbc.co.uk/news/storm", first_seen=T0)
    for k, word in enumerate(("Wind", "Rain", "Snow")):
        seeded_store.add_version(art.id, ArticleText(f"Storm {k}", paragraphs=(f"{word} today.",)),
                                 T0 + timedelta(hours=k))  # fmt: skip
    out = tmp_path / "site"
    assert main(["--db", str(seeded_store.root), "--export", "all", "--format", "html",
                 "-o", str(out)]) == 0  # fmt: skip
    dom, console = open_in_chromium(out / "index.html", tmp_path / "profile")
    assert console == []
    assert len(dom.css("tbody tr")) == 2
    dom, console = open_in_chromium(out / "articles" / f"{art.id}-v0-v2.html", tmp_path / "p2")
    assert console == []
    assert [n.text() for n in dom.css(".new ins")] == ["2", "Snow"]
