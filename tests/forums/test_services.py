"""forums.services: every rule, and that a refused write changes nothing."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from forums import services
from forums.limits import RateLimited
from forums.markdown import RENDERER_VERSION
from forums.models import BODY_MAX, TITLE_MAX, Board, ModerationAction, Post, Report, Thread, ThreadRead
from tests.forums.conftest import member

pytestmark = pytest.mark.django_db


def recount(board: Board) -> tuple[int, int]:
    visible = Thread.objects.visible().filter(board=board)
    posts = Post.objects.visible().filter(thread__in=visible).count()
    return visible.count(), posts


def assert_counters(thread: Thread) -> None:
    thread.refresh_from_db()
    thread.board.refresh_from_db()
    assert thread.post_count == Post.objects.visible().filter(thread=thread).count()
    assert (thread.board.thread_count, thread.board.post_count) == recount(thread.board)


# --- writing --------------------------------------------------------------------------------------


def test_thread_create_writes_the_opening_post_and_counts_it(thread, board):
    post = thread.posts.get()
    assert (post.number, post.author, post.source) == (1, thread.author, "Discuss.")
    assert post.html == "<p>Discuss.</p>"
    assert thread.slug == "is-nomadland-the-frontrunner"
    board.refresh_from_db()
    assert (board.thread_count, board.post_count, board.last_thread) == (1, 1, thread)
    assert_counters(thread)


def test_replies_are_numbered_in_order_and_move_the_thread_up(thread, fan, author):
    later = timezone.now() + timedelta(minutes=5)
    first = services.post_create(author=fan, thread=thread, body="One")
    second = services.post_create(author=author, thread=thread, body="Two", quote_of=first, now=later)
    assert [first.number, second.number] == [2, 3]
    thread.refresh_from_db()
    assert (thread.last_number, thread.post_count, thread.last_post_author, thread.last_post_at) == (
        3,
        3,
        author,
        later,
    )
    assert second.quote_of == first
    assert_counters(thread)


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("abc", "at least 4 characters"),
        ("   \n\t  ", "at least 4 characters"),
        ("x" * (TITLE_MAX + 1), f"at most {TITLE_MAX} characters (this one has {TITLE_MAX + 1})"),
    ],
)
def test_title_limits_have_clear_messages_and_change_nothing(board, author, title, message):
    with pytest.raises(ValidationError) as error:
        services.thread_create(author=author, board=board, title=title, body="Fine body")
    assert message in error.value.message_dict["title"][0]
    assert not Thread.objects.exists() and not Post.objects.exists()


def test_title_is_one_line_of_plain_text(board, author):
    thread = services.thread_create(author=author, board=board, title="  Best\n\x07Actor \u200b race  ", body="Hm")
    assert thread.title == "Best Actor race"


def test_a_100_kb_post_is_refused_with_its_size(thread, fan):
    with pytest.raises(ValidationError) as error:
        services.post_create(author=fan, thread=thread, body="a" * 102_400)
    assert error.value.message_dict["body"] == [f"Posts can be at most {BODY_MAX:,} characters (this one has 102,400)."]
    assert thread.posts.count() == 1


def test_an_empty_post_is_refused(thread, fan):
    with pytest.raises(ValidationError, match="empty"):
        services.post_create(author=fan, thread=thread, body=" \n ")


def test_both_title_and_body_errors_are_reported_at_once(board, author):
    with pytest.raises(ValidationError) as error:
        services.thread_create(author=author, board=board, title="no", body="")
    assert set(error.value.message_dict) == {"title", "body"}


def test_anonymous_cannot_post(thread):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.post_create(author=AnonymousUser(), thread=thread, body="hi")


def test_locked_thread_refuses_replies_from_members_but_not_moderators(thread, fan, moderator):
    services.thread_lock(moderator=moderator, thread=thread, locked=True, reason="Heated")
    with pytest.raises(ValidationError, match="locked"):
        services.post_create(author=fan, thread=thread, body="Let me in")
    assert thread.posts.count() == 1
    services.post_create(author=moderator, thread=thread, body="Locked while we cool down.")
    assert thread.posts.count() == 2


def test_removed_thread_refuses_replies(thread, fan, moderator):
    services.thread_remove(moderator=moderator, thread=thread, reason="Spam")
    with pytest.raises(ValidationError, match="removed"):
        services.post_create(author=fan, thread=thread, body="Hello?")


def test_quote_of_another_threads_post_is_refused(thread, board, fan, author):
    other = services.thread_create(author=author, board=board, title="Another thread", body="Other")
    with pytest.raises(ValidationError, match="quote"):
        services.post_create(author=fan, thread=thread, body="q", quote_of=other.posts.get())


# --- edit and delete: authors only ----------------------------------------------------------------


def test_author_edits_their_post_and_it_is_marked_edited(reply, fan):
    edited = services.post_edit(user=fan, post=reply, body="**Minari** will surprise.")
    assert edited.edited_at is not None
    reply.refresh_from_db()
    assert reply.html == "<p><strong>Minari</strong> will surprise.</p>"
    assert reply.source == "**Minari** will surprise."


def test_an_unchanged_edit_is_not_marked_edited(reply, fan):
    assert services.post_edit(user=fan, post=reply, body=reply.source).edited_at is None


@pytest.mark.parametrize("who", ["author", "moderator"])
def test_nobody_edits_or_deletes_another_persons_post(reply, request, who):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.post_edit(user=user, post=reply, body="Rewritten")
    with pytest.raises(PermissionDenied):
        services.post_delete(user=user, post=reply)
    reply.refresh_from_db()
    assert (reply.source, reply.deleted_at) == ("*Minari* could surprise.", None)


def test_delete_is_soft_and_updates_the_counters(reply, fan, thread):
    services.post_delete(user=fan, post=reply)
    reply.refresh_from_db()
    assert reply.deleted_at is not None and reply.source
    thread.refresh_from_db()
    assert (thread.post_count, thread.last_post_author) == (1, thread.author)
    assert_counters(thread)
    with pytest.raises(ValidationError, match="deleted"):
        services.post_edit(user=fan, post=reply, body="back")


def test_a_removed_post_cannot_be_edited_by_its_author(reply, fan, moderator):
    services.post_remove(moderator=moderator, post=reply, reason="Off topic")
    with pytest.raises(ValidationError, match="moderator removed"):
        services.post_edit(user=fan, post=reply, body="sneaky")


# --- new accounts and rate limits -----------------------------------------------------------------


def test_new_accounts_first_posts_may_not_link(thread, settings):
    settings.FORUMS_NEW_ACCOUNT_LINKFREE_POSTS = 2
    newbie = member(date_joined=timezone.now())
    with pytest.raises(ValidationError, match="after their first 2 posts"):
        services.post_create(author=newbie, thread=thread, body="Buy now https://spam.example <https://spam.example>")
    services.post_create(author=newbie, thread=thread, body="Hello all")
    services.post_create(author=newbie, thread=thread, body="Loving this race")
    services.post_create(author=newbie, thread=thread, body="Review: <https://example.com/review>")
    assert newbie.forum_posts.count() == 3


def test_posting_is_rate_limited_per_minute_with_the_wait(thread, fan, settings):
    settings.FORUMS_POSTS_PER_MINUTE = 3
    now = timezone.now().replace(second=10, microsecond=0)
    for i in range(3):
        services.post_create(author=fan, thread=thread, body=f"post {i}", now=now)
    with pytest.raises(RateLimited) as error:
        services.post_create(author=fan, thread=thread, body="one too many", now=now)
    assert error.value.retry_after == 50
    assert "3 posts per minute" in str(error.value) and "50 seconds" in str(error.value)
    assert thread.posts.count() == 4  # the opening post and three replies, nothing of the refused one
    services.post_create(author=fan, thread=thread, body="a minute later", now=now + timedelta(minutes=1))


def test_new_accounts_get_a_lower_hourly_limit(thread, settings):
    settings.FORUMS_POSTS_PER_MINUTE = 100
    settings.FORUMS_POSTS_PER_HOUR = 50
    settings.FORUMS_POSTS_PER_HOUR_NEW = 2
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    newbie, regular = member(date_joined=now), member()
    for i in range(2):
        services.post_create(author=newbie, thread=thread, body=f"hi {i}", now=now)
        services.post_create(author=regular, thread=thread, body=f"hi {i}", now=now)
    with pytest.raises(RateLimited, match="2 posts per hour. Try again in 60 minutes"):
        services.post_create(author=newbie, thread=thread, body="third", now=now)
    services.post_create(author=regular, thread=thread, body="third", now=now)


def test_limits_are_per_user_and_moderators_are_exempt(thread, fan, author, moderator, settings):
    settings.FORUMS_POSTS_PER_MINUTE = 1
    now = (timezone.now() + timedelta(hours=2)).replace(second=0, microsecond=0)  # after the fixtures' posts
    services.post_create(author=fan, thread=thread, body="mine", now=now)
    services.post_create(author=author, thread=thread, body="also mine", now=now)
    for i in range(3):
        services.post_create(author=moderator, thread=thread, body=f"mod {i}", now=now)
    with pytest.raises(RateLimited):
        services.post_create(author=fan, thread=thread, body="again", now=now)


def test_an_invalid_post_does_not_use_up_the_allowance(thread, fan, settings):
    settings.FORUMS_POSTS_PER_MINUTE = 1
    now = (timezone.now() + timedelta(hours=2)).replace(second=0, microsecond=0)
    with pytest.raises(ValidationError):
        services.post_create(author=fan, thread=thread, body="", now=now)
    services.post_create(author=fan, thread=thread, body="now for real", now=now)


def test_a_cache_outage_lets_posts_through(thread, fan, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr("forums.limits.cache.add", down)
    services.post_create(author=fan, thread=thread, body="still posted")
    assert thread.posts.filter(source="still posted").exists()


# --- reports and moderation -----------------------------------------------------------------------


def test_report_once_not_your_own_and_with_a_known_reason(reply, author, fan):
    report = services.post_report(reporter=author, post=reply, reason="spoiler")
    assert (report.reason, report.resolved_at) == ("spoiler", None)
    with pytest.raises(ValidationError, match="already reported"):
        services.post_report(reporter=author, post=reply, reason="abuse")
    with pytest.raises(ValidationError, match="your own"):
        services.post_report(reporter=fan, post=reply, reason="spam")
    with pytest.raises(ValidationError) as error:
        services.post_report(reporter=member(), post=reply, reason="because")
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError, match="Say why"):
        services.post_report(reporter=member(), post=reply, reason="other", details="")
    assert Report.objects.count() == 1


def test_removing_a_post_is_soft_logged_closes_reports_and_is_reversible(reply, author, moderator, thread):
    services.post_report(reporter=author, post=reply, reason="abuse")
    services.post_remove(moderator=moderator, post=reply, reason="Personal attack")
    reply.refresh_from_db()
    assert (reply.removed_by, reply.removed_reason) == (moderator, "Personal attack")
    assert reply.source == "*Minari* could surprise."
    assert Report.objects.get().resolution == Report.Resolution.REMOVED
    assert_counters(thread)
    assert thread.post_count == 1

    services.post_restore(moderator=moderator, post=reply)
    reply.refresh_from_db()
    assert reply.removed_at is None and reply.is_visible
    assert_counters(thread)
    kinds = list(ModerationAction.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["remove_post", "restore_post"]


def test_removal_needs_a_reason(reply, moderator):
    with pytest.raises(ValidationError, match="Say why"):
        services.post_remove(moderator=moderator, post=reply, reason="  ")
    reply.refresh_from_db()
    assert reply.removed_at is None


def test_pin_lock_move_remove_restore_keep_counters_and_the_log(thread, moderator, board, other_board, reply):
    services.thread_pin(moderator=moderator, thread=thread, pinned=True)
    services.thread_pin(moderator=moderator, thread=thread, pinned=True)  # no change: not logged twice
    services.thread_lock(moderator=moderator, thread=thread, locked=True, reason="Cooling off")
    services.thread_move(moderator=moderator, thread=thread, board=other_board, reason="Wrong board")
    thread.refresh_from_db()
    assert (thread.is_pinned, thread.is_locked, thread.board) == (True, True, other_board)
    board.refresh_from_db()
    other_board.refresh_from_db()
    assert (board.thread_count, board.post_count, board.last_thread) == (0, 0, None)
    assert (other_board.thread_count, other_board.post_count) == (1, 2)

    services.thread_remove(moderator=moderator, thread=thread, reason="Spam")
    other_board.refresh_from_db()
    assert (other_board.thread_count, other_board.post_count) == (0, 0)
    services.thread_restore(moderator=moderator, thread=thread)
    assert_counters(thread)
    log = ModerationAction.objects.order_by("id")
    assert [a.kind for a in log] == ["pin", "lock", "move", "remove_thread", "restore_thread"]
    assert log.get(kind="move").details == "Oscars → Off topic"
    with pytest.raises(ValidationError, match="already in"):
        services.thread_move(moderator=moderator, thread=thread, board=other_board)


@pytest.mark.parametrize("who", ["author", "fan"])
def test_only_moderators_moderate(thread, reply, request, who, other_board):
    user = request.getfixturevalue(who)
    report = services.post_report(reporter=member(), post=reply, reason="spam")
    actions = [
        lambda: services.thread_pin(moderator=user, thread=thread, pinned=True),
        lambda: services.thread_lock(moderator=user, thread=thread, locked=True),
        lambda: services.thread_move(moderator=user, thread=thread, board=other_board),
        lambda: services.thread_remove(moderator=user, thread=thread, reason="x"),
        lambda: services.post_remove(moderator=user, post=reply, reason="x"),
        lambda: services.report_dismiss(moderator=user, report=report),
    ]
    for action in actions:
        with pytest.raises(PermissionDenied):
            action()
    thread.refresh_from_db()
    assert not (thread.is_pinned or thread.is_locked or thread.is_removed)
    assert not ModerationAction.objects.exists()


def test_dismissing_a_report_leaves_the_post(reply, moderator, author):
    report = services.post_report(reporter=author, post=reply, reason="off_topic")
    services.report_dismiss(moderator=moderator, report=report)
    report.refresh_from_db()
    assert report.resolution == Report.Resolution.DISMISSED and reply.is_visible
    with pytest.raises(ValidationError, match="already closed"):
        services.report_dismiss(moderator=moderator, report=report)
    # a closed report lets the member report the post again
    services.post_report(reporter=author, post=reply, reason="abuse")


# --- reading --------------------------------------------------------------------------------------


def test_mark_read_only_moves_forward(thread, fan):
    services.thread_mark_read(user=fan, thread=thread, number=3, read_upto=None)
    services.thread_mark_read(user=fan, thread=thread, number=1, read_upto=3)
    assert ThreadRead.objects.get(user=fan, thread=thread).last_read_number == 3
    services.thread_mark_read(user=fan, thread=thread, number=5, read_upto=3)
    assert ThreadRead.objects.get(user=fan, thread=thread).last_read_number == 5


def test_posts_from_an_older_renderer_are_re_rendered(reply):
    Post.objects.filter(pk=reply.pk).update(html="<p>stale</p>", renderer_version=0)
    posts = list(Post.objects.filter(pk=reply.pk))
    assert services.posts_rerender(posts) == 1
    reply.refresh_from_db()
    assert reply.html == "<p><em>Minari</em> could surprise.</p>"
    assert services.posts_rerender([reply]) == 0


def test_a_post_refused_by_the_hourly_limit_uses_up_no_minute(thread, fan, settings):
    settings.FORUMS_POSTS_PER_MINUTE = 2
    settings.FORUMS_POSTS_PER_HOUR = 1
    now = (timezone.now() + timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    services.post_create(author=fan, thread=thread, body="one", now=now)
    for _ in range(3):
        with pytest.raises(RateLimited, match="per hour"):
            services.post_create(author=fan, thread=thread, body="more", now=now)
    settings.FORUMS_POSTS_PER_HOUR = 10
    services.post_create(author=fan, thread=thread, body="two", now=now)  # the minute still has its second slot
    with pytest.raises(RateLimited, match="per minute"):
        services.post_create(author=fan, thread=thread, body="three", now=now)


def test_removed_posts_do_not_earn_the_right_to_link(thread, moderator, settings):
    settings.FORUMS_NEW_ACCOUNT_LINKFREE_POSTS = 1
    spammer = member()
    post = services.post_create(author=spammer, thread=thread, body="Nice")
    services.post_remove(moderator=moderator, post=post, reason="Spam account")
    with pytest.raises(ValidationError, match="first 1 posts"):
        services.post_create(author=spammer, thread=thread, body="[deal](https://spam.example)")


def test_reports_in_a_removed_thread_are_refused(reply, author, moderator, thread):
    services.thread_remove(moderator=moderator, thread=thread, reason="Spam")
    with pytest.raises(ValidationError, match="nothing to report"):
        services.post_report(reporter=author, post=reply, reason="spam")


def test_rerender_posts_command_brings_every_post_to_the_current_renderer(thread, reply):
    from django.core.management import call_command

    Post.objects.update(html="<p>old</p>", renderer_version=0)
    call_command("rerender_posts", batch=1)
    assert set(Post.objects.values_list("renderer_version", flat=True)) == {RENDERER_VERSION}
    assert Post.objects.get(pk=reply.pk).html == "<p><em>Minari</em> could surprise.</p>"
