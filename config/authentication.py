"""Token authentication for the API, with a short memory of each token's user in the cache."""

import hashlib
import logging

from django.core.cache import cache
from rest_framework import authentication

logger = logging.getLogger(__name__)


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, remembering each token's user in the cache (Redis, shared by every web
    process) for TOKEN_CACHE_SECONDS, so that a fan saving category after category costs one token query,
    not one per save. A cache that is down only costs the query.

    The price: a deleted token, or a user made inactive, still works for at most TOKEN_CACHE_SECONDS.
    A role change applies after the same delay.
    """

    TOKEN_CACHE_SECONDS = 5

    def authenticate_credentials(self, key):
        cache_key = "api-token:" + hashlib.sha256(key.encode()).hexdigest()  # no secrets in the cache's keys
        try:
            seen = cache.get(cache_key)
        except Exception:
            logger.warning("Could not read the token cache", exc_info=True)
            seen = None
        if seen is not None:
            return seen  # unpickled: this request's own copy of the user
        user, token = super().authenticate_credentials(key)  # raises for an unknown key or an inactive user
        try:
            cache.set(cache_key, (user, token), self.TOKEN_CACHE_SECONDS)
        except Exception:
            logger.warning("Could not write the token cache", exc_info=True)
        return user, token
