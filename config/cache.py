"""Django's Redis cache backend, keeping one redis-py client per connection pool.

Django's client builds a new `redis.Redis` for every cache call, and redis-py fills each new client's
table of response callbacks (a few hundred entries): about 0.3 ms per call, two or three calls per
ballot save. A `redis.Redis` over a pool is safe to share between calls (each command borrows a
connection from the pool), so the client here is built once per pool.
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


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
