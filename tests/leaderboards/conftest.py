# The predictions fixtures (a ceremony with an open winners round and two small categories; a fan, an expert
# and an editor): the leaderboards are scored from the ballots those tests write.
from tests.predictions.conftest import editor, expert, fan, season  # noqa: F401


def index_boards():
    """For tests that write Standing rows by hand (the recompute writes these itself): every row's position and every
    board's LeaderboardOrder, from the rows' rank, final save and user, as leaderboard_recompute would."""
    import numpy as np

    from leaderboards.models import LeaderboardOrder, Standing

    LeaderboardOrder.objects.all().delete()
    for round_id, segment in set(Standing.objects.values_list("round_id", "segment")):
        rows = list(
            Standing.objects.filter(round_id=round_id, segment=segment).order_by("rank", "final_saved_at", "user_id")
        )
        for position, standing in enumerate(rows, start=1):
            standing.position = position
        Standing.objects.bulk_update(rows, ["position"])
        LeaderboardOrder.objects.create(
            round_id=round_id,
            segment=segment,
            size=len(rows),
            leaders=sum(s.rank == 1 for s in rows),
            users=np.array([s.user_id for s in rows], dtype="<i8").tobytes(),
        )
