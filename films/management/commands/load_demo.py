from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from films.services import demo_catalogue_load


class Command(BaseCommand):
    help = "Load the demo: the facts the Academy Awards data set lacks (run import_oscars first). Idempotent."

    def handle(self, *args, **options):
        try:
            films = demo_catalogue_load()
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"Demo facts loaded for {', '.join(f.title for f in films)}."))
