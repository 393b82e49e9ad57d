"""Token authentication for the API, with each token's user remembered in the cache (accounts.tokens)."""

from rest_framework import authentication

from accounts import tokens


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, reading each token's user from the cache (Redis, shared by every web process)
    first. The cache entry is dropped when the token is deleted or its user saved or deleted, so a revoked token,
    a deactivated user or a role change applies at once (accounts.tokens)."""

    def authenticate_credentials(self, key):
        seen = tokens.token_cached(key)
        if seen is not None:
            return seen  # unpickled: this request's own copy of the user
        user, token = super().authenticate_credentials(key)  # raises for an unknown key or an inactive user
        tokens.token_remember(key, user, token)
        return user, token
