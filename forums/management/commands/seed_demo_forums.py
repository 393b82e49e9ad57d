from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from forums.demo import demo_forums_seed


class Command(BaseCommand):
    help = (
        "Create the demo forums: boards, a demo moderator and lively threads from before the 93rd Academy Awards "
        "(run seed_demo_season first). Does nothing when the demo boards have threads."
    )

    def handle(self, *args, **options):
        try:
            result = demo_forums_seed()
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if not result["created"]:
            self.stdout.write(f"The demo boards already have threads ({result['threads']}): nothing to do.")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo forums: {result['boards']} boards, {result['threads']} threads, {result['posts']} posts; "
                    f"{result['seconds']:.1f} s."
                )
            )
            if result["missing"]:
                self.stdout.write(
                    self.style.WARNING(
                        f"Not in the catalogue: {', '.join(result['missing'])}. Their threads were written without "
                        "a film or category (run import_oscars and load_demo first)."
                    )
                )
        if result["moderator"]:
            account = result["moderator"]
            self.stdout.write(f"Sign in as {account['role']}: {account['email']} / {account['password']}")
