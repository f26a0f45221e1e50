import time
from datetime import UTC, datetime, timedelta

import pytest

from news.canonical_urls import canonical_url, is_same_site
from news.normalization import (
    clean_text,
    decode_markup,
    html_to_text,
    to_utc_datetime,
    truncate_text,
)
from news.sanitizing import sanitize_html

# ---------------------------------------------------------------- canonical_url


@pytest.mark.parametrize(
    "param",
    [
        "utm_source=x",
        "utm_medium=feed",
        "utm_campaign=launch",
        "utm_term=ai",
        "utm_content=hero",
        "UTM_Source=caps",
        "fbclid=IwAR0",
        "gclid=Cj0K",
        "dclid=abc",
        "msclkid=123",
        "mc_cid=42",
        "mc_eid=43",
        "ref=homepage",
        "ref_src=twsrc",
        "_hsenc=p2ANqt",
        "_hsmi=1234",
        "igshid=abc",
        "yclid=999",
    ],
)
def test_canonical_url_drops_each_tracking_param(param):
    assert (
        canonical_url(f"https://example.com/post?id=7&{param}&b=2")
        == "https://example.com/post?id=7&b=2"
    )


def test_canonical_url_keeps_other_params_in_original_order():
    url = "https://example.com/search?z=1&a=2&utm_source=x&m=3&a=4"
    assert canonical_url(url) == "https://example.com/search?z=1&a=2&m=3&a=4"


def test_canonical_url_keeps_params_that_only_start_like_tracking_ones():
    assert canonical_url("https://e.com/?reference=1&refresh=2") == (
        "https://e.com/?reference=1&refresh=2"
    )


def test_canonical_url_drops_query_when_only_tracking_remains():
    assert canonical_url("https://e.com/a?utm_source=x&fbclid=y") == "https://e.com/a"


def test_canonical_url_drops_fragment():
    assert canonical_url("https://e.com/a#comments") == "https://e.com/a"


def test_canonical_url_lowercases_scheme_and_host_but_not_path():
    assert canonical_url("HTTPS://Example.COM/Blog/Post") == "https://example.com/Blog/Post"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://e.com:80/a", "http://e.com/a"),
        ("https://e.com:443/a", "https://e.com/a"),
        ("http://e.com:443/a", "http://e.com:443/a"),
        ("https://e.com:8443/a", "https://e.com:8443/a"),
    ],
)
def test_canonical_url_drops_only_default_ports(url, expected):
    assert canonical_url(url) == expected


def test_canonical_url_normalises_empty_path():
    assert canonical_url("https://e.com") == "https://e.com/"
    assert canonical_url("https://e.com?x=1") == "https://e.com/?x=1"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/blog/post", "https://www.e.com/blog/post"),
        ("post-2", "https://www.e.com/news/post-2"),
        ("../about", "https://www.e.com/about"),
        ("//cdn.e.com/x", "https://cdn.e.com/x"),
        ("?page=2", "https://www.e.com/news/list?page=2"),
        ("https://other.org/x", "https://other.org/x"),
    ],
)
def test_canonical_url_resolves_relative_links(url, expected):
    assert canonical_url(url, base_url="https://www.e.com/news/list") == expected


def test_canonical_url_encodes_internationalised_hosts_with_idna():
    assert canonical_url("https://Пример.РФ/новости") == (
        "https://xn--e1afmkfd.xn--p1ai/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8"
    )
    assert canonical_url("https://bücher.example/") == "https://xn--bcher-kva.example/"


def test_canonical_url_percent_encodes_but_keeps_existing_escapes():
    assert canonical_url("https://e.com/a b/%C3%BC?q=a b") == "https://e.com/a%20b/%C3%BC?q=a%20b"


def test_canonical_url_removes_dot_segments_credentials_and_trailing_host_dot():
    assert canonical_url("https://user:pw@e.com./a/./b/../c") == "https://e.com/a/c"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "java\nscript:alert(1)",
        "mailto:team@e.com",
        "ftp://e.com/file",
        "data:text/html,hi",
        "https://",
        "https://exa mple.com/",
        "https://e.com:99999/",
        "relative/only",
    ],
)
def test_canonical_url_rejects_non_http_results(url):
    with pytest.raises(ValueError, match=r"."):
        canonical_url(url)


def test_is_same_site_allows_www_variance_only():
    assert is_same_site("https://www.e.com/a", "https://e.com/b")
    assert is_same_site("http://E.com/a", "https://e.com/b")
    assert not is_same_site("https://blog.e.com/a", "https://e.com/b")
    assert not is_same_site("https://e.com.evil.org/", "https://e.com/")


# ---------------------------------------------------------------- sanitize_html


def test_sanitize_removes_script_and_style_with_their_content():
    html = "<p>Hello</p><script>alert('x')</script><style>p{color:red}</style>"
    assert sanitize_html(html) == "<p>Hello</p>"


def test_sanitize_removes_event_handlers_and_style_attributes():
    html = (
        '<p onclick="steal()" style="position:fixed" onmouseover="x()">Hi</p>'
        '<img src="https://e.com/a.png" onerror="alert(1)" style="width:1px">'
    )
    assert sanitize_html(html) == '<p>Hi</p><img src="https://e.com/a.png">'


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "jav&#x09;ascript:alert(1)",
        "jav&#9;ascript:alert(1)",
        "&#106;avascript:alert(1)",
        "&#x6A;avascript:alert(1)",
        "java\nscript:alert(1)",
        "java&#10;script:alert(1)",
        " javascript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    ],
)
def test_sanitize_drops_dangerous_link_targets_however_disguised(href):
    cleaned = sanitize_html(f'<a href="{href}">click</a>', base_url="https://e.com/")
    assert "href" not in cleaned
    assert "script" not in cleaned.lower()
    assert "click" in cleaned


def test_sanitize_keeps_safe_links_and_adds_rel():
    cleaned = sanitize_html(
        '<a href="https://e.com/x" target="_blank" rel="opener">x</a>'
        '<a href="mailto:team@e.com">mail</a>'
    )
    assert cleaned == (
        '<a href="https://e.com/x" rel="noopener noreferrer nofollow">x</a>'
        '<a href="mailto:team@e.com" rel="noopener noreferrer nofollow">mail</a>'
    )


def test_sanitize_resolves_relative_urls_against_base_and_drops_them_without():
    html = '<a href="/docs">docs</a><img src="img/chart.png" alt="chart">'
    assert sanitize_html(html, base_url="https://e.com/blog/post") == (
        '<a href="https://e.com/docs" rel="noopener noreferrer nofollow">docs</a>'
        '<img src="https://e.com/blog/img/chart.png" alt="chart">'
    )
    assert "e.com" not in sanitize_html(html)


def test_sanitize_keeps_only_http_image_sources():
    html = (
        '<img src="data:image/png;base64,AAAA" alt="a">'
        '<img src="mailto:x@e.com" alt="b">'
        '<img src="javascript:alert(1)" alt="c">'
        '<img src="http://e.com/ok.png" alt="d">'
    )
    cleaned = sanitize_html(html)
    assert cleaned.count("src=") == 1
    assert 'src="http://e.com/ok.png"' in cleaned


def test_sanitize_removes_forms_and_controls():
    html = (
        '<form action="https://evil.example/steal"><input name="password">'
        "<button>Log in</button><textarea>x</textarea><select><option>1</option></select>"
        "</form><p>After</p>"
    )
    assert sanitize_html(html) == "<p>After</p>"


def test_sanitize_removes_svg_and_math_with_embedded_script():
    html = (
        '<svg onload="alert(1)"><script>alert(2)</script><a href="javascript:x">'
        '<text>hi</text></a></svg><math><mi xlink:href="javascript:alert(3)">x</mi></math>'
        "<p>Safe</p>"
    )
    assert sanitize_html(html) == "<p>Safe</p>"


def test_sanitize_removes_embeds():
    html = (
        '<iframe src="https://evil.example"></iframe><object data="x.swf"></object>'
        '<embed src="x.swf"><p>Text</p>'
    )
    assert sanitize_html(html) == "<p>Text</p>"


def test_sanitize_keeps_the_formatting_allowlist():
    html = (
        "<h1>Top</h1><h2>Sub</h2><p><strong>b</strong> <em>i</em> <b>b</b> <i>i</i> "
        "<code>x</code></p><pre>pre</pre><blockquote>q</blockquote><ul><li>1</li></ul>"
        '<ol start="3"><li>3</li></ol><figure><img src="https://e.com/i.png" alt="">'
        "<figcaption>cap</figcaption></figure>"
        '<table><thead><tr><th colspan="2">h</th></tr></thead><tbody><tr><td>1</td>'
        "<td>2</td></tr></tbody></table>"
    )
    cleaned = sanitize_html(html)
    for tag in (
        "<h2>Top</h2>",
        "<h2>Sub</h2>",
        "<strong>",
        "<em>",
        "<b>",
        "<i>",
        "<code>",
        "<pre>",
        "<blockquote>",
        "<ul>",
        '<ol start="3">',
        "<figure>",
        "<figcaption>",
        '<th colspan="2">',
        "<td>",
    ):
        assert tag in cleaned


def test_sanitize_strips_unknown_tags_and_comments_but_keeps_text():
    html = '<span class="x" id="y">Hello</span> <font color="red">world</font><!-- secret -->'
    assert sanitize_html(html) == "Hello world"


def test_sanitize_of_blank_input_is_empty():
    assert sanitize_html("") == ""
    assert sanitize_html("   \n") == ""


# ---------------------------------------------------------------- html_to_text


def test_html_to_text_puts_blocks_on_their_own_lines():
    html = (
        "<h2>Title</h2><p>First <b>para</b>graph.</p><ul><li>one</li><li>two</li></ul>"
        "<p>Line<br>break</p><div>Div text</div>"
    )
    assert html_to_text(html) == "Title\nFirst paragraph.\none\ntwo\nLine\nbreak\nDiv text"


def test_html_to_text_skips_invisible_content_and_decodes_entities():
    html = "<p>A &amp; B&nbsp;C</p><script>var x = 1;</script><style>p{}</style><p>D</p>"
    assert html_to_text(html) == "A & B C\nD"


def test_html_to_text_collapses_whitespace_and_survives_junk():
    assert html_to_text("<p>  lots \n\n of   space </p>") == "lots of space"
    assert html_to_text("") == ""
    assert html_to_text("plain text only") == "plain text only"
    assert html_to_text("<p>nul\x00byte</p>") == "nulbyte"


# ---------------------------------------------------------------- clean_text


def test_clean_text_unescapes_entities_including_double_escaping():
    assert clean_text("AT&amp;T") == "AT&T"
    assert clean_text("AT&amp;amp;T") == "AT&T"
    assert (
        clean_text("Caf&eacute; &#8211; &#x201C;quoted&#x201D;") == "Café \u2013 \u201cquoted\u201d"
    )


def test_clean_text_strips_markup_in_titles():
    assert clean_text("<b>Office hours</b>: ask us") == "Office hours: ask us"
    assert clean_text("&lt;em&gt;Escaped&lt;/em&gt; markup") == "Escaped markup"
    assert clean_text("<p>One</p><p>Two</p>") == "One Two"
    assert clean_text("1 < 2 and 3 > 2") == "1 < 2 and 3 > 2"


def test_clean_text_collapses_whitespace_and_strips_control_characters():
    assert clean_text("  a\t\tb\n\nc\x00\x07d\u200b e\ufeff ") == "a b cd e"


def test_clean_text_preserves_cyrillic_and_cjk():
    assert clean_text("  Новая модель &laquo;Алиса&raquo;  ") == "Новая модель «Алиса»"
    assert clean_text("通义千问 发布新版本") == "通义千问 发布新版本"
    full_width = "\uff21\uff29 全角"  # NFC, not NFKC: full-width forms stay as written
    assert clean_text(full_width) == full_width


def test_clean_text_cuts_at_word_boundary_with_ellipsis():
    text = "The quick brown fox jumps over the lazy dog"
    shortened = clean_text(text, max_length=20)
    assert shortened == "The quick brown fox…"
    assert len(shortened) <= 20


def test_clean_text_prefers_a_sentence_boundary_near_the_limit():
    text = "Nimbus 2 launches today for everyone. Pricing details follow in the next section."
    assert clean_text(text, max_length=45) == "Nimbus 2 launches today for everyone."


def test_clean_text_does_not_treat_decimal_points_as_sentence_ends():
    text = "Version 3.5 of the model handles longer prompts than ever"
    assert clean_text(text, max_length=16) == "Version 3.5 of…"


def test_clean_text_cuts_cjk_without_spaces():
    text = "这是一个很长的中文标题没有空格但是需要被截断"
    shortened = clean_text(text, max_length=10)
    assert shortened == "这是一个很长的中文…"


def test_clean_text_leaves_short_text_alone():
    assert clean_text("Short", max_length=100) == "Short"
    assert truncate_text("exactly", 7) == "exactly"


def test_clean_text_handles_100kb_quickly():
    text = ("Lorem ipsum &amp; <b>dolor</b> sit amet, consectetur adipiscing elit. " * 1500)[
        :100_000
    ]
    hostile = "<!--" * 25_000 + "<script>" * 12_500
    started = time.perf_counter()
    result = clean_text(text, max_length=1000)
    clean_text(hostile)
    html_to_text(text)
    assert time.perf_counter() - started < 1.0
    assert len(result) <= 1000
    assert result.startswith("Lorem ipsum & dolor sit amet")


# ---------------------------------------------------------------- decode_markup


def test_decode_markup_follows_meta_charset_and_bom():
    assert "Привет" in decode_markup('<meta charset="windows-1251"><p>Привет</p>'.encode("cp1251"))
    assert decode_markup("<p>ü</p>".encode("utf-16")) == "<p>ü</p>"  # BOM included
    assert decode_markup(b"\xef\xbb\xbf<p>\xc3\xbc</p>") == "<p>ü</p>"


def test_decode_markup_survives_a_lying_declaration():
    page = '<meta charset="utf-8"><p>café</p>'.encode("latin-1")
    assert "café" in decode_markup(page)


def test_decode_markup_drops_xml_declaration_for_lxml():
    assert decode_markup('<?xml version="1.0" encoding="utf-8"?><html/>') == "<html/>"


# ---------------------------------------------------------------- dates

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            time.struct_time((2025, 3, 4, 14, 30, 0, 1, 63, 0)),
            datetime(2025, 3, 4, 14, 30, tzinfo=UTC),
        ),
        ("2025-03-04T15:30:00+01:00", datetime(2025, 3, 4, 14, 30, tzinfo=UTC)),
        ("2025-03-04T15:30:00+0100", datetime(2025, 3, 4, 14, 30, tzinfo=UTC)),
        ("2025-03-04T14:30:00Z", datetime(2025, 3, 4, 14, 30, tzinfo=UTC)),
        ("2025-03-04", datetime(2025, 3, 4, tzinfo=UTC)),
        ("Tue, 04 Mar 2025 09:30:00 -0500", datetime(2025, 3, 4, 14, 30, tzinfo=UTC)),
        ("Tue, 04 Mar 2025 14:30:00 GMT", datetime(2025, 3, 4, 14, 30, tzinfo=UTC)),
        (datetime(2025, 3, 4, 14, 30), datetime(2025, 3, 4, 14, 30, tzinfo=UTC)),  # noqa: DTZ001
    ],
)
def test_to_utc_datetime_understands_feed_formats(value, expected):
    parsed = to_utc_datetime(value, now=NOW)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "not a date",
        "yesterday",
        "1994-12-31T23:59:59Z",
        "Fri, 01 Jan 2100 00:00:00 GMT",
        (NOW + timedelta(days=2, minutes=1)).isoformat(),
        time.struct_time((2025, 2, 30, 0, 0, 0, 0, 0, 0)),
    ],
)
def test_to_utc_datetime_rejects_unparseable_and_absurd_dates(value):
    assert to_utc_datetime(value, now=NOW) is None


def test_to_utc_datetime_tolerates_small_clock_skew():
    soon = NOW + timedelta(days=1)
    assert to_utc_datetime(soon.isoformat(), now=NOW) == soon
