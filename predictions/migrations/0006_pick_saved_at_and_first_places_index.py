"""Pick.saved_at, a copy of its ballot's, and pick_first_idx: the leaderboards' read of a closed round's first
places then reads one partial index (an index-only scan once the round's picks are vacuumed), not the picks'
table joined with the ballots. At 100,000 users the query took 2.6-2.9 s; from the index, 0.8-1.3 s (benchmarks/README.md).

The save function of migration 0004 is replaced by the same function writing the copy (p_now, the ballot's save
time in both of its branches).
"""

import importlib

from django.db import migrations, models
from django.db.models import OuterRef, Q, Subquery

MIGRATION_0004 = importlib.import_module("predictions.migrations.0004_ballot_save_function")
SAVE_FUNCTION = MIGRATION_0004.FUNCTION
PICK_COLUMNS_BEFORE = "round_id,\n                                      category_id, user_id)"
PICK_VALUES_BEFORE = "p_round, p_category, p_user\n"
SAVE_FUNCTION_WITH_COPY = SAVE_FUNCTION.replace(
    PICK_COLUMNS_BEFORE, "round_id,\n                                      category_id, user_id, saved_at)"
).replace(PICK_VALUES_BEFORE, "p_round, p_category, p_user, p_now\n")
if "p_category, p_user, p_now\n" not in SAVE_FUNCTION_WITH_COPY or "user_id, saved_at)" not in SAVE_FUNCTION_WITH_COPY:
    raise RuntimeError("migration 0004's save function is not the text this migration edits")


def copy_saved_at(apps, schema_editor):
    Ballot, Pick = apps.get_model("predictions", "Ballot"), apps.get_model("predictions", "Pick")
    Pick.objects.update(saved_at=Subquery(Ballot.objects.filter(pk=OuterRef("ballot_id")).values("saved_at")[:1]))


def function_with_copy(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SAVE_FUNCTION_WITH_COPY)


class Migration(migrations.Migration):
    dependencies = [("predictions", "0005_pick_ballot_index_is_the_unique_rank")]

    operations = [
        migrations.AddField(model_name="pick", name="saved_at", field=models.DateTimeField(null=True)),
        migrations.RunPython(copy_saved_at, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="pick",
            name="saved_at",
            field=models.DateTimeField(help_text="The ballot's saved_at, copied (every save rewrites the picks)."),
        ),
        migrations.AddIndex(
            model_name="pick",
            index=models.Index(
                condition=Q(rank=1),
                fields=["round", "category", "user", "contender", "locked_probability", "saved_at"],
                name="pick_first_idx",
            ),
        ),
        migrations.RunPython(function_with_copy, MIGRATION_0004.create)  # back to 0004's function,
    ]
