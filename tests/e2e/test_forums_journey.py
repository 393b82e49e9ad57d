"""A member writes a Markdown reply carrying script payloads, sees it rendered harmlessly, and a moderator
removes it: the member then sees only the removal notice, and the moderation log has the action."""

from pathlib import Path

import pytest
from django.core.cache import cache

from forums.models import Board, ModerationAction, Post
from forums.services import thread_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path("/tmp")
REASON = "Script injection attempt"
PAYLOADS = [
    "<script>window.__xss = 1</script>",
    '<img src=x onerror="window.__xss=2">',
    "[click](javascript:window.__xss=3)",
]
REPLY = "\n\n".join(["I *really* think **Nomadland** takes it.", "- The Father\n- Minari", *PAYLOADS])

# Everything about the post body that would make it dangerous, read from the live DOM.
INSPECT_BODY = """body => ({
    html: body.innerHTML,
    text: body.innerText,
    scripts: body.querySelectorAll('script').length,
    images: body.querySelectorAll('img').length,
    em: [...body.querySelectorAll('em')].map(e => e.textContent),
    strong: [...body.querySelectorAll('strong')].map(e => e.textContent),
    items: [...body.querySelectorAll('li')].map(e => e.textContent),
    handlers: [...body.querySelectorAll('*')].flatMap(
        e => [...e.attributes].filter(a => a.name.toLowerCase().startsWith('on')).map(a => e.tagName + ' ' + a.name)
    ),
    hrefs: [...body.querySelectorAll('[href], [src], [action], [formaction]')].map(
        e => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action') || e.getAttribute('formaction')
    ),
})"""


def _screenshot(page, name: str) -> None:
    """For people to look at; never fails the test."""
    try:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"forums-e2e-{name}.png"), full_page=True)
    except Exception:  # noqa: BLE001 (a screenshot is a courtesy, not an assertion)
        pass


def _log_in(page, base, email):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", "correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def _new_page(browser, dialogs: list):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)

    def on_dialog(dialog):
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return context, page


@pytest.fixture
def forum(db):
    cache.clear()  # the posting rate limits are counted in the cache
    board = Board.objects.create(name="Best Picture", slug="best-picture", description="The big one.")
    opener = UserFactory(email="opener@example.com", display_name="Thread Opener")
    thread = thread_create(
        author=opener, board=board, title="Who wins Best Picture?", body="Place your bets: who takes it this year?"
    )
    member = UserFactory(email="member@example.com", display_name="Keen Member")
    moderator = UserFactory(email="mod@example.com", display_name="Calm Moderator", role="moderator")
    return {"thread": thread, "member": member, "moderator": moderator}


def test_a_script_laden_reply_renders_harmlessly_and_a_moderator_removes_it(live_server, browser, forum):
    thread, member, moderator = forum["thread"], forum["member"], forum["moderator"]
    thread_url = f"{live_server.url}{thread.get_absolute_url()}"
    dialogs: list[str] = []
    member_context, member_page = _new_page(browser, dialogs)
    moderator_context, moderator_page = _new_page(browser, dialogs)
    try:
        # 1. The member replies with Markdown and payloads, and sees it rendered harmlessly.
        _log_in(member_page, live_server.url, "member@example.com")
        member_page.goto(thread_url)
        member_page.get_by_label("Your post").fill(REPLY)
        member_page.get_by_role("button", name="Post reply").click()
        member_page.wait_for_url(lambda url: "#post-2" in url)
        member_page.wait_for_load_state("load")

        reply = Post.objects.get(thread=thread, number=2)
        assert reply.author == member
        assert reply.source == REPLY

        post = member_page.locator("article#post-2")
        body = post.locator(".post-body")
        assert "Keen Member" in post.locator(".post-author").inner_text()
        seen = body.evaluate(INSPECT_BODY)
        assert seen["em"] == ["really"]
        assert seen["strong"] == ["Nomadland"]
        assert seen["items"] == ["The Father", "Minari"]
        assert seen["scripts"] == 0, seen["html"]
        assert seen["images"] == 0, seen["html"]
        assert seen["handlers"] == [], seen["html"]
        assert not [href for href in seen["hrefs"] if "javascript:" in href.lower().replace(" ", "")], seen["hrefs"]
        # Escaped raw HTML shows as text (or is dropped); it is never markup.
        for payload in PAYLOADS[:2]:
            assert payload not in seen["html"], seen["html"]
        # The whole page ran no payload and opened no dialog.
        assert member_page.evaluate("typeof window.__xss") == "undefined"
        assert member_page.evaluate("document.querySelectorAll('#main script:not([src])').length") == 0

        # "click" as a link (if it were one) goes nowhere dangerous: click it or its text.
        link = body.get_by_role("link", name="click")
        target = link.first if link.count() else body.get_by_text("click", exact=False).first
        target.click()
        member_page.wait_for_timeout(300)
        assert member_page.evaluate("typeof window.__xss") == "undefined"
        assert dialogs == []
        _screenshot(member_page, "1-member-reply")

        # 2. A moderator, in another browser context, removes the post with a reason.
        _log_in(moderator_page, live_server.url, "mod@example.com")
        moderator_page.goto(thread_url)
        moderator_page.get_by_label("Reason for removing post 2").fill(REASON)
        moderator_page.locator("article#post-2").get_by_role("button", name="Remove").click()
        moderator_page.wait_for_load_state("load")
        assert "Post removed." in moderator_page.locator(".messages").inner_text()
        moderated = moderator_page.locator("article#post-2")
        assert "This post was removed by a moderator" in moderated.locator(".post-notice").inner_text()
        assert REASON in moderated.locator(".post-notice").inner_text()
        removed_box = moderated.locator(".post-body-removed")
        assert "Nomadland" in removed_box.inner_text()
        assert removed_box.evaluate("e => getComputedStyle(e).borderTopStyle") == "dashed"
        assert moderated.get_by_role("button", name="Restore").is_visible()
        assert moderator_page.evaluate("typeof window.__xss") == "undefined"
        _screenshot(moderator_page, "2-moderator-removed")

        # 3. The member reloads: only the notice is left, none of the text.
        member_page.reload()
        post = member_page.locator("article#post-2")
        assert "This post was removed by a moderator" in post.inner_text()
        assert post.locator(".post-body").count() == 0
        assert REASON not in post.inner_text()
        posts_text = member_page.locator(".post-list").inner_text()
        for gone in ("Nomadland", "window.__xss", "The Father", "click"):
            assert gone not in posts_text
        assert "window.__xss" not in member_page.content()
        assert member_page.evaluate("typeof window.__xss") == "undefined"
        assert dialogs == []
        _screenshot(member_page, "3-member-sees-removal")
    finally:
        member_context.close()
        moderator_context.close()

    # 4. The database has the removal and the moderation log its action.
    reply.refresh_from_db()
    assert reply.removed_at is not None
    assert reply.removed_by == moderator
    assert reply.removed_reason == REASON
    action = ModerationAction.objects.get(post=reply)
    assert action.kind == ModerationAction.Kind.REMOVE_POST
    assert action.moderator == moderator
    assert action.thread == thread
    assert action.reason == REASON
