"""Extraction: the seed article comes out exactly, whatever boilerplate surrounds it."""

from __future__ import annotations

import pickle

import pytest
from local_server import news_page

from newsdiff_tui.extract import CharsetError, collapse_reason, decode_html, extract
from newsdiff_tui.model import ArticleText


@pytest.mark.parametrize("number", [0, 1])
def test_seed_versions_come_out_exactly(seed_data: dict, number: int) -> None:
    version = seed_data["versions"][number]
    text = extract(news_page(version["title"], version["paragraphs"]))
    assert text.title == version["title"]
    assert list(text.paragraphs) == version["paragraphs"]
    assert text.published == "2019-11-22T09:15:00Z"


def test_boilerplate_changes_give_the_same_text(seed_data: dict) -> None:
    version = seed_data["versions"][0]
    pages = [
        news_page(version["title"], version["paragraphs"], variant=v, byline="Motoko Rich")
        for v in range(6)
    ]
    pages.append(
        news_page(
            version["title"], version["paragraphs"], variant=9, filler_kb=100, byline="Motoko Rich"
        )
    )
    assert len(set(pages)) == len(pages)  # the pages really differ
    texts = {extract(p) for p in pages}
    assert len(texts) == 1
    (text,) = texts
    assert text.byline == "Motoko Rich"
    joined = " ".join(text.paragraphs)
    for boilerplate in ("Advertisement", "Updated", "Related Coverage", "Sign up", "Trending"):
        assert boilerplate not in joined


def test_json_ld_authors_headline_and_graph() -> None:
    html = """<html><head><title>Wrong title | Site</title>
    <script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
      {"@type": "WebSite", "name": "Site"},
      {"@type": ["NewsArticle"], "headline": "Storm &amp; Flood Warning",
       "datePublished": "2024-03-01T08:00:00+00:00",
       "author": [{"@type": "Person", "name": "Ann Lee"}, {"name": "Bo Chen"}, "Cy Diaz"]}
    ]}</script></head><body><article><h1>Storm &amp; Flood Warning</h1>
    <p>By Ann Lee, Bo Chen and Cy Diaz</p>
    <p>Heavy rain is expected across the region on Friday, forecasters said, with flooding
    likely in low-lying areas near the river and its tributaries.</p>
    <p>Residents were told to move cars and valuables to higher ground before the evening.</p>
    </article></body></html>"""
    text = extract(html)
    assert text.title == "Storm & Flood Warning"
    assert text.byline == "Ann Lee, Bo Chen and Cy Diaz"
    assert text.published == "2024-03-01T08:00:00+00:00"
    assert text.paragraphs[0].startswith("Heavy rain")
    assert len(text.paragraphs) == 2  # the byline line is not a paragraph


def test_title_without_metadata_drops_the_site_suffix() -> None:
    html = (
        "<html><head><title>Council Approves Budget - Springfield News</title></head>"
        "<body><div><p>" + "The council approved the budget on Monday night. " * 8 + "</p>"
        "</div></body></html>"
    )
    text = extract(html)
    assert text.title == "Council Approves Budget"
    assert text.byline is None and text.published is None


def test_relative_time_labels_and_junk_lines_are_dropped(seed_data: dict) -> None:
    version = seed_data["versions"][0]
    paragraphs = [*version["paragraphs"][:3], "Updated 5 minutes ago", "Advertisement"]
    text = extract(news_page(version["title"], paragraphs))
    assert list(text.paragraphs) == version["paragraphs"][:3]


def test_site_rule_picks_the_article_body() -> None:
    body = " ".join(["The minister resigned on Tuesday after weeks of pressure."] * 6)
    html = (
        "<html><head><title>Minister Resigns</title></head><body>"
        f'<section name="articleBody"><div><p>{body}</p><p>{body}</p></div></section>'
        "<div><p>Continue reading the main story</p></div></body></html>"
    )
    text = extract(html, "https://www.nytimes.com/2024/01/01/world/minister.html")
    assert text.paragraphs == (body, body)


def test_bytes_are_decoded() -> None:
    html = (
        '<html><head><meta charset="iso-8859-1"><title>Caf\xe9</title></head><body><p>'
        + "Un caf\xe9 cr\xe8me co\xfbte trois euros dans ce quartier de la ville. " * 4
        + "</p></body></html>"
    ).encode("latin-1")
    text = extract(html)
    assert text.title == "Café"
    assert "café crème coûte" in text.paragraphs[0]


def test_decode_html_rules() -> None:
    assert decode_html("é".encode()) == "é"
    assert decode_html("é".encode("cp1252")) == "é"  # not UTF-8: Windows-1252
    assert decode_html(b"\xef\xbb\xbfhi") == "hi"  # BOM
    assert decode_html("é".encode("cp1252"), "latin-1") == "é"
    assert decode_html(b"plain", "no-such-charset") == "plain"
    with pytest.raises(CharsetError, match="unknown charset 'no-such-charset'"):
        decode_html("é".encode("cp1252"), "no-such-charset")


def test_collapse_reason() -> None:
    long = ArticleText("T", paragraphs=tuple(["word " * 50] * 4))  # 200 words
    assert collapse_reason(long) is None
    assert "no article text" in (collapse_reason(ArticleText("T")) or "")
    assert "only 3 words" in (collapse_reason(ArticleText("T", paragraphs=("a b c",))) or "")
    shrunk = ArticleText("T", paragraphs=("word " * 60,))
    assert "collapsed to 60 words from 200" in (collapse_reason(shrunk, long.word_count) or "")
    edited = ArticleText("T", paragraphs=tuple(["word " * 50] * 3))
    assert collapse_reason(edited, long.word_count) is None  # a paragraph cut is an edit


def test_consent_wall_page_is_a_problem() -> None:
    html = (
        "<html><body><div class='consent'><h2>We value your privacy</h2><p>We and our "
        "partners use cookies.</p><button>Accept all</button></div></body></html>"
    )
    assert collapse_reason(extract(html)) is not None


def test_extract_is_picklable_for_a_process_pool(seed_data: dict) -> None:
    version = seed_data["versions"][0]
    function = pickle.loads(pickle.dumps(extract))
    text = function(news_page(version["title"], version["paragraphs"]))
    assert pickle.loads(pickle.dumps(text)) == text


def test_nested_boilerplate_is_removed_safely() -> None:
    body = "The bridge reopened on Sunday after two years of repairs to its steel deck. " * 4
    html = (
        "<html><body><aside><aside><nav><a href='/'>Home</a></nav></aside></aside>"
        '<div class="ad"><div class="promo"><div class="ad">Buy now</div></div></div>'
        f"<article><p>{body}</p><footer><footer>Share</footer></footer></article>"
        "</body></html>"
    )
    for _ in range(50):  # freed nodes touched again would crash or corrupt sooner or later
        assert extract(html).paragraphs == (body.strip(),)


NOT_TEXT_LABELS = ["rot13", "rot_13", "base64", "base_64", "hex", "zlib", "bz2", "quopri", "uu"]
CAFE = "Un café crème coûte trois euros."


@pytest.mark.parametrize("label", NOT_TEXT_LABELS)
@pytest.mark.parametrize(
    "kind",
    ["meta charset", "meta http-equiv", "HTTP header", "XML declaration"],
)
def test_a_label_that_is_no_text_encoding_is_ignored(label: str, kind: str) -> None:
    """rot13, base64, hex, zlib...: Python knows them, but they turn bytes into bytes."""
    declared = label if kind == "HTTP header" else None
    head = {
        "meta charset": f'<meta charset="{label}">',
        "meta http-equiv": f'<meta http-equiv="Content-Type" content="text/html; charset={label}">',
        "HTTP header": "",
        "XML declaration": "",
    }[kind]
    prolog = f'<?xml version="1.0" encoding="{label}"?>' if kind == "XML declaration" else ""
    page = f"{prolog}<html><head>{head}</head><body><p>{CAFE}</p></body></html>"
    # Nothing else declared: UTF-8 when the bytes are UTF-8, else Windows-1252.
    assert CAFE in decode_html(page.encode("utf-8"), declared)
    assert CAFE in decode_html(page.encode("cp1252"), declared)


def test_a_label_that_is_no_text_encoding_gives_way_to_the_next_label() -> None:
    page = f'<html><head><meta charset="iso-8859-15"></head><body><p>{CAFE} 5 €</p></body></html>'
    assert f"{CAFE} 5 €" in decode_html(page.encode("iso-8859-15"), "rot13")
    xml = '<?xml version="1.0" encoding="koi8-r"?><html><body><p>Привет</p></body></html>'
    assert "Привет" in decode_html(xml.encode("koi8-r"), "base64")


def test_labels_with_no_replace_handling_fall_back() -> None:
    """idna and punycode are text codecs in Python, but not page charsets."""
    for label in ("idna", "punycode", "undefined"):
        assert CAFE in decode_html(CAFE.encode("cp1252"), label)


def test_extract_reads_a_rot13_page_as_utf8() -> None:
    page = f'<html><head><meta charset="rot13"><title>Caf\xe9</title></head><body><p>{CAFE}</p>'
    text = extract((page + "<p>" + CAFE * 3 + "</p></body></html>").encode("utf-8"))
    assert text.title == "Café" and text.paragraphs[0] == CAFE
