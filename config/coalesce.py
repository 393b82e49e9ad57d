"""Coalesced recompute requests: the odds of a category and the standings of a ceremony both use them.

A request sets a flag in the cache (Redis in production) and queues the task only if the flag was
not set: a burst of requests shares one run. The task clears the flag before it reads, so a request
made during a run queues the next one, and the last change is never lost. Nothing here raises: the
caller's change is committed and marked stale, and the periodic sweep catches up what a dead broker
or cache missed.
"""

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)


def recompute_request(task, *, flag: str, kwargs: dict, countdown: float, ttl: int, what: str) -> None:
    """Queue `task(**kwargs)` in `countdown` seconds unless one is already queued; inline when eager."""
    try:
        if task.app.conf.task_always_eager:
            task.delay(**kwargs)
        elif cache.add(flag, 1, timeout=ttl):
            try:
                task.apply_async(kwargs=kwargs, countdown=countdown)
            except Exception:
                # Nothing was queued: drop the flag, so that the next request or the sweep asks again.
                cache.delete(flag)
                raise
    except Exception:
        logger.warning("Could not request %s", what, exc_info=True)


def recompute_started(*, flag: str, what: str) -> None:
    """Call first thing in the task: requests from now on queue another run."""
    try:
        cache.delete(flag)
    except Exception:
        logger.warning("Could not clear the request flag of %s", what, exc_info=True)
