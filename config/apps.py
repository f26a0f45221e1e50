from django.apps import AppConfig


class PlatformConfig(AppConfig):
    """Project-wide operations: health probes, periodic-task sync, heartbeat."""

    name = "config"
    label = "platform"
    verbose_name = "Platform"

    def ready(self) -> None:
        from django.apps import apps
        from django.db.models.signals import post_migrate

        from config.periodic import sync_after_migrate

        # post_migrate is only sent for apps with models; beat's app owns the tables.
        post_migrate.connect(sync_after_migrate, sender=apps.get_app_config("django_celery_beat"))
