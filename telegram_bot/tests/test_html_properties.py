"""Property-based checks of digests.rendering.telegram.telegram_messages: whatever
feeds put in titles, summaries, links and company names, every message fits
Telegram's limit, is HTML Telegram parses (only <b>, <i> and <a href>, balanced,
links only to http(s)), and no entry is split between two messages."""

import itertools
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accounts.models import DigestFormat, DigestFrequency
from digests.content import CategoryGroup, CompanyGroup, DigestContent, DigestEntry
from digests.models import Digest
from digests.rendering.telegram import MESSAGE_LIMIT, telegram_length, telegram_messages
from news.categories import Category
from telegram_bot.tests.fake_bot_api import telegram_html_problem

SITE = "https://hub.example.com"
DIGEST_TAGS = frozenset({"a", "b", "i"})

# Private-use characters mark where each entry's title and summary start; the
# generated text never contains them.
TITLE, SUMMARY, END = "\ue000", "\ue001", "\ue002"

HOSTILE = [
    "<",
    ">",
    "&",
    "&amp;",
    "&lt;b&gt;",
    "&#x27;",
    '"',
    "'",
    "<b>",
    "</b>",
    "</i>",
    "<a href='javascript:alert(1)'>",
    "</a>",
    "<script>alert(1)</script>",
    "<tg-spoiler>",
    "\n",
    "\n\n",
    "\t",
    " ",
    "😀",
    "👨‍👩‍👧‍👦",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "\u200f",
    "\u202e",
    "\ufeff",
    "\u0301",
    "Привет",
    "中文",
    "%3Cb%3E",
    "\\",
]

plain_characters = st.characters(
    blacklist_categories=("Cs", "Cc", "Co"), blacklist_characters=(TITLE, SUMMARY, END)
)
fragment = st.one_of(st.sampled_from(HOSTILE), st.text(plain_characters, max_size=12))
hostile_text = st.lists(fragment, max_size=30).map("".join)


def repeated(text_strategy, most):
    """Long text cheaply: a generated piece repeated up to `most` times."""
    return st.tuples(text_strategy, st.integers(1, most)).map(lambda pair: pair[0] * pair[1])


urls = st.one_of(
    st.just(""),
    st.sampled_from(
        [
            "javascript:alert(1)",
            "data:text/html,<b>x</b>",
            "/news/relative",
            "http://",
            "https://example.com/a?b=1&c=2",
            'https://example.com/"><script>alert(1)</script>',
            "https://пример.рф/путь?q=ü",
        ]
    ),
    hostile_text.map(lambda text: "https://example.com/" + text),
    repeated(st.sampled_from(["x", "&", '"', "é", "😀"]), 2500).map(
        lambda text: "https://example.com/" + text
    ),
)


@st.composite
def contents(draw):
    serial = itertools.count()

    def entry():
        number = next(serial)
        return DigestEntry(
            item_id=number + 1,
            title=f"{TITLE}{number}{END}" + draw(st.one_of(hostile_text, repeated(fragment, 40))),
            url=draw(urls),
            summary=f"{SUMMARY}{number}{END}"
            + draw(st.one_of(hostile_text, repeated(fragment, 400))),
            source=draw(st.one_of(hostile_text, repeated(fragment, 50))),
            published_at="2026-11-25T12:00:00+00:00",
            priority=draw(st.sampled_from(["low", "medium", "high"])),
            score=0.5,
            extra_sources=draw(st.integers(0, 4)),
        )

    groups = [
        CompanyGroup(
            company_id=None,
            company_name=draw(st.one_of(hostile_text, repeated(fragment, 30))),
            company_slug="acme",
            categories=[
                CategoryGroup(category=category, entries=[entry() for _ in range(count)])
                for category, count in draw(
                    st.lists(
                        st.tuples(st.sampled_from([*Category.values, ""]), st.integers(1, 6)),
                        min_size=1,
                        max_size=3,
                    )
                )
            ],
        )
        for _ in range(draw(st.integers(0, 5)))
    ]
    return DigestContent(
        groups=groups, matched=draw(st.integers(0, 500)), omitted=draw(st.integers(0, 50))
    )


digests = st.builds(
    Digest,
    pk=st.sampled_from([None, 42]),
    frequency=st.sampled_from(DigestFrequency.values),
    format=st.sampled_from(DigestFormat.values),
    include_summaries=st.booleans(),
    language=st.sampled_from(["en", "ru"]),
    timezone=st.sampled_from(["UTC", "Asia/Kolkata", "America/St_Johns"]),
    period_start=st.just(datetime(2026, 11, 25, 8, tzinfo=UTC)),
    period_end=st.sampled_from(
        [datetime(2026, 11, 26, 8, tzinfo=UTC), datetime(2026, 12, 2, 8, tzinfo=UTC)]
    ),
)


class _Anchors(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.attributes = []

    def handle_starttag(self, tag, attrs):
        self.attributes.append((tag, [name for name, _value in attrs], dict(attrs)))


def markers(messages, mark, number):
    token = f"{mark}{number}{END}"
    return [index for index, message in enumerate(messages) if token in message]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(digest=digests, content=contents())
def test_every_message_fits_parses_and_keeps_entries_whole(digest, content):
    messages = telegram_messages(digest=digest, content=content, site_url=SITE)
    # Shown by --hypothesis-show-statistics: the cases should include split digests.
    event(f"{min(len(messages), 3)}{'+' if len(messages) > 3 else ''} message(s)")

    assert messages
    for message in messages:
        assert telegram_length(message) <= MESSAGE_LIMIT
        assert telegram_html_problem(message, allowed=DIGEST_TAGS) is None, message
        anchors = _Anchors()
        anchors.feed(message)
        for tag, names, values in anchors.attributes:
            assert names == (["href"] if tag == "a" else []), (tag, names)
            if tag == "a":
                assert values["href"].startswith(("http://", "https://")), values["href"]

    first_seen = []
    for number, entry in enumerate(content.entries()):
        titled = markers(messages, TITLE, number)
        summarised = markers(messages, SUMMARY, number)
        # Every entry is in exactly one message, summary included when one is shown.
        assert len(titled) == 1, (number, entry.title[:40], titled)
        assert summarised in ([], titled)
        first_seen.append(titled[0])
    # ...and in the order of the digest.
    assert first_seen == sorted(first_seen)


def test_a_digest_of_many_long_entries_is_split_between_entries():
    entries = [
        DigestEntry(
            item_id=n,
            title=f"{TITLE}{n}{END} Model <release> & pricing " * 3,
            url=f"https://example.com/{n}?a=1&b=2",
            summary=f"{SUMMARY}{n}{END} " + "A long summary with <tags> & entities. " * 20,
            source="Blog",
            published_at="2026-11-25T12:00:00+00:00",
            priority="high",
            score=0.5,
        )
        for n in range(40)
    ]
    content = DigestContent(
        groups=[
            CompanyGroup(
                company_id=1,
                company_name="Acme & <Co>",
                company_slug="acme",
                categories=[CategoryGroup(category="model_release", entries=entries)],
            )
        ]
    )
    digest = Digest(
        pk=7,
        frequency="daily",
        format="detailed",
        include_summaries=True,
        language="en",
        timezone="UTC",
        period_start=datetime(2026, 11, 25, 8, tzinfo=UTC),
        period_end=datetime(2026, 11, 25, 8, tzinfo=UTC) + timedelta(days=1),
    )

    messages = telegram_messages(digest=digest, content=content, site_url=SITE)

    assert len(messages) > 3
    for number in range(40):
        assert len(markers(messages, TITLE, number)) == 1
        assert markers(messages, SUMMARY, number) == markers(messages, TITLE, number)
    # A message that continues the digest repeats the company's heading.
    assert all(message.startswith("<b>Acme &amp; &lt;Co&gt;</b>") for message in messages[1:])
