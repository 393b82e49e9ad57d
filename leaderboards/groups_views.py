"""Which group predicted best: each segment's odds at the close of the winners round, scored against the announced
winners (the measures and their rules are in `leaderboards.groups`). Five queries whatever the size of the ceremony:
the ceremony, its winners round, the count of competitive categories, the winners, the odds at close.
"""

import hashlib
import math

import pandas as pd
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from films.models import Category, Contender, Round
from leaderboards import groups
from leaderboards.views import LiveFragmentMixin
from predictions.models import OddsHistory, Segment
from predictions.views import CeremonyMixin

ODDS_COLUMNS = ["segment", "category_id", "contender_id", "probability", "rank"]


def announced_winners(ceremony) -> pd.DataFrame:
    """The winners of the ceremony's competitive categories that have a standing announcement (one query)."""
    rows = (
        Contender.objects.winners()
        .filter(
            category__ceremony=ceremony,
            category__award_class__in=Category.COMPETITIVE_CLASSES,
            category__announcements__undone_at__isnull=True,
        )
        .values_list("category_id", "id")
        .distinct()
    )
    return pd.DataFrame(list(rows), columns=["category_id", "contender_id"])


def odds_at_close(round_: Round, category_ids: list[int]) -> pd.DataFrame:
    """Every segment's odds of those categories as they stood when the round closed (one query): the latest
    history row per contender and segment at or before the close. Only the nominees, who are the winners round's
    contenders."""
    rows = (
        OddsHistory.objects.filter(round=round_, category_id__in=category_ids, contender__is_nominee=True)
        .as_of(round_.closes_at)
        .values_list(*ODDS_COLUMNS)
    )
    return pd.DataFrame(list(rows), columns=ODDS_COLUMNS)


def _number(value: float, digits: int = 3) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.{digits}f}".replace("-", "−")


# How often static/js/live.js asks for the table while the envelopes are opening (as the leaderboard does).
LIVE_POLL_SECONDS = 5


class GroupsView(LiveFragmentMixin, CeremonyMixin, TemplateView):
    """The side-by-side table: favourites that won, Brier score and log score per segment. While winners remain
    to be announced after predictions closed, static/js/live.js polls `?fragment=1` (the `table` partial only) and
    swaps it in when its version (the announced winners) changed, exactly as on the leaderboard."""

    template_name = "leaderboards/groups.html"

    def get_context_data(self, **kwargs):
        ceremony = self.get_ceremony()
        winners_round = ceremony.rounds.filter(kind=Round.Kind.WINNERS).first()
        total = ceremony.categories.competitive().count()
        now = timezone.now()
        state, rows, announced, pairs = "", [], 0, ""
        if winners_round is None:
            state = "no_round"
        elif winners_round.closes_at > now:
            state = "open"
        else:
            winners = announced_winners(ceremony)
            announced = winners["category_id"].nunique()
            pairs = ",".join(f"{c}:{w}" for c, w in sorted(winners.itertuples(index=False, name=None)))
            if not announced:
                state = "none_announced"
            else:
                odds = odds_at_close(winners_round, sorted(winners["category_id"].unique().tolist()))
                scores = groups.group_scores(odds, winners)
                rows = self._rows(scores)
                state = "scored" if scores["decided"].any() else "no_odds"
        return super().get_context_data(
            ceremony=ceremony,
            winners_round=winners_round,
            state=state,
            rows=rows,
            announced=announced,
            total=total,
            live=state not in ("no_round", "open") and announced < total,
            poll_seconds=LIVE_POLL_SECONDS,
            version=hashlib.sha256(f"{state}|{pairs}".encode()).hexdigest()[:16],
            summary=f"{announced} of {total} categories announced" if announced else "",
            leaderboard_url=reverse("leaderboards:leaderboard", kwargs=self.ceremony_kwargs()),
            odds_url=reverse("odds:ceremony_odds", kwargs=self.ceremony_kwargs()),
            **kwargs,
        )

    @staticmethod
    def _rows(scores: pd.DataFrame) -> list[dict]:
        """Every segment in table order (a segment without odds shows dashes), the best of each measure marked."""
        found = {row["segment"]: row for row in scores.to_dict("records")}
        scored = [row for row in found.values() if row["decided"]]
        best_brier = min((row["brier"] for row in scored), default=None)
        best_log = max((row["log_score"] for row in scored), default=None)
        best_share = max((row["favourites_won"] / row["decided"] for row in scored), default=None)
        rows = []
        for segment in groups.SEGMENT_ORDER:
            row = found.get(segment)
            decided = int(row["decided"]) if row else 0
            favourites = int(row["favourites_won"]) if row else 0
            rows.append(
                {
                    "segment": segment,
                    "label": Segment(segment).label,
                    "decided": decided,
                    "favourites_won": favourites,
                    "favourites_percent": f"{100 * favourites / decided:.0f}%" if decided else "—",
                    "brier": _number(row["brier"]) if decided else "—",
                    "log_score": _number(row["log_score"]) if decided else "—",
                    "best_favourites": bool(decided) and favourites / decided == best_share,
                    "best_brier": bool(decided) and row["brier"] == best_brier,
                    "best_log": bool(decided) and row["log_score"] == best_log,
                }
            )
        return rows
