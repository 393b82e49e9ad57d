"""Coalesced recompute requests: the odds of a category and the standings of a ceremony both use them.

A request sets a flag in the cache (Redis in production) and queues the task only if the flag was
not set: a burst of requests shares one run. The task clears the flag before it reads, so a request
made during a run queues the next one, and the last change is never lost. Nothing here raises: the
caller's change is committed and marked stale, and the periodic sweep catches up what a dead broker
or cache missed.

Each process also remembers when it queued a task itself. For the first half of that task's countdown a
request from the same process needs no round trip to the cache: Celery runs a task no earlier than its
countdown, so the queued run has not started, and it will read the change the request was made for
(requests are made once that change has committed). A ballot save pays for one Redis command instead of two
during a burst. The window assumes the web and worker machines' clocks agree to within half the countdown;
where they do not, the sweep catches up the change.
"""

import logging
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)

# flag -> time.monotonic() just before this process set it and queued its task.
_queued_here: dict[str, float] = {}


def recompute_request(task, *, flag: str, kwargs: dict, countdown: float, ttl: int, what: str) -> None:
    """Queue `task(**kwargs)` in `countdown` seconds unless one is already queued; inline when eager.
    Call once the change it is for has committed."""
    try:
        if task.app.conf.task_always_eager:
            task.delay(**kwargs)
            return
        asked_at = time.monotonic()
        if asked_at - _queued_here.get(flag, -countdown) < countdown / 2:
            return  # this process queued the run moments ago, and it has not started
        if cache.add(flag, 1, timeout=ttl):
            try:
                task.apply_async(kwargs=kwargs, countdown=countdown)
            except Exception:
                # Nothing was queued: drop the flag, so that the next request or the sweep asks again.
                cache.delete(flag)
                raise
            _queued_here[flag] = asked_at
    except Exception:
        logger.warning("Could not request %s", what, exc_info=True)


def recompute_started(*, flag: str, what: str) -> None:
    """Call first thing in the task: requests from now on queue another run."""
    _queued_here.pop(flag, None)  # when the task runs in the process that queued it (tests, a solo worker)
    try:
        cache.delete(flag)
    except Exception:
        logger.warning("Could not clear the request flag of %s", what, exc_info=True)


def requests_forget() -> None:
    """Forget which runs this process queued (tests: each starts with none)."""
    _queued_here.clear()
