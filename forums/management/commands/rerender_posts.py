from django.core.management.base import BaseCommand

from forums.markdown import RENDERER_VERSION
from forums.models import Post
from forums.services import posts_rerender


class Command(BaseCommand):
    help = (
        "Re-render every post stored by an older Markdown renderer (forums.markdown.RENDERER_VERSION). "
        "Pages and the API re-render stale posts as they show them; this does all of them at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=500, help="posts per UPDATE (default 500)")

    def handle(self, *args, batch, **options):
        stale = Post.objects.exclude(renderer_version=RENDERER_VERSION).order_by("pk")
        done, last = 0, 0
        while chunk := list(stale.filter(pk__gt=last)[:batch]):
            done += posts_rerender(chunk)
            last = chunk[-1].pk
        self.stdout.write(f"Re-rendered {done:,} posts with renderer version {RENDERER_VERSION}.")
