from datetime import UTC, datetime

import pytest
from defusedxml import ElementTree as SafeET  # type: ignore[import-untyped]

from feeds.opml import (
    HUB_NAMESPACE,
    MAX_DOCUMENT_BYTES,
    MAX_OUTLINES,
    OpmlError,
    OpmlProblem,
    OpmlSource,
    opml_parse,
    opml_render,
)

CREATED = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<opml version="2.0"><head><title>&lol9;</title></head><body>
<outline text="&lol9;" type="rss" xmlUrl="https://example.com/feed.xml"/>
</body></opml>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline text="&secret;" xmlUrl="https://example.com/f"/></body></opml>"""

SOURCES = [
    OpmlSource(
        url="https://acme.example.com/feed.xml",
        kind="feed",
        title="Acme blog",
        source_type="blog",
        company="Acme",
        company_website="https://acme.example.com",
        html_url="https://acme.example.com",
    ),
    OpmlSource(
        url="https://acme.example.com/press",
        kind="html",
        title="Acme press",
        source_type="press_release",
        css_selector="article h2 a",
        company="Acme",
        company_website="https://acme.example.com",
    ),
    OpmlSource(
        url="https://github.com/acme/engine/releases",
        kind="github_releases",
        title="Acme engine releases",
        source_type="github",
        company="Acme",
        company_website="https://acme.example.com",
    ),
    OpmlSource(
        url="https://news.example.org/rss", kind="feed", title="AI news", source_type="news_site"
    ),
]


def _outlines(document: bytes):
    root = SafeET.fromstring(document)
    return root, root.find("body")


def test_render_groups_sources_by_company_and_marks_non_feeds_as_links():
    document = opml_render(sources=SOURCES, title="Sources", created_at=CREATED)

    root, body = _outlines(document)
    assert root.get("version") == "2.0"
    assert root.findtext("head/title") == "Sources"
    assert root.findtext("head/dateCreated") == "Tue, 04 Mar 2025 05:06:07 GMT"
    company, loose = list(body)
    assert company.get("text") == "Acme"
    assert company.get(f"{{{HUB_NAMESPACE}}}website") == "https://acme.example.com"
    feed, page, releases = list(company)
    assert feed.attrib["type"] == "rss"
    assert feed.attrib["xmlUrl"] == "https://acme.example.com/feed.xml"
    assert feed.attrib["htmlUrl"] == "https://acme.example.com"
    assert feed.attrib["title"] == feed.attrib["text"] == "Acme blog"
    assert page.attrib["type"] == "link"
    assert page.attrib["url"] == "https://acme.example.com/press"
    assert "xmlUrl" not in page.attrib
    assert page.get(f"{{{HUB_NAMESPACE}}}kind") == "html"
    assert page.get(f"{{{HUB_NAMESPACE}}}cssSelector") == "article h2 a"
    assert releases.get(f"{{{HUB_NAMESPACE}}}kind") == "github_releases"
    # A source without a company is a subscription directly in the body.
    assert loose.attrib["xmlUrl"] == "https://news.example.org/rss"
    assert list(loose) == []


def test_render_then_parse_gives_the_same_sources():
    document = opml_render(sources=SOURCES, title="Sources", created_at=CREATED)

    parsed = opml_parse(data=document)

    assert parsed.problems == []
    # htmlUrl is only written for feeds.
    assert parsed.sources == [
        source if source.kind == "feed" else OpmlSource(**{**source.__dict__, "html_url": ""})
        for source in SOURCES
    ]


def test_render_escapes_names_and_addresses():
    source = OpmlSource(
        url="https://a.example.com/f?x=1&y=2", title='Q&A <"quoted">', company="A & B"
    )
    document = opml_render(sources=[source], title="<Sources>", created_at=CREATED)

    parsed = opml_parse(data=document)

    assert parsed.sources[0].url == "https://a.example.com/f?x=1&y=2"
    assert parsed.sources[0].title == 'Q&A <"quoted">'
    assert parsed.sources[0].company == "A & B"


def test_parse_reads_a_feed_reader_export_with_nested_folders():
    document = b"""<?xml version="1.0" encoding="UTF-8"?>
    <opml version="1.0"><head><title>Reader</title></head><body>
      <outline text="Loose feed" type="rss" xmlurl="https://loose.example.com/rss"/>
      <outline text="Tech" title="Tech">
        <outline text="OpenAI" >
          <outline text="OpenAI blog" type="RSS" xmlUrl="https://openai.example.com/blog/rss.xml"
                   htmlUrl="https://openai.example.com"/>
        </outline>
        <outline text="Tech feed" type="rss" xmlURL="https://tech.example.com/atom"/>
      </outline>
      <outline text="Just a note"/>
      <outline text="A bookmark" type="link" url="https://bookmark.example.com/"/>
    </body></opml>"""

    parsed = opml_parse(data=document)

    assert [(source.url, source.company, source.kind) for source in parsed.sources] == [
        ("https://loose.example.com/rss", "", "feed"),
        ("https://openai.example.com/blog/rss.xml", "OpenAI", "feed"),
        ("https://tech.example.com/atom", "Tech", "feed"),
    ]
    assert parsed.sources[1].title == "OpenAI blog"
    assert parsed.sources[1].html_url == "https://openai.example.com"
    assert parsed.problems == [
        OpmlProblem(
            url="https://bookmark.example.com/", reason="A link, not a feed: it has no xmlUrl."
        )
    ]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"<opml><body><outline text='x'></body></opml>", "not well-formed"),
        (b"not xml at all", "not well-formed"),
        (b"<?xml version='1.0'?><rss version='2.0'><channel/></rss>", "not OPML"),
        (b"<opml version='2.0'><head/></opml>", "no <body>"),
        (BILLION_LAUGHS, "DTD"),
        (EXTERNAL_ENTITY, "DTD"),
        (b"<!DOCTYPE opml><opml version='2.0'><body/></opml>", "DTD"),
    ],
)
def test_unusable_documents_are_refused_with_a_reason(document, message):
    with pytest.raises(OpmlError, match=message):
        opml_parse(data=document)


def test_oversized_documents_are_refused_before_parsing():
    padding = b" " * MAX_DOCUMENT_BYTES
    with pytest.raises(OpmlError, match="larger than 1024 KB"):
        opml_parse(data=b"<opml version='2.0'><body>" + padding + b"</body></opml>")


def test_documents_with_too_many_outlines_are_refused():
    outlines = b"<outline text='f' xmlUrl='https://e.example.com/f'/>" * (MAX_OUTLINES + 1)
    with pytest.raises(OpmlError, match="more than"):
        opml_parse(data=b"<opml version='2.0'><body>" + outlines + b"</body></opml>")


def test_deeply_nested_folders_do_not_exhaust_the_stack():
    depth = 5000
    document = (
        b"<opml version='2.0'><body>"
        + b"<outline text='folder'>" * depth
        + b"<outline text='feed' xmlUrl='https://deep.example.com/f'/>"
        + b"</outline>" * depth
        + b"</body></opml>"
    )

    parsed = opml_parse(data=document)

    assert [(source.url, source.company) for source in parsed.sources] == [
        ("https://deep.example.com/f", "folder")
    ]
