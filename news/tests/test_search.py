import pytest

from news.selectors import highlighted_snippet, news_items_search, search_support
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus():
    return {
        "title": NewsItemFactory(title="Gemini pricing cut for developers", summary="Cheaper."),
        "summary": NewsItemFactory(title="Weekly roundup", summary="Gemini pricing changed again."),
        "text": NewsItemFactory(
            title="Other news",
            summary="Misc.",
            content_text="Deep inside: gemini pricing for R&D teams.",
        ),
        "none": NewsItemFactory(title="Claude tools", summary="Nothing about it."),
    }


def test_full_text_search_ranks_title_over_summary_over_text(corpus):
    assert search_support().full_text
    results = list(news_items_search(query="gemini pricing"))
    assert [item.pk for item in results] == [
        corpus["title"].pk,
        corpus["summary"].pk,
        corpus["text"].pk,
    ]


def test_websearch_syntax(corpus):
    assert list(news_items_search(query='"pricing cut"')) == [corpus["title"]]
    excluded = {item.pk for item in news_items_search(query="gemini -developers")}
    assert corpus["title"].pk not in excluded
    assert corpus["summary"].pk in excluded
    either = {item.pk for item in news_items_search(query="claude OR roundup")}
    assert either == {corpus["none"].pk, corpus["summary"].pk}


def test_stemming_matches_word_forms(corpus):
    assert corpus["title"] in list(news_items_search(query="developer prices"))


def test_snippets_highlight_matches_and_escape_html(corpus):
    item = next(i for i in news_items_search(query="gemini") if i.pk == corpus["text"].pk)
    html = highlighted_snippet(item.snippet)
    assert "<mark>gemini</mark>" in html.lower()
    assert "R&amp;D" in html


def test_empty_and_hostile_queries_do_not_fail(corpus):
    assert news_items_search(query="   ").count() == 4
    for query in ["!!!", "&|:*", '"unterminated', "a" * 5000, "OR OR", "<script>"]:
        list(news_items_search(query=query))


def test_fallback_for_databases_without_full_text(monkeypatch, corpus):
    from news import selectors

    monkeypatch.setattr(selectors, "search_support", lambda: selectors.SearchSupport(False))
    found = {item.pk for item in news_items_search(query="gemini pricing")}
    assert found == {corpus["title"].pk, corpus["summary"].pk, corpus["text"].pk}
    assert list(news_items_search(query="-only")) == []


def test_snippet_html_is_escaped():
    assert highlighted_snippet("a <script> \ue000b\ue001") == "a &lt;script&gt; <mark>b</mark>"


def test_story_canonical_item_prefers_the_earliest_official_post():
    from datetime import timedelta

    from django.utils import timezone

    from news.models import Story
    from news.selectors import story_canonical_item, story_coverage

    story = Story.objects.create(title="Launch")
    now = timezone.now()
    early_coverage = NewsItemFactory(
        story=story, source_type="news_site", published_at=now - timedelta(hours=3)
    )
    official = NewsItemFactory(
        story=story, source_type="blog", published_at=now - timedelta(hours=2)
    )
    NewsItemFactory(story=story, source_type="press_release", published_at=now)
    assert story_canonical_item(story_id=story.pk) == official
    assert story_coverage(story_id=story.pk) == 3
    official.delete()
    story.items.filter(source_type="press_release").delete()
    assert story_canonical_item(story_id=story.pk) == early_coverage


def test_search_vector_follows_text_edits_but_not_other_writes(corpus):
    from django.db import connection

    from news.models import NewsItem

    item = corpus["none"]
    NewsItem.objects.filter(pk=item.pk).update(title="Mistral launches Codestral")
    assert [found.pk for found in news_items_search(query="codestral")] == [item.pk]

    # Analysis rewrites the summary column with the same value: the vector must not be
    # recomputed, and a vector already stale on purpose shows it was left alone.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE news_newsitem SET search_vector = to_tsvector('english', 'sentinel') "
            "WHERE id = %s",
            [item.pk],
        )
    NewsItem.objects.filter(pk=item.pk).update(summary=item.summary, category="model_release")
    assert [found.pk for found in news_items_search(query="sentinel")] == [item.pk]

    NewsItem.objects.filter(pk=item.pk).update(summary="Now about Devstral.")
    assert [found.pk for found in news_items_search(query="devstral")] == [item.pk]
    assert not list(news_items_search(query="sentinel"))
