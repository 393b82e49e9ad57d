from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("predictions", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="pick",
            name="locked_probability",
            field=models.FloatField(
                default=0.0,
                help_text="The contender's Combined probability when the pick was saved: the odds its stake is scored at."
            ),
            # Picks saved before this field had no odds recorded: staked at zero (they pay nothing).
            preserve_default=False,
        ),
    ]
