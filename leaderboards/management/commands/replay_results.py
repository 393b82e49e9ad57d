import time
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from films.importers.oscars import read_rows
from films.models import Category, Ceremony, Contender, Round
from films.services import ACADEMY_AWARDS
from leaderboards.models import Announcement
from leaderboards.services import result_announce

DEMO_EDITOR = "editor@frontrunner.local"


class Command(BaseCommand):
    help = (
        "Replay the real results of a ceremony from the Academy Awards data set: announce the winners of one "
        "competitive category every few seconds, in the ceremony page's order, as an editor. Categories already "
        "announced are skipped, so running it again does nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--ceremony", type=int, default=93, help="the ceremony's number (default 93)")
        parser.add_argument("--show", default=ACADEMY_AWARDS["slug"], help=f"default {ACADEMY_AWARDS['slug']}")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between announcements (default 5)")
        parser.add_argument("--editor", default=DEMO_EDITOR, help=f"who announces (default {DEMO_EDITOR})")
        parser.add_argument(
            "--close-round", action="store_true", help="close the winners round now if it is still open"
        )
        parser.add_argument("--path", default=str(settings.OSCARS_DATA_PATH), help="the oscars.tsv file")

    def handle(self, *args, ceremony, show, interval, editor, close_round, path, **options):
        if interval < 0:
            raise CommandError("--interval cannot be negative.")
        if show != ACADEMY_AWARDS["slug"]:
            raise CommandError(f"Only the {ACADEMY_AWARDS['name']} ({ACADEMY_AWARDS['slug']}) have a results file.")
        event = Ceremony.objects.filter(show__slug=show, number=ceremony).select_related("show").first()
        if event is None:
            raise CommandError(f"No ceremony {ceremony} of {show}: run import_oscars first.")
        user = User.objects.filter(email__iexact=editor).first()
        if user is None:
            raise CommandError(
                f"No user {editor}: pass --editor with an editor's e-mail address (seed_demo_season creates "
                f"{DEMO_EDITOR})."
            )
        if not user.is_editor:
            raise CommandError(f"{editor} is not an editor. Only editors announce results.")
        path = Path(path)
        if not path.is_file():
            raise CommandError(f"{path}: no such file")

        results = self._results(event, path)
        if close_round:
            self._close_winners_round(event)
        announced = 0
        for category, contenders in results:
            if Announcement.objects.standing().filter(category=category).exists():
                continue
            if announced and interval:
                time.sleep(interval)
            try:
                result_announce(editor=user, category=category, contender_ids=[c.id for c in contenders])
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            announced += 1
            names = " and ".join(_label(c) for c in contenders)
            self.stdout.write(f"{category.display_name}: {names}" + (" (tie)" if len(contenders) > 1 else ""))
        skipped = len(results) - announced
        self.stdout.write(
            self.style.SUCCESS(
                f"Announced {announced} categor{'y' if announced == 1 else 'ies'} of the {event}"
                + (f"; {skipped} already announced." if skipped else ".")
            )
        )

    def _results(self, ceremony: Ceremony, path: Path) -> list[tuple[Category, list[Contender]]]:
        """The real winners of each competitive category, matched to the catalogue by the rows' import keys."""
        try:
            rows = read_rows(path).rows
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        rows = rows[(rows["ceremony"] == ceremony.number) & rows["is_winner"]]
        rows = rows[rows["Class"].isin(Category.COMPETITIVE_CLASSES)]
        if rows.empty:
            raise CommandError(f"{path} has no winners of the {ceremony}.")
        categories = {c.name: c for c in Category.objects.filter(ceremony=ceremony).competitive()}
        contenders = {
            (c.category_id, c.import_key): c
            for c in Contender.objects.filter(
                category__in=categories.values(), import_key__in=rows["import_key"].tolist()
            ).prefetch_related("films")
        }
        winners: dict[int, list[Contender]] = {}
        for name, key in zip(rows["Category"], rows["import_key"], strict=True):
            category = categories.get(name)
            contender = contenders.get((category.id, key)) if category else None
            if contender is None:
                raise CommandError(f"{name}: a winner in {path} is not in the catalogue; run import_oscars first.")
            winners.setdefault(category.id, []).append(contender)
        ordered = sorted((c for c in categories.values() if c.id in winners), key=lambda c: (c.order, c.name))
        return [(category, winners[category.id]) for category in ordered]

    def _close_winners_round(self, ceremony: Ceremony) -> None:
        now = timezone.now()
        round_ = Round.objects.filter(ceremony=ceremony, kind=Round.Kind.WINNERS).first()
        if round_ is None or not round_.is_open(now):
            return
        round_.closes_at = now
        round_.full_clean()
        round_.save(update_fields=["closes_at"])
        self.stdout.write(f"Closed the winners round of the {ceremony}.")


def _label(contender: Contender) -> str:
    """The winner as a ceremony page names it: the film too, when the nomination names people."""
    films = [film.title for film in contender.films.all()]
    if films and contender.name not in films:
        return f"{contender.name} ({', '.join(films)})"
    return contender.name
