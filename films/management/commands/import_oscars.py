from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from films.models import Ceremony
from films.services import ACADEMY_AWARDS, oscars_import


class Command(BaseCommand):
    help = "Load the Academy Awards history (DLu/oscar_data's tab-separated file) into the catalogue. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(settings.OSCARS_DATA_PATH), help="the oscars.tsv file")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument("--strict", action="store_true", help="fail (and import nothing) if any row is bad")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="skip the import when the Academy Awards already have ceremonies (keeps a demo's held-back winners)",
        )

    def handle(self, *args, path, no_progress, strict, if_empty, **options):
        if if_empty:
            ceremonies = Ceremony.objects.filter(show__slug=ACADEMY_AWARDS["slug"]).count()
            if ceremonies:
                self.stdout.write(f"The Academy Awards are already imported ({ceremonies} ceremonies): skipped.")
                return
        path = Path(path)
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            report = oscars_import(path=path, progress=not no_progress, strict=strict)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for bad in report.bad_rows:
            self.stderr.write(f"{path}: skipped {bad}")
        summary = ", ".join(
            f"{label} +{report.created.get(label, 0)} ~{report.updated.get(label, 0)}"
            for label in ("ceremonies", "categories", "films", "people", "contenders")
        )
        verdict = "changed" if report.changed else "nothing changed"
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {report.rows} rows in {report.seconds:.1f} s ({verdict}; {summary}); "
                f"{len(report.bad_rows)} bad rows skipped."
            )
        )
