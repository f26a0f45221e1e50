"""Recompute search_vector only when the searchable text really changes.

``UPDATE OF title, summary, content_text`` fires whenever those columns are
listed in an UPDATE, and analysis writes summary with every batch, so each
analysed row paid for three to_tsvector calls it did not need.
"""

from django.db import migrations

FORWARD = """
DROP TRIGGER IF EXISTS news_newsitem_search_vector ON news_newsitem;

CREATE TRIGGER news_newsitem_search_vector
    BEFORE INSERT ON news_newsitem
    FOR EACH ROW EXECUTE FUNCTION news_newsitem_search_vector_update();

CREATE TRIGGER news_newsitem_search_vector_on_change
    BEFORE UPDATE OF title, summary, content_text ON news_newsitem
    FOR EACH ROW
    WHEN (
        OLD.title IS DISTINCT FROM NEW.title
        OR OLD.summary IS DISTINCT FROM NEW.summary
        OR OLD.content_text IS DISTINCT FROM NEW.content_text
    )
    EXECUTE FUNCTION news_newsitem_search_vector_update();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS news_newsitem_search_vector_on_change ON news_newsitem;
DROP TRIGGER IF EXISTS news_newsitem_search_vector ON news_newsitem;

CREATE TRIGGER news_newsitem_search_vector
    BEFORE INSERT OR UPDATE OF title, summary, content_text ON news_newsitem
    FOR EACH ROW EXECUTE FUNCTION news_newsitem_search_vector_update();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("news", "0006_fingerprint_hash_family")]

    operations = [migrations.RunPython(forward, backward)]
