"""Boards, threads, posts, reports and the moderation log.

Counters (a thread's posts, a board's threads and posts, the last post) are denormalized and kept
by forums.services, so that lists never count rows. They count what members see: posts neither
deleted by their author nor removed by a moderator, in threads that are not removed.
Removal and deletion are soft: the row stays, with who, when and why, and can be restored.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.text import slugify

from films.models import Category, Film

TITLE_MIN = 4
TITLE_MAX = 120
BODY_MAX = 10_000
REASON_MAX = 500


class Board(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.CharField(max_length=240, blank=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Boards are listed by this, then by name.")
    # Threads about a film or a category start here unless their author picks another board.
    is_default = models.BooleanField(default=False)
    thread_count = models.PositiveIntegerField(default=0)
    post_count = models.PositiveIntegerField(default=0)
    last_post_at = models.DateTimeField(null=True, blank=True)
    last_thread = models.ForeignKey("Thread", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("forums:board", kwargs={"slug": self.slug})


class ThreadQuerySet(models.QuerySet):
    def visible(self):
        """What members see: not removed by a moderator."""
        return self.filter(removed_at__isnull=True)

    def by_activity(self):
        """Pinned first, then newest activity first."""
        return self.order_by("-is_pinned", "-last_post_at", "-id")

    def with_read_state(self, user):
        """Annotate `read_upto`: the highest post number `user` has seen (None if never opened)."""
        if not user.is_authenticated:
            return self.annotate(read_upto=models.Value(None, output_field=models.IntegerField()))
        reads = ThreadRead.objects.filter(thread=models.OuterRef("pk"), user=user).values("last_read_number")[:1]
        return self.annotate(read_upto=models.Subquery(reads))


class Thread(models.Model):
    board = models.ForeignKey(Board, on_delete=models.PROTECT, related_name="threads")
    title = models.CharField(max_length=TITLE_MAX)
    slug = models.SlugField(max_length=TITLE_MAX, allow_unicode=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="forum_threads")
    # What the thread is about, if anything: the film's and the category's pages list it.
    film = models.ForeignKey(Film, null=True, blank=True, on_delete=models.SET_NULL, related_name="threads")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="threads")
    created_at = models.DateTimeField()
    is_pinned = models.BooleanField(default=False)
    is_locked = models.BooleanField(default=False)
    # Posts ever written here (the next post's number is last_number + 1); post_count is the visible ones.
    last_number = models.PositiveIntegerField(default=0)
    post_count = models.PositiveIntegerField(default=0)
    last_post_at = models.DateTimeField()
    last_post_author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_reason = models.CharField(max_length=REASON_MAX, blank=True)

    objects = ThreadQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["board", "-is_pinned", "-last_post_at"], name="thread_board_activity"),
            models.Index(fields=["film", "-last_post_at"], name="thread_film_activity"),
            models.Index(fields=["category", "-last_post_at"], name="thread_category_activity"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("forums:thread", kwargs={"pk": self.pk, "slug": self.slug})

    @staticmethod
    def slug_for(title: str) -> str:
        """The URL's readable part; the id is what finds the thread, so slugs need not be unique."""
        return slugify(title)[:TITLE_MAX].strip("-") or "thread"

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None


class PostQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(deleted_at__isnull=True, removed_at__isnull=True)


class Post(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    number = models.PositiveIntegerField(help_text="1 for the opening post, then in order of writing.")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="forum_posts")
    source = models.TextField(max_length=BODY_MAX, help_text="Markdown, as written.")
    # The sanitized HTML of `source`, and the renderer version that made it (re-rendered when it changes).
    html = models.TextField()
    renderer_version = models.PositiveSmallIntegerField()
    quote_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True, help_text="Deleted by its author.")
    removed_at = models.DateTimeField(null=True, blank=True, help_text="Removed by a moderator.")
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_reason = models.CharField(max_length=REASON_MAX, blank=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["thread", "number"]
        constraints = [models.UniqueConstraint(fields=["thread", "number"], name="post_unique_number")]
        indexes = [models.Index(fields=["author", "created_at"], name="post_author_created")]

    def __str__(self) -> str:
        return f"#{self.number} in {self.thread_id}"

    def get_absolute_url(self) -> str:
        return reverse("forums:post", kwargs={"pk": self.pk})

    @property
    def is_visible(self) -> bool:
        return self.deleted_at is None and self.removed_at is None


class ThreadRead(models.Model):
    """How far a signed-in member has read a thread: the unread marker compares it with last_number."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reads")
    last_read_number = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "thread"], name="threadread_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.thread_id} to #{self.last_read_number}"


class ReportQuerySet(models.QuerySet):
    def open(self):
        return self.filter(resolved_at__isnull=True)


class Report(models.Model):
    class Reason(models.TextChoices):
        SPAM = "spam", "Spam or advertising"
        ABUSE = "abuse", "Harassment or abuse"
        SPOILER = "spoiler", "Unmarked spoiler"
        OFF_TOPIC = "off_topic", "Off topic"
        OTHER = "other", "Something else"

    class Resolution(models.TextChoices):
        REMOVED = "removed", "Post removed"
        DISMISSED = "dismissed", "Dismissed"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=16, choices=Reason)
    details = models.CharField(max_length=REASON_MAX, blank=True)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.CharField(max_length=16, choices=Resolution, blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "reporter"],
                condition=Q(resolved_at__isnull=True),
                name="report_one_open_per_reporter",
                violation_error_message="You have already reported this post.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: post {self.post_id}"


class ModerationAction(models.Model):
    """The moderation log: who did what to which thread or post, and why."""

    class Kind(models.TextChoices):
        PIN = "pin", "Pinned"
        UNPIN = "unpin", "Unpinned"
        LOCK = "lock", "Locked"
        UNLOCK = "unlock", "Unlocked"
        MOVE = "move", "Moved"
        REMOVE_THREAD = "remove_thread", "Removed thread"
        RESTORE_THREAD = "restore_thread", "Restored thread"
        REMOVE_POST = "remove_post", "Removed post"
        RESTORE_POST = "restore_post", "Restored post"
        DISMISS_REPORT = "dismiss_report", "Dismissed report"

    moderator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="moderation_actions")
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=REASON_MAX, blank=True)
    details = models.CharField(max_length=240, blank=True, help_text="E.g. the boards of a move.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.moderator_id}"
