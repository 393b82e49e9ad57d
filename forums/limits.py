"""Posting rate limits, counted in the cache so that they hold across web processes (Redis in production).

Fixed windows per user: a short burst window and an hourly one, with a lower hourly limit for accounts
younger than FORUMS_NEW_ACCOUNT_HOURS. The services call `post_allowance_take` after a post has passed
every other check, so a rejected post does not use up the allowance. django-ratelimit counts requests
in a view; these limits belong to the posting service (pages and API alike) and to a user, not a request,
which is why they are these few lines here.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Window:
    seconds: int
    limit: int


class RateLimited(Exception):  # noqa: N818 (reads as the condition, like Django's PermissionDenied)
    def __init__(self, *, retry_after: int, limit: int, seconds: int):
        self.retry_after = retry_after
        self.limit = limit
        self.seconds = seconds
        per = "minute" if seconds == 60 else "hour" if seconds == 3600 else f"{seconds} seconds"
        minutes = math.ceil(retry_after / 60)
        when = f"{retry_after} seconds" if retry_after < 120 else f"{minutes} minutes"
        posts = "1 post" if limit == 1 else f"{limit} posts"
        super().__init__(f"You can write {posts} per {per}. Try again in {when}.")


def is_new_account(user, *, now: datetime) -> bool:
    return user.date_joined > now - timedelta(hours=settings.FORUMS_NEW_ACCOUNT_HOURS)


def windows_for(user, *, now: datetime) -> list[Window]:
    hourly = settings.FORUMS_POSTS_PER_HOUR_NEW if is_new_account(user, now=now) else settings.FORUMS_POSTS_PER_HOUR
    return [Window(60, settings.FORUMS_POSTS_PER_MINUTE), Window(3600, hourly)]


def post_allowance_take(*, user, now: datetime) -> None:
    """Count one post against every window of `user`; raise RateLimited (with seconds to wait) if one is full.

    cache.add then cache.incr is atomic on Redis and on the local-memory cache, so concurrent requests
    of one user cannot both take the last slot. A cache that is down lets the post through (logged): a
    limit is there to slow abuse, and losing a member's post to a Redis outage would be worse.
    """
    if user.can_moderate:
        return
    epoch = int(now.timestamp())
    taken = []
    for window in windows_for(user, now=now):
        bucket = epoch // window.seconds
        key = f"forums:posts:{user.pk}:{window.seconds}:{bucket}"
        try:
            count = _count(key, timeout=window.seconds + 5)
        except Exception:  # the cache backend's connection errors have no common base class
            logger.warning("forum rate limit not applied: the cache is unavailable", exc_info=True)
            return
        taken.append(key)
        if count > window.limit:
            # a refused post uses up no window: give back what this call took
            for key in taken:
                _give_back(key)
            raise RateLimited(
                retry_after=(bucket + 1) * window.seconds - epoch, limit=window.limit, seconds=window.seconds
            )


def _count(key: str, *, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this post starts the window
        cache.set(key, 1, timeout=timeout)
        return 1


def _give_back(key: str) -> None:
    try:
        cache.decr(key)
    except Exception:  # expired or unreachable: nothing to give back
        logger.debug("could not give back %s", key, exc_info=True)
