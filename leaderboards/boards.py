"""Reading a page of a leaderboard without an index on the rank (see leaderboards.models.Standing): the board's order
is LeaderboardOrder's list of user ids, so a page is one substring of it and one lookup of those users' standings."""

from __future__ import annotations

import numpy as np
from django.db.models import BinaryField, F, Q
from django.db.models.functions import Substr

from leaderboards.models import LeaderboardOrder, Standing


def orders_for(round_) -> dict[str, LeaderboardOrder]:
    """segment -> the round's LeaderboardOrder rows, without their (large) lists of users: one query."""
    return {order.segment: order for order in LeaderboardOrder.objects.filter(round=round_).defer("users")}


def board_head(round_, segment: str, n: int) -> list[int]:
    """The user ids of the first `n` rows of one board, in board order: one query."""
    chunk = (
        LeaderboardOrder.objects.filter(round=round_, segment=segment)
        .annotate(chunk=Substr("users", 1, n * LeaderboardOrder.ID_BYTES, output_field=BinaryField()))
        .values_list("chunk", flat=True)
        .first()
    )
    return np.frombuffer(bytes(chunk or b""), dtype="<i8").tolist()


def board_sizes(standings) -> dict[tuple[int, str], int]:
    """(round id, segment) -> the size of the board of each of `standings`: one query."""
    orders = LeaderboardOrder.objects.filter(
        round_id__in={s.round_id for s in standings}, segment__in={s.segment for s in standings}
    )
    return {(r, segment): size for r, segment, size in orders.values_list("round_id", "segment", "size")}


def board_leaders(boards: list[tuple[int, str, int]]) -> list[Standing]:
    """The standings that share first place on each of `boards` (round id, segment, LeaderboardOrder.leaders): the
    first ids of each order (one query) and their standings (one query, users and rounds joined), by round, segment
    and place on the board."""
    wanted = Q()
    for round_id, segment, leaders in boards:
        if leaders:
            wanted |= Q(round_id=round_id, segment=segment)
    if not wanted:
        return []
    chunks = (
        LeaderboardOrder.objects.filter(wanted)
        .annotate(chunk=Substr("users", 1, F("leaders") * LeaderboardOrder.ID_BYTES, output_field=BinaryField()))
        .values_list("round_id", "segment", "chunk")
    )
    places = {}
    for round_id, segment, chunk in chunks:
        for place, user_id in enumerate(np.frombuffer(bytes(chunk), dtype="<i8").tolist()):
            places[(round_id, segment, user_id)] = place
    standings = Standing.objects.filter(wanted, user_id__in={user_id for _r, _s, user_id in places})
    found = [s for s in standings.select_related("user", "round") if (s.round_id, s.segment, s.user_id) in places]
    return sorted(found, key=lambda s: (s.round_id, s.segment, places[(s.round_id, s.segment, s.user_id)]))


class BoardRows:
    """One board's standings in board order, as django.core.paginator.Paginator takes them: count() is the board's
    size (no query), and a slice reads its user ids (one query) and their standings (one query, users joined).
    `order` is the board's LeaderboardOrder (from orders_for), or None for a board with no standings."""

    def __init__(self, order: LeaderboardOrder | None):
        self.order = order

    def count(self) -> int:
        return self.order.size if self.order else 0

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("a board reads only slices, in order")
        start, stop, _ = key.indices(self.count())
        if self.order is None or start >= stop:
            return []
        width = LeaderboardOrder.ID_BYTES
        chunk = (
            LeaderboardOrder.objects.filter(pk=self.order.pk)
            .annotate(chunk=Substr("users", start * width + 1, (stop - start) * width, output_field=BinaryField()))
            .values_list("chunk", flat=True)
            .first()
        )
        ids = np.frombuffer(bytes(chunk or b""), dtype="<i8").tolist()
        found = {
            s.user_id: s
            for s in Standing.objects.filter(
                round_id=self.order.round_id, segment=self.order.segment, user_id__in=ids
            ).select_related("user")
        }
        return [found[user_id] for user_id in ids if user_id in found]
