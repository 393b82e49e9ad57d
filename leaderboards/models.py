"""Results night: announcements of winners, and the standings they produce."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from films.models import Category, Ceremony, Contender, Round
from predictions.models import Segment


class AnnouncementQuerySet(models.QuerySet):
    def standing(self):
        """The announcements in force (not undone)."""
        return self.filter(undone_at__isnull=True)


class Announcement(models.Model):
    """An editor's announcement of a winner of a category (tied winners: one row each). Undoing keeps the
    row, with who undid it and when, so the control room can show what happened."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="announcements")
    contender = models.ForeignKey(Contender, on_delete=models.CASCADE, related_name="announcements")
    announced_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    announced_at = models.DateTimeField()
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    objects = AnnouncementQuerySet.as_manager()

    class Meta:
        ordering = ["announced_at", "id"]
        constraints = [
            # A contender is announced at most once at a time.
            models.UniqueConstraint(
                fields=["contender"], condition=Q(undone_at__isnull=True), name="announcement_unique_standing"
            ),
        ]
        indexes = [models.Index(fields=["category", "undone_at"])]

    def __str__(self) -> str:
        return f"{self.contender} wins {self.category}"


class LeaderboardState(models.Model):
    """Like OddsState, per ceremony: `version` is bumped by every announcement or undo (in its
    transaction); `computed_version` is the version the last standings recompute read."""

    ceremony = models.OneToOneField(Ceremony, on_delete=models.CASCADE, related_name="leaderboard_state")
    version = models.BigIntegerField(default=0)
    computed_version = models.BigIntegerField(default=0)
    computed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.ceremony} – v{self.computed_version}/{self.version}"

    @property
    def is_stale(self) -> bool:
        return self.computed_version < self.version


class StandingQuerySet(models.QuerySet):
    def board(self, round_, segment=Segment.ALL):
        """Every standing of one board in board order. Sorts the board in the database (no index has the rank, see
        Standing): for the rare whole-board reads (promotion, e-mails). Pages read through LeaderboardOrder."""
        return self.filter(round=round_, segment=segment).order_by("position")


# Table storage of the standings (PostgreSQL; set by migration 0005): each page half empty, so that the new version of
# a row fits beside the old one and its update is heap-only (HOT: no index entry written).
STANDING_FILLFACTOR = 50


class Standing(models.Model):
    """One user's place on one leaderboard (a round and a segment). Rebuilt from scratch by every recompute.

    Every recompute after an announcement rewrites nearly every row (decided, accuracy, points, rank and position move
    for everybody), so the indexes cover only columns that never change: then PostgreSQL can update each row in place
    on its page (HOT) without writing an entry into any index. With an index on the rank, every update wrote a new
    entry into all three indexes: at 100,000 users the upsert took 2.9 s instead of 1.1 s. The board order that index
    served is LeaderboardOrder's, written in the same transaction."""

    # No index of their own on round and user: the unique constraint starts with the user (cards, deleting a user)
    # and the index below with the round (a ceremony's standings, deleting a round).
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="standings", db_index=False)
    segment = models.CharField(max_length=16, choices=Segment)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="standings", db_index=False
    )
    rank = models.PositiveIntegerField()
    position = models.PositiveIntegerField(
        help_text="1 for the first row of the board, as the board is ordered (rank, then final save, then user)."
    )
    correct = models.PositiveIntegerField()
    decided = models.PositiveIntegerField(help_text="Decided categories (nominations round: nominee slots).")
    predicted = models.PositiveIntegerField(help_text="How many of the decided ones the user predicted.")
    accuracy = models.FloatField()
    points = models.FloatField()
    final_saved_at = models.DateTimeField(help_text="The user's last save in the round: the last tie-break.")
    best_rank = models.PositiveIntegerField(null=True, blank=True, help_text="While live: the best final rank left.")
    worst_rank = models.PositiveIntegerField(null=True, blank=True, help_text="While live: the worst final rank left.")
    # When the standings were rebuilt is LeaderboardState.computed_at (one row), so that a recompute leaves the rows
    # whose values did not change untouched.

    objects = StandingQuerySet.as_manager()

    class Meta:
        ordering = ["round_id", "segment", "position"]
        constraints = [
            # The user first, so that it is also the index of a user's standings (cards, deleting a user).
            models.UniqueConstraint(fields=["user", "round", "segment"], name="standing_unique"),
            models.CheckConstraint(condition=Q(accuracy__gte=0) & Q(accuracy__lte=1), name="standing_accuracy"),
        ]
        indexes = [models.Index(fields=["round", "segment"], name="standing_round_segment")]

    def __str__(self) -> str:
        return f"{self.rank}. {self.user} ({self.segment})"


class LeaderboardOrder(models.Model):
    """The order of one board (a round and a segment): its users' ids, as many little-endian int64 as the board has
    rows, in Standing.position order. Written with the standings, in the recompute's transaction. A page of the board
    is one substring of `users` (PostgreSQL stores the column uncompressed, so it reads only the bytes asked for) and
    one lookup of those users' standings by the unique constraint; see leaderboards.boards."""

    ID_BYTES = 8

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="leaderboard_orders", db_index=False)
    segment = models.CharField(max_length=16, choices=Segment)
    size = models.PositiveIntegerField()
    leaders = models.PositiveIntegerField(help_text="How many share the first place: the first ids of `users`.")
    users = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "segment"], name="leaderboard_order_unique")]

    def __str__(self) -> str:
        return f"{self.round} – {self.segment}: {self.size}"


from leaderboards.models_email import NewsletterSubscription, ScoreEmail  # noqa: E402,F401
