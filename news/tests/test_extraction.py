import socket
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from news.extraction import MAX_EXTRACTION_CHARS, extract_article, looks_like_article

FIXTURES = Path(__file__).parent / "fixtures"
POST_URL = "https://www.acme-ai.example/blog/introducing-nimbus-2"
LONG_PARAGRAPH = (
    "The team spent two years building the evaluation harness, and this post explains "
    "what it measures, why the old benchmarks stopped being useful, and how others can run it. "
)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Extraction must never open a connection: trafilatura only ever sees markup."""

    def refuse(*args, **kwargs):
        raise AssertionError("article extraction tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def post() -> bytes:
    return (FIXTURES / "blog_post.html").read_bytes()


def page(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"


# ---------------------------------------------------------------- extract_article


def test_blog_post_metadata(post):
    article = extract_article(post, url=f"{POST_URL}?utm_source=newsletter#top")
    assert article is not None
    assert article.title == "Introducing Nimbus 2: faster reasoning at half the cost"
    assert article.url == POST_URL  # the canonical link, tracking params stripped
    assert article.published_at == datetime(2025, 3, 4, 14, 30, tzinfo=UTC)
    assert article.author == "Dana Whitfield"
    assert article.description.startswith("Nimbus 2 brings a 40% latency cut")
    assert article.is_article is True


def test_blog_post_text_is_the_main_content_only(post):
    article = extract_article(post, url=POST_URL)
    assert article is not None
    assert article.text.startswith("Today we are releasing Nimbus 2")
    assert "Native tool calling with parallel function execution." in article.text
    assert "look forward to seeing what you build with it." in article.text
    for chrome in ("Careers", "Log in", "Privacy", "Terms", "© 2025", "dataLayer"):
        assert chrome not in article.text
    assert "\n" in article.text  # paragraphs stay apart


def test_blog_post_html_is_sanitised_and_absolute(post):
    article = extract_article(post, url=POST_URL)
    assert article is not None
    html = article.content_html
    assert "<h1" not in html
    assert "Introducing Nimbus 2: faster" not in html
    assert "<h2>What is new</h2>" in html
    assert "<li>40% lower median latency" in html
    assert 'src="https://www.acme-ai.example/images/nimbus-2-benchmarks.png"' in html
    assert (
        '<a href="https://docs.acme-ai.example/migration" rel="noopener noreferrer nofollow">'
        in html
    )
    assert "<script" not in html
    assert "class=" not in html


def test_listing_page_is_not_an_article():
    listing = (FIXTURES / "blog_listing.html").read_bytes()
    article = extract_article(listing, url="https://www.acme-ai.example/blog")
    assert article is None or article.is_article is False


def test_home_page_with_plenty_of_text_is_not_an_article():
    body = "<main><h1>Acme AI</h1>" + f"<p>{LONG_PARAGRAPH * 3}</p>" * 2 + "</main>"
    article = extract_article(page(body, "<title>Acme AI</title>"), url="https://acme.example/")
    assert article is None or article.is_article is False


def test_substantial_text_without_metadata_counts_as_article():
    body = f"<main><h1>Our evaluation harness</h1><p>{LONG_PARAGRAPH * 3}</p></main>"
    article = extract_article(page(body), url="https://acme.example/research/eval-harness")
    assert article is not None
    assert article.is_article is True
    assert article.title == "Our evaluation harness"


def test_short_page_without_article_markers_is_not_an_article():
    body = (
        "<main><h1>Contact</h1><p>Write to us at the address below, we answer quickly.</p></main>"
    )
    article = extract_article(page(body), url="https://acme.example/contact")
    assert article is None or article.is_article is False


def test_dates_are_never_invented():
    body = (
        f"<article><h1>Undated note</h1><p>{LONG_PARAGRAPH}</p>"
        "<p>Back on 12 January 2024 we started; the next update comes in June 2031.</p>"
        f"<p>{LONG_PARAGRAPH}</p></article><footer>© 2019 Acme</footer>"
    )
    article = extract_article(page(body), url="https://acme.example/notes/undated-note")
    assert article is not None
    assert article.published_at is None


def test_date_from_json_ld_when_meta_tags_are_missing():
    head = (
        '<script type="application/ld+json">{"@context": "https://schema.org", '
        '"@graph": [{"@type": "WebSite", "name": "Acme"}, {"@type": "NewsArticle", '
        '"headline": "Acme ships", "datePublished": "2025-02-01T09:00:00-08:00"}]}</script>'
    )
    body = f"<article><h1>Acme ships</h1><p>{LONG_PARAGRAPH * 2}</p></article>"
    article = extract_article(page(body, head), url="https://acme.example/news/acme-ships")
    assert article is not None
    assert article.published_at == datetime(2025, 2, 1, 17, 0, tzinfo=UTC)
    assert article.is_article is True


def test_canonical_on_another_site_or_the_home_page_is_ignored():
    body = f"<article><h1>Syndicated</h1><p>{LONG_PARAGRAPH * 2}</p></article>"
    for canonical in ("https://aggregator.example/copy", "https://acme.example/"):
        head = f'<link rel="canonical" href="{canonical}">'
        url = "https://www.acme.example/blog/syndicated?utm_medium=rss"
        article = extract_article(page(body, head), url=url)
        assert article is not None
        assert article.url == "https://www.acme.example/blog/syndicated"


def test_relative_canonical_on_the_same_site_is_used():
    head = '<link rel="canonical" href="/blog/the-real-slug">'
    body = f"<article><h1>Moved</h1><p>{LONG_PARAGRAPH * 2}</p></article>"
    article = extract_article(page(body, head), url="https://acme.example/blog/old-slug")
    assert article is not None
    assert article.url == "https://acme.example/blog/the-real-slug"


def test_cyrillic_article_from_bytes_with_declared_charset():
    body = (
        "<article><h1>Новая языковая модель</h1>"
        + "<p>Сегодня мы представляем новую модель, которая лучше понимает русский язык "
        "и отвечает быстрее предыдущей версии. </p>" * 5 + "</article>"
    )
    document = page(body, '<meta charset="windows-1251">').encode("cp1251")
    article = extract_article(document, url="https://yandex-like.example/blog/novaya-model")
    assert article is not None
    assert article.title == "Новая языковая модель"
    assert "лучше понимает русский язык" in article.text


@pytest.mark.parametrize("junk", [b"", "   ", "https://example.com/", b"\x00\xff" * 50])
def test_nothing_to_extract(junk):
    assert extract_article(junk, url="https://acme.example/x") is None


def test_invalid_url_is_a_value_error(post):
    with pytest.raises(ValueError, match="http"):
        extract_article(post, url="file:///etc/passwd")


def test_input_beyond_the_cap_is_ignored_and_fast(post):
    padding = "<!--" + "x" * (MAX_EXTRACTION_CHARS + 100_000) + "-->"
    huge = post.decode().replace("</body>", f"{padding}<p>TEXT AFTER THE CAP</p></body>")
    started = time.perf_counter()
    article = extract_article(huge, url=POST_URL)
    assert time.perf_counter() - started < 5.0
    assert article is not None
    assert "TEXT AFTER THE CAP" not in article.text
    assert article.title == "Introducing Nimbus 2: faster reasoning at half the cost"


# ---------------------------------------------------------------- looks_like_article


def test_looks_like_article_on_fixtures(post):
    listing = (FIXTURES / "blog_listing.html").read_bytes()
    assert looks_like_article(post, url=POST_URL) is True
    assert looks_like_article(listing, url="https://www.acme-ai.example/blog") is False


@pytest.mark.parametrize(
    ("head", "body", "url", "expected"),
    [
        ('<meta property="og:type" content="article">', "<p>x</p>", "/a", True),
        ('<meta property="og:type" content="website">', "<p>x</p>", "/a", False),
        (
            '<script type="application/ld+json">{"@type": ["BlogPosting"]}</script>',
            "<p>x</p>",
            "/a",
            True,
        ),
        (
            '<script type="application/ld+json">{"@type": "ItemList", "itemListElement": '
            '[{"@type": "BlogPosting"}]}</script>',
            "<p>x</p>",
            "/a",
            False,
        ),
        ('<script type="application/ld+json">{broken</script>', "<p>x</p>", "/a", False),
        ("", f"<article><p>{LONG_PARAGRAPH * 3}</p></article>", "/a", True),
        ("", "<article><p>Too short to be a post.</p></article>", "/a", False),
        ("", f"<article><p>{LONG_PARAGRAPH * 3}</p></article>", "/", False),
        ("", f"<article><p>{LONG_PARAGRAPH * 3}</p></article>" * 3, "/a", False),
        ("", f"<div><p>{LONG_PARAGRAPH * 3}</p></div>", "/a", False),
    ],
)
def test_looks_like_article_signals(head, body, url, expected):
    assert looks_like_article(page(body, head), url=f"https://acme.example{url}") is expected


def test_looks_like_article_on_junk():
    assert looks_like_article(b"", url="https://acme.example/a") is False
    assert looks_like_article("plain text", url="https://acme.example/a") is False
