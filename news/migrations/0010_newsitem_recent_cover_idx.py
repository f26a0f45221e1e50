from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("news", "0009_newsitem_fetched_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="newsitem",
            index=models.Index(
                fields=["-published_at", "-id"],
                include=("company", "category", "priority_score", "story"),
                name="newsitem_recent_cover_idx",
            ),
        ),
    ]
