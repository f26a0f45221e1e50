import importlib
import json
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from competitors.models import Source
from competitors.tests.factories import CompanyFactory, SourceFactory
from news import classification
from news.analysis import news_items_analyse
from news.models import ClassificationRule, NewsItem
from news.reclassification import news_items_reclassify
from news.services import news_items_analyse_pending
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db

LAUNCH_SUMMARY = (
    "The new model doubles the context window, cuts API prices and is available today "
    "to developers worldwide."
)


@pytest.fixture
def anthropic():
    return CompanyFactory(name="Anthropic", slug="anthropic", aliases=["Claude"])


def _item(**fields):
    defaults = {"published_at": timezone.now() - timedelta(hours=1), "company": None}
    return NewsItemFactory(**(defaults | fields))


def test_official_post_and_coverage_share_a_story_and_raise_priority(anthropic):
    official = _item(
        title="Anthropic releases Claude 5 Opus model",
        summary=LAUNCH_SUMMARY,
        company=anthropic,
        source=SourceFactory(company=anthropic, source_type=Source.SourceType.BLOG),
        source_type=Source.SourceType.BLOG,
    )
    news_items_analyse(item_ids=[official.pk])
    official.refresh_from_db()
    alone = official.priority_score
    assert official.story is None

    coverage = _item(
        title="Anthropic launches Claude 5 Opus, its new flagship model",
        summary="Claude 5 Opus doubles the context window and cuts API prices; available today.",
        source=SourceFactory(company=None, source_type=Source.SourceType.NEWS_SITE),
        source_type=Source.SourceType.NEWS_SITE,
    )
    news_items_analyse(item_ids=[coverage.pk])

    official.refresh_from_db()
    coverage.refresh_from_db()
    assert official.story_id is not None
    assert coverage.story_id == official.story_id
    assert official.story.item_count == 2
    assert official.priority_score > alone
    assert coverage.company == anthropic  # third-party coverage linked to the company
    assert list(coverage.mentioned_companies.all()) == [anthropic]


def test_analysis_fills_category_summary_and_keywords(anthropic):
    item = _item(
        title="Anthropic raises $4 billion Series F led by major investors",
        summary="",
        content_text=(
            "Anthropic today announced a $4 billion Series F funding round. The investment will "
            "expand compute capacity for safety research. Investors include several funds."
        ),
    )
    news_items_analyse(item_ids=[item.pk])
    item.refresh_from_db()
    assert item.category == "funding_news"
    assert item.summary.startswith("Anthropic today announced a $4 billion Series F funding round.")
    assert len(item.summary) <= 300
    assert item.keywords
    assert "anthropic" not in item.keywords
    assert item.analysed_at is not None
    assert 0 <= item.priority_score <= 1


def test_unrelated_items_from_other_sources_stay_apart():
    first = _item(title="Mistral opens an office in Singapore", summary="Hiring in Asia.")
    second = _item(title="Cohere ships Rerank 4 for enterprise search", summary="Faster reranking.")
    news_items_analyse(item_ids=[first.pk, second.pk])
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.story_id is None
    assert second.story_id is None


def test_reanalysis_is_idempotent(anthropic):
    item = _item(title="Anthropic releases Claude 5 Opus model", summary=LAUNCH_SUMMARY)
    news_items_analyse(item_ids=[item.pk])
    first = NewsItem.objects.values().get(pk=item.pk)
    news_items_analyse(item_ids=[item.pk], now=first["analysed_at"])
    again = NewsItem.objects.values().get(pk=item.pk)
    assert again == first
    assert item.mentioned_companies.count() == 1


def test_analysis_needs_constant_queries(django_assert_max_num_queries, anthropic):
    items = [
        _item(title=f"Anthropic update {n}: Claude gets faster tools", summary="Details.")
        for n in range(30)
    ]
    classification.rules_changed()
    with django_assert_max_num_queries(20):
        news_items_analyse(item_ids=[item.pk for item in items])


def test_pending_items_are_caught_up_once_their_queued_task_had_its_chance():
    items = [_item(title=f"Model release {n}", summary="A new model.") for n in range(3)]
    # Just stored: an analysis task is most likely queued for them already.
    assert news_items_analyse_pending(batch_size=2) == 0

    later = timezone.now() + timedelta(minutes=3)
    assert news_items_analyse_pending(batch_size=2, now=later) == 3
    assert not NewsItem.objects.filter(pk__in=[i.pk for i in items], analysed_at__isnull=True)
    assert news_items_analyse_pending(now=later) == 0


def test_only_pending_leaves_analysed_items_alone():
    item = _item(title="Model release", summary="A new model.")
    news_items_analyse(item_ids=[item.pk])
    NewsItem.objects.filter(pk=item.pk).update(category="pricing_change")

    assert news_items_analyse(item_ids=[item.pk], only_pending=True) == 0
    assert NewsItem.objects.get(pk=item.pk).category == "pricing_change"
    assert news_items_analyse(item_ids=[item.pk]) == 1
    assert NewsItem.objects.get(pk=item.pk).category == "model_release"


@pytest.mark.django_db(transaction=True)
def test_items_another_worker_is_analysing_are_skipped():
    first = _item(title="Model release one", summary="A new model.")
    second = _item(title="Model release two", summary="A new model.")
    locked = threading.Event()
    release = threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                list(NewsItem.objects.filter(pk=first.pk).select_for_update())
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(10)
        assert news_items_analyse(item_ids=[first.pk, second.pk]) == 1
    finally:
        release.set()
        thread.join()
    assert NewsItem.objects.get(pk=first.pk).analysed_at is None
    assert NewsItem.objects.get(pk=second.pk).analysed_at is not None


def test_fingerprint_migration_sends_items_back_for_analysis():
    from django.apps import apps

    migration = importlib.import_module("news.migrations.0006_fingerprint_hash_family")
    stale = _item(title="Model release", summary="A new model.")
    news_items_analyse(item_ids=[stale.pk])
    untouched = _item(title="Not analysed yet", summary="Pending.")

    migration.clear_fingerprints(apps, None)

    stale.refresh_from_db()
    assert stale.fingerprint == []
    assert stale.analysed_at is None
    assert stale.category == "model_release"  # kept until the sweep recomputes it
    assert NewsItem.objects.get(pk=untouched.pk).fingerprint == []


def test_reclassification_applies_rule_changes():
    item = _item(title="Zorblax quarterly update", summary="Nothing matches here.")
    news_items_analyse(item_ids=[item.pk])
    item.refresh_from_db()
    assert item.category == ""
    ClassificationRule.objects.create(
        category="strategic_announcement", pattern="zorblax", kind="word", weight=5.0
    )
    classification.rules_changed()
    assert news_items_reclassify() >= 1
    item.refresh_from_db()
    assert item.category == "strategic_announcement"
    assert news_items_reclassify() == 0


def test_reclassify_command(capsys):
    _item(title="Acme raises Series B", summary="Funding round.", category="")
    call_command("reclassify", "--since-days", "7")
    assert "changed" in capsys.readouterr().out


def test_classify_text_reads_json_lines(monkeypatch, anthropic):
    lines = [
        {"title": "Anthropic cuts Claude API prices by 50%", "summary": "New pricing tiers."},
        {"title": "", "summary": ""},
        {"title": "<b>收购</b> Компания купила стартап", "summary": "x" * 100_000},
    ]
    monkeypatch.setattr("sys.stdin", StringIO("\n".join(json.dumps(line) for line in lines)))
    out = StringIO()
    call_command("classify_text", "--json", stdout=out)
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(results) == 3
    assert results[0]["category"] == "pricing_change"
    assert results[0]["companies"] == ["anthropic"]
    assert 0 <= results[0]["priority"] <= 1
    assert set(results[1]) == {"category", "priority", "companies", "keywords"}
    assert results[1]["category"] is None


def test_classify_text_rejects_bad_lines(monkeypatch):
    from django.core.management import CommandError

    monkeypatch.setattr("sys.stdin", StringIO("not json\n"))
    with pytest.raises(CommandError, match="line 1"):
        call_command("classify_text", "--json", stdout=StringIO())
