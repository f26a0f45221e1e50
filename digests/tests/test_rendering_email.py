from datetime import UTC, datetime

import pytest
from django.core import mail

from digests.content import DigestContent
from digests.rendering.email import digest_email
from digests.tests.factories import DigestFactory, content_of, entry

SITE = "https://hub.example.com"

pytestmark = pytest.mark.django_db


def build(content, **digest_fields):
    digest = DigestFactory(
        body=content,
        period_start=datetime(2026, 11, 25, 7, tzinfo=UTC),
        period_end=datetime(2026, 11, 26, 7, tzinfo=UTC),
        **digest_fields,
    )
    message = digest_email(digest=digest, content=content, site_url=SITE, to="reader@example.com")
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return digest, message, html


def sample():
    return content_of(
        (
            "Acme",
            {
                "product_update": [entry(1, priority="high", extra_sources=2)],
                "pricing_change": [entry(2, summary="Plans got cheaper.")],
            },
        ),
        ("", {"": [entry(3)]}),
    )


def test_email_has_subject_text_and_html_with_every_link():
    digest, message, html = build(sample(), timezone="Asia/Tokyo")

    # 07:00 UTC on the 26th is 16:00 in Tokyo, the same day.
    assert message.subject == "Your daily digest · Nov. 26, 2026"
    assert message.to == ["reader@example.com"]
    page_url = f"{SITE}/digests/{digest.pk}/"
    settings_url = f"{SITE}/settings/#digests"
    for body in (message.body, html):
        assert "https://acme.example.com/news/1" in body
        assert "https://acme.example.com/news/3" in body
        assert page_url in body
        assert settings_url in body
        assert "🚀 Product update" in body
        assert "💰 Pricing change" in body
        assert "Other news" in body
        assert "+2 sources" in body
        assert "Plans got cheaper." in body
        assert "Nov. 25, 2026, 4 p.m. – Nov. 26, 2026, 4 p.m. (Asia/Tokyo)" in body
    assert f'href="{SITE}/news/1/"' in html
    assert message.extra_headers["List-Unsubscribe"] == f"<{settings_url}>"


def test_company_then_category_order_is_kept():
    _digest, message, _html = build(sample())

    body = message.body
    assert body.index("Acme") < body.index("Product update") < body.index("Pricing change")
    assert body.index("Pricing change") < body.index("Other news")


def test_hostile_text_is_escaped_in_html_and_plain_in_text():
    title = '<script>alert("x")</script> & Co'
    url = 'https://acme.example.com/?a=1&b="2"'
    content = content_of(("<Evil>", {"product_update": [entry(1, title=title, url=url)]}))

    _digest, message, html = build(content)

    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in html
    assert 'href="https://acme.example.com/?a=1&amp;b=&quot;2&quot;"' in html
    assert "&lt;Evil&gt;" in html
    assert title in message.body
    assert url in message.body


def test_non_http_originals_are_not_linked():
    content = content_of(("Acme", {"": [entry(1, title="Click", url="javascript:alert(1)")]}))

    _digest, message, html = build(content)

    assert "javascript:" not in html
    assert "javascript:" not in message.body


def test_short_format_leaves_summaries_out():
    _digest, message, html = build(sample(), format="short")

    assert "Plans got cheaper." not in message.body
    assert "Plans got cheaper." not in html
    assert "https://acme.example.com/news/2" in message.body


def test_russian_digest_uses_russian_labels():
    _digest, message, html = build(sample(), language="ru")

    assert "Обновление продукта" in message.body
    assert "Обновление продукта" in html
    assert '<html lang="ru">' in html


def test_empty_digest_says_nothing_new_and_sends():
    _digest, message, html = build(DigestContent())

    assert "Nothing new in this period." in message.body
    assert "Nothing new in this period." in html
    message.send()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].alternatives[0][1] == "text/html"
