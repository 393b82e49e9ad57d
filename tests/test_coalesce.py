"""Coalesced recompute requests (config.coalesce): one cache flag per burst, and no round trip at all for a
request made while this process's own queued run cannot have started."""

import types
import uuid

import pytest
from django.core.cache import cache

from config import coalesce


class FakeTask:
    """A task as recompute_request sees it, recording what it queues; Celery as in production (not eager)."""

    def __init__(self, *, fail=False):
        self.app = types.SimpleNamespace(conf=types.SimpleNamespace(task_always_eager=False))
        self.queued = []
        self.fail = fail

    def apply_async(self, **kwargs):
        if self.fail:
            raise ConnectionError("broker down")
        self.queued.append(kwargs)


class CountingCache:
    """The project's cache, counting the commands a request sends to it."""

    def __init__(self):
        self.commands = []

    def add(self, *args, **kwargs):
        self.commands.append("add")
        return cache.add(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self.commands.append("delete")
        return cache.delete(*args, **kwargs)


@pytest.fixture
def clock(monkeypatch):
    now = types.SimpleNamespace(value=1000.0)
    monkeypatch.setattr(coalesce.time, "monotonic", lambda: now.value)
    return now


@pytest.fixture
def counting(monkeypatch):
    counting = CountingCache()
    monkeypatch.setattr(coalesce, "cache", counting)
    return counting


@pytest.fixture
def flag():
    flag = f"test:scheduled:{uuid.uuid4().hex}"
    yield flag
    cache.delete(flag)


def ask(task, flag):
    coalesce.recompute_request(task, flag=flag, kwargs={"id": 1}, countdown=1.0, ttl=30, what="a test recompute")


def test_a_request_soon_after_this_process_queued_the_run_sends_nothing(clock, counting, flag):
    task = FakeTask()
    ask(task, flag)
    assert task.queued == [{"kwargs": {"id": 1}, "countdown": 1.0}]
    assert counting.commands == ["add"]

    clock.value += 0.4  # the run is due at +1.0 s at the earliest: it has not read yet
    ask(task, flag)
    assert counting.commands == ["add"]
    assert len(task.queued) == 1

    clock.value += 0.2  # past half the countdown: ask the cache again, which still holds the flag
    ask(task, flag)
    assert counting.commands == ["add", "add"]
    assert len(task.queued) == 1


def test_once_the_run_started_the_next_request_queues_another(clock, counting, flag):
    task = FakeTask()
    ask(task, flag)
    coalesce.recompute_started(flag=flag, what="a test recompute")  # the task, in this same process
    ask(task, flag)  # at the same instant: it must not be skipped, or its change would wait for the sweep
    assert len(task.queued) == 2
    assert counting.commands == ["add", "delete", "add"]


def test_a_request_queued_by_another_process_is_not_taken_for_ours(clock, counting, flag):
    cache.add(flag, 1, timeout=30)  # another web process queued the run
    task = FakeTask()
    ask(task, flag)
    ask(task, flag)
    assert task.queued == []
    assert counting.commands == ["add", "add"]  # every request asks the cache: when that run started is unknown


def test_a_run_the_broker_refused_is_not_remembered(clock, counting, flag):
    broken = FakeTask(fail=True)
    ask(broken, flag)  # logged, not raised
    assert cache.get(flag) is None  # the flag is dropped
    working = FakeTask()
    ask(working, flag)  # at the same instant: asked again, and queued
    assert working.queued == [{"kwargs": {"id": 1}, "countdown": 1.0}]
    assert counting.commands == ["add", "delete", "add"]
