"""The demo season: the 93rd Academy Awards opened for predictions, with synthetic users and their ballots.

`demo_season_seed` opens the winners round of the 93rd ceremony (the nominations round already closed), holds the
real winners back so that an editor can announce them, and fills the round with about 2,000 fans, 25 experts and
8 editors whose ballots are drawn from a Plackett-Luce model: each nominee of a category has a "buzz" strength, the
real winner the largest, and a ballot ranks the nominees by strength plus per-user noise (the Gumbel-max trick, which
samples Plackett-Luce exactly). Experts and editors are sharper than fans. The odds history is rebuilt day by day
from the ballots saved by the end of each day, so the charts and the time machine have something to show.

Everything is bulk-written in one transaction, and the seed is reproducible (numpy with a fixed seed). Running it
again when the round exists does nothing, so the users' real ballots survive a second `make run`.
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import Lower, TruncDate
from django.utils import timezone

from accounts.models import User, validate_display_name
from films.models import Category, Ceremony, Contender, ContenderFilm, Round
from predictions import odds as engine
from predictions.models import Ballot, OddsHistory, OddsState, Pick, Segment, Top24Member
from predictions.services import eligible_contenders, odds_recompute

SHOW_SLUG = "academy-awards"
CEREMONY_NUMBER = 93
DEMO_EMAIL_DOMAIN = "demo.frontrunner.local"
# Accounts a visitor can sign in with; the README names them.
DEMO_ACCOUNTS = (
    {"email": "demo@frontrunner.local", "password": "oscars-demo-2021", "role": User.Role.FAN, "name": "Demo Fan"},
    {
        "email": "editor@frontrunner.local",
        "password": "oscars-editor-2021",
        "role": User.Role.EDITOR,
        "name": "Demo Editor",
    },
)

NOMINATIONS_OPEN = timedelta(days=70)
NOMINATIONS_CLOSE = timedelta(days=45)
WINNERS_OPEN = timedelta(days=21)
WINNERS_CLOSE = timedelta(days=21)

FIRST_NAMES = (
    "Ada", "Alex", "Amara", "Ana", "Ben", "Bianca", "Carlos", "Chloe", "Dan", "Dev", "Elena", "Eli", "Emma", "Farah",
    "Felix", "Gabe", "Grace", "Hana", "Hugo", "Iris", "Ivan", "Jade", "Jamal", "Jon", "Kai", "Kenji", "Lara", "Leo",
    "Lina", "Luca", "Maya", "Mei", "Milo", "Nadia", "Nico", "Nora", "Omar", "Oscar", "Priya", "Quinn", "Rafa", "Rosa",
    "Ruth", "Sam", "Sara", "Sofia", "Tariq", "Tess", "Theo", "Uma", "Vera", "Wes", "Yara", "Yusuf", "Zoe", "Zain",
)  # fmt: skip
INITIALS = "ABCDEFGHJKLMNOPRSTVWZ"
RATIONALES = (
    "{name} has swept the precursors that matter; hard to see it go anywhere else.",
    "The guilds and the critics line up behind {name}.",
    "{name} has the passion vote and the momentum since the nominations.",
    "A split is possible here, but {name} is the safest pick on the board.",
    "Every season-long indicator points to {name}.",
    "Voters who saw it love it: {name}.",
    "Not the flashiest choice, but the Academy's taste says {name}.",
    "Narrative, reviews and campaign all favour {name}.",
)


@dataclass(frozen=True)
class Profile:
    """How a kind of user ranks: `sharpness` multiplies the buzz (higher = more on the favourite), `noise` is the
    spread of a user's own opinion, `coverage` the range of the share of categories a user ranks."""

    role: str
    sharpness: float
    noise: float
    coverage: tuple[float, float]


PROFILES = {
    User.Role.FAN: Profile(User.Role.FAN, sharpness=1.0, noise=0.6, coverage=(0.60, 0.95)),
    User.Role.EXPERT: Profile(User.Role.EXPERT, sharpness=2.2, noise=0.3, coverage=(1.0, 1.0)),
    User.Role.EDITOR: Profile(User.Role.EDITOR, sharpness=1.8, noise=0.35, coverage=(1.0, 1.0)),
}


@transaction.atomic
def demo_season_seed(
    *, now: datetime | None = None, fans: int = 2000, experts: int = 25, editors: int = 8, seed: int = 93
) -> dict:
    """Open the 93rd Academy Awards winners round and fill it with synthetic users, ballots and odds.

    Does nothing (and says so in the result) when the 93rd already has a winners round. Call after the Academy
    Awards import; raises ValidationError when the 93rd ceremony is missing.
    """
    started = clock.perf_counter()
    now = now or timezone.now()
    ceremony = Ceremony.objects.filter(show__slug=SHOW_SLUG, number=CEREMONY_NUMBER).select_related("show").first()
    if ceremony is None:
        raise ValidationError("The 93rd Academy Awards are not in the catalogue: run import_oscars first.")
    existing = Round.objects.filter(ceremony=ceremony, kind=Round.Kind.WINNERS).first()
    result = {"created": False, "ceremony": str(ceremony), "accounts": _demo_accounts_public()}
    if existing is not None:
        return result | {"round_id": existing.id, "opens_at": existing.opens_at, "closes_at": existing.closes_at}
    if min(fans, experts, editors) < 0:
        raise ValidationError("The numbers of fans, experts and editors cannot be negative.")

    Round.objects.get_or_create(
        ceremony=ceremony,
        kind=Round.Kind.NOMINATIONS,
        defaults={"opens_at": now - NOMINATIONS_OPEN, "closes_at": now - NOMINATIONS_CLOSE},
    )
    round_ = Round(
        ceremony=ceremony, kind=Round.Kind.WINNERS, opens_at=now - WINNERS_OPEN, closes_at=now + WINNERS_CLOSE
    )
    round_.full_clean()
    round_.save()

    categories = list(Category.objects.filter(ceremony=ceremony).competitive().order_by("order", "id"))
    contenders = Contender.objects.filter(category__in=categories)
    winner_ids = set(contenders.filter(is_winner=True).values_list("id", flat=True))
    held_back = contenders.filter(is_winner=True).update(is_winner=False)

    rng = np.random.default_rng(seed)
    _demo_accounts_create()
    users = _users_create(
        rng, now=now, opens_at=round_.opens_at, counts={"fan": fans, "expert": experts, "editor": editors}
    )
    ballots, picks = _ballots_create(
        rng, round_=round_, categories=categories, users=users, winner_ids=winner_ids, now=now
    )

    history = _history_create(round_=round_, categories=categories, now=now)
    for category in categories:
        odds_recompute(round_id=round_.id, category_id=category.id, now=now)

    return result | {
        "created": True,
        "round_id": round_.id,
        "opens_at": round_.opens_at,
        "closes_at": round_.closes_at,
        "winners_held_back": held_back,
        "users": {"fan": fans, "expert": experts, "editor": editors},
        "categories": len(categories),
        "ballots": ballots,
        "picks": picks,
        "history": history,
        "seconds": clock.perf_counter() - started,
    }


def _demo_accounts_public() -> list[dict]:
    return [{"email": a["email"], "password": a["password"], "role": str(a["role"])} for a in DEMO_ACCOUNTS]


def _demo_accounts_create() -> None:
    """The two accounts visitors sign in with; left alone when they exist (their owner may have changed them)."""
    for account in DEMO_ACCOUNTS:
        if User.objects.filter(email__iexact=account["email"]).exists():
            continue
        name, n = account["name"], 1
        while User.objects.filter(display_name__iexact=name).exists():
            n += 1
            name = f"{account['name']} {n}"
        User.objects.create_user(account["email"], account["password"], display_name=name, role=account["role"])


def _display_names(rng: np.random.Generator, count: int, taken: set[str]) -> list[str]:
    """`count` plausible display names, unique case-insensitively among themselves and against `taken` (lowercase,
    updated in place): a first name, a surname initial and a number, written in a few ways."""
    names: list[str] = []
    while len(names) < count:
        first = FIRST_NAMES[rng.integers(len(FIRST_NAMES))]
        initial = INITIALS[rng.integers(len(INITIALS))]
        number = int(rng.integers(1960, 2008)) if rng.random() < 0.4 else int(rng.integers(1, 100))
        style = rng.integers(4)
        if style == 0:
            name = f"{first} {initial}. {number}"
        elif style == 1:
            name = f"{first}{initial}{number}"
        elif style == 2:
            name = f"{first.lower()}.{initial.lower()}{number}"
        else:
            name = f"{first} {initial}{number}"
        if name.lower() in taken:
            continue
        validate_display_name(name)
        taken.add(name.lower())
        names.append(name)
    return names


def _users_create(
    rng: np.random.Generator, *, now: datetime, opens_at: datetime, counts: dict[str, int]
) -> pd.DataFrame:
    """Create the synthetic users (or reuse those left by an earlier seed). Returns their id and role."""
    emails = {
        role: [
            f"{role}{i:0{max(4 if role == 'fan' else 2, len(str(n)))}d}@{DEMO_EMAIL_DOMAIN}" for i in range(1, n + 1)
        ]
        for role, n in counts.items()
    }
    existing = dict(User.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}").values_list("email", "id"))
    taken = {name.lower() for name in User.objects.values_list(Lower("display_name"), flat=True)}
    wanted = [(email, role) for role, batch in emails.items() for email in batch]
    missing = [(email, role) for email, role in wanted if email not in existing]
    names = _display_names(rng, len(missing), taken)
    joined_days = rng.exponential(120, size=len(missing))
    fresh = []
    for (email, role), name, days in zip(missing, names, joined_days, strict=True):
        user = User(email=email, display_name=name, role=role, date_joined=opens_at - timedelta(days=float(days)))
        user.set_unusable_password()
        fresh.append(user)
    User.objects.bulk_create(fresh, batch_size=1000)
    ids = existing | {user.email: user.pk for user in fresh}
    if any(pk is None for pk in ids.values()):  # a database that cannot return ids from a bulk insert
        ids = dict(User.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}").values_list("email", "id"))
    return pd.DataFrame({"id": [ids[email] for email, _ in wanted], "role": [role for _, role in wanted]})


def _buzz(rng: np.random.Generator, nominees: list[int], winner_ids: set[int]) -> tuple[np.ndarray, np.ndarray]:
    """Log-strengths of a category's nominees at the end of the round (the real winner highest, the others
    decreasing in a random order) and a late-fading boost of the runner-up, so that some races cross over."""
    n = len(nominees)
    order = rng.permutation(n)
    winners = [i for i, c in enumerate(nominees) if c in winner_ids]
    if winners:  # the real winner first; a tie's second winner, if any, stays where the draw put it
        order = np.array([winners[0], *[i for i in order if i != winners[0]]])
    gaps = np.concatenate([[0.0], rng.uniform(0.2, 1.3, size=1), rng.uniform(0.3, 0.8, size=max(n - 2, 0))])[:n]
    strength = np.empty(n)
    strength[order] = -np.cumsum(gaps)
    swing = np.zeros(n)
    if n > 1:
        # In about 40% of the categories the runner-up leads early and is overtaken.
        swing[order[1]] = gaps[1] + rng.uniform(-0.8, 0.6)
        swing[order[1]] = max(swing[order[1]], 0.0)
    return strength, swing


def _spoken_names(categories: list[Category], nominees: dict[int, list[tuple[int, str]]]) -> dict[int, str]:
    """How a pundit names a contender: the person in acting and directing, the film elsewhere ("Nomadland" rather
    than its producers), the nomination as printed when it has no film."""
    by_name = {Category.AwardClass.ACTING, Category.AwardClass.DIRECTING}
    names = {c: name for category in categories for c, name in nominees[category.id]}
    film_first = [c for category in categories if category.award_class not in by_name for c, _ in nominees[category.id]]
    films: dict[int, str] = {}
    for contender_id, title in (
        ContenderFilm.objects.filter(contender_id__in=film_first)
        .order_by("contender_id", "order", "id")
        .values_list("contender_id", "film__title")
    ):
        films.setdefault(contender_id, title)
    return names | films


def _ballots_create(
    rng: np.random.Generator,
    *,
    round_: Round,
    categories: list[Category],
    users: pd.DataFrame,
    winner_ids: set[int],
    now: datetime,
) -> tuple[int, int]:
    """Draw and bulk-write the ballots and picks of every user, then bump each category's ballot version."""
    n_users = len(users)
    roles = users["role"].to_numpy()
    user_ids = users["id"].to_numpy()
    profiles = [PROFILES[role] for role in roles]
    sharpness = np.array([p.sharpness for p in profiles])
    noise = np.array([p.noise for p in profiles])
    coverage = np.array([rng.uniform(*p.coverage) for p in profiles])
    public = np.isin(roles, [User.Role.EXPERT, User.Role.EDITOR])
    # When each user is active, as a share of the time the round has been open: more saves later on.
    session = rng.beta(2.2, 1.0, size=n_users)
    span = (now - round_.opens_at).total_seconds()

    nominees_by_category = {
        category.id: list(eligible_contenders(category, round_).order_by("order", "id").values_list("id", "name"))
        for category in categories
    }
    spoken = _spoken_names(categories, nominees_by_category)
    ballots, ranks, counts = [], [], {}
    for category in categories:
        nominees = nominees_by_category[category.id]
        if not nominees:
            continue
        ids = [c for c, _ in nominees]
        strength, swing = _buzz(rng, ids, winner_ids)
        voters = np.flatnonzero(rng.random(n_users) < coverage)
        share = np.clip(session[voters] + rng.normal(0, 0.06, size=len(voters)), 0.0, 0.999)
        # Log-strength at each ballot's save time, sharpened per user, plus the user's own opinion and the
        # Gumbel noise that turns "sort by score" into an exact Plackett-Luce draw.
        buzz = strength[None, :] + swing[None, :] * (1 - share[:, None]) ** 1.5
        score = (
            sharpness[voters, None] * buzz
            + noise[voters, None] * rng.normal(size=(len(voters), len(ids)))
            + rng.gumbel(size=(len(voters), len(ids)))
        )
        ranking = np.argsort(-score, axis=1)
        rationale_roll = rng.random(len(voters))
        template_roll = rng.integers(len(RATIONALES), size=len(voters))
        for row, voter in enumerate(voters):
            saved_at = round_.opens_at + timedelta(seconds=float(share[row]) * span)
            rationale = ""
            if public[voter] and rationale_roll[row] < 0.4:
                name = spoken[ids[ranking[row, 0]]][:120]
                rationale = RATIONALES[template_roll[row]].format(name=name)
            ballots.append(
                Ballot(
                    user_id=int(user_ids[voter]),
                    round=round_,
                    category=category,
                    created_at=saved_at,
                    saved_at=saved_at,
                )
            )
            ranks.append((category.id, [ids[i] for i in ranking[row]], rationale))
        counts[category.id] = len(voters)

    Ballot.objects.bulk_create(ballots, batch_size=2000)
    if any(b.pk is None for b in ballots):  # a database that cannot return ids from a bulk insert
        pks = {
            (u, c): pk
            for u, c, pk in Ballot.objects.filter(round=round_).values_list("user_id", "category_id", "id").iterator()
        }
        for ballot in ballots:
            ballot.pk = pks[(ballot.user_id, ballot.category_id)]
    picks = [
        Pick(
            ballot_id=ballot.pk,
            contender_id=contender_id,
            rank=rank,
            rationale=rationale if rank == 1 else "",
            # Staked at the even prior: the demo does not replay the odds of each save's moment.
            locked_probability=1 / len(ranking),
            round_id=round_.id,
            category_id=category_id,
            user_id=ballot.user_id,
            saved_at=ballot.saved_at,
        )
        for ballot, (category_id, ranking, rationale) in zip(ballots, ranks, strict=True)
        for rank, contender_id in enumerate(ranking, start=1)
    ]
    Pick.objects.bulk_create(picks, batch_size=5000)

    # What odds_mark_stale does per save, for every category at once: one bump per ballot written.
    OddsState.objects.bulk_create(
        [OddsState(round_id=round_.id, category_id=category_id) for category_id in counts], ignore_conflicts=True
    )
    for category_id, n in counts.items():
        OddsState.objects.filter(round_id=round_.id, category_id=category_id).update(
            ballot_version=F("ballot_version") + n
        )
    return len(ballots), len(picks)


def _first_places_by_day(round_: Round) -> pd.DataFrame:
    """services._segment_counts for a winners round (slots = 1), over every category at once and split by the day
    (in the current time zone) each ballot was saved: one GROUP BY. Cumulated over the days, it gives the counts as
    they were at the end of each day. Columns: category_id, contender_id, day, first_<segment> for each segment."""
    in_top24 = Exists(Top24Member.objects.filter(ceremony_id=round_.ceremony_id, user_id=OuterRef("user_id")))
    segment_filters = {
        Segment.ALL: Q(),
        Segment.EXPERTS: Q(user__role="expert"),
        Segment.EDITORS: Q(user__role="editor"),
        Segment.TOP24: Q(in_top24),
    }
    aggregates = {f"first_{segment}": Count("id", filter=condition) for segment, condition in segment_filters.items()}
    rows = (
        Pick.objects.filter(round=round_, rank=1)
        .annotate(day=TruncDate("ballot__saved_at"))
        .values("category_id", "contender_id", "day")
        .annotate(**aggregates)
        .order_by()
    )
    return pd.DataFrame(list(rows), columns=["category_id", "contender_id", "day", *aggregates])


def _history_create(*, round_: Round, categories: list[Category], now: datetime) -> int:
    """OddsHistory as it would have been recorded at the end of each past day of the round (a row where a value
    changed since the day before, as odds_recompute does). Today's odds are odds_recompute's, at `now`."""
    if round_.kind != Round.Kind.WINNERS:
        raise ValueError("The demo history counts first places: it is for a winners round.")
    counts = _first_places_by_day(round_)
    tz = timezone.get_current_timezone()
    first_day = timezone.localtime(round_.opens_at, tz).date()
    today = timezone.localtime(now, tz).date()
    days = [first_day + timedelta(days=i) for i in range((today - first_day).days)]
    segments = list(engine.SEGMENTS)
    columns = [f"first_{s}" for s in segments]
    history = []
    for category in categories:
        contender_ids = list(eligible_contenders(category, round_).values_list("id", flat=True))
        if not contender_ids:
            continue
        mine = counts[(counts["category_id"] == category.id) & counts["contender_id"].isin(contender_ids)]
        # days x contenders x segments, cumulated over the days: the first places saved by the end of each day
        daily = np.zeros((len(days), len(contender_ids), len(segments)), dtype="int64")
        day_index = {day: i for i, day in enumerate(days)}
        contender_index = {c: i for i, c in enumerate(contender_ids)}
        for row in mine.itertuples(index=False):
            if row.day in day_index:
                daily[day_index[row.day], contender_index[row.contender_id]] += [getattr(row, c) for c in columns]
        cumulative = daily.cumsum(axis=0)
        previous: dict[tuple[int, str], tuple] = {}
        for i, day in enumerate(days):
            if cumulative[i, :, 0].sum() == 0:
                continue  # no save yet, so no recompute would have recorded anything
            if i and (cumulative[i] == cumulative[i - 1]).all():
                continue  # no save that day: nothing changed
            hits = pd.DataFrame(
                {
                    "segment": np.repeat(segments, len(contender_ids)),
                    "contender_id": np.tile(contender_ids, len(segments)),
                    "hits": cumulative[i].T.ravel(),
                }
            )
            ballots = dict(zip(segments, (int(n) for n in cumulative[i].sum(axis=0)), strict=True))
            result = engine.compute_odds(hits[hits["hits"] > 0], ballots, contender_ids, slots=1)
            recorded_at = timezone.make_aware(datetime.combine(day, time.max), tz)
            for row in result.itertuples(index=False):
                key = (int(row.contender_id), row.segment)
                values = (float(row.probability), int(row.rank), int(row.ballots))
                if previous.get(key) == values:
                    continue
                previous[key] = values
                history.append(
                    OddsHistory(
                        round_id=round_.id,
                        category_id=category.id,
                        contender_id=key[0],
                        segment=key[1],
                        probability=values[0],
                        rank=values[1],
                        ballots=values[2],
                        recorded_at=recorded_at,
                    )
                )
    OddsHistory.objects.bulk_create(history, batch_size=5000)
    return len(history)
