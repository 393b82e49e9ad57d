"""The API token cache: each token's user, remembered in the cache (Redis, shared by every web process).

A fan saving category after category then costs one cache read per request, not a token query. The
entries are dropped the moment they could be wrong: when a token is deleted, and when its user is saved
(deactivated, given another role, renamed) or deleted. TOKEN_CACHE_SECONDS only bounds the damage of
an invalidation that the cache missed (it was down just then), or of a request that read the user just
before the change and wrote its entry just after: such an entry lives at most that long.
"""

import hashlib
import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)

TOKEN_CACHE_SECONDS = 60


def token_cache_key(key: str) -> str:
    return "api-token:" + hashlib.sha256(key.encode()).hexdigest()  # no secrets in the cache's keys


def token_cached(key: str):
    """(user, token) remembered for this key, or None. A cache that is down only costs the query."""
    try:
        return cache.get(token_cache_key(key))
    except Exception:
        logger.warning("Could not read the token cache", exc_info=True)
        return None


def token_remember(key: str, user, token) -> None:
    try:
        cache.set(token_cache_key(key), (user, token), TOKEN_CACHE_SECONDS)
    except Exception:
        logger.warning("Could not write the token cache", exc_info=True)


def tokens_forget(keys) -> None:
    keys = [token_cache_key(key) for key in keys]
    if not keys:
        return
    try:
        cache.delete_many(keys)
    except Exception:
        logger.warning("Could not drop %d entries of the token cache", len(keys), exc_info=True)


def _token_deleted(sender, instance, **kwargs) -> None:
    tokens_forget([instance.key])


def _user_changed(sender, instance, **kwargs) -> None:
    from rest_framework.authtoken.models import Token

    tokens_forget(Token.objects.filter(user_id=instance.pk).values_list("key", flat=True))


def connect_signals() -> None:
    """From AccountsConfig.ready(): drop a token's entry whenever the token or its user changes."""
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_delete, post_save, pre_delete
    from rest_framework.authtoken.models import Token

    user_model = get_user_model()
    post_delete.connect(_token_deleted, sender=Token, dispatch_uid="accounts.tokens.token_deleted")
    post_save.connect(_user_changed, sender=user_model, dispatch_uid="accounts.tokens.user_saved")
    # Before the delete: the user's tokens are still there to be named (their own post_delete follows).
    pre_delete.connect(_user_changed, sender=user_model, dispatch_uid="accounts.tokens.user_deleted")
