"""seed_demo_forums on the real catalogue and a small demo season: boards, lively threads, moderation, and
nothing that gives the held-back 93rd winners away."""

import re
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction

from accounts.models import User
from films.models import Category, Contender, ContenderFilm, Film
from forums.demo import MODERATOR_ACCOUNT
from forums.models import Board, ModerationAction, Post, Report, Thread
from predictions.demo import demo_season_seed

WON = re.compile(r"\bwon\b(?!['’]t)", re.IGNORECASE)


def seed_forums() -> str:
    out = StringIO()
    call_command("seed_demo_forums", stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def clean_cache():
    """The posting limits are counted in the cache (tests/forums/conftest.py clears it around each test too)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="module")
def seeded(oscars, django_db_blocker):
    """make demo in small: the catalogue's demo facts, a small season, then the forums, once per module (rolled back
    after it). Returns the command's output and the names of the real 93rd winners, read before the season hides
    them."""
    from films.services import demo_catalogue_load

    with django_db_blocker.unblock(), transaction.atomic():
        cache.clear()
        demo_catalogue_load()
        winners = Contender.objects.filter(
            category__ceremony__show__slug="academy-awards",
            category__ceremony__number=93,
            category__award_class__in=Category.COMPETITIVE_CLASSES,
            is_winner=True,
        )
        names = set(winners.values_list("name", flat=True))
        names |= set(ContenderFilm.objects.filter(contender__in=winners).values_list("film__title", flat=True))
        demo_season_seed(fans=40, experts=4, editors=3)
        output = seed_forums()
        yield {"output": output, "winners": names}
        transaction.set_rollback(True)


# First in the module: the module-scoped catalogue is not loaded yet (pytest runs a module's tests in order).
def test_without_the_catalogue_it_still_creates_boards_and_threads(db):
    assert not Film.objects.exists()
    output = seed_forums()
    assert "Not in the catalogue" in output and "sound-of-metal-2020" in output
    assert Board.objects.count() == 5
    assert Thread.objects.count() >= 8 and not Thread.objects.filter(film__isnull=False).exists()
    assert Report.objects.open().count() == 1


def test_creates_the_boards_in_order_and_prints_a_summary(seeded, db):
    slugs = list(Board.objects.values_list("slug", flat=True))
    assert slugs == ["oscars", "emmys", "film-talk", "off-topic", "site-feedback"]
    assert Board.objects.get(is_default=True).slug == "oscars"
    assert all(Board.objects.values_list("description", flat=True))
    assert re.search(r"5 boards, \d+ threads, \d+ posts", seeded["output"])
    assert f"{MODERATOR_ACCOUNT['email']} / {MODERATOR_ACCOUNT['password']}" in seeded["output"]
    assert "Not in the catalogue" not in seeded["output"]


def test_moderator_account_can_sign_in_and_moderate(seeded, client, db):
    moderator = User.objects.get(email=MODERATOR_ACCOUNT["email"])
    assert moderator.can_moderate and moderator.display_name == "Demo Moderator"
    assert client.login(email=MODERATOR_ACCOUNT["email"], password=MODERATOR_ACCOUNT["password"])


def test_threads_are_about_sound_of_metal_and_the_93rd_categories(seeded, db):
    assert Thread.objects.filter(film__slug="sound-of-metal-2020").count() >= 3
    linked = set(Thread.objects.filter(category__isnull=False).values_list("category__slug", flat=True))
    assert {"best-picture", "actor-in-a-leading-role", "sound"} <= linked
    assert set(Category.objects.filter(threads__isnull=False).values_list("ceremony__number", flat=True)) == {93}
    assert Thread.objects.filter(film__isnull=False).exclude(board__slug="oscars").count() == 0


def test_threads_are_lively_and_written_by_the_demo_accounts(seeded, db):
    counts = list(Thread.objects.values_list("post_count", flat=True))
    assert 8 <= len(counts) <= 14
    assert max(counts) > 50  # the megathread: three pages at 25 a page
    assert min(counts) >= 5
    authors = set(Post.objects.values_list("author__email", flat=True))
    assert {"demo@frontrunner.local", "editor@frontrunner.local", MODERATOR_ACCOUNT["email"]} <= authors
    assert sum(email.endswith("@demo.frontrunner.local") for email in authors) >= 12
    assert Post.objects.filter(quote_of__isnull=False, source__startswith="> **").exists()
    assert Post.objects.filter(html__contains="<li>").exists() and Post.objects.filter(html__contains="<em>").exists()


def test_moderation_pinned_locked_removed_and_an_open_report(seeded, db):
    pinned = Thread.objects.get(is_pinned=True)
    assert pinned.title.startswith("Forum rules")
    locked = Thread.objects.get(is_locked=True)
    removed = Post.objects.get(removed_at__isnull=False)
    assert removed.removed_reason and removed.removed_by.email == MODERATOR_ACCOUNT["email"]
    assert Report.objects.open().count() == 1
    assert Report.objects.get(post=removed).resolution == Report.Resolution.REMOVED
    kinds = dict(ModerationAction.objects.values_list("kind", "thread_id"))
    assert kinds == {"pin": pinned.pk, "lock": locked.pk, "remove_post": removed.thread_id}
    assert ModerationAction.objects.get(kind="lock").reason


def test_counters_equal_recounts(seeded, db):
    for thread in Thread.objects.all():
        visible = Post.objects.visible().filter(thread=thread)
        assert thread.post_count == visible.count()
        assert thread.last_number == thread.posts.count()
        assert thread.last_post_at == visible.order_by("-number").first().created_at
    for board in Board.objects.all():
        threads = Thread.objects.visible().filter(board=board)
        assert board.thread_count == threads.count()
        assert board.post_count == Post.objects.visible().filter(thread__in=threads).count()
        assert board.last_thread == threads.order_by("-last_post_at").first()


def test_posts_are_in_order_over_the_last_days(seeded, db):
    for thread in Thread.objects.all():
        times = list(thread.posts.order_by("number").values_list("created_at", flat=True))
        assert times == sorted(times) and times[0] == thread.created_at
    first, last = Post.objects.order_by("created_at").values_list("created_at", flat=True)[:: Post.objects.count() - 1]
    assert 7 <= (last - first).days <= 10


def test_no_post_says_a_real_winner_won(seeded, db):
    winners = seeded["winners"]
    assert {"Anthony Hopkins", "Nomadland", "Sound of Metal"} <= winners  # the test reads the real results
    for source in Post.objects.values_list("source", flat=True):
        if WON.search(source):
            assert not [name for name in winners if re.search(rf"\b{re.escape(name)}\b", source)], source
    # and the forums leave the held-back winners held back
    competitive = Contender.objects.filter(
        category__ceremony__number=93, category__award_class__in=Category.COMPETITIVE_CLASSES
    )
    assert not competitive.filter(is_winner=True).exists()


def test_running_it_twice_changes_nothing(seeded, db):
    before = (Board.objects.count(), Thread.objects.count(), Post.objects.count(), Report.objects.count())
    output = seed_forums()
    assert "nothing to do" in output
    assert (Board.objects.count(), Thread.objects.count(), Post.objects.count(), Report.objects.count()) == before


def test_film_page_lists_a_demo_thread_and_the_thread_renders(seeded, client, db):
    response = client.get("/films/sound-of-metal-2020/")
    assert response.status_code == 200
    thread = Thread.objects.filter(film__slug="sound-of-metal-2020").order_by("-last_post_at").first()
    assert thread.title in response.content.decode()
    page = client.get(thread.get_absolute_url())
    assert page.status_code == 200
    assert thread.posts.get(number=1).html in page.content.decode()
    longest = Thread.objects.order_by("-post_count").first()
    assert client.get(longest.get_absolute_url(), {"page": 3}).status_code == 200
