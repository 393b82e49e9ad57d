from django.db import migrations, models


def even_prior(apps, schema_editor):
    """Picks saved before odds were locked: staked at the even prior of their category."""
    Pick = apps.get_model("predictions", "Pick")
    Contender = apps.get_model("films", "Contender")
    for category_id in Pick.objects.values_list("category_id", flat=True).distinct().order_by():
        nominees = Contender.objects.filter(category_id=category_id, is_nominee=True).count() or 1
        Pick.objects.filter(category_id=category_id).update(locked_probability=1 / nominees)


class Migration(migrations.Migration):
    dependencies = [
        ("films", "0001_initial"),
        ("predictions", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="pick",
            name="locked_probability",
            field=models.FloatField(
                default=0.0,
                help_text="The contender's Combined probability when the pick was saved: the odds its stake is scored at.",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(even_prior, migrations.RunPython.noop),
    ]
