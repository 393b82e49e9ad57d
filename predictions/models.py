"""Ballots (a user's ranked picks per category and round), segments, and the odds tables."""

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Q, Subquery

from films.models import Category, Ceremony, Contender, Round
from predictions import odds as engine

RATIONALE_MAX = 280


class Segment(models.TextChoices):
    ALL = "all", "All users"
    EXPERTS = "experts", "Experts"
    EDITORS = "editors", "Editors"
    TOP24 = "top24", "Top 24"
    COMBINED = "combined", "Combined"


class Top24Member(models.Model):
    """One of the best 24 of the show's previous ceremony: the Top 24 segment of `ceremony`."""

    ceremony = models.ForeignKey(Ceremony, on_delete=models.CASCADE, related_name="top24_members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="top24_memberships")
    rank = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["ceremony_id", "rank"]
        constraints = [models.UniqueConstraint(fields=["ceremony", "user"], name="top24_unique_user")]
        verbose_name = "Top 24 member"

    def __str__(self) -> str:
        return f"{self.user} – Top 24 of {self.ceremony}"


class BallotQuerySet(models.QuerySet):
    def for_ceremony(self, ceremony, round_=None):
        qs = self.filter(category__ceremony=ceremony)
        return qs.filter(round=round_) if round_ else qs


class Ballot(models.Model):
    """One user's ranking of one category in one round. Its picks are replaced on every save."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ballots")
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="ballots")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="ballots")
    created_at = models.DateTimeField()
    saved_at = models.DateTimeField(help_text="The last (final) save; breaks ties on the leaderboards.")

    objects = BallotQuerySet.as_manager()

    class Meta:
        ordering = ["saved_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "round", "category"], name="ballot_unique_user_category")
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.category.display_name}"

    @property
    def ranked_picks(self) -> list:
        """The picks best first: those the save just wrote, else `picks` (prefetch it in rank order)."""
        saved = getattr(self, "saved_picks", None)
        return saved if saved is not None else sorted(self.picks.all(), key=lambda pick: pick.rank)


class Pick(models.Model):
    """A contender at a rank on a ballot. Round, category, user and save time are copied from the ballot so that
    the odds recompute is one GROUP BY over this table, and the leaderboards' read needs no join."""

    # No index of its own: both unique constraints start with the ballot (every save writes each index per pick).
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="picks", db_index=False)
    contender = models.ForeignKey(Contender, on_delete=models.CASCADE, related_name="picks")
    rank = models.PositiveSmallIntegerField()
    rationale = models.CharField(max_length=RATIONALE_MAX, blank=True)
    locked_probability = models.FloatField(
        help_text="The contender's Combined probability when the pick was saved: the odds its stake is scored at."
    )
    # Copies of the ballot's, written only with it (the save paths copy them), so no foreign-key constraint of their
    # own: the ballot's constraints hold them, and each would cost every pick of every save a check at commit
    # (about a tenth of the save statement; benchmarks/README.md). Deleting a round, category or user still
    # cascades to these picks (Django collects them). No index for the round: pick_odds_idx starts with it.
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    saved_at = models.DateTimeField(help_text="The ballot's saved_at, copied (every save rewrites the picks).")

    class Meta:
        ordering = ["ballot_id", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["ballot", "rank"], name="pick_unique_rank"),
            models.UniqueConstraint(fields=["ballot", "contender"], name="pick_unique_contender"),
            models.CheckConstraint(condition=Q(rank__gte=1), name="pick_rank_positive"),
        ]
        indexes = [
            # The odds recompute's GROUP BY reads only this index (an index-only scan on PostgreSQL), not the
            # picks' rows: the user is in it for the segment joins. (A key column, not INCLUDE: SQLite has none.)
            models.Index(fields=["round", "category", "rank", "contender", "user"], name="pick_odds_idx"),
            # The leaderboards' read of a closed winners round (2.3 million first places at 100,000 users) reads
            # only this index, not the 11.8 million picks nor their ballots: it holds every column that read takes.
            models.Index(
                fields=["round", "category", "user", "contender", "locked_probability", "saved_at"],
                condition=Q(rank=1),
                name="pick_first_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.contender}"


class OddsState(models.Model):
    """How far a category's odds have caught up: ballot_version is bumped by every save (in its
    transaction), odds_version is the ballot_version the last recompute read. Behind = stale."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="odds_states")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="odds_states")
    ballot_version = models.BigIntegerField(default=0)
    odds_version = models.BigIntegerField(default=0)
    recomputed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "category"], name="oddsstate_unique")]

    def __str__(self) -> str:
        return f"{self.category} – v{self.odds_version}/{self.ballot_version}"

    @property
    def is_stale(self) -> bool:
        return self.odds_version < self.ballot_version


class OddsQuerySet(models.QuerySet):
    def segment(self, segment: str):
        return self.filter(segment=segment)

    def for_category(self, round_, category):
        """Every segment's odds of one category in one round."""
        return self.filter(round_id=round_.pk, category_id=category.pk)

    def favourites(self):
        """Rank 1 in its segment (several rows when contenders tie for first)."""
        return self.filter(rank=1)


class Odds(models.Model):
    """The current probability of a contender in a segment; fractional odds are only how it is shown."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="odds")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="odds")
    contender = models.ForeignKey(Contender, on_delete=models.CASCADE, related_name="odds")
    segment = models.CharField(max_length=16, choices=Segment)
    probability = models.FloatField()
    rank = models.PositiveSmallIntegerField()
    ballots = models.PositiveIntegerField()
    computed_at = models.DateTimeField()

    objects = OddsQuerySet.as_manager()

    class Meta:
        ordering = ["category_id", "segment", "rank", "contender_id"]
        verbose_name_plural = "odds"
        constraints = [
            models.UniqueConstraint(fields=["round", "contender", "segment"], name="odds_unique"),
            models.CheckConstraint(condition=Q(probability__gte=0) & Q(probability__lte=1), name="odds_probability"),
        ]
        indexes = [models.Index(fields=["round", "category", "segment"])]

    def __str__(self) -> str:
        return f"{self.contender} – {self.segment} – {self.probability:.3f}"

    # How a stored probability is shown, for templates (films pages read Odds through related names and cannot
    # import predictions.odds themselves).
    @property
    def fractional(self) -> str:
        return engine.fractional_odds(self.probability)

    @property
    def percent(self) -> str:
        return engine.percent(self.probability)


class OddsHistoryQuerySet(models.QuerySet):
    def for_category(self, round_, category):
        return self.filter(round_id=round_.pk, category_id=category.pk)

    def as_of(self, moment):
        """The latest row per contender and segment recorded at or before `moment`: the odds as they stood then.

        One query whatever the number of contenders (a correlated subquery over oddshistory_idx).
        """
        latest = (
            self.model._default_manager.filter(
                round_id=OuterRef("round_id"),
                category_id=OuterRef("category_id"),
                contender_id=OuterRef("contender_id"),
                segment=OuterRef("segment"),
                recorded_at__lte=moment,
            )
            .order_by("-recorded_at", "-id")
            .values("id")[:1]
        )
        return self.filter(recorded_at__lte=moment, id=Subquery(latest))


class OddsHistory(models.Model):
    """A probability as it was from `recorded_at` on: one row per change, for charts and the time machine."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="odds_history")
    contender = models.ForeignKey(Contender, on_delete=models.CASCADE, related_name="odds_history")
    segment = models.CharField(max_length=16, choices=Segment)
    probability = models.FloatField()
    rank = models.PositiveSmallIntegerField()
    ballots = models.PositiveIntegerField()
    recorded_at = models.DateTimeField()

    objects = OddsHistoryQuerySet.as_manager()

    class Meta:
        ordering = ["category_id", "segment", "recorded_at"]
        verbose_name_plural = "odds history"
        indexes = [models.Index(fields=["category", "segment", "contender", "recorded_at"], name="oddshistory_idx")]

    def __str__(self) -> str:
        return f"{self.contender} – {self.segment} – {self.probability:.3f} @ {self.recorded_at:%Y-%m-%d %H:%M}"
