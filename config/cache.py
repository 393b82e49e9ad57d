"""Django's Redis cache backend, keeping one redis-py client per connection pool.

Django's client builds a new `redis.Redis` for every cache call, and redis-py fills each new client's
table of response callbacks (a few hundred entries): about 0.3 ms per call, two or three calls per
ballot save. A `redis.Redis` over a pool is safe to share between calls (each command borrows a
connection from the pool), so the client here is built once per pool.

The calls an API request makes (get for the token, add for the recompute flag, set) send their command
with `execute_command`: redis-py's `get` and `set` wrappers inspect their arguments on every call (for
deprecation warnings), which costs more than the command's own work.
"""

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client

    def get(self, key, default):
        value = self.get_client(key).execute_command("GET", key)
        return default if value is None else self._serializer.loads(value)

    def set(self, key, value, timeout):
        if timeout == 0:  # Django's meaning: expire at once
            return super().set(key, value, timeout)
        self.get_client(key, write=True).execute_command(*self._set(key, value, timeout))

    def add(self, key, value, timeout):
        if timeout == 0:
            return super().add(key, value, timeout)
        return bool(self.get_client(key, write=True).execute_command(*self._set(key, value, timeout), "NX"))

    def _set(self, key, value, timeout) -> list:
        command = ["SET", key, self._serializer.dumps(value)]
        return command if timeout is None else [*command, "EX", timeout]  # None: no expiry


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
