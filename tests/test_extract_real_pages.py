"""Failure classes seen on real pages (``../shared/corpus``), each reproduced by a small page.

On real sites the element that holds the whole article often carries a boilerplate word in
its class or id: a page-wide ``<div id="ad-portal">``, an article that is also ``paywall``, a
column marked ``has-ads``, an off-canvas wrapper with ``social`` in its class, an ASP.NET
``<form>`` around the whole page, a ``<body>`` class listing every feature of the site. The
old cleaning deleted such wrappers and the page was refused. Each test here builds the shape
of one such page (never a site's real class names) and checks the article comes out whole,
while the widgets around it still go.
"""

from __future__ import annotations

import html
import json

import pytest
from local_server import news_page

from newsdiff_tui.extract import MIN_WORDS, collapse_reason, explain, extract

STORY = [
    "The city council voted on Tuesday to reopen the old harbour bridge to cyclists after "
    "three years of repairs, ending a long dispute with residents of the east bank.",
    "The vote was seven to two. Opponents said the repaired deck could not carry the weight "
    "of the delivery bikes that now crowd the narrow streets of the old town.",
    "Engineers told the council that the steel deck had been tested last month and could "
    "carry twice the load expected on a busy summer weekend.",
    "The bridge will reopen on the first Monday of next month, the mayor said, with a speed "
    "limit for bicycles and a ban on motor scooters during the morning rush.",
]
TITLE = "Harbour Bridge Reopens to Cyclists"


def _paragraphs(story: list[str] = STORY) -> str:
    return "".join(f"<p>{html.escape(p)}</p>" for p in story)


def _page(body: str, *, body_attrs: str = "", head: str = "") -> str:
    """A page with the usual furniture around ``body``: navigation, a share bar, a footer."""
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{TITLE} - The Gazette"
        f"</title>{head}</head><body {body_attrs}>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a> <a href='/sport'>Sport</a></nav>"
        f"{body}"
        "<footer><p>© The Gazette. All rights reserved.</p></footer></body></html>"
    )


def _widgets(variant: int = 0) -> str:
    """Small labelled widgets inside the article, which cleaning must still remove."""
    return (
        f'<div class="share-bar"><a href="/s?{variant}">Share</a> {variant + 3} shares</div>'
        f'<div class="ad-slot"><span>Advertisement</span> ad #{variant}</div>'
        f'<div class="related-links"><a href="/a{variant}">Another story {variant}</a></div>'
    )


def _assert_whole_story(page: str) -> None:
    text = extract(page)
    assert list(text.paragraphs) == STORY
    assert collapse_reason(text) is None


def test_a_page_wide_wrapper_named_after_ads_holds_the_article() -> None:
    page = _page(
        '<div id="ad-portal" class="site-wrapper">'
        f"<article><h1>{TITLE}</h1>{_widgets()}{_paragraphs()}</article>"
        '<aside class="sidebar"><a href="/x">Most read</a><a href="/y">Videos</a></aside></div>'
    )
    _assert_whole_story(page)
    found = explain(page)
    assert any(block.label.startswith('id="ad-portal"') for block in found.spared)
    removed = {block.label.split(" ")[0] for block in found.removed}
    assert {'class="share-bar"', 'class="ad-slot"', 'class="related-links"'} <= removed


def test_an_article_that_is_also_a_paywall_keeps_its_text_and_loses_the_prompt() -> None:
    page = _page(
        f'<article class="story paywall paywall--metered"><h1>{TITLE}</h1>{_paragraphs()}'
        '<div class="paywall-prompt">Subscribe to continue reading our journalism.</div>'
        "</article>"
    )
    text = extract(page)
    assert list(text.paragraphs) == STORY


def test_a_layout_column_marked_has_ads_holds_the_article() -> None:
    page = _page(
        '<section class="layout-column has-ads"><div class="col-main">'
        f"<h1>{TITLE}</h1>{_paragraphs()}</div></section>"
    )
    _assert_whole_story(page)


def test_an_off_canvas_wrapper_with_social_in_its_class_holds_the_article() -> None:
    page = _page(
        '<div class="offcanvas-wrapper offcanvas-social-open">'
        '<div class="offcanvas-menu"><a href="/a">Menu</a></div>'
        f'<div class="offcanvas-content"><h1>{TITLE}</h1>{_paragraphs()}</div></div>'
    )
    _assert_whole_story(page)


def test_a_page_wide_asp_net_form_holds_the_article() -> None:
    page = _page(
        '<form method="post" action="./story.aspx?id=12" id="aspnetForm">'
        '<input type="hidden" name="__VIEWSTATE" value="dDwtMTI3OTMzNDM4NDs7Pg==">'
        f'<div id="content"><h1>{TITLE}</h1>{_paragraphs()}</div>'
        '<form class="search"><input name="q"><button>Search</button></form></form>'
    )
    _assert_whole_story(page)


def test_a_body_class_listing_social_and_cookie_features_changes_nothing() -> None:
    attrs = 'class="single-post cookies-not-set hide-social-icons paywall-2 enable-ad-slots"'
    page = _page(f"<main><h1>{TITLE}</h1>{_paragraphs()}</main>", body_attrs=attrs)
    _assert_whole_story(page)


def test_churn_inside_a_labelled_wrapper_makes_no_new_text() -> None:
    """The wrapper holds the article, and the widgets inside it change on every fetch."""
    pages = [
        _page(
            f'<div class="content ad-free paywall-off"><article><h1>{TITLE}</h1>'
            f"{_widgets(v)}{_paragraphs(STORY[:2])}{_widgets(v + 1)}{_paragraphs(STORY[2:])}"
            "</article></div>"
        )
        for v in range(5)
    ]
    assert len(set(pages)) == 5
    assert {extract(page).paragraphs for page in pages} == {tuple(STORY)}


def test_news_page_variants_inside_a_paywall_wrapper_give_one_text(seed_data: dict) -> None:
    version = seed_data["versions"][0]
    pages = [
        news_page(version["title"], version["paragraphs"], variant=v).replace(
            "<main>", '<main class="paywall metered ad-container">'
        )
        for v in range(4)
    ]
    texts = {extract(page).paragraphs for page in pages}
    assert texts == {tuple(version["paragraphs"])}


def test_a_short_real_brief_is_an_article() -> None:
    brief = [
        "A magnitude 5.1 earthquake struck off the northern coast early on Sunday, the "
        "geological survey said. There were no immediate reports of damage or injuries, and "
        "no tsunami warning was issued. The quake was felt in three coastal towns, residents "
        "said."
    ]
    assert 40 <= len(brief[0].split()) <= 80
    page = _page(
        f"<main><article><h1>Quake Strikes Off Coast</h1>{_paragraphs(brief)}</article>"
        '<aside class="related"><h2>Related</h2><ul>'
        + "".join(f"<li><a href='/r{i}'>Earlier quake report number {i}</a></li>" for i in range(8))
        + "</ul></aside></main>"
    )
    text = extract(page)
    assert list(text.paragraphs) == brief
    assert collapse_reason(text) is None


def test_a_one_line_breaking_story_is_not_refused() -> None:
    page = _page("<main><h1>Breaking</h1><p>Fire reported at the central station.</p></main>")
    text = extract(page)
    assert text.paragraphs == ("Fire reported at the central station.",)
    assert collapse_reason(text) is None
    assert len(text.paragraphs[0].split()) >= MIN_WORDS


def test_a_short_cjk_article_counts_its_characters() -> None:
    story = (
        "東京都は十日、新しい自転車専用道路の建設を始めると発表した。"
        "完成は来年春の予定で、通勤者の安全が高まると期待されている。"
    )
    text = extract(_page(f"<main><h1>自転車道路</h1><p>{story}</p></main>"))
    assert text.paragraphs == (story,)
    assert len(" ".join(text.paragraphs).split()) < MIN_WORDS  # by spaces, almost nothing
    assert collapse_reason(text) is None


def test_an_article_only_in_noscript_is_found() -> None:
    """Blogs rendered by script keep the article in <noscript> for readers without it."""
    page = _page(
        "<div id='app'></div><noscript><div class='post-body'>"
        f"<h1>{TITLE}</h1>{_paragraphs()}</div></noscript>"
    )
    assert list(extract(page).paragraphs) == STORY


def test_text_after_an_embed_element_is_kept() -> None:
    """<embed> is a void element: the paragraphs after it are not inside it."""
    page = _page(
        f"<article><h1>{TITLE}</h1>{_paragraphs(STORY[:2])}"
        '<embed src="/media/clip.swf" type="application/x-shockwave-flash">'
        f"{_paragraphs(STORY[2:])}</article>"
    )
    assert list(extract(page).paragraphs) == STORY


def test_json_ld_article_body_is_used_when_the_page_shows_only_a_teaser() -> None:
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": TITLE,
        "articleBody": "<p>" + "</p><p>".join(STORY) + "</p>",
    }
    lead = "Cyclists win a three-year fight over the harbour crossing."
    page = _page(
        f"<article><h1>{TITLE}</h1><p class='lead'>{lead}</p>"
        "<div class='subscribe-box'><a href='/subscribe'>Subscribe to read more</a></div>"
        "</article>",
        head=f'<script type="application/ld+json">{json.dumps(ld)}</script>',
    )
    found = explain(page)
    assert list(found.text.paragraphs) == [lead, *STORY]
    assert found.extractor.startswith("JSON-LD articleBody")


def test_json_ld_article_body_protects_its_block_from_cleaning() -> None:
    """A prose block whose class says 'promo', holding paragraphs that articleBody states."""
    ld = {"@type": "NewsArticle", "headline": TITLE, "articleBody": "\n".join(STORY[2:])}
    page = _page(
        f"<article><h1>{TITLE}</h1>{_paragraphs(STORY[:2])}"
        f'<div class="promo-continued">{_paragraphs(STORY[2:])}</div></article>',
        head=f'<script type="application/ld+json">{json.dumps(ld)}</script>',
    )
    found = explain(page)
    assert list(found.text.paragraphs) == STORY
    assert not any("promo" in block.label for block in found.removed)


def test_byline_from_an_author_element_when_metadata_has_none() -> None:
    page = _page(
        f"<article><h1>{TITLE}</h1>"
        '<p class="byline">By <a rel="author" href="/staff/ann-lee">Ann Lee</a></p>'
        f"{_paragraphs()}</article>",
        head='<meta property="article:author" content="https://social.example/ann.lee">',
    )
    found = explain(page)
    assert found.text.byline == "Ann Lee"
    assert found.byline_source.startswith("page markup")
    assert "By Ann Lee" not in found.text.paragraphs


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        (
            "<div class='wall'><h2>We value your privacy</h2><p>We use cookies and similar "
            "technologies to personalise content and ads. Click accept all cookies to continue "
            "to the site or manage cookies to choose.</p></div>",
            "rule: wall",
        ),
        (
            "<main><h1>Page not found</h1><p>Sorry, the page you are looking for could not be "
            "found. It may have been moved or deleted. Error 404.</p></main>",
            "rule: wall",
        ),
        (
            # An archived 404 page whose title says so; its text alone names no error.
            "<main><h1>Page Not Found</h1><p>Sorry, we could not find that page.</p></main>",
            "rule: wall",
        ),
        ("<main><h1>Loading</h1><p>Please wait.</p></main>", "rule: word floor"),
        ("<main><h1>Before you continue</h1></main>", "rule: no text"),
    ],
)
def test_pages_without_an_article_are_refused_by_a_named_rule(body: str, rule: str) -> None:
    found = explain(f"<html><head><title>Site</title></head><body>{body}</body></html>")
    assert found.refused is not None and rule in found.refused
    assert collapse_reason(found.text) == found.refused


def test_a_brief_that_quotes_a_wall_phrase_is_not_a_wall() -> None:
    brief = [
        "Hackers broke into the city's parking payment site over the weekend, officials said. "
        'Drivers who tried to pay saw a page reading "Access denied" and then "something '
        'went wrong", and were asked to complete the captcha again. No card numbers were '
        "taken, the city said."
    ]
    text = extract(_page(f"<main><h1>Parking Site Hacked</h1>{_paragraphs(brief)}</main>"))
    assert list(text.paragraphs) == brief
    assert collapse_reason(text) is None


def test_an_article_about_cookies_is_not_a_wall() -> None:
    story = [
        "Regulators fined a large retailer on Monday for setting tracking cookies before "
        "visitors agreed, the first such fine in the country.",
        "The retailer said it would appeal. Its banner asked visitors to accept all cookies "
        "but loaded advertising trackers as soon as the page opened, the regulator found.",
        "Consumer groups welcomed the decision and called for checks on other large sites.",
    ]
    text = extract(_page(f"<main><h1>Retailer Fined</h1>{_paragraphs(story)}</main>"))
    assert list(text.paragraphs) == story
    assert collapse_reason(text) is None


LEAD = "Cyclists win a three-year fight over the harbour crossing, and the scooters lose theirs."


def test_the_lead_the_page_shows_comes_first_even_outside_the_article_body() -> None:
    """Leads often sit in the article's header, beside the title: extractors drop them."""
    page = _page(
        f'<div class="article-header"><h1>{TITLE}</h1><p class="standfirst">{LEAD}</p>'
        "<p class='date'>12 May 2024</p></div>"
        f'<div class="article-body">{_paragraphs()}</div>',
        head=f'<meta name="description" content="{LEAD}">',
    )
    found = explain(page)
    assert list(found.text.paragraphs) == [LEAD, *STORY]
    assert "the lead" in found.extractor


def test_a_description_that_the_page_does_not_show_is_not_added() -> None:
    page = _page(
        f"<article><h1>{TITLE}</h1>{_paragraphs()}</article>",
        head=f'<meta name="description" content="{LEAD}">',
    )
    assert list(extract(page).paragraphs) == STORY


def test_a_data_table_in_the_article_is_text_row_by_row() -> None:
    """Figures in a table are article text: an edit to one is a change to track."""
    rows = [("District", "Votes"), ("North", "12,408"), ("South", "9,877")]
    table = (
        "<table>"
        + "".join(f"<tr><td>{name}</td><td>{votes}</td></tr>" for name, votes in rows)
        + "</table>"
    )
    page = _page(
        f"<article><h1>{TITLE}</h1>{_paragraphs(STORY[:2])}{table}"
        f"{_paragraphs(STORY[2:])}</article>"
    )
    text = extract(page)
    assert list(text.paragraphs) == [
        *STORY[:2],
        "District Votes",
        "North 12,408",
        "South 9,877",
        *STORY[2:],
    ]
