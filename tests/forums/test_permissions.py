"""Who may do what, on the pages: anonymous, a fan, the post's author and a moderator against every write.

"author" wrote the post under test (a reply in someone else's thread); "fan" is any other member.
A refusal must change nothing; an allowed action must actually happen.
"""

import html

import pytest

from forums import services
from forums.models import ModerationAction, Post, Report, Thread
from tests.forums.conftest import member

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "fan", "author", "moderator"]
OK, LOGIN, FORBIDDEN, REFUSED = "ok", "login", "forbidden", "refused"

# action -> expected outcome per role
MATRIX = {
    "new_thread": {"anonymous": LOGIN, "fan": OK, "author": OK, "moderator": OK},
    "reply": {"anonymous": LOGIN, "fan": OK, "author": OK, "moderator": OK},
    "edit_form": {"anonymous": LOGIN, "fan": FORBIDDEN, "author": OK, "moderator": FORBIDDEN},
    "edit": {"anonymous": LOGIN, "fan": FORBIDDEN, "author": OK, "moderator": FORBIDDEN},
    "delete": {"anonymous": LOGIN, "fan": FORBIDDEN, "author": OK, "moderator": FORBIDDEN},
    "report": {"anonymous": LOGIN, "fan": OK, "author": REFUSED, "moderator": OK},
    "pin": {"anonymous": LOGIN, "fan": FORBIDDEN, "author": FORBIDDEN, "moderator": OK},
    "lock": {"anonymous": LOGIN, "fan": FORBIDDEN, "author": FORBIDDEN, "moderator": OK},
    "move": {"anonymous": LOGIN, "fan": FORBIDDEN, "author": FORBIDDEN, "moderator": OK},
    "remove_thread": {"anonymous": LOGIN, "fan": FORBIDDEN, "author": FORBIDDEN, "moderator": OK},
    "remove_post": {"anonymous": LOGIN, "fan": FORBIDDEN, "author": FORBIDDEN, "moderator": OK},
    "dismiss_report": {"anonymous": LOGIN, "fan": FORBIDDEN, "author": FORBIDDEN, "moderator": OK},
    "queue": {"anonymous": LOGIN, "fan": FORBIDDEN, "author": FORBIDDEN, "moderator": OK},
}


@pytest.fixture
def world(board, other_board):
    opener = member(display_name="Thread Opener")
    people = {"fan": member(display_name="Bystander"), "author": member(display_name="Post Writer")}
    people["moderator"] = member(display_name="Moderator", role="moderator")
    thread = services.thread_create(author=opener, board=board, title="Best Actor: who wins?", body="Discuss")
    post = services.post_create(author=people["author"], thread=thread, body="Riz Ahmed, *obviously*.")
    report = services.post_report(reporter=opener, post=post, reason="spoiler")
    return {"people": people, "thread": thread, "post": post, "report": report, "board": board, "other": other_board}


def request_for(action: str, w) -> tuple[str, str, dict]:
    t, p = w["thread"], w["post"]
    return {
        "new_thread": ("post", "/forums/new/", {"board": w["board"].pk, "title": "A brand new thread", "body": "Hi"}),
        "reply": ("post", f"/forums/t/{t.pk}/reply", {"body": "A reply"}),
        "edit_form": ("get", f"/forums/p/{p.pk}/edit", {}),
        "edit": ("post", f"/forums/p/{p.pk}/edit", {"body": "Rewritten"}),
        "delete": ("post", f"/forums/p/{p.pk}/delete", {}),
        "report": ("post", f"/forums/p/{p.pk}/report", {"reason": "abuse"}),
        "pin": ("post", f"/forums/t/{t.pk}/moderate", {"action": "pin"}),
        "lock": ("post", f"/forums/t/{t.pk}/moderate", {"action": "lock"}),
        "move": ("post", f"/forums/t/{t.pk}/moderate", {"action": "move", "board": w["other"].pk}),
        "remove_thread": ("post", f"/forums/t/{t.pk}/moderate", {"action": "remove", "reason": "Spam"}),
        "remove_post": ("post", f"/forums/p/{p.pk}/moderate", {"action": "remove", "reason": "Spoiler"}),
        "dismiss_report": ("post", f"/forums/reports/{w['report'].pk}/dismiss", {}),
        "queue": ("get", "/forums/moderation/", {}),
    }[action]


def snapshot(w) -> tuple:
    post = Post.objects.get(pk=w["post"].pk)
    thread = Thread.objects.get(pk=w["thread"].pk)
    return (
        Thread.objects.count(),
        Post.objects.count(),
        Report.objects.count(),
        Report.objects.open().count(),
        ModerationAction.objects.count(),
        (post.source, post.deleted_at, post.removed_at),
        (thread.board_id, thread.is_pinned, thread.is_locked, thread.removed_at),
    )


def happened(action: str, w) -> bool:
    post = Post.objects.get(pk=w["post"].pk)
    thread = Thread.objects.get(pk=w["thread"].pk)
    report = Report.objects.get(pk=w["report"].pk)
    return {
        "new_thread": Thread.objects.filter(title="A brand new thread").exists(),
        "reply": thread.posts.filter(source="A reply").exists(),
        "edit_form": True,
        "edit": post.source == "Rewritten" and post.edited_at is not None,
        "delete": post.deleted_at is not None,
        "report": Report.objects.filter(post=post, reason="abuse").exists(),
        "pin": thread.is_pinned,
        "lock": thread.is_locked,
        "move": thread.board_id == w["other"].pk,
        "remove_thread": thread.removed_at is not None,
        "remove_post": post.removed_at is not None and post.removed_reason == "Spoiler",
        "dismiss_report": report.resolution == Report.Resolution.DISMISSED,
        "queue": True,
    }[action]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(MATRIX))
def test_page_permission_matrix(client, world, action, role):
    expected = MATRIX[action][role]
    if role != "anonymous":
        client.force_login(world["people"][role])
    method, url, data = request_for(action, world)
    before = snapshot(world)
    response = getattr(client, method)(url, data)

    if expected == OK:
        assert response.status_code in (200, 302), (response.status_code, url)
        if response.status_code == 302:
            assert "/accounts/login/" not in response["Location"]
        assert happened(action, world)
        if action in ("pin", "lock", "move", "remove_thread", "remove_post", "dismiss_report"):
            assert ModerationAction.objects.filter(moderator=world["people"]["moderator"]).count() == 1
        return
    if expected == LOGIN:
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
    elif expected == FORBIDDEN:
        assert response.status_code == 403
    else:  # REFUSED: the service says why, on the form
        assert response.status_code == 400
        assert "You can't report your own post" in html.unescape(response.content.decode())
    assert snapshot(world) == before


# --- the same matrix through the API --------------------------------------------------------------

API_MATRIX = {action: row for action, row in MATRIX.items() if action != "edit_form"}  # the API has no forms
API_STATUS = {LOGIN: 401, FORBIDDEN: 403, REFUSED: 400}


def api_request_for(action: str, w) -> tuple[str, str, dict]:
    t, p = w["thread"], w["post"]
    moderate = f"/api/forums/threads/{t.pk}/moderation/"
    return {
        "new_thread": ("post", "/api/forums/boards/oscars/threads/", {"title": "A brand new thread", "body": "Hi"}),
        "reply": ("post", f"/api/forums/threads/{t.pk}/posts/", {"body": "A reply"}),
        "edit": ("patch", f"/api/forums/posts/{p.pk}/", {"body": "Rewritten"}),
        "delete": ("delete", f"/api/forums/posts/{p.pk}/", {}),
        "report": ("post", f"/api/forums/posts/{p.pk}/reports/", {"reason": "abuse"}),
        "pin": ("post", moderate, {"action": "pin"}),
        "lock": ("post", moderate, {"action": "lock"}),
        "move": ("post", moderate, {"action": "move", "board": w["other"].slug}),
        "remove_thread": ("post", moderate, {"action": "remove", "reason": "Spam"}),
        "remove_post": ("post", f"/api/forums/posts/{p.pk}/moderation/", {"action": "remove", "reason": "Spoiler"}),
        "dismiss_report": ("post", f"/api/forums/reports/{w['report'].pk}/dismiss/", {}),
        "queue": ("get", "/api/forums/reports/", {}),
    }[action]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(API_MATRIX))
def test_api_permission_matrix(world, action, role):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    if role != "anonymous":
        token = Token.objects.create(user=world["people"][role])
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    method, url, data = api_request_for(action, world)
    before = snapshot(world)
    response = getattr(client, method)(url, data, format="json") if data else getattr(client, method)(url)

    expected = API_MATRIX[action][role]
    if expected == OK:
        assert response.status_code in (200, 201, 204), (response.status_code, url, response.content[:300])
        assert happened(action, world)
        return
    assert response.status_code == API_STATUS[expected], (response.status_code, url, response.content[:300])
    if expected == REFUSED:
        assert "You can't report your own post" in str(response.json())
    assert snapshot(world) == before
