"""Full-text search on PostgreSQL: a trigger keeps search_vector current and a
GIN index serves queries. Other databases (the embedded SQLite mode) skip this
and search with a simple fallback (news/selectors.py)."""

from django.db import migrations

# Title outranks summary outranks text; text is capped so one huge page cannot
# exceed the 1 MB tsvector limit.
CREATE = """
CREATE OR REPLACE FUNCTION news_newsitem_search_vector_update() RETURNS trigger AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(NEW.summary, '')), 'B') ||
        setweight(to_tsvector('english', left(coalesce(NEW.content_text, ''), 100000)), 'C');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER news_newsitem_search_vector
    BEFORE INSERT OR UPDATE OF title, summary, content_text ON news_newsitem
    FOR EACH ROW EXECUTE FUNCTION news_newsitem_search_vector_update();

CREATE INDEX IF NOT EXISTS news_newsitem_search_idx ON news_newsitem USING gin (search_vector);

UPDATE news_newsitem SET title = title;
"""

DROP = """
DROP INDEX IF EXISTS news_newsitem_search_idx;
DROP TRIGGER IF EXISTS news_newsitem_search_vector ON news_newsitem;
DROP FUNCTION IF EXISTS news_newsitem_search_vector_update();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("news", "0004_newsitem_intelligence_fields")]

    operations = [migrations.RunPython(create, drop)]
