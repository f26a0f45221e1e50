from pathlib import Path

import pytest

from news.pages import (
    compile_css_selector,
    css_to_xpath,
    discover_feed_links,
    extract_article_links,
    parse_html_document,
)

FIXTURES = Path(__file__).parent / "fixtures"
LISTING_URL = "https://www.acme-ai.example/blog"


@pytest.fixture
def listing() -> bytes:
    return (FIXTURES / "blog_listing.html").read_bytes()


# ---------------------------------------------------------------- without a selector


def test_listing_links_default_heuristics(listing):
    assert extract_article_links(listing, base_url=LISTING_URL) == [
        "https://www.acme-ai.example/blog/introducing-nimbus-2",
        "https://acme-ai.example/blog/frontier-safety-forum",
        "https://www.acme-ai.example/blog/2025/02/27/evaluating-long-context-models",
        "https://www.acme-ai.example/blog/acme-at-neurips-2024",
    ]


def test_listing_links_ignore_navigation_footer_and_index_pages(listing):
    links = extract_article_links(listing, base_url=LISTING_URL)
    joined = " ".join(links)
    for unwanted in (
        "announcing-our-new-office",  # in <nav>
        "our-first-post",  # in the page footer
        "/author/",
        "/category/",
        "/tag/",
        "/page/",
        "page=2",
        "feed.xml",
        "login",
        "mailto:",
        "#",
        "privacy",
    ):
        assert unwanted not in joined


def test_listing_links_ignore_other_sites_and_the_listing_itself(listing):
    links = extract_article_links(listing, base_url=LISTING_URL)
    assert all("acme-ai.example" in link for link in links)
    assert not any("news.example.net" in link or "twitter" in link for link in links)
    assert LISTING_URL not in links
    assert f"{LISTING_URL}/" not in links


def test_listing_links_respect_limit(listing):
    assert extract_article_links(listing, base_url=LISTING_URL, limit=2) == [
        "https://www.acme-ai.example/blog/introducing-nimbus-2",
        "https://acme-ai.example/blog/frontier-safety-forum",
    ]


def test_page_without_article_containers_falls_back_to_url_shapes():
    page = """<html><body>
      <div id="top"><a href="/">Home</a> <a href="/about">About</a></div>
      <ul>
        <li><a href="/news/2025/03/acme-raises-series-c">Acme raises a Series C</a></li>
        <li><a href="/news/new-office-in-paris">New office in Paris</a></li>
        <li><a href="/pricing">Pricing</a></li>
        <li><a href="/news/2025/">All of 2025</a></li>
        <li><a href="/news/12345">Press release 12345</a></li>
      </ul>
    </body></html>"""
    assert extract_article_links(page, base_url="https://acme.example/news") == [
        "https://acme.example/news/2025/03/acme-raises-series-c",
        "https://acme.example/news/new-office-in-paris",
        "https://acme.example/news/12345",
    ]


def test_home_page_listing_needs_article_shaped_paths():
    page = """<html><body><main>
      <a href="/about">About</a><a href="/careers">Careers</a>
      <a href="/introducing-our-first-model">Introducing our first model</a>
      <a href="/2024/11/05/a-dated-post">A dated post</a>
    </main></body></html>"""
    assert extract_article_links(page, base_url="https://acme.example/") == [
        "https://acme.example/introducing-our-first-model",
        "https://acme.example/2024/11/05/a-dated-post",
    ]


def test_base_href_is_honoured():
    page = (
        '<html><head><base href="https://acme.example/blog/"></head>'
        '<body><article><a href="first-post-here">x</a></article></body></html>'
    )
    assert extract_article_links(page, base_url="https://acme.example/blog") == [
        "https://acme.example/blog/first-post-here"
    ]


@pytest.mark.parametrize("page", [b"", "   ", "not html at all", b"\x00\x01\x02"])
def test_listing_links_from_junk_is_empty(page):
    assert extract_article_links(page, base_url="https://acme.example/blog") == []


# ---------------------------------------------------------------- with a selector


def test_selector_picks_exactly_the_configured_links(listing):
    assert extract_article_links(listing, base_url=LISTING_URL, css_selector="article h2 a") == [
        "https://www.acme-ai.example/blog/introducing-nimbus-2",
        "https://acme-ai.example/blog/frontier-safety-forum",
        "https://www.acme-ai.example/blog/2025/02/27/evaluating-long-context-models",
    ]


def test_selector_matching_containers_takes_links_inside_them(listing):
    links = extract_article_links(listing, base_url=LISTING_URL, css_selector=".post-card, .card")
    assert links == [
        "https://www.acme-ai.example/blog/introducing-nimbus-2",
        "https://acme-ai.example/blog/frontier-safety-forum",
        "https://www.acme-ai.example/blog/2025/02/27/evaluating-long-context-models",
        "https://www.acme-ai.example/blog/acme-at-neurips-2024",
    ]


def test_selector_still_applies_address_filters(listing):
    # The footer is the source's explicit choice here, but other sites, index pages and
    # the listing itself stay out.
    links = extract_article_links(listing, base_url=LISTING_URL, css_selector="footer a, aside a")
    assert links == [
        "https://www.acme-ai.example/privacy",
        "https://www.acme-ai.example/terms",
        "https://www.acme-ai.example/blog/2020/01/01/our-first-post",
    ]


def test_invalid_selector_raises_value_error(listing):
    with pytest.raises(ValueError, match="CSS selector"):
        extract_article_links(listing, base_url=LISTING_URL, css_selector="a:has(")


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("a", ["1", "2", "3", "4"]),
        ("div.teaser a", ["1", "2"]),
        ("div.teaser > a", ["1"]),
        ("#pinned a", ["3"]),
        ("a[rel~=bookmark]", ["2"]),
        ("a[href^='/blog/']", ["1", "2"]),
        ('a[href$="-c"]', ["3"]),
        ("a[href*='log/b']", ["2"]),
        ("a[data-id]", ["4"]),
        ("section a[data-id='x'], .teaser > a", ["1", "4"]),
        ("*[id=pinned] a", ["3"]),
    ],
)
def test_css_subset(selector, expected):
    document = parse_html_document(
        """<html><body>
        <div class="teaser big"><a href="/blog/a">1</a><span><a rel="nofollow bookmark"
           href="/blog/b">2</a></span></div>
        <div id="pinned"><a href="/c-c">3</a></div>
        <section><a data-id="x" href="/d">4</a></section>
        </body></html>"""
    )
    matched = compile_css_selector(selector)(document)
    assert [element.text_content() for element in matched] == expected


@pytest.mark.parametrize("selector", ["", "a:hover", "a + b", "a ~ b", "> a", "a,", "a::before"])
def test_css_subset_rejects_what_it_cannot_translate(selector):
    with pytest.raises(ValueError, match=r"."):
        css_to_xpath(selector)


# ---------------------------------------------------------------- feed discovery


def test_discover_feed_links(listing):
    assert discover_feed_links(listing, base_url=LISTING_URL) == [
        "https://www.acme-ai.example/blog/feed.xml",
        "https://www.acme-ai.example/blog/atom.xml",
        "https://www.acme-ai.example/blog/feed.json",
    ]


def test_discover_feed_links_skips_comment_feeds_and_other_alternates():
    page = """<html><head>
      <link rel="alternate" type="application/rss+xml" title="Blog &raquo; Feed" href="/feed/">
      <link rel="alternate" type="application/rss+xml" title="Blog &raquo; Comments Feed"
            href="/comments/feed/">
      <link rel="Alternate" type="Application/Atom+XML; charset=utf-8" href="https://feeds.example.net/blog">
      <link rel="alternate" type="application/json" href="/feed.json">
      <link rel="alternate" type="text/html" hreflang="de" href="/de/">
      <link rel="stylesheet" type="text/css" href="/site.css">
      <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
    </head><body></body></html>"""
    assert discover_feed_links(page, base_url="https://acme.example/") == [
        "https://acme.example/feed/",
        "https://feeds.example.net/blog",
        "https://acme.example/feed.json",
    ]


def test_discover_feed_links_on_a_page_without_feeds():
    assert (
        discover_feed_links("<html><head></head><body>x</body></html>", base_url="https://e.com/")
        == []
    )
    assert discover_feed_links(b"", base_url="https://e.com/") == []


def test_stray_control_characters_do_not_break_parsing():
    page = (
        b"<html><body><article><a href='/blog/a-post-title'>x\x00\x0b</a></article></body></html>"
    )
    assert extract_article_links(page, base_url="https://acme.example/blog") == [
        "https://acme.example/blog/a-post-title"
    ]
