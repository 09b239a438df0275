"""Article text is untrusted: in a Markdown or Atom export none of it may become markup.

Each hostile text goes into the title, the byline and the paragraphs of a two-version history.
The Markdown is rendered with markdown-it-py (CommonMark plus GitHub's tables and
strikethrough); the HTML it yields must have exactly the tags of the same export made from
harmless text, and its text content must be the article text, character for character.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import feedparser
import pytest
from markdown_it import MarkdownIt

from newsdiff_tui.export import md_escape, render_atom, render_markdown
from newsdiff_tui.model import Article, ArticleText, Version
from newsdiff_tui.textnorm import normalize

HOSTILE = {
    "script": "<script>alert('x')</script> after",
    "javascript-link": "see [x](javascript:alert(1)) and [y]: javascript:evil",
    "image": "![pic](https://example.com/a.png) here",
    "autolink": "<https://evil.example/> and <mailto:a@b.c>",
    "emphasis": "*one* **two** _three_ __four__ a*b*c snake_case_name",
    "pipes": "| a | b |",
    "table-row": "a | b",
    "backticks": "`code` and ``more`` and ```fence",
    "heading": "# Not a heading #",
    "closing-hashes": "Title ##",
    "blockquote": "> not a quote",
    "entities": "AT&T &amp; &lt;b&gt; &copy; &#42; &#x2A;",
    "html-comment": "<!-- hidden --> shown",
    "fake-diff": "<ins>fake</ins> <del>fake</del>",
    "ordered-list": "2019. A year to remember",
    "ordered-paren": "1) not a list",
    "bullet": "- not a bullet",
    "plus": "+ not a bullet",
    "star-bullet": "* not a bullet",
    "thematic-break": "***",
    "dashes": "---",
    "setext": "===",
    "strikethrough": "~~not struck~~",
    "backslashes": "a \\ b \\* c \\",
    "brackets": "[not a link] [ref]",
    "hard-break": "two spaces  then\\",
}
HARMLESS = "plain words here"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


class TextAndTags(HTMLParser):
    """Collects the tag sequence of an HTML fragment and its text per top-level block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.blocks: list[tuple[str, str]] = []  # (block tag, text content)
        self.sides: list[tuple[str, str]] = []  # per block: (old side, new side)
        self._stack: list[str] = []
        self._text: list[str] = []
        self._old: list[str] = []
        self._new: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)
        self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self.tags.append("/" + tag)
        while self._stack and self._stack.pop() != tag:
            pass
        if not self._stack:
            self.blocks.append((tag, "".join(self._text)))
            self.sides.append(("".join(self._old), "".join(self._new)))
            self._text, self._old, self._new = [], [], []

    def handle_data(self, data: str) -> None:
        if not self._stack:
            return
        self._text.append(data)
        if "ins" not in self._stack:
            self._old.append(data)
        if "del" not in self._stack:
            self._new.append(data)


def _md_html(markdown: str) -> TextAndTags:
    html = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)
    parser = TextAndTags()
    parser.feed(html)
    return parser


def _history(text: str) -> tuple[Article, list[Version]]:
    """Two versions: the text as title, byline and paragraphs; version 1 edits around it."""
    v0 = ArticleText(title=text, byline=text, paragraphs=(text, "Unchanged.", "Gone " + text))
    v1 = ArticleText(
        title=text + " updated",
        byline="By " + text,
        # The last paragraph edited too: the text itself reappearing unedited would be a move.
        paragraphs=("New start " + text, "Unchanged.", text + " end"),
    )
    versions = [
        Version(0, v0, T0, "h0"),
        Version(1, v1, T0 + timedelta(minutes=5), "h1"),
    ]
    article = Article(
        id="0123456789abcdef",
        url="https://example.com/story",
        source="example",
        title=v1.title,
        first_seen=T0,
        last_changed=versions[-1].fetched_at,
        version_count=2,
    )
    return article, versions


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _markup(parser: TextAndTags) -> list[str]:
    """The tags that are the export's own structure: all but paragraphs and diff marks, whose
    number depends on how the diff engine splits the text."""
    return [t for t in parser.tags if t.strip("/") not in {"p", "del", "ins"}]


def _sides(parser: TextAndTags, start: int, stop: int) -> tuple[list[str], list[str]]:
    """Old and new texts of the diff blocks in ``[start, stop)``, leaving out empty sides."""
    fold = re.compile(r"… \d+ unchanged paragraphs? …")
    sides = [(o, n) for o, n in parser.sides[start:stop] if not fold.fullmatch(o)]
    return [_squash(o) for o, _ in sides if o.strip()], [_squash(n) for _, n in sides if n.strip()]


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_markdown_renders_hostile_text_literally(text: str) -> None:
    article, versions = _history(text)
    markdown = render_markdown(article, versions, full=True)
    parsed = _md_html(markdown)
    baseline = _md_html(render_markdown(*_history(HARMLESS), full=True))

    # No markup of the article's making: the export's own tags and nothing else.
    assert _markup(parsed) == _markup(baseline)
    assert set(parsed.tags) == set(baseline.tags) | ({"del", "/del"} & set(parsed.tags))
    assert 'href="javascript:' not in MarkdownIt("commonmark").render(markdown)

    # Text content is the article text, character for character (whitespace collapsed).
    old, new = versions[0].text, versions[1].text
    assert parsed.blocks[0] == ("h1", _squash(new.title))
    heads = [i for i, (tag, _) in enumerate(parsed.blocks) if tag == "h2"]
    assert parsed.blocks[heads[1]][1].startswith("Latest text")
    assert [body for _, body in parsed.blocks[heads[1] + 1 :]] == [
        _squash(new.title),
        _squash(new.byline),
        *map(_squash, new.paragraphs),
    ]
    # In the diff, dropping <ins> gives the old text and dropping <del> the new one.
    old_sides, new_sides = _sides(parsed, heads[0] + 2, heads[1])
    assert old_sides == [
        _squash(f"Headline: {old.title}"),
        _squash(f"Byline: {old.byline}"),
        *map(_squash, old.paragraphs),
    ]
    assert new_sides == [
        _squash(f"Headline: {new.title}"),
        _squash(f"Byline: {new.byline}"),
        *map(_squash, new.paragraphs),
    ]


def test_markdown_drops_control_characters() -> None:
    text = "bell\x07 and \x1b[31mred\x1b[0m and nul\x00 end"
    parsed = _md_html(render_markdown(*_history(text)))
    assert parsed.blocks[0] == ("h1", "bell and red and nul end updated")
    assert md_escape(text) == "bell and red and nul end"


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_md_escape_round_trips_through_a_markdown_renderer(text: str) -> None:
    html = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md_escape(text))
    parser = TextAndTags()
    parser.feed(html)
    assert parser.tags == ["p", "/p"]
    assert parser.blocks == [("p", normalize(text))]


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_atom_escapes_hostile_text(text: str) -> None:
    atom = render_atom(*_history(text))
    feed = feedparser.parse(atom)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.feed.title == "Changes to: " + text + " updated"

    ns = {"a": "http://www.w3.org/2005/Atom"}
    content = ET.fromstring(atom).find("a:entry/a:content", ns)
    assert content is not None and content.get("type") == "html"
    parser = TextAndTags()
    parser.feed(content.text or "")
    baseline = TextAndTags()
    baseline_atom = render_atom(*_history(HARMLESS))
    baseline.feed(ET.fromstring(baseline_atom).find("a:entry/a:content", ns).text)
    assert _markup(parser) == _markup(baseline)
    assert set(parser.tags) <= {"p", "/p", "em", "/em", "strong", "/strong"} | {
        "del",
        "/del",
        "ins",
        "/ins",
    }
    old, new = (v.text for v in _history(text)[1])
    old_sides, new_sides = _sides(parser, 1, len(parser.sides))
    assert old_sides == [_squash(f"Headline: {old.title}"), _squash(f"Byline: {old.byline}")] + [
        _squash(p) for p in old.paragraphs if p != "Unchanged."
    ]
    assert new_sides == [_squash(f"Headline: {new.title}"), _squash(f"Byline: {new.byline}")] + [
        _squash(p) for p in new.paragraphs if p != "Unchanged."
    ]


def test_atom_drops_characters_xml_cannot_hold() -> None:
    atom = render_atom(*_history("bad\x01 \x1b[1mbold\x1b[0m \ufffe end"))
    assert feedparser.parse(atom).bozo == 0
    assert "Changes to: bad bold  end updated" in ET.fromstring(atom)[1].text
