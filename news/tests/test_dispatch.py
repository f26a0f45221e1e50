import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from competitors.models import Source
from competitors.tests.factories import SourceFactory
from news.services import CLAIM_LEASE, sources_claim_due


@pytest.mark.django_db
def test_only_due_active_sources_are_claimed_and_leased():
    now = timezone.now()
    due = SourceFactory(next_fetch_at=now - timedelta(minutes=1))
    never_fetched = SourceFactory(next_fetch_at=None)
    SourceFactory(next_fetch_at=now + timedelta(hours=1))
    SourceFactory(next_fetch_at=None, status=Source.Status.PAUSED)
    SourceFactory(next_fetch_at=None, status=Source.Status.ERROR)

    claimed = sources_claim_due(now=now)
    assert sorted(claimed) == sorted([due.pk, never_fetched.pk])
    due.refresh_from_db()
    assert due.next_fetch_at == now + CLAIM_LEASE
    assert sources_claim_due(now=now) == []
    assert sorted(sources_claim_due(now=now + CLAIM_LEASE)) == sorted(claimed)


@pytest.mark.django_db
def test_claim_respects_the_limit_oldest_first():
    now = timezone.now()
    sources = [SourceFactory(next_fetch_at=now - timedelta(minutes=n)) for n in range(5)]
    assert sources_claim_due(now=now, limit=2) == [sources[4].pk, sources[3].pk]


@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatchers_never_claim_a_source_twice():
    now = timezone.now()
    ids = {SourceFactory(next_fetch_at=None).pk for _ in range(60)}
    claims = []
    barrier = threading.Barrier(6)

    def dispatcher():
        try:
            barrier.wait()
            for _ in range(5):
                claims.append(sources_claim_due(now=now, limit=4))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=dispatcher) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = [source_id for claim in claims for source_id in claim]
    # Whatever the racing dispatchers skipped is still claimable, exactly once.
    claimed += sources_claim_due(now=now, limit=100)
    assert len(claimed) == len(set(claimed))
    assert set(claimed) <= ids
    assert len(claimed) == 60
