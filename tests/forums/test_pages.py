"""Forum pages: lists, threads, pagination, unread markers, hostile text, locks, limits and the catalogue links."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape

from forums import services
from forums.markdown import RENDERER_VERSION, render_markdown
from forums.models import Board, Post, Thread
from tests.factories import FilmFactory
from tests.forums.conftest import member
from tests.forums.xss_corpus import XSS_PAYLOADS, assert_harmless
from tests.helpers import page_text, query_count

pytestmark = pytest.mark.django_db


def post_bodies(response) -> list[str]:
    """The rendered bodies of the posts on a thread page (what members wrote, after sanitizing)."""
    html = response.content.decode()
    return re.findall(r'<div class="post-body[^"]*"[^>]*>(.*?)</div>\n', html, flags=re.S)


def bulk_posts(thread: Thread, count: int) -> None:
    """`count` replies straight into the table (the service's limits are not what these tests are about)."""
    authors = [member() for _ in range(5)]
    start, now = thread.last_number, timezone.now()
    Post.objects.bulk_create(
        Post(
            thread=thread,
            number=start + i,
            author=authors[i % 5],
            source=f"Reply *{i}*",
            html=render_markdown(f"Reply *{i}*"),
            renderer_version=RENDERER_VERSION,
            created_at=now,
        )
        for i in range(1, count + 1)
    )
    Thread.objects.filter(pk=thread.pk).update(last_number=start + count, post_count=start + count)


# --- lists ----------------------------------------------------------------------------------------


def test_forum_home_lists_boards_with_counts_and_the_last_post(client, thread, reply, other_board):
    response = client.get("/forums/")
    text = page_text(response)
    assert "Oscars" in text and "1 thread · 2 posts" in text
    assert f"Latest: {thread.title} by Other Fan" in text
    assert "Off topic" in text and "No threads yet" in text


def test_forum_home_without_boards_says_what_to_do(client, db):
    assert "There are no boards yet" in page_text(client.get("/forums/"))


def test_board_lists_pinned_first_then_newest_activity_with_reply_counts(client, board, author, moderator):
    old = services.thread_create(author=author, board=board, title="Old news thread", body="x")
    pinned = services.thread_create(author=member(), board=board, title="Forum rules", body="Be kind")
    fresh = services.thread_create(author=member(), board=board, title="Fresh thread", body="y")
    services.post_create(author=member(), thread=old, body="bump", now=timezone.now() + timedelta(minutes=1))
    services.thread_pin(moderator=moderator, thread=pinned, pinned=True)
    text = page_text(client.get("/forums/oscars/"))
    assert text.index("Forum rules") < text.index("Old news thread") < text.index("Fresh thread")
    assert "Pinned Forum rules" in text and "1 reply" in text and "0 replies" in text
    assert fresh.title in text


def test_board_pages_thirty_threads_each(client, board, author, settings):
    settings.FORUMS_POSTS_PER_MINUTE = settings.FORUMS_POSTS_PER_HOUR = 1000
    for i in range(31):
        services.thread_create(author=author, board=board, title=f"Thread number {i:02d}", body="b")
    first, second = client.get("/forums/oscars/"), client.get("/forums/oscars/?page=2")
    assert "Page 1 of 2" in page_text(first) and "Thread number 30" in page_text(first)
    assert "Thread number 00" in page_text(second) and "Thread number 00" not in page_text(first)


def test_unread_marker_until_the_member_reads_the_thread(client, thread, fan, author):
    client.force_login(fan)
    assert "New Is Nomadland" in page_text(client.get("/forums/oscars/"))
    client.get(thread.get_absolute_url())
    assert "New Is Nomadland" not in page_text(client.get("/forums/oscars/"))
    services.post_create(author=author, thread=thread, body="Anyone?")
    assert "Unread Is Nomadland" in page_text(client.get("/forums/oscars/"))
    # the marker jumps to the first post not seen
    response = client.get(f"/forums/t/{thread.pk}/unread")
    assert response.status_code == 302 and response["Location"].endswith("#post-2")


def test_search_finds_threads_by_title(client, thread, board, author):
    services.thread_create(author=author, board=board, title="Sound of Metal in Sound", body="z")
    text = page_text(client.get("/forums/search/?q=sound"))
    assert "1 thread with “sound” in the title" in text and "Sound of Metal in Sound" in text
    assert thread.title not in text
    assert "Type at least two characters" in page_text(client.get("/forums/search/?q=s"))
    assert "No threads with “zzz” in the title yet" in page_text(client.get("/forums/search/?q=zzz"))


# --- a thread -------------------------------------------------------------------------------------


def test_thread_page_shows_posts_quote_links_and_the_reply_form(client, thread, reply, fan):
    response = client.get(thread.get_absolute_url())
    assert response.status_code == 200
    assert post_bodies(response) == ["<p>Discuss.</p>", "<p><em>Minari</em> could surprise.</p>"]
    assert "Log in or sign up to join the conversation" in page_text(response)
    client.force_login(fan)
    response = client.get(thread.get_absolute_url())
    assert 'name="body"' in response.content.decode() and "Post reply" in page_text(response)
    assert f"/forums/t/{thread.pk}/reply?quote={thread.posts.get(number=1).pk}" in response.content.decode()


def test_a_wrong_slug_redirects_to_the_thread(client, thread):
    response = client.get(f"/forums/t/{thread.pk}/something-else/")
    assert response.status_code == 302 and response["Location"] == thread.get_absolute_url()


def test_a_thousand_post_thread_renders_every_page_with_the_same_queries(client, thread, fan):
    bulk_posts(thread, 999)
    pages = ["", "?page=2", "?page=20", "?page=40"]
    anonymous = {page: query_count(client, thread.get_absolute_url() + page) for page in pages}
    assert len(set(anonymous.values())) == 1, anonymous
    client.force_login(fan)
    signed_in = {page: query_count(client, thread.get_absolute_url() + page) for page in pages}
    # the first visit of a page writes the read marker; re-reading writes nothing
    again = {page: query_count(client, thread.get_absolute_url() + page) for page in pages}
    assert len(set(again.values())) == 1, again
    assert max(signed_in.values()) <= again[""] + 1
    last = client.get(thread.get_absolute_url() + "?page=40")
    assert "Page 40 of 40" in page_text(last) and len(post_bodies(last)) == 1000 - 39 * 25


def test_a_post_link_lands_on_its_page(client, thread):
    bulk_posts(thread, 60)
    post = thread.posts.get(number=52)
    response = client.get(f"/forums/p/{post.pk}/")
    assert response["Location"] == f"{thread.get_absolute_url()}?page=3#post-52"


def test_quote_reply_prefills_the_quoted_markdown(client, thread, reply, author):
    client.force_login(author)
    response = client.get(f"/forums/t/{thread.pk}/reply?quote={reply.pk}")
    assert "&gt; **Other Fan** wrote:" in response.content.decode()
    body = response.context["form"].initial["body"]
    response = client.post(f"/forums/t/{thread.pk}/reply", {"body": body + "Agreed!", "quote": reply.pk})
    assert response.status_code == 302
    post = thread.posts.get(number=3)
    assert post.quote_of == reply and "<blockquote>" in post.html
    assert "replying to #2" in page_text(client.get(thread.get_absolute_url()))


def test_edited_posts_say_so(client, reply, fan, thread):
    client.force_login(fan)
    assert client.get(f"/forums/p/{reply.pk}/edit").status_code == 200
    response = client.post(f"/forums/p/{reply.pk}/edit", {"body": "Changed my mind."})
    assert response.status_code == 302
    assert "edited" in page_text(client.get(thread.get_absolute_url()))


def test_deleted_and_removed_posts_show_as_such_and_in_full_to_moderators(client, thread, reply, fan, moderator):
    second = services.post_create(author=fan, thread=thread, body="Regret this")
    services.post_delete(user=fan, post=second)
    services.post_remove(moderator=moderator, post=reply, reason="Spoiler for the ending")
    text = page_text(client.get(thread.get_absolute_url()))
    assert "This post was removed by a moderator." in text and "Minari" not in text
    assert "This post was deleted by its author." in text and "Regret this" not in text
    client.force_login(moderator)
    text = page_text(client.get(thread.get_absolute_url()))
    assert "removed by a moderator: Spoiler for the ending (Mod Squad" in text and "Minari could surprise." in text


def test_removed_threads_are_gone_for_members_and_shown_to_moderators(client, thread, fan, moderator):
    services.thread_remove(moderator=moderator, thread=thread, reason="Duplicate")
    assert client.get(thread.get_absolute_url()).status_code == 404
    assert thread.title not in page_text(client.get("/forums/oscars/"))
    client.force_login(fan)
    assert client.get(thread.get_absolute_url()).status_code == 404
    client.force_login(moderator)
    response = client.get(thread.get_absolute_url())
    assert response.status_code == 200 and "This thread was removed by Mod Squad: Duplicate" in page_text(response)


def test_locked_thread_says_so_and_refuses_a_reply(client, thread, fan, moderator):
    services.thread_lock(moderator=moderator, thread=thread, locked=True)
    client.force_login(fan)
    assert "This thread is locked. It takes no new replies." in page_text(client.get(thread.get_absolute_url()))
    response = client.post(f"/forums/t/{thread.pk}/reply", {"body": "Let me in"})
    assert response.status_code == 400 and "This thread is locked: it takes no new replies." in page_text(response)
    assert thread.posts.count() == 1


def test_a_100_kb_reply_gets_a_clear_message(client, thread, fan):
    client.force_login(fan)
    response = client.post(f"/forums/t/{thread.pk}/reply", {"body": "a" * 102_400})
    assert response.status_code == 400
    assert "Posts can be at most 10,000 characters (this one has 102,400)." in page_text(response)
    assert thread.posts.count() == 1


def test_new_thread_errors_keep_what_was_typed(client, board, fan):
    client.force_login(fan)
    response = client.post("/forums/new/", {"board": board.pk, "title": "no", "body": "My long argument"})
    assert response.status_code == 400
    assert "Give the thread a title of at least 4 characters." in page_text(response)
    assert "My long argument" in response.content.decode()


def test_rate_limited_posting_answers_429_with_retry_after(client, thread, fan, settings):
    settings.FORUMS_POSTS_PER_MINUTE = 1
    client.force_login(fan)
    assert client.post(f"/forums/t/{thread.pk}/reply", {"body": "first"}).status_code == 302
    response = client.post(f"/forums/t/{thread.pk}/reply", {"body": "second"})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "You can write 1 post per minute. Try again in" in page_text(response)
    assert thread.posts.count() == 2


# --- hostile text ---------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_hostile_titles_and_bodies_render_harmlessly(client, board, settings, payload):
    settings.FORUMS_POSTS_PER_MINUTE = settings.FORUMS_POSTS_PER_HOUR = 1000
    settings.FORUMS_NEW_ACCOUNT_LINKFREE_POSTS = 0  # payloads with links must reach the renderer
    title = ("Look: " + payload)[:120]
    thread = services.thread_create(author=member(), board=board, title=title, body=payload + "\n\n*ok*")
    response = client.get(thread.get_absolute_url())
    bodies = post_bodies(response)
    assert len(bodies) == 1
    assert_harmless(bodies[0])
    html = response.content.decode()
    assert escape(thread.title) in html
    for page in (html, client.get("/forums/oscars/").content.decode()):
        heading = re.findall(r"<h1[^>]*>(.*?)</h1>|<p class=\"thread-title\">(.*?)</p>", page, flags=re.S)
        ours = r'<a href="/forums/[^"]*"[^>]*>|<span class="badge[^"]*"[^>]*>|</span>|</a>'  # the page's own markup
        for fragment in ("".join(parts) for parts in heading):
            assert_harmless(re.sub(ours, "", fragment))


def test_a_display_name_with_markup_is_escaped_in_quotes_and_pages(client, thread, author):
    # display names are validated at sign-up; a name that got in some other way is still only text
    from accounts.models import User

    User.objects.filter(pk=author.pk).update(display_name='<img src=x onerror="alert(1)">')
    response = client.get(thread.get_absolute_url())
    assert '<img src=x onerror="alert(1)">' not in response.content.decode()
    assert escape('<img src=x onerror="alert(1)">') in response.content.decode()


# --- the catalogue --------------------------------------------------------------------------------


def test_a_film_page_leads_to_its_threads_and_back(client, board, author, fan):
    film = FilmFactory(title="Sound of Metal", year=2020, slug="sound-of-metal-2020")
    response = client.get(film.get_absolute_url())
    assert "No one has started a thread about Sound of Metal yet." in page_text(response)
    assert "/forums/new/?film=sound-of-metal-2020" in response.content.decode()

    client.force_login(fan)
    form = client.get("/forums/new/?film=sound-of-metal-2020")
    assert form.context["form"].initial == {"board": board, "title": "Sound of Metal (2020)"}
    response = client.post(
        "/forums/new/",
        {"board": board.pk, "title": "Riz Ahmed deserves it", "body": "Career best.", "film": film.slug},
    )
    thread = Thread.objects.get(title="Riz Ahmed deserves it")
    assert response["Location"] == thread.get_absolute_url() and thread.film == film

    film_page = client.get(film.get_absolute_url())
    assert "Riz Ahmed deserves it" in page_text(film_page) and thread.get_absolute_url() in film_page.content.decode()
    thread_page = client.get(thread.get_absolute_url())
    assert "About Sound of Metal (2020)" in page_text(thread_page)
    assert f'href="{film.get_absolute_url()}"' in thread_page.content.decode()


def test_a_film_with_many_threads_links_to_all_of_them(client, board, author, settings):
    settings.FORUMS_POSTS_PER_MINUTE = settings.FORUMS_POSTS_PER_HOUR = 100
    film = FilmFactory(title="Minari", year=2020, slug="minari-2020")
    for i in range(7):
        services.thread_create(author=author, board=board, title=f"Minari thread {i}", body="b", film=film)
    assert "All threads about Minari" in page_text(client.get(film.get_absolute_url()))
    listing = page_text(client.get("/forums/search/?film=minari-2020"))
    assert "Threads about Minari" in listing and "7 threads" in listing


def test_board_default_for_a_film_thread_is_the_default_board(client, fan, other_board, board):
    film = FilmFactory(slug="nomadland-2020")
    client.force_login(fan)
    assert client.get(f"/forums/new/?film={film.slug}").context["form"].initial["board"] == board
    assert Board.objects.filter(is_default=True).get() == board


def test_home_page_shows_the_latest_threads(client, thread, reply):
    text = page_text(client.get("/"))
    assert "From the forums" in text and thread.title in text and "1 reply" in text


def test_home_page_without_threads_has_no_forum_section(client, db):
    assert "From the forums" not in page_text(client.get("/"))


def test_thread_pages_say_earlier_and_later(client, thread):
    bulk_posts(thread, 60)
    text = page_text(client.get(thread.get_absolute_url() + "?page=2"))
    assert "← Earlier" in text and "Later →" in text and "Newer" not in text


def test_the_report_queue_lists_only_posts_with_an_open_report(client, thread, reply, author, moderator):
    quiet = services.post_create(author=author, thread=thread, body="Nobody minds this one")
    dismissed = services.post_create(author=author, thread=thread, body="A dismissed report")
    services.post_report(reporter=member(), post=reply, reason="abuse", details="Rude")
    services.report_dismiss(
        moderator=moderator, report=services.post_report(reporter=member(), post=dismissed, reason="spam")
    )
    client.force_login(moderator)
    response = client.get("/forums/moderation/")
    text = page_text(response)
    assert "1 reported post, oldest first" in text
    assert "Minari could surprise." in text and "Harassment or abuse" in text and "“Rude”" in text
    assert quiet.source not in text and dismissed.source not in text and "Discuss." not in text
    assert "Dismissed report by Mod Squad" in text  # the log


def test_an_empty_report_queue_says_so(client, thread, moderator):
    client.force_login(moderator)
    assert "Nothing to review: no open reports." in page_text(client.get("/forums/moderation/"))
