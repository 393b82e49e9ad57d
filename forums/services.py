"""Writing to the forums: threads, replies, edits, reports and moderation.

Every rule lives here, so that pages and the API enforce the same ones: length limits, locked and
removed threads, new accounts' first posts without links, the posting rate limit, and who may do
what (authors edit and delete their own posts; moderators pin, lock, move, remove and restore;
nobody edits another person's post). A refused write raises ValidationError (or PermissionDenied)
with a message a person can act on, RateLimited when the member must wait, and changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Sum
from django.utils import timezone

from films.models import Category, Film
from forums import limits
from forums.markdown import RENDERER_VERSION, link_count, render_markdown
from forums.models import (
    BODY_MAX,
    REASON_MAX,
    TITLE_MAX,
    TITLE_MIN,
    Board,
    ModerationAction,
    Post,
    Report,
    Thread,
    ThreadRead,
)

_SPACES = re.compile(r"\s+")


def clean_title(title: str) -> str:
    """One line of plain text: whitespace collapsed, no control characters, TITLE_MIN..TITLE_MAX long."""
    title = "".join(ch for ch in (title or "") if unicodedata.category(ch)[0] != "C" or ch in "\t\n\r")
    title = _SPACES.sub(" ", title).strip()
    if len(title) < TITLE_MIN:
        raise ValidationError({"title": f"Give the thread a title of at least {TITLE_MIN} characters."})
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": f"Titles can be at most {TITLE_MAX} characters (this one has {len(title):,})."})
    return title


def clean_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").replace("\x00", "").strip()
    if not body:
        raise ValidationError({"body": "Write something first: the post is empty."})
    if len(body) > BODY_MAX:
        raise ValidationError({"body": f"Posts can be at most {BODY_MAX:,} characters (this one has {len(body):,})."})
    return body


def clean_reason(reason: str, *, required: bool = False, field: str = "reason") -> str:
    reason = _SPACES.sub(" ", reason or "").strip()
    if required and not reason:
        raise ValidationError({field: "Say why, for the moderation log and the member."})
    if len(reason) > REASON_MAX:
        raise ValidationError({field: f"Keep it to {REASON_MAX} characters (this has {len(reason):,})."})
    return reason


def _check_links(*, author, body: str) -> None:
    """Brand-new members' first posts may not link anywhere: the cheapest spam is a link in a first post."""
    allowed_after = settings.FORUMS_NEW_ACCOUNT_LINKFREE_POSTS
    if author.can_moderate or not link_count(body):
        return
    # posts a moderator removed do not earn the right to link
    if Post.objects.filter(author=author, removed_at__isnull=True).count() < allowed_after:
        raise ValidationError(
            {"body": f"New members can add links after their first {allowed_after} posts. Remove the links for now."}
        )


def _check_member(user) -> None:
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied("Log in to post.")


def _render(body: str) -> dict:
    return {"source": body, "html": render_markdown(body), "renderer_version": RENDERER_VERSION}


@transaction.atomic
def thread_create(
    *,
    author,
    board: Board,
    title: str,
    body: str,
    film: Film | None = None,
    category: Category | None = None,
    now: datetime | None = None,
) -> Thread:
    """Start a thread with its opening post; optionally about a film or a category."""
    now = now or timezone.now()
    _check_member(author)
    errors = {}
    try:
        title = clean_title(title)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        body = clean_body(body)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    _check_links(author=author, body=body)
    limits.post_allowance_take(user=author, now=now)
    thread = Thread(
        board=board,
        title=title,
        slug=Thread.slug_for(title),
        author=author,
        film=film,
        category=category,
        created_at=now,
        last_number=1,
        post_count=1,
        last_post_at=now,
        last_post_author=author,
    )
    thread.full_clean()
    thread.save()
    Post.objects.create(thread=thread, number=1, author=author, created_at=now, **_render(body))
    thread_mark_read(user=author, thread=thread, number=1, read_upto=None)
    Board.objects.filter(pk=board.pk).update(
        thread_count=F("thread_count") + 1, post_count=F("post_count") + 1, last_post_at=now, last_thread=thread
    )
    return thread


@transaction.atomic
def post_create(
    *, author, thread: Thread, body: str, quote_of: Post | None = None, now: datetime | None = None
) -> Post:
    """Reply to a thread. Locks the thread row: post numbers are handed out in order."""
    now = now or timezone.now()
    _check_member(author)
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    if thread.is_removed:
        raise ValidationError("This thread was removed by a moderator: it takes no replies.")
    if thread.is_locked and not author.can_moderate:
        raise ValidationError("This thread is locked: it takes no new replies.")
    if quote_of is not None and (quote_of.thread_id != thread.pk or not quote_of.is_visible):
        raise ValidationError("You can only quote a visible post of this thread.")
    body = clean_body(body)
    _check_links(author=author, body=body)
    limits.post_allowance_take(user=author, now=now)
    number = thread.last_number + 1
    post = Post.objects.create(
        thread=thread, number=number, author=author, quote_of=quote_of, created_at=now, **_render(body)
    )
    Thread.objects.filter(pk=thread.pk).update(
        last_number=number, post_count=F("post_count") + 1, last_post_at=now, last_post_author=author
    )
    Board.objects.filter(pk=thread.board_id).update(
        post_count=F("post_count") + 1, last_post_at=now, last_thread=thread
    )
    return post


def _own_post(*, user, post: Post, verb: str) -> Post:
    _check_member(user)
    post = Post.objects.select_related("thread").select_for_update(of=("self",)).get(pk=post.pk)
    if post.author_id != user.pk:
        raise PermissionDenied(f"You can only {verb} your own posts.")
    if post.removed_at is not None:
        raise ValidationError("A moderator removed this post; it can no longer be changed.")
    if post.deleted_at is not None:
        raise ValidationError("This post is deleted.")
    if post.thread.is_removed:
        raise ValidationError("This thread was removed by a moderator.")
    return post


@transaction.atomic
def post_edit(*, user, post: Post, body: str, now: datetime | None = None) -> Post:
    """The author rewrites their post; it shows as edited, with the time."""
    now = now or timezone.now()
    post = _own_post(user=user, post=post, verb="edit")
    if post.thread.is_locked and not user.can_moderate:
        raise ValidationError("This thread is locked: its posts can no longer be edited.")
    body = clean_body(body)
    if body == post.source:
        return post
    _check_links(author=user, body=body)
    for field, value in _render(body).items():
        setattr(post, field, value)
    post.edited_at = now
    post.save(update_fields=["source", "html", "renderer_version", "edited_at"])
    return post


@transaction.atomic
def post_delete(*, user, post: Post, now: datetime | None = None) -> Post:
    """The author deletes their post (soft: the row stays, members see that it was deleted)."""
    post = _own_post(user=user, post=post, verb="delete")
    post.deleted_at = now or timezone.now()
    post.save(update_fields=["deleted_at"])
    _refresh_counts(post.thread)
    return post


@transaction.atomic
def post_report(*, reporter, post: Post, reason: str, details: str = "", now: datetime | None = None) -> Report:
    """A member flags a post for the moderators, once per post while the report is open."""
    _check_member(reporter)
    if reason not in Report.Reason.values:
        raise ValidationError({"reason": "Choose a reason from the list."})
    details = clean_reason(details, required=reason == Report.Reason.OTHER, field="details")
    post = Post.objects.select_related("thread").get(pk=post.pk)  # as it is now, not as the caller loaded it
    if post.author_id == reporter.pk:
        raise ValidationError("You can't report your own post; edit or delete it instead.")
    if not post.is_visible or post.thread.is_removed:
        raise ValidationError("This post is no longer shown; there is nothing to report.")
    already = ValidationError("You have already reported this post; a moderator will look at it.")
    if Report.objects.open().filter(post=post, reporter=reporter).exists():
        raise already
    try:
        with transaction.atomic():  # two reports sent at once: the constraint decides, the loser gets the message
            return Report.objects.create(
                post=post, reporter=reporter, reason=reason, details=details, created_at=now or timezone.now()
            )
    except IntegrityError:
        raise already from None


# Moderation ---------------------------------------------------------------------------------------


def _check_moderator(user) -> None:
    if not user.is_authenticated or not user.can_moderate:
        raise PermissionDenied("Only moderators can do that.")


def _log(*, moderator, kind, thread, post=None, reason="", details="", now) -> None:
    ModerationAction.objects.create(
        moderator=moderator, kind=kind, thread=thread, post=post, reason=reason, details=details, created_at=now
    )


def _locked_thread(thread: Thread) -> Thread:
    return Thread.objects.select_for_update().get(pk=thread.pk)


def _thread_flag(*, moderator, thread: Thread, field: str, value: bool, kinds: tuple, reason: str, now) -> Thread:
    """Set is_pinned or is_locked; logged only when it changes. `kinds` is (kind when set, kind when cleared)."""
    _check_moderator(moderator)
    thread = _locked_thread(thread)
    reason = clean_reason(reason)
    if getattr(thread, field) != value:
        setattr(thread, field, value)
        thread.save(update_fields=[field])
        kind = kinds[0] if value else kinds[1]
        _log(moderator=moderator, kind=kind, thread=thread, reason=reason, now=now or timezone.now())
    return thread


@transaction.atomic
def thread_pin(*, moderator, thread: Thread, pinned: bool, reason: str = "", now: datetime | None = None) -> Thread:
    kinds = (ModerationAction.Kind.PIN, ModerationAction.Kind.UNPIN)
    return _thread_flag(
        moderator=moderator, thread=thread, field="is_pinned", value=pinned, kinds=kinds, reason=reason, now=now
    )


@transaction.atomic
def thread_lock(*, moderator, thread: Thread, locked: bool, reason: str = "", now: datetime | None = None) -> Thread:
    kinds = (ModerationAction.Kind.LOCK, ModerationAction.Kind.UNLOCK)
    return _thread_flag(
        moderator=moderator, thread=thread, field="is_locked", value=locked, kinds=kinds, reason=reason, now=now
    )


@transaction.atomic
def thread_move(*, moderator, thread: Thread, board: Board, reason: str = "", now: datetime | None = None) -> Thread:
    _check_moderator(moderator)
    thread = _locked_thread(thread)
    reason = clean_reason(reason)
    if thread.board_id == board.pk:
        raise ValidationError({"board": f"The thread is already in {board.name}."})
    old_board = thread.board
    thread.board = board
    thread.save(update_fields=["board"])
    _log(
        moderator=moderator,
        kind=ModerationAction.Kind.MOVE,
        thread=thread,
        reason=reason,
        details=f"{old_board.name} → {board.name}",
        now=now or timezone.now(),
    )
    _refresh_board(old_board)
    _refresh_board(board)
    return thread


@transaction.atomic
def thread_remove(*, moderator, thread: Thread, reason: str, now: datetime | None = None) -> Thread:
    _check_moderator(moderator)
    now = now or timezone.now()
    thread = _locked_thread(thread)
    reason = clean_reason(reason, required=True)
    if thread.is_removed:
        raise ValidationError("This thread is already removed.")
    thread.removed_at, thread.removed_by, thread.removed_reason = now, moderator, reason
    thread.save(update_fields=["removed_at", "removed_by", "removed_reason"])
    _log(moderator=moderator, kind=ModerationAction.Kind.REMOVE_THREAD, thread=thread, reason=reason, now=now)
    _refresh_board(thread.board)
    return thread


@transaction.atomic
def thread_restore(*, moderator, thread: Thread, reason: str = "", now: datetime | None = None) -> Thread:
    _check_moderator(moderator)
    thread = _locked_thread(thread)
    reason = clean_reason(reason)
    if not thread.is_removed:
        raise ValidationError("This thread is not removed.")
    thread.removed_at, thread.removed_by, thread.removed_reason = None, None, ""
    thread.save(update_fields=["removed_at", "removed_by", "removed_reason"])
    _log(
        moderator=moderator,
        kind=ModerationAction.Kind.RESTORE_THREAD,
        thread=thread,
        reason=reason,
        now=now or timezone.now(),
    )
    _refresh_board(thread.board)
    return thread


THREAD_ACTIONS = ("pin", "unpin", "lock", "unlock", "move", "remove", "restore")


def thread_moderate(*, moderator, thread: Thread, action: str, reason: str = "", board: Board | None = None) -> Thread:
    """One entry for the pages and the API: `action` is one of THREAD_ACTIONS (`board` is for a move)."""
    if action in ("pin", "unpin"):
        return thread_pin(moderator=moderator, thread=thread, pinned=action == "pin", reason=reason)
    if action in ("lock", "unlock"):
        return thread_lock(moderator=moderator, thread=thread, locked=action == "lock", reason=reason)
    if action == "move":
        _check_moderator(moderator)
        if board is None:
            raise ValidationError({"board": "Choose the board to move the thread to."})
        return thread_move(moderator=moderator, thread=thread, board=board, reason=reason)
    if action == "remove":
        return thread_remove(moderator=moderator, thread=thread, reason=reason)
    if action == "restore":
        return thread_restore(moderator=moderator, thread=thread, reason=reason)
    raise ValidationError({"action": f"Choose one of: {', '.join(THREAD_ACTIONS)}."})


@transaction.atomic
def post_remove(*, moderator, post: Post, reason: str, now: datetime | None = None) -> Post:
    """Hide a post from members (moderators still see it in full) and close the reports about it."""
    _check_moderator(moderator)
    now = now or timezone.now()
    reason = clean_reason(reason, required=True)
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.removed_at is not None:
        raise ValidationError("This post is already removed.")
    post.removed_at, post.removed_by, post.removed_reason = now, moderator, reason
    post.save(update_fields=["removed_at", "removed_by", "removed_reason"])
    Report.objects.open().filter(post=post).update(
        resolved_at=now, resolved_by=moderator, resolution=Report.Resolution.REMOVED
    )
    _log(
        moderator=moderator,
        kind=ModerationAction.Kind.REMOVE_POST,
        thread=post.thread,
        post=post,
        reason=reason,
        now=now,
    )
    _refresh_counts(post.thread)
    return post


@transaction.atomic
def post_restore(*, moderator, post: Post, reason: str = "", now: datetime | None = None) -> Post:
    _check_moderator(moderator)
    reason = clean_reason(reason)
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.removed_at is None:
        raise ValidationError("This post is not removed.")
    post.removed_at, post.removed_by, post.removed_reason = None, None, ""
    post.save(update_fields=["removed_at", "removed_by", "removed_reason"])
    _log(
        moderator=moderator,
        kind=ModerationAction.Kind.RESTORE_POST,
        thread=post.thread,
        post=post,
        reason=reason,
        now=now or timezone.now(),
    )
    _refresh_counts(post.thread)
    return post


@transaction.atomic
def report_dismiss(*, moderator, report: Report, now: datetime | None = None) -> Report:
    """Close a report without acting on the post (it stays as it is)."""
    _check_moderator(moderator)
    now = now or timezone.now()
    report = Report.objects.select_for_update().select_related("post__thread").get(pk=report.pk)
    if report.resolved_at is not None:
        raise ValidationError("This report is already closed.")
    report.resolved_at, report.resolved_by, report.resolution = now, moderator, Report.Resolution.DISMISSED
    report.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    _log(
        moderator=moderator,
        kind=ModerationAction.Kind.DISMISS_REPORT,
        thread=report.post.thread,
        post=report.post,
        details=report.get_reason_display(),
        now=now,
    )
    return report


# Reading ------------------------------------------------------------------------------------------


def thread_mark_read(*, user, thread: Thread, number: int, read_upto: int | None) -> None:
    """Remember that `user` has seen posts up to `number` (the caller passes what it already knows)."""
    if not user.is_authenticated or (read_upto is not None and read_upto >= number):
        return
    ThreadRead.objects.bulk_create(
        [ThreadRead(user=user, thread=thread, last_read_number=number)],
        update_conflicts=True,
        unique_fields=["user", "thread"],
        update_fields=["last_read_number"],
    )


def posts_rerender(posts: list[Post]) -> int:
    """Re-render the posts made by an older renderer (one UPDATE for all of them); returns how many."""
    stale = [post for post in posts if post.renderer_version != RENDERER_VERSION]
    for post in stale:
        post.html, post.renderer_version = render_markdown(post.source), RENDERER_VERSION
    if stale:
        Post.objects.bulk_update(stale, ["html", "renderer_version"])
    return len(stale)


# Counters -----------------------------------------------------------------------------------------


def _refresh_counts(thread: Thread) -> None:
    """Recount a thread's visible posts and its last post, then its board. Call inside a transaction."""
    thread = _locked_thread(thread)
    last = Post.objects.visible().filter(thread=thread).order_by("-number").only("created_at", "author_id").first()
    thread.post_count = Post.objects.visible().filter(thread=thread).count()
    thread.last_post_at = last.created_at if last else thread.created_at
    thread.last_post_author_id = last.author_id if last else None
    thread.save(update_fields=["post_count", "last_post_at", "last_post_author"])
    _refresh_board(thread.board)


def _refresh_board(board: Board) -> None:
    """Recount a board from its threads' counters. Locks the board row (replies add to it with F())."""
    board = Board.objects.select_for_update().get(pk=board.pk)
    visible = Thread.objects.visible().filter(board=board)
    totals = visible.aggregate(threads=Count("id"), posts=Sum("post_count"), last=Max("last_post_at"))
    board.thread_count = totals["threads"]
    board.post_count = totals["posts"] or 0
    board.last_post_at = totals["last"]
    board.last_thread = visible.order_by("-last_post_at", "-id").first()
    board.save(update_fields=["thread_count", "post_count", "last_post_at", "last_thread"])
