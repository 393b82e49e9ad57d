"""Top 24 promotion: the best 24 of a ceremony's final winners-round standings become the Top 24 segment of the
same show's next ceremony (issue 4, point 5).

The cut is exactly 24 seats, taken in leaderboard order: rank, then the earliest final save, then the user id
(LeaderboardOrder). Standing ranks already break accuracy-and-points ties by the final save, so two players
share a rank across the cut only when they are equal on accuracy, points and save time; the seat then goes to the
earlier account. Each member's Top24Member.rank is their seat (1-24), so the segment is one team of 24 whatever
the ties.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef

from films.models import Category, Ceremony, Round
from leaderboards.boards import board_head
from leaderboards.models import Announcement, LeaderboardState
from leaderboards.services import leaderboard_mark_stale, leaderboard_request
from predictions.models import Ballot, Segment, Top24Member
from predictions.services import odds_mark_stale, odds_request

TOP24_SIZE = 24


def results_final(*, ceremony: Ceremony) -> bool:
    """Whether the ceremony's results are final and its standings have caught up with them: it has a winners
    round and competitive categories, every one of them has a winner announced (not undone), and the last
    leaderboard recompute read the latest announcement. Three queries."""
    if not Round.objects.filter(ceremony=ceremony, kind=Round.Kind.WINNERS).exists():
        return False
    competitive = Category.objects.filter(ceremony=ceremony).competitive()
    announced = Exists(Announcement.objects.standing().filter(category_id=OuterRef("pk")))
    counts = competitive.order_by().aggregate(total=Count("id"), undecided=Count("id", filter=~announced))
    if not counts["total"] or counts["undecided"]:
        return False
    state = LeaderboardState.objects.filter(ceremony=ceremony).first()
    return state is not None and state.computed_at is not None and not state.is_stale


@transaction.atomic
def top24_promote(*, ceremony: Ceremony, now: datetime | None = None) -> int:
    """Make the first 24 of `ceremony`'s final winners-round standings (segment All users) the Top 24 of the same
    show's next ceremony (number + 1), replacing whatever Top 24 it had. Returns how many members it now has;
    0, changing nothing, when the show has no next ceremony. Idempotent: a second run changes nothing.

    Raises ValidationError, changing nothing, while the results are not final (a category without a winner, or
    standings not yet recomputed after the last announcement). When the membership changes, the next ceremony's
    Top 24 odds and standings (if it already has ballots) are marked stale and requested on commit."""
    # `now` is accepted like every service's, but nothing here depends on the time: only on the announcements.
    if not results_final(ceremony=ceremony):
        raise ValidationError(
            f"The results of the {ceremony.title} are not final yet: announce every category and let the standings "
            "update before promoting its Top 24.",
            code="not_final",
        )
    following = (
        Ceremony.objects.select_for_update().filter(show_id=ceremony.show_id, number=ceremony.number + 1).first()
    )
    if following is None:
        return 0

    winners_round = Round.objects.get(ceremony=ceremony, kind=Round.Kind.WINNERS)
    seats = board_head(winners_round, Segment.ALL, TOP24_SIZE)
    wanted = {user_id: seat for seat, user_id in enumerate(seats, start=1)}
    current = dict(Top24Member.objects.filter(ceremony=following).values_list("user_id", "rank"))
    if current == wanted:
        return len(wanted)

    Top24Member.objects.filter(ceremony=following).exclude(user_id__in=list(wanted)).delete()
    Top24Member.objects.bulk_create(
        [Top24Member(ceremony=following, user_id=user_id, rank=seat) for user_id, seat in wanted.items()],
        update_conflicts=True,
        unique_fields=["ceremony", "user"],
        update_fields=["rank"],
    )
    _mark_following_stale(following)
    return len(wanted)


def _mark_following_stale(ceremony: Ceremony) -> None:
    """The Top 24 segment of `ceremony` changed: its odds and standings, if it has ballots, are out of date."""
    pairs = sorted(set(Ballot.objects.filter(round__ceremony=ceremony).values_list("round_id", "category_id")))
    for round_id, category_id in pairs:
        odds_mark_stale(round_id=round_id, category_id=category_id)
    if pairs:
        LeaderboardState.objects.bulk_create([LeaderboardState(ceremony=ceremony)], ignore_conflicts=True)
        leaderboard_mark_stale(ceremony_id=ceremony.id)
        ceremony_id = ceremony.id

        def request() -> None:
            for round_id, category_id in pairs:
                odds_request(round_id=round_id, category_id=category_id)
            leaderboard_request(ceremony_id=ceremony_id)

        transaction.on_commit(request)
