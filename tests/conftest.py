import os

import pytest
from django.conf import settings
from django.db import transaction

from films.services import oscars_import

REAL_STACK = bool(os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL"))


def pytest_collection_modifyitems(config, items):
    if REAL_STACK:
        return
    skip = pytest.mark.skip(reason="needs DATABASE_URL (PostgreSQL) and REDIS_URL: the real stack")
    for item in items:
        if "realstack" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def eager_tasks(request):
    """Tasks run inline, as in the embedded default, except in tests about the real stack
    (marked realstack), which talk to a real broker and a real worker."""
    from config.celery_app import app

    if "realstack" in request.keywords:
        yield
        return
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture(autouse=True)
def fresh_process_caches():
    """Each test starts with no per-process caches (the ballot save rules, the closed rounds' picks of the
    leaderboard recompute, the recompute runs this process queued): tests roll back and SQLite reuses ids, so one
    test's rows could look like another's. (The token cache needs no clearing: every test's tokens are new random
    keys.)"""
    from config.coalesce import requests_forget
    from leaderboards.services import picks_cache_clear
    from predictions.services import save_rules_forget

    for clear in (save_rules_forget, picks_cache_clear, requests_forget):
        clear()
    yield
    for clear in (save_rules_forget, picks_cache_clear, requests_forget):
        clear()


@pytest.fixture(scope="module")
def oscars(django_db_setup, django_db_blocker):
    """The whole Academy Awards history, imported once per test module and rolled back after it.

    Tests that use it also take `db`, whose per-test transaction nests inside this one.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        report = oscars_import(path=settings.OSCARS_DATA_PATH)
        yield report
        transaction.set_rollback(True)


@pytest.fixture
def demo_catalogue(oscars, db):
    """The imported history plus the demo facts the data set lacks (credits, releases...)."""
    from films.services import demo_catalogue_load

    return demo_catalogue_load()
