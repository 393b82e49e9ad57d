"""The forums API (forums/api.py): every endpoint, its error shapes and its query counts."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from forums import services
from forums.models import Board, ModerationAction, Post, Report, Thread
from tests.factories import CategoryFactory, FilmFactory, UserFactory

pytestmark = pytest.mark.django_db

A_MONTH_AGO = timedelta(days=30)


@pytest.fixture(autouse=True)
def api_clear_cache():
    """The posting limits are counted in the cache: every test starts with none used."""
    cache.clear()
    yield
    cache.clear()


def _member(**kwargs):
    kwargs.setdefault("date_joined", timezone.now() - A_MONTH_AGO)
    return UserFactory(**kwargs)


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def api_author():
    return _member(display_name="Api Author")


@pytest.fixture
def api_fan():
    return _member(display_name="Api Fan")


@pytest.fixture
def api_moderator():
    return _member(display_name="Api Mod", role="moderator")


@pytest.fixture
def api_board():
    return Board.objects.create(name="Api Oscars", slug="api-oscars", description="The race.", position=1)


@pytest.fixture
def api_other_board():
    return Board.objects.create(name="Api Off topic", slug="api-off-topic", position=2)


@pytest.fixture
def api_thread(api_board, api_author):
    return services.thread_create(
        author=api_author, board=api_board, title="Is Nomadland the frontrunner?", body="Discuss."
    )


@pytest.fixture
def api_reply(api_thread, api_fan):
    return services.post_create(author=api_fan, thread=api_thread, body="*Minari* could surprise.")


def _detail(response) -> list[str]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"detail"} and isinstance(body["detail"], list), body
    return body["detail"]


# ---------------------------------------------------------------------------------------------
# Reading


def test_boards_list(api_thread, api_board):
    response = _client().get("/api/forums/boards/")
    assert response.status_code == 200
    [board] = [row for row in response.json() if row["slug"] == api_board.slug]
    assert board["name"] == "Api Oscars" and board["description"] == "The race."
    assert board["thread_count"] == 1 and board["post_count"] == 1
    assert board["last_post_at"] is not None


def test_threads_list_pinned_first_then_activity_and_visible_only(api_board, api_author, api_moderator):
    old = services.thread_create(author=api_author, board=api_board, title="Old thread", body="one")
    pinned = services.thread_create(author=api_author, board=api_board, title="Pinned thread", body="two")
    new = services.thread_create(author=api_author, board=api_board, title="New thread", body="three")
    gone = services.thread_create(author=api_author, board=api_board, title="Removed thread", body="four")
    services.thread_pin(moderator=api_moderator, thread=pinned, pinned=True)
    services.thread_remove(moderator=api_moderator, thread=gone, reason="spam")
    services.post_create(author=api_author, thread=old, body="bump")  # old now has the newest activity

    response = _client().get(f"/api/forums/boards/{api_board.slug}/threads/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [row["id"] for row in body["results"]] == [pinned.pk, old.pk, new.pk]
    first = body["results"][0]
    assert first["board"] == api_board.slug and first["author"] == "Api Author" and first["is_pinned"] is True
    assert first["url"].endswith(pinned.get_absolute_url())

    searched = _client().get(f"/api/forums/boards/{api_board.slug}/threads/", {"q": "  new  "})
    assert [row["id"] for row in searched.json()["results"]] == [new.pk]


def test_threads_list_unknown_board_404():
    response = _client().get("/api/forums/boards/nope/threads/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such board."}


def test_thread_detail(api_board, api_author):
    film = FilmFactory(title="Nomadland")
    category = CategoryFactory(name="BEST PICTURE")
    thread = services.thread_create(
        author=api_author, board=api_board, title="About Nomadland", body="Go.", film=film, category=category
    )
    response = _client().get(f"/api/forums/threads/{thread.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["board"] == api_board.slug
    assert body["title"] == "About Nomadland" and body["author"] == "Api Author"
    assert body["film"] == {"slug": film.slug, "title": "Nomadland"}
    assert body["category"] == {"id": category.pk, "name": "BEST PICTURE"}
    assert body["is_pinned"] is False and body["is_locked"] is False
    assert body["post_count"] == 1 and body["last_post_at"]
    assert body["url"] == f"http://testserver{thread.get_absolute_url()}"


def test_removed_thread_404_for_members_visible_to_moderators(api_thread, api_fan, api_moderator):
    services.thread_remove(moderator=api_moderator, thread=api_thread, reason="Off topic")
    for client in (_client(), _client(api_fan)):
        assert client.get(f"/api/forums/threads/{api_thread.pk}/").status_code == 404
        assert client.get(f"/api/forums/threads/{api_thread.pk}/posts/").status_code == 404
    moderator = _client(api_moderator)
    response = moderator.get(f"/api/forums/threads/{api_thread.pk}/")
    assert response.status_code == 200 and response.json()["is_removed"] is True
    assert moderator.get(f"/api/forums/threads/{api_thread.pk}/posts/").status_code == 200


def test_posts_list_in_number_order_with_states(api_thread, api_author, api_fan, api_moderator):
    reply = services.post_create(author=api_fan, thread=api_thread, body="A reply")
    deleted = services.post_create(author=api_fan, thread=api_thread, body="Oops")
    removed = services.post_create(author=api_fan, thread=api_thread, body="Rude words")
    quoting = services.post_create(author=api_author, thread=api_thread, body="> A reply\n\nYes.", quote_of=reply)
    services.post_delete(user=api_fan, post=deleted)
    services.post_remove(moderator=api_moderator, post=removed, reason="Be kind")

    response = _client().get(f"/api/forums/threads/{api_thread.pk}/posts/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["number"] for row in rows] == [1, 2, 3, 4, 5]
    assert [row["state"] for row in rows] == ["visible", "visible", "deleted", "removed", "visible"]
    assert rows[1]["author"] == "Api Fan" and rows[1]["source"] == "A reply" and "<p>A reply</p>" in rows[1]["html"]
    assert rows[1]["created_at"] and rows[1]["edited_at"] is None
    for hidden in rows[2:4]:
        assert hidden["source"] is None and hidden["html"] is None
        assert hidden["removed_reason"] is None and hidden["removed_by"] is None
    assert rows[4]["id"] == quoting.pk and rows[4]["quote_of"] == reply.pk and rows[4]["quote_of_number"] == 2
    assert rows[0]["quote_of"] is None

    as_moderator = _client(api_moderator).get(f"/api/forums/threads/{api_thread.pk}/posts/").json()["results"]
    assert as_moderator[3]["source"] == "Rude words" and as_moderator[3]["html"]
    assert as_moderator[3]["removed_reason"] == "Be kind" and as_moderator[3]["removed_by"] == "Api Mod"
    assert as_moderator[2]["source"] is None  # deleted by its author: nobody reads it


@pytest.mark.parametrize("client_kind", ["anonymous", "member"])
def test_posts_list_query_count_is_fixed(api_board, api_author, api_fan, api_moderator, client_kind, settings):
    settings.FORUMS_POSTS_PER_MINUTE = settings.FORUMS_POSTS_PER_HOUR = 1000

    def thread_with(n):
        thread = services.thread_create(author=api_author, board=api_board, title=f"Thread of {n}", body="first")
        previous = Post.objects.get(thread=thread, number=1)
        for i in range(n - 1):
            author = (api_author, api_fan, api_moderator)[i % 3]
            previous = services.post_create(author=author, thread=thread, body=f"post {i}", quote_of=previous)
        services.post_remove(moderator=api_moderator, post=previous, reason="test")
        return thread

    small, large = thread_with(5), thread_with(50)
    client = _client(api_fan) if client_kind == "member" else _client()
    client.get("/api/forums/boards/")  # the token's user is cached after its first request (config.authentication)
    counts = []
    for thread in (small, large):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/api/forums/threads/{thread.pk}/posts/")
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert len(response.json()["results"]) == 50
    assert counts[0] == counts[1], counts


# ---------------------------------------------------------------------------------------------
# Writing


def test_thread_create(api_board, api_author):
    film = FilmFactory()
    category = CategoryFactory()
    response = _client(api_author).post(
        f"/api/forums/boards/{api_board.slug}/threads/",
        {"title": "  A   new   thread ", "body": "Hello **there**", "film": film.slug, "category": category.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    thread = Thread.objects.get(pk=body["id"])
    assert body["title"] == thread.title == "A new thread"
    assert body["film"]["slug"] == film.slug and body["category"]["id"] == category.pk
    assert body["board"] == api_board.slug and body["post_count"] == 1
    assert thread.posts.get().source == "Hello **there**"


def test_thread_create_without_subject(api_board, api_author):
    response = _client(api_author).post(
        f"/api/forums/boards/{api_board.slug}/threads/", {"title": "Just talk", "body": "Hi"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["film"] is None and response.json()["category"] is None


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"title": "abc", "body": "Hi"}, "title: Give the thread a title of at least 4 characters."),
        ({"title": "x" * 121, "body": "Hi"}, "title: Titles can be at most 120 characters (this one has 121)."),
        ({"title": "Fine title", "body": "x" * 100_000}, "body: Posts can be at most 10,000 characters"),
        ({"title": "Fine title", "body": "   "}, "body: Write something first: the post is empty."),
        ({"title": "Fine title", "body": "Hi", "film": "no-such-film"}, 'film: No film has the slug "no-such-film".'),
        ({"title": "Fine title", "body": "Hi", "category": 999999}, "category: No category has the id 999999."),
        ({"title": "Fine title", "body": "Hi", "category": "best"}, "category: Give a category's id (a number)."),
        ({"body": "Hi"}, "title: This field is required."),
    ],
)
def test_thread_create_400(api_board, api_author, payload, message):
    response = _client(api_author).post(f"/api/forums/boards/{api_board.slug}/threads/", payload, format="json")
    [detail] = _detail(response)
    assert detail.startswith(message), detail
    assert not Thread.objects.exists()


def test_thread_create_both_title_and_body_wrong_lists_both(api_board, api_author):
    response = _client(api_author).post(
        f"/api/forums/boards/{api_board.slug}/threads/", {"title": "", "body": ""}, format="json"
    )
    detail = _detail(response)
    assert len(detail) == 2
    assert detail[0].startswith("title: ") and detail[1].startswith("body: ")


def test_bad_json_and_non_object_bodies_400(api_board, api_author):
    client = _client(api_author)
    url = f"/api/forums/boards/{api_board.slug}/threads/"
    assert _detail(client.post(url, "{not json", content_type="application/json"))
    assert _detail(client.post(url, [1, 2], format="json"))


def test_reply(api_thread, api_fan):
    first = api_thread.posts.get()
    response = _client(api_fan).post(
        f"/api/forums/threads/{api_thread.pk}/posts/", {"body": "Me too", "quote_of": first.pk}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == 2 and body["author"] == "Api Fan" and body["quote_of"] == first.pk
    assert body["state"] == "visible" and body["source"] == "Me too"
    api_thread.refresh_from_db()
    assert api_thread.post_count == 2


def test_reply_quote_unknown_or_from_another_thread_400(api_thread, api_board, api_author, api_fan):
    other = services.thread_create(author=api_author, board=api_board, title="Another one", body="Elsewhere")
    client = _client(api_fan)
    url = f"/api/forums/threads/{api_thread.pk}/posts/"
    assert _detail(client.post(url, {"body": "Hi", "quote_of": 987654}, format="json")) == [
        "quote_of: No post has the id 987654."
    ]
    assert _detail(client.post(url, {"body": "Hi", "quote_of": other.posts.get().pk}, format="json")) == [
        "You can only quote a visible post of this thread."
    ]
    assert api_thread.posts.count() == 1


def test_locked_thread_refuses_fans_not_moderators(api_thread, api_fan, api_moderator):
    services.thread_lock(moderator=api_moderator, thread=api_thread, locked=True)
    url = f"/api/forums/threads/{api_thread.pk}/posts/"
    assert _detail(_client(api_fan).post(url, {"body": "Let me in"}, format="json")) == [
        "This thread is locked: it takes no new replies."
    ]
    assert _client(api_moderator).post(url, {"body": "Locked for a reason."}, format="json").status_code == 201


def test_script_in_body_is_sanitized_in_html(api_thread, api_fan):
    payload = "Hello <script>alert('x')</script> <img src=x onerror=alert(1)> [a](javascript:alert(1))"
    response = _client(api_fan).post(f"/api/forums/threads/{api_thread.pk}/posts/", {"body": payload}, format="json")
    assert response.status_code == 201
    html = response.json()["html"]
    assert "<script" not in html.lower()
    tags = re.findall(r"<[^>]+>", html)
    assert tags and not [tag for tag in tags if re.search(r"script|onerror|javascript:|<img", tag, re.I)], tags
    listed = _client().get(f"/api/forums/threads/{api_thread.pk}/posts/").json()["results"][-1]
    assert listed["html"] == html
    assert listed["source"] == payload  # the source is data, returned as written (JSON, not HTML)


def test_new_account_first_posts_cannot_link(api_thread, settings):
    settings.FORUMS_NEW_ACCOUNT_LINKFREE_POSTS = 3
    newcomer = UserFactory(display_name="Newcomer")
    client = _client(newcomer)
    url = f"/api/forums/threads/{api_thread.pk}/posts/"
    detail = _detail(client.post(url, {"body": "Cheap [pills](https://spam.example)"}, format="json"))
    assert detail == ["body: New members can add links after their first 3 posts. Remove the links for now."]
    for i in range(3):
        assert client.post(url, {"body": f"Plain post {i}"}, format="json").status_code == 201
    assert client.post(url, {"body": "Now [a link](https://example.com) is fine"}, format="json").status_code == 201


def test_rate_limit_429_with_retry_after(api_thread, api_fan, settings):
    settings.FORUMS_POSTS_PER_MINUTE = 2
    client = _client(api_fan)
    url = f"/api/forums/threads/{api_thread.pk}/posts/"
    for i in range(2):
        assert client.post(url, {"body": f"Post {i}"}, format="json").status_code == 201
    response = client.post(url, {"body": "One too many"}, format="json")
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60
    detail = response.json()["detail"]
    assert detail.startswith("You can write 2 posts per minute. Try again in ")
    assert "Expected available" not in detail
    assert api_thread.posts.count() == 3


def test_rate_limit_applies_to_new_threads(api_board, api_author, settings):
    settings.FORUMS_POSTS_PER_MINUTE = 1
    client = _client(api_author)
    url = f"/api/forums/boards/{api_board.slug}/threads/"
    assert client.post(url, {"title": "First thread", "body": "a"}, format="json").status_code == 201
    response = client.post(url, {"title": "Second thread", "body": "b"}, format="json")
    assert response.status_code == 429 and response.has_header("Retry-After")


def test_edit_own_post(api_reply, api_fan):
    response = _client(api_fan).patch(f"/api/forums/posts/{api_reply.pk}/", {"body": "Second thoughts"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["source"] == "Second thoughts" and body["edited_at"] is not None
    api_reply.refresh_from_db()
    assert api_reply.source == "Second thoughts"


def test_edit_too_long_400(api_reply, api_fan):
    [detail] = _detail(_client(api_fan).patch(f"/api/forums/posts/{api_reply.pk}/", {"body": "y" * 100_000}))
    assert detail.startswith("body: Posts can be at most 10,000 characters")


def test_delete_own_post(api_reply, api_fan):
    response = _client(api_fan).delete(f"/api/forums/posts/{api_reply.pk}/")
    assert response.status_code == 204
    api_reply.refresh_from_db()
    assert api_reply.deleted_at is not None
    assert _detail(_client(api_fan).delete(f"/api/forums/posts/{api_reply.pk}/")) == ["This post is deleted."]


@pytest.mark.parametrize("who", ["api_author", "api_moderator"])
def test_nobody_edits_or_deletes_another_s_post(api_reply, who, request):
    client = _client(request.getfixturevalue(who))
    edit = client.patch(f"/api/forums/posts/{api_reply.pk}/", {"body": "Hijacked"}, format="json")
    assert edit.status_code == 403
    assert edit.json() == {"detail": "You can only edit your own posts."}
    delete = client.delete(f"/api/forums/posts/{api_reply.pk}/")
    assert delete.status_code == 403
    assert delete.json() == {"detail": "You can only delete your own posts."}
    api_reply.refresh_from_db()
    assert api_reply.source == "*Minari* could surprise." and api_reply.deleted_at is None


def test_unknown_post_404(api_fan):
    assert _client(api_fan).patch("/api/forums/posts/999999/", {"body": "x"}, format="json").status_code == 404
    assert _client(api_fan).delete("/api/forums/posts/999999/").status_code == 404


def test_report_post(api_reply, api_author):
    response = _client(api_author).post(
        f"/api/forums/posts/{api_reply.pk}/reports/", {"reason": "spoiler", "details": "The ending!"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["post"] == api_reply.pk and body["thread"] == api_reply.thread_id
    assert body["reason"] == "spoiler" and body["details"] == "The ending!" and body["reporter"] == "Api Author"
    assert Report.objects.open().count() == 1
    again = _client(api_author).post(f"/api/forums/posts/{api_reply.pk}/reports/", {"reason": "spam"}, format="json")
    assert _detail(again) == ["You have already reported this post; a moderator will look at it."]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"reason": "boring"}, 'reason: "boring" is not a reason: use one of spam, abuse, spoiler, off_topic, other.'),
        ({}, "reason: This field is required."),
        ({"reason": "other"}, "details: Say why, for the moderation log and the member."),
        ({"reason": "other", "details": "x" * 501}, "details: Keep it to 500 characters (this has 501)."),
    ],
)
def test_report_400(api_reply, api_author, payload, message):
    response = _client(api_author).post(f"/api/forums/posts/{api_reply.pk}/reports/", payload, format="json")
    assert _detail(response) == [message]
    assert not Report.objects.exists()


def test_report_in_removed_thread_404(api_reply, api_author, api_moderator):
    services.thread_remove(moderator=api_moderator, thread=api_reply.thread, reason="gone")
    response = _client(api_author).post(f"/api/forums/posts/{api_reply.pk}/reports/", {"reason": "spam"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("method", "url", "payload"),
    [
        ("post", "/api/forums/boards/{board}/threads/", {"title": "Anonymous", "body": "Hi"}),
        ("post", "/api/forums/threads/{thread}/posts/", {"body": "Hi"}),
        ("patch", "/api/forums/posts/{post}/", {"body": "Hi"}),
        ("delete", "/api/forums/posts/{post}/", None),
        ("post", "/api/forums/posts/{post}/reports/", {"reason": "spam"}),
        ("post", "/api/forums/threads/{thread}/moderation/", {"action": "pin"}),
        ("post", "/api/forums/posts/{post}/moderation/", {"action": "remove", "reason": "x"}),
        ("get", "/api/forums/reports/", None),
        ("post", "/api/forums/reports/{report}/dismiss/", None),
    ],
)
def test_anonymous_writes_401(api_reply, api_author, method, url, payload):
    report = services.post_report(reporter=api_author, post=api_reply, reason="spam")
    url = url.format(board=api_reply.thread.board.slug, thread=api_reply.thread_id, post=api_reply.pk, report=report.pk)
    response = getattr(_client(), method)(url, payload, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert Post.objects.count() == 2 and not ModerationAction.objects.exists()


def test_session_authentication_works_too(api_thread, api_fan):
    client = APIClient()
    client.force_login(api_fan)
    response = client.post(f"/api/forums/threads/{api_thread.pk}/posts/", {"body": "By session"}, format="json")
    assert response.status_code == 201


def test_session_write_needs_csrf(api_thread, api_fan):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(api_fan)
    response = client.post(f"/api/forums/threads/{api_thread.pk}/posts/", {"body": "By session"}, format="json")
    assert response.status_code == 403
    assert api_thread.posts.count() == 1


# ---------------------------------------------------------------------------------------------
# Moderation


@pytest.mark.parametrize(
    ("method", "url", "payload"),
    [
        ("post", "/api/forums/threads/{thread}/moderation/", {"action": "lock"}),
        ("post", "/api/forums/posts/{post}/moderation/", {"action": "remove", "reason": "x"}),
        ("get", "/api/forums/reports/", None),
        ("post", "/api/forums/reports/{report}/dismiss/", None),
    ],
)
def test_moderation_is_for_moderators(api_reply, api_author, api_fan, method, url, payload):
    report = services.post_report(reporter=api_author, post=api_reply, reason="spam")
    url = url.format(thread=api_reply.thread_id, post=api_reply.pk, report=report.pk)
    response = getattr(_client(api_fan), method)(url, payload, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Only moderators can do that."}
    assert not ModerationAction.objects.exists() and Report.objects.open().count() == 1


@pytest.mark.parametrize(
    ("action", "check"),
    [
        ("pin", lambda t: t.is_pinned),
        ("lock", lambda t: t.is_locked),
        ("remove", lambda t: t.is_removed),
    ],
)
def test_thread_moderation(api_thread, api_moderator, action, check):
    response = _client(api_moderator).post(
        f"/api/forums/threads/{api_thread.pk}/moderation/", {"action": action, "reason": "Because"}, format="json"
    )
    assert response.status_code == 200, response.content
    api_thread.refresh_from_db()
    assert check(api_thread)
    assert ModerationAction.objects.get().reason == "Because"


def test_thread_unpin_unlock_restore(api_thread, api_moderator):
    services.thread_pin(moderator=api_moderator, thread=api_thread, pinned=True)
    services.thread_lock(moderator=api_moderator, thread=api_thread, locked=True)
    services.thread_remove(moderator=api_moderator, thread=api_thread, reason="Oops")
    client = _client(api_moderator)
    for action in ("unpin", "unlock", "restore"):
        response = client.post(f"/api/forums/threads/{api_thread.pk}/moderation/", {"action": action}, format="json")
        assert response.status_code == 200, response.content
    body = response.json()
    assert body["is_pinned"] is False and body["is_locked"] is False and body["is_removed"] is False


def test_thread_move(api_thread, api_board, api_other_board, api_moderator):
    client = _client(api_moderator)
    url = f"/api/forums/threads/{api_thread.pk}/moderation/"
    response = client.post(url, {"action": "move", "board": api_other_board.slug}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["board"] == api_other_board.slug
    api_other_board.refresh_from_db()
    assert api_other_board.thread_count == 1
    assert _detail(client.post(url, {"action": "move"}, format="json")) == [
        "board: Choose the board to move the thread to."
    ]
    assert _detail(client.post(url, {"action": "move", "board": "nowhere"}, format="json")) == [
        'board: No board has the slug "nowhere".'
    ]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"action": "explode"}, 'action: "explode" is not an action: use one of pin, unpin, lock, unlock, move, '),
        ({"action": "remove"}, "reason: Say why, for the moderation log and the member."),
        ({"action": "restore"}, "This thread is not removed."),
    ],
)
def test_thread_moderation_400(api_thread, api_moderator, payload, message):
    response = _client(api_moderator).post(f"/api/forums/threads/{api_thread.pk}/moderation/", payload, format="json")
    [detail] = _detail(response)
    assert detail.startswith(message), detail


def test_post_moderation_remove_and_restore(api_reply, api_author, api_moderator):
    services.post_report(reporter=api_author, post=api_reply, reason="abuse")
    client = _client(api_moderator)
    url = f"/api/forums/posts/{api_reply.pk}/moderation/"
    response = client.post(url, {"action": "remove", "reason": "Be kind"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "removed" and body["removed_reason"] == "Be kind" and body["source"]
    assert not Report.objects.open().exists()
    assert _detail(client.post(url, {"action": "remove", "reason": "again"}, format="json")) == [
        "This post is already removed."
    ]
    assert _detail(client.post(url, {"action": "pin"}, format="json")) == [
        'action: "pin" is not an action: a post can be removed or restored.'
    ]
    response = client.post(url, {"action": "restore"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "visible"


def test_reports_list_and_dismiss(api_reply, api_author, api_thread, api_moderator):
    report = services.post_report(reporter=api_author, post=api_reply, reason="spoiler", details="Ending")
    closed = services.post_report(reporter=api_moderator, post=api_thread.posts.get(number=1), reason="spam")
    services.report_dismiss(moderator=api_moderator, report=closed)
    client = _client(api_moderator)
    response = client.get("/api/forums/reports/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [row] = body["results"]
    assert row["id"] == report.pk and row["post"] == api_reply.pk and row["thread"] == api_thread.pk
    assert row["reason"] == "spoiler" and row["details"] == "Ending" and row["reporter"] == "Api Author"
    assert row["created_at"]

    dismissed = client.post(f"/api/forums/reports/{report.pk}/dismiss/")
    assert dismissed.status_code == 200
    assert dismissed.json()["resolution"] == "dismissed"
    assert client.get("/api/forums/reports/").json()["count"] == 0
    assert _detail(client.post(f"/api/forums/reports/{report.pk}/dismiss/")) == ["This report is already closed."]
    assert client.post("/api/forums/reports/999999/dismiss/").status_code == 404


# ---------------------------------------------------------------------------------------------
# Schema


def test_schema_includes_forum_paths():
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/forums/boards/",
        "/api/forums/boards/{slug}/threads/",
        "/api/forums/threads/{thread_id}/",
        "/api/forums/threads/{thread_id}/posts/",
        "/api/forums/threads/{thread_id}/moderation/",
        "/api/forums/posts/{post_id}/",
        "/api/forums/posts/{post_id}/reports/",
        "/api/forums/posts/{post_id}/moderation/",
        "/api/forums/reports/",
        "/api/forums/reports/{report_id}/dismiss/",
    ):
        assert path in paths, path
    create = paths["/api/forums/boards/{slug}/threads/"]["post"]
    assert {"201", "400", "401", "429"} <= set(create["responses"])


@pytest.mark.parametrize("field", ["quote_of", "category"])
def test_out_of_range_ids_are_400_not_500(api_thread, api_fan, field):
    client = _client(api_fan)
    if field == "quote_of":
        response = client.post(
            f"/api/forums/threads/{api_thread.pk}/posts/", {"body": "Hi", "quote_of": 10**30}, format="json"
        )
    else:
        response = client.post(
            f"/api/forums/boards/{api_thread.board.slug}/threads/",
            {"title": "Big ids", "body": "Hi", "category": 10**30},
            format="json",
        )
    [detail] = _detail(response)
    assert detail.startswith(f"{field}: No ")


def test_out_of_range_path_ids_404(api_fan):
    huge = 10**30
    assert _client().get(f"/api/forums/threads/{huge}/").status_code == 404
    assert _client().get(f"/api/forums/threads/{huge}/posts/").status_code == 404
    assert _client(api_fan).patch(f"/api/forums/posts/{huge}/", {"body": "x"}, format="json").status_code == 404


def test_search_too_long_400(api_board):
    [detail] = _detail(_client().get(f"/api/forums/boards/{api_board.slug}/threads/", {"q": "x" * 101}))
    assert detail.startswith("q: ")


def test_moderator_reply_to_removed_thread_400(api_thread, api_moderator):
    services.thread_remove(moderator=api_moderator, thread=api_thread, reason="Gone")
    response = _client(api_moderator).post(
        f"/api/forums/threads/{api_thread.pk}/posts/", {"body": "Hello?"}, format="json"
    )
    assert _detail(response) == ["This thread was removed by a moderator: it takes no replies."]
