"""Odds pages: a category's odds (table, history chart, time machine) and a ceremony's favourites at a glance.

Read-only and public. The odds shown are those of the ceremony's open round or, once it closes, of the round that
opened last (its final odds). Every page costs the same number of queries whatever the number of contenders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.generic import TemplateView

from films.models import Category, Ceremony, Contender, Film, Person, Round
from predictions import charts
from predictions import odds as engine
from predictions.models import Odds, OddsHistory, Segment

DEFAULT_SEGMENT = Segment.COMBINED
DAY = timedelta(days=1)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def current_round(rounds, now: datetime) -> Round | None:
    """The open round; else the one that opened last (its odds are final); None before any round has opened."""
    opened = [r for r in rounds if r.opens_at <= now]
    pool = [r for r in opened if r.is_open(now)] or opened
    return max(pool, key=lambda r: r.opens_at) if pool else None


def next_round(rounds, now: datetime) -> Round | None:
    """The first round still to open, for "predictions open on ..."."""
    return min((r for r in rounds if r.opens_at > now), key=lambda r: r.opens_at, default=None)


def end_of_day(day: date) -> datetime:
    """The last instant of `day`, UTC: the time machine shows the odds as they stood then."""
    return datetime.combine(day, time.max, tzinfo=UTC)


def parse_as_of(value: str | None, *, today: date) -> tuple[date | None, str]:
    """`?as_of=YYYY-MM-DD` -> (date, "") ; nothing -> (None, ""); anything else -> (None, a message to show)."""
    value = (value or "").strip()
    if not value:
        return None, ""
    shown = value[:40]
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(value)
        day = date.fromisoformat(value)
        end_of_day(day) - DAY  # the movement compares with the day before: that must exist too
    except (ValueError, OverflowError):
        return None, f"“{shown}” is not a date we can read: use YYYY-MM-DD, e.g. 2026-12-03. Showing the latest odds."
    if day > today:
        return None, f"{day.day} {day:%B %Y} is still to come. Showing the latest odds."
    return day, ""


def parse_segment(value: str | None) -> tuple[str, str]:
    value = (value or "").strip()
    if not value:
        return DEFAULT_SEGMENT, ""
    if value in Segment.values:
        return value, ""
    return DEFAULT_SEGMENT, f"There is no segment “{value[:40]}”. Showing {Segment(DEFAULT_SEGMENT).label}."


PEOPLE_CLASSES = (Category.AwardClass.ACTING, Category.AwardClass.DIRECTING)


def contender_label(contender: Contender, *, with_film: bool = True) -> str:
    """A contender in a few words (chart legends, the overview): the people for acting and directing (with their
    film), the film otherwise; its printed name when neither is known. Uses prefetched films and people."""
    films = [film.title for film in contender.films.all()]
    if contender.category.award_class in PEOPLE_CLASSES:
        people = [person.name for person in contender.people.all()]
        if people:
            return ", ".join(people) + (f" ({', '.join(films)})" if films and with_film else "")
    return ", ".join(films) or contender.name


def ballot_url(name: str, **kwargs) -> str | None:
    """The ballot pages belong to another part of predictions: link to them when they exist."""
    try:
        return reverse(f"predictions:{name}", kwargs=kwargs)
    except NoReverseMatch:
        return None


def method_note() -> dict:
    """How the odds are made, from the engine's own constants."""
    weights = engine.COMBINED_WEIGHTS
    equal = len(set(weights.values())) == 1
    labels = {s.value: s.label for s in Segment}
    return {
        "pseudo_count": f"{engine.SEGMENT_PSEUDO_COUNT:g}",
        "equal_weights": equal,
        "weights": ", ".join(f"{labels.get(segment, segment)} {weight:g}" for segment, weight in weights.items()),
        "shortest": "/".join(map(str, engine.LADDER[0])),
        "longest": "/".join(map(str, engine.LADDER[-1])),
    }


@dataclass
class OddsRow:
    contender: Contender
    probability: float
    rank: int
    fractional: str
    percent: str
    movement: float | None

    @property
    def direction(self) -> str:
        if self.movement is None:
            return "new"
        return "up" if self.movement > 0 else "down" if self.movement < 0 else "same"

    @property
    def movement_display(self) -> str:
        return {"up": "▲", "down": "▼"}.get(self.direction, "–") + (
            f" {abs(self.movement):.1f}" if self.direction in ("up", "down") else ""
        )

    @property
    def movement_text(self) -> str:
        """The same for screen readers, which do not read triangles well."""
        if self.direction == "new":
            return "no odds a day earlier"
        if self.direction == "same":
            return "unchanged since the day before"
        points = f"{abs(self.movement):.1f} percentage point{'' if abs(self.movement) == 1 else 's'}"
        return f"{'up' if self.direction == 'up' else 'down'} {points} since the day before"


def _with_contenders(queryset):
    return queryset.select_related("contender__category").prefetch_related(
        Prefetch("contender__films", queryset=Film.objects.order_by("contenderfilm__order")),
        Prefetch("contender__people", queryset=Person.objects.order_by("contenderperson__order")),
    )


class CategoryOddsView(TemplateView):
    """One category: the odds of a segment, their movement in a day, their history and the time machine."""

    template_name = "predictions/category_odds.html"

    def get_context_data(self, **kwargs):
        # the URL's kwargs (show, number, category) are read from self.kwargs, not passed on to the template
        now = timezone.now()
        category = get_object_or_404(
            Category.objects.competitive().select_related("ceremony__show"),
            ceremony__show__slug=self.kwargs["show"],
            ceremony__number=self.kwargs["number"],
            slug=self.kwargs["category"],
        )
        ceremony = category.ceremony
        rounds = list(ceremony.rounds.all())
        round_ = current_round(rounds, now)
        segment, segment_error = parse_segment(self.request.GET.get("segment"))
        as_of, as_of_error = parse_as_of(self.request.GET.get("as_of"), today=now.date())
        moment = min(end_of_day(as_of), now) if as_of else now

        by_segment: dict[str, list] = {}
        previous: dict[int, float] = {}
        history: list[tuple[int, float, datetime]] = []
        if round_ is not None:
            if as_of:
                source = OddsHistory.objects.for_category(round_, category).as_of(moment)
            else:
                source = Odds.objects.for_category(round_, category)
            for odds in _with_contenders(source):
                by_segment.setdefault(odds.segment, []).append(odds)
            # "all" is written even when every ballot is gone (it is then the prior): no ballots, no odds to show
            by_segment = {s: rows for s, rows in by_segment.items() if any(o.ballots for o in rows)}
            if by_segment.get(segment):
                previous = dict(
                    OddsHistory.objects.for_category(round_, category)
                    .filter(segment=segment)
                    .as_of(moment - DAY)
                    .values_list("contender_id", "probability")
                )
                history = list(
                    OddsHistory.objects.for_category(round_, category)
                    .filter(segment=segment, recorded_at__lte=moment)
                    .order_by("recorded_at", "id")
                    .values_list("contender_id", "probability", "recorded_at")
                )

        ballots = {s: max((o.ballots for o in rows), default=0) for s, rows in by_segment.items()}
        chosen = sorted(
            by_segment.get(segment, []), key=lambda o: (o.rank, -o.probability, o.contender.order, o.contender_id)
        )
        rows = [
            OddsRow(
                contender=o.contender,
                probability=o.probability,
                rank=o.rank,
                fractional=engine.fractional_odds(o.probability),
                percent=engine.percent(o.probability),
                movement=engine.movement(o.probability, previous.get(o.contender_id)),
            )
            for o in chosen
        ]

        segment_label = Segment(segment).label
        nominations = round_ is not None and round_.kind == Round.Kind.NOMINATIONS
        y_label = "Chance of a nomination" if nominations else "Chance of winning"
        context = super().get_context_data(
            ceremony=ceremony,
            category=category,
            round=round_,
            round_open=round_ is not None and round_.is_open(now),
            next_round=next_round(rounds, now),
            nominations_round=nominations,
            segment=segment,
            segment_label=segment_label,
            segment_error=segment_error,
            segments=self._segments(ballots, segment, as_of),
            any_ballots=any(ballots.values()),
            segment_ballots=ballots.get(segment, 0),
            rows=rows,
            as_of=as_of,
            as_of_value=as_of.isoformat() if as_of else "",
            as_of_error=as_of_error,
            today=now.date(),
            y_label=y_label,
            people_classes=PEOPLE_CLASSES,
            method=method_note(),
            ballot_url=ballot_url(
                "category_ballot", show=ceremony.show.slug, number=ceremony.number, category=category.slug
            ),
            latest_url=self._url(segment=segment),
            # forums.Thread through its related name (forums sits above predictions' imports): one query.
            topic_threads=category.threads.visible().select_related("last_post_author").order_by("-last_post_at")[:6],
            topic_label=f"{category.display_name} at the {ceremony.title}",
            new_thread_url=f"{reverse('forums:thread_create')}?category={category.pk}",
            all_threads_url=f"{reverse('forums:search')}?category={category.pk}",
        )
        if rows:
            context.update(self._chart(category, rows, history, segment_label, y_label, end=moment))
        return context

    def _url(self, *, segment: str, as_of: date | None = None) -> str:
        query = {} if segment == DEFAULT_SEGMENT else {"segment": segment}
        if as_of:
            query["as_of"] = as_of.isoformat()
        return f"{self.request.path}?{urlencode(query)}" if query else self.request.path

    def _segments(self, ballots: dict[str, int], current: str, as_of: date | None) -> list[dict]:
        out = []
        for segment in Segment:
            out.append(
                {
                    "value": segment.value,
                    "label": segment.label,
                    "ballots": ballots.get(segment.value, 0),
                    "url": self._url(segment=segment.value, as_of=as_of),
                    "current": segment.value == current,
                }
            )
        return out

    def _chart(self, category, rows, history, segment_label, y_label, *, end):
        points: dict[int, list] = {}
        for contender_id, probability, recorded_at in history:
            points.setdefault(contender_id, []).append((recorded_at, probability))
        series = [(contender_label(row.contender), points.get(row.contender.id, [])) for row in rows]
        labels, days = charts.daily_table(series, end=end)
        return {
            # charts escapes every piece of text it writes
            "chart_svg": mark_safe(
                charts.odds_history_svg(
                    series,
                    title=f"{category.display_name}: {segment_label} odds over time",
                    end=end,
                    id_prefix="odds-history",
                    y_label=y_label,
                )
            ),
            "chart_labels": labels,
            "chart_days": [
                (day, [engine.percent(v) if v is not None else "–" for v in values]) for day, values in days
            ],
        }


class CeremonyOddsView(TemplateView):
    """Every competitive category of a ceremony, with its favourite in each segment."""

    template_name = "predictions/ceremony_odds.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        ceremony = get_object_or_404(
            Ceremony.objects.select_related("show"), show__slug=self.kwargs["show"], number=self.kwargs["number"]
        )
        rounds = list(ceremony.rounds.all())
        round_ = current_round(rounds, now)
        categories = list(ceremony.categories.competitive().order_by("order", "name"))
        favourites: dict[tuple[int, str], list[Odds]] = {}
        if round_ is not None and categories:
            queryset = (
                Odds.objects.filter(round=round_, category__in=categories)
                .favourites()
                .order_by("category_id", "segment", "contender__order", "contender_id")
            )
            for odds in _with_contenders(queryset):
                odds.label = contender_label(odds.contender, with_film=False)
                favourites.setdefault((odds.category_id, odds.segment), []).append(odds)
        segments = list(Segment)
        table = [
            (category, [(segment, favourites.get((category.id, segment.value), [])) for segment in segments])
            for category in categories
        ]
        return super().get_context_data(
            ceremony=ceremony,
            round=round_,
            round_open=round_ is not None and round_.is_open(now),
            next_round=next_round(rounds, now),
            segments=segments,
            table=table,
            any_odds=bool(favourites),
            method=method_note(),
            ballot_url=ballot_url("ballot", show=ceremony.show.slug, number=ceremony.number),
        )
