"""Fingerprints are now MinHash over SHAKE-128 slices; older ones are incomparable.

Every analysed item is cleared and sent back to the pending sweep, which
recomputes its fingerprint (and every other analysed field, idempotently).
"""

from django.db import migrations


def clear_fingerprints(apps, schema_editor):
    NewsItem = apps.get_model("news", "NewsItem")
    NewsItem.objects.exclude(fingerprint=[]).update(fingerprint=[], analysed_at=None)


class Migration(migrations.Migration):
    dependencies = [("news", "0005_search_vector_trigger")]

    operations = [migrations.RunPython(clear_fingerprints, migrations.RunPython.noop)]
