from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from predictions.demo import demo_season_seed


class Command(BaseCommand):
    help = (
        "Open the 93rd Academy Awards winners round with synthetic fans, experts and editors, their ballots and "
        "the odds history (run import_oscars first). Does nothing when the round exists."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fans", type=int, default=2000, help="synthetic fans (default 2000)")
        parser.add_argument("--experts", type=int, default=25, help="synthetic experts (default 25)")
        parser.add_argument("--editors", type=int, default=8, help="synthetic editors (default 8)")

    def handle(self, *args, fans, experts, editors, **options):
        try:
            result = demo_season_seed(fans=fans, experts=experts, editors=editors)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        closes = timezone.localtime(result["closes_at"]).strftime("%Y-%m-%d %H:%M %Z")
        if not result["created"]:
            self.stdout.write(
                f"The {result['ceremony']} already has a winners round (closing {closes}): nothing to do."
            )
        else:
            users = result["users"]
            self.stdout.write(
                self.style.SUCCESS(
                    f"Opened the winners round of the {result['ceremony']} (closing {closes}); held back "
                    f"{result['winners_held_back']} winners; {users['fan']:,} fans, {users['expert']} experts and "
                    f"{users['editor']} editors saved {result['ballots']:,} ballots ({result['picks']:,} picks) in "
                    f"{result['categories']} categories; {result['history']:,} odds-history rows; "
                    f"{result['seconds']:.1f} s."
                )
            )
        for account in result["accounts"]:
            self.stdout.write(f"Sign in as {account['role']}: {account['email']} / {account['password']}")
