from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from digests.content import DigestContent
from digests.rendering.telegram import MESSAGE_LIMIT, telegram_length, telegram_messages
from digests.tests.factories import DigestFactory, content_of, entry

SITE = "https://hub.example.com"
ALLOWED_TAGS = {"b", "i", "u", "s", "a", "code", "pre", "blockquote"}

pytestmark = pytest.mark.django_db


class TelegramHTML(HTMLParser):
    """Parses one message as Telegram would see it: tags, links and plain text."""

    def __init__(self, message):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.links = []
        self.open = []
        self.parts = []
        self.feed(message)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.open.append(tag)
        if tag == "a":
            assert [name for name, _ in attrs] == ["href"]
            self.links.append(attrs[0][1])
        else:
            assert attrs == []

    def handle_endtag(self, tag):
        assert self.open, f"unbalanced </{tag}>"
        assert self.open[-1] == tag, f"unbalanced </{tag}>"
        self.open.pop()

    def handle_data(self, data):
        self.parts.append(data)

    @property
    def text(self):
        return "".join(self.parts)


def parsed(message):
    html = TelegramHTML(message)
    assert set(html.tags) <= ALLOWED_TAGS
    assert html.open == []
    return html


def render(content, **digest_fields):
    digest = DigestFactory(body=content, **digest_fields)
    messages = telegram_messages(digest=digest, content=content, site_url=SITE)
    for message in messages:
        assert telegram_length(message) <= MESSAGE_LIMIT
        assert len(message) <= MESSAGE_LIMIT
        parsed(message)
    return messages


def test_a_small_digest_is_one_message_with_heading_groups_and_page_link():
    content = content_of(
        (
            "Acme",
            {
                "product_update": [entry(1, priority="high", extra_sources=2)],
                "pricing_change": [entry(2)],
            },
        ),
        ("Globex", {"": [entry(3, source="Globex news")]}),
    )
    digest = DigestFactory(
        body=content,
        period_start=datetime(2026, 11, 25, 7, tzinfo=UTC),
        period_end=datetime(2026, 11, 26, 7, tzinfo=UTC),
        timezone="Europe/Berlin",
    )

    [message] = telegram_messages(digest=digest, content=content, site_url=SITE)
    html = parsed(message)

    assert html.text.startswith("📬 Your daily digest\n")
    # 07:00 UTC is 8 a.m. in Berlin in November.
    assert "Nov. 25, 2026, 8 a.m. – Nov. 26, 2026, 8 a.m. (Europe/Berlin)" in html.text
    assert "3 items" in html.text
    assert "<b>Acme</b>\n🚀 <i>Product update</i>\n❗ " in message
    assert "💰 <i>Pricing change</i>" in message
    assert "<b>Globex</b>\n📰 <i>Other</i>" in message
    assert "+2 sources · Acme blog" in html.text
    assert html.text.count("❗") == 1
    assert html.links == [
        "https://acme.example.com/news/1",
        "https://acme.example.com/news/2",
        "https://acme.example.com/news/3",
        f"{SITE}/digests/{digest.pk}/",
    ]


def test_many_entries_split_between_entries_and_every_message_reads_on_its_own():
    entries = [entry(n, summary=f"Summary {n}: " + "details " * 40) for n in range(1, 61)]
    content = content_of(
        ("Acme", {"product_update": entries[:40], "model_release": entries[40:50]}),
        ("Globex", {"research_paper": entries[50:]}),
    )

    messages = render(content)

    assert len(messages) > 2
    assert telegram_length(messages[0]) > MESSAGE_LIMIT - 600
    for item in entries:
        holding = [m for m in messages if f'href="{item.url}"' in m]
        # An entry is never cut: its link and its whole summary sit in one message.
        assert len(holding) == 1
        assert item.summary.strip() in parsed(holding[0]).text
    for message in messages[1:]:
        assert message.startswith("<b>Acme</b>\n") or message.startswith("<b>Globex</b>\n")
        assert message.split("\n")[1] in {
            "🚀 <i>Product update</i>",
            "🤖 <i>Model release</i>",
            "📄 <i>Research paper</i>",
        }
    assert "Open this digest on the web" in messages[-1]
    assert "Your daily digest" in messages[0]
    assert all("Your daily digest" not in message for message in messages[1:])


def test_a_giant_summary_is_shortened_and_the_title_kept():
    giant = entry(1, title="Acme ships a very big model", summary="word " * 3000)

    message, footer = render(content_of(("Acme", {"model_release": [giant]})))

    text = parsed(message).text
    assert text.startswith("📬 Your daily digest")
    assert "Acme ships a very big model" in text
    assert "word word…" in text
    # The shortened entry fills its message; the link to the page follows on its own.
    assert parsed(footer).text == "Open this digest on the web"


def test_a_giant_title_is_truncated_with_an_ellipsis():
    giant = entry(1, title="Ω" * 9000, summary="Gone.")
    other = entry(2)

    messages = render(content_of(("Acme", {"model_release": [giant, other]})))

    texts = [parsed(message).text for message in messages]
    assert any("ΩΩ…" in text for text in texts)
    assert all("Gone." not in text for text in texts)
    assert any(other.title in text for text in texts)


def test_emoji_count_twice_as_telegram_counts_them():
    giant = entry(1, title="🚀" * 3000, summary="")

    message, _footer = render(content_of(("Acme", {"model_release": [giant]})))

    assert 1800 < parsed(message).text.count("🚀") < 2048


def test_a_pathological_url_leaves_the_title_as_plain_text():
    giant = entry(1, title="Huge link", url="https://acme.example.com/?q=" + "x" * 9000)

    [message] = render(content_of(("Acme", {"model_release": [giant]})))

    html = parsed(message)
    assert "Huge link" in html.text
    assert all("x" * 100 not in link for link in html.links)


def test_hostile_text_is_escaped_and_round_trips():
    title = '<script>alert("x")</script> & <b>bold</b>'
    summary = "</i></b><a href='javascript:alert(1)'>click</a> &amp; more"
    url = 'https://acme.example.com/news?a=1&b="2"&c=<3>'
    hostile = entry(1, title=title, summary=summary, url=url, source="<Src & Co>")
    content = content_of(("<Evil & Co>", {"product_update": [hostile]}))

    [message] = render(content)

    html = parsed(message)
    assert html.tags.count("a") == 2
    assert html.links[0] == url
    assert title in html.text
    assert summary in html.text
    assert "<Src & Co>" in html.text
    assert "<Evil & Co>" in html.text


def test_only_http_links_become_links():
    content = content_of(
        ("Acme", {"product_update": [entry(1, title="Click me", url="javascript:alert(1)")]})
    )

    [message] = render(content)

    html = parsed(message)
    assert "Click me" in html.text
    assert all(link.startswith(SITE) for link in html.links)


@pytest.mark.parametrize(
    ("digest_format", "include_summaries", "shows_summary"),
    [("short", True, False), ("detailed", False, False), ("detailed", True, True)],
)
def test_summaries_follow_the_format(digest_format, include_summaries, shows_summary):
    content = content_of(("Acme", {"product_update": [entry(1, summary="The gist.")]}))

    [message] = render(content, format=digest_format, include_summaries=include_summaries)

    text = parsed(message).text
    assert "Acme ships model 1" in text
    assert ("The gist." in text) is shows_summary


def test_russian_digest_uses_russian_labels():
    content = content_of(("Acme", {"product_update": [entry(1)]}))

    [message] = render(content, language="ru")

    assert "🚀 <i>Обновление продукта</i>" in message


def test_empty_content_is_one_short_message():
    [message] = render(DigestContent())

    text = parsed(message).text
    assert "Nothing new in this period." in text
    assert "0 items" in text


def test_omitted_entries_are_mentioned_at_the_end():
    content = content_of(("Acme", {"product_update": [entry(1)]}))
    content = DigestContent(groups=content.groups, matched=50, omitted=7)

    [message] = render(content)

    assert "7 more matching items were left out" in parsed(message).text
