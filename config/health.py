"""/healthz: is this process able to serve, and are the services behind it up?

For load balancers and uptime checks. 200 while the database answers (status "ok", or
"degraded" when the cache, the broker or the workers do not); 503 when it does not, since no
page works without it. Each check catches its own errors and reports only the exception's class
name: the body is public, and connection errors can carry hosts and credentials.
"""

import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from config.celery_app import app as celery_app

# Short enough that a dead service fails the check instead of the load balancer's own timeout.
TIMEOUT = 1.0


def _failed(exc: Exception) -> dict:
    return {"ok": False, "error": type(exc).__name__}


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return _failed(exc)
    return {"ok": True}


def _cache() -> dict:
    key, value = f"healthz:{uuid.uuid4().hex}", uuid.uuid4().hex
    try:
        cache.set(key, value, timeout=10)
        ok = cache.get(key) == value
        cache.delete(key)
    except Exception as exc:
        return _failed(exc)
    return {"ok": ok} if ok else {"ok": False, "error": "value not read back"}


def _broker_and_worker() -> tuple[dict, dict]:
    """Connect to the broker once, then ping the workers over that connection."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # Tasks run inline, in the request: there is no broker and no worker to wait for.
        return {"ok": True, "mode": "eager"}, {"ok": True, "mode": "eager"}
    transport_options = {**(celery_app.conf.broker_transport_options or {}), "socket_connect_timeout": TIMEOUT}
    try:
        conn = celery_app.connection_for_write(transport_options=transport_options)
    except Exception as exc:
        return _failed(exc), {"ok": False, "error": "broker unavailable"}
    with conn:
        try:
            # One attempt: kombu's retries would sleep for seconds before giving up.
            conn.ensure_connection(max_retries=0, timeout=TIMEOUT)
        except Exception as exc:
            return _failed(exc), {"ok": False, "error": "broker unavailable"}
        broker = {"ok": True}
        try:
            replies = celery_app.control.ping(timeout=TIMEOUT, connection=conn)
        except Exception as exc:
            return broker, _failed(exc)
    workers = len(replies)
    worker = {"ok": workers > 0, "workers": workers}
    if not workers:
        worker["error"] = "no worker answered"
    return broker, worker


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database(), "cache": _cache()}
    checks["broker"], checks["worker"] = _broker_and_worker()
    if not checks["database"]["ok"]:
        status, code = "down", 503
    elif all(check["ok"] for check in checks.values()):
        status, code = "ok", 200
    else:
        status, code = "degraded", 200
    response = JsonResponse({"status": status, "checks": checks}, status=code)
    response["Cache-Control"] = "no-store"
    return response
