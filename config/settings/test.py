"""The test suite. DATABASE_URL and REDIS_URL, when set, point it at the real services."""

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env("DJANGO_SECRET_KEY", default="test-only-not-a-secret")
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
TEST_RUNNER = "django.test.runner.DiscoverRunner"
# Fast hashing: the suite creates many users; production keeps PBKDF2.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
DEBUG = False
# Static files come from the finders; no collectstatic run is needed for the suite.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
