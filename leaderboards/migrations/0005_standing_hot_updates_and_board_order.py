"""Standings that PostgreSQL can update in place (HOT): no index on the rank, half-empty pages, and the board order
kept in LeaderboardOrder instead (see leaderboards.models.Standing)."""

import django.db.models.deletion
import numpy as np
from django.db import migrations, models

FILLFACTOR = 50  # leaderboards.models.STANDING_FILLFACTOR when this was written


def orders_build(apps, schema_editor):
    """Positions and board orders for standings written before this migration, in their old board order."""
    Standing = apps.get_model("leaderboards", "Standing")
    LeaderboardOrder = apps.get_model("leaderboards", "LeaderboardOrder")
    boards = Standing.objects.order_by().values_list("round_id", "segment").distinct()
    for round_id, segment in list(boards):
        rows = list(
            Standing.objects.filter(round_id=round_id, segment=segment)
            .order_by("rank", "final_saved_at", "user_id")
            .only("id", "user_id", "rank")
        )
        for position, standing in enumerate(rows, start=1):
            standing.position = position
        Standing.objects.bulk_update(rows, ["position"], batch_size=2000)
        users = np.array([s.user_id for s in rows], dtype="<i8").tobytes()
        leaders = sum(1 for s in rows if s.rank == 1)
        LeaderboardOrder.objects.create(round_id=round_id, segment=segment, size=len(rows), leaders=leaders, users=users)


def storage_set(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE leaderboards_standing SET (fillfactor = {FILLFACTOR})")
    schema_editor.execute("ALTER TABLE leaderboards_leaderboardorder ALTER COLUMN users SET STORAGE EXTERNAL")


def storage_reset(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE leaderboards_standing RESET (fillfactor)")


class Migration(migrations.Migration):

    dependencies = [
        ("films", "0001_initial"),
        ("leaderboards", "0004_standing_fewer_indexes"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="standing",
            options={"ordering": ["round_id", "segment", "position"]},
        ),
        migrations.RemoveIndex(
            model_name="standing",
            name="leaderboard_round_i_877656_idx",
        ),
        migrations.AddField(
            model_name="standing",
            name="position",
            field=models.PositiveIntegerField(
                default=0,
                help_text="1 for the first row of the board, as the board is ordered (rank, then final save, then user).",
            ),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name="standing",
            index=models.Index(fields=["round", "segment"], name="standing_round_segment"),
        ),
        migrations.CreateModel(
            name="LeaderboardOrder",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("segment", models.CharField(choices=[("all", "All users"), ("experts", "Experts"), ("editors", "Editors"), ("top24", "Top 24"), ("combined", "Combined")], max_length=16)),
                ("size", models.PositiveIntegerField()),
                ("leaders", models.PositiveIntegerField(help_text="How many share the first place: the first ids of `users`.")),
                ("users", models.BinaryField()),
                ("round", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="leaderboard_orders", to="films.round")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("round", "segment"), name="leaderboard_order_unique")],
            },
        ),
        migrations.RunPython(orders_build, migrations.RunPython.noop),
        migrations.RunPython(storage_set, storage_reset),
    ]
