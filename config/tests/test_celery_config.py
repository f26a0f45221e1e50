from django.conf import settings

from config.celery_app import app


def test_time_limits_are_ordered_below_the_visibility_timeout():
    conf = app.conf
    visibility = conf.broker_transport_options["visibility_timeout"]
    assert conf.task_soft_time_limit < conf.task_time_limit < visibility


def test_json_only_and_one_task_prefetched():
    conf = app.conf
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.worker_prefetch_multiplier == 1


def test_queues_are_declared():
    names = {queue.name for queue in app.conf.task_queues}
    assert {"default", "scrape"} <= names
    assert app.conf.task_default_queue == "default"


def test_beat_uses_the_database_scheduler():
    assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"


def test_embedded_default_needs_no_server():
    from config.settings import base

    if not base.REDIS_URL:
        assert base.CELERY_BROKER_URL == "filesystem://"
        assert base.CACHES["default"]["BACKEND"].endswith("LocMemCache")
