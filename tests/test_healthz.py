"""/healthz: the checks, the status codes, and a real Celery worker on the real stack."""

import os
import subprocess
import sys
import tempfile
import time

import pytest
from django.conf import settings
from django.db import OperationalError
from django.test import override_settings
from kombu import Connection

from config import health


@pytest.fixture
def healthz(client, db):
    def call():
        response = client.get("/healthz")
        assert response["Content-Type"] == "application/json"
        assert response["Cache-Control"] == "no-store"
        return response.status_code, response.json()

    return call


@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
def test_all_ok_in_eager_mode(healthz):
    code, body = healthz()
    assert code == 200
    assert body == {
        "status": "ok",
        "checks": {
            "database": {"ok": True},
            "cache": {"ok": True},
            "broker": {"ok": True, "mode": "eager"},
            "worker": {"ok": True, "mode": "eager"},
        },
    }


@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
def test_database_down_is_503(healthz, monkeypatch):
    class Down:
        def cursor(self):
            raise OperationalError('connection to server at "db.internal" failed: password authentication failed')

    monkeypatch.setattr(health, "connection", Down())
    code, body = healthz()
    assert code == 503
    assert body["status"] == "down"
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    # The other checks still run and report.
    assert body["checks"]["cache"] == {"ok": True}
    assert body["checks"]["broker"]["ok"] is True


@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
def test_cache_down_is_degraded(healthz, monkeypatch):
    class Down:
        def set(self, *args, **kwargs):
            raise ConnectionError("Error 111 connecting to redis.internal:6379")

    monkeypatch.setattr(health, "cache", Down())
    code, body = healthz()
    assert code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["cache"] == {"ok": False, "error": "ConnectionError"}
    assert body["checks"]["database"] == {"ok": True}


@override_settings(CELERY_TASK_ALWAYS_EAGER=False)
def test_broker_down_is_degraded_fast_and_says_no_secrets(healthz, monkeypatch):
    # Nothing listens on port 1: the connection is refused at once.
    def refused(**kwargs):
        return Connection("redis://:hunter2@127.0.0.1:1/0", **kwargs)

    monkeypatch.setattr(health.celery_app, "connection_for_write", refused)
    started = time.monotonic()
    code, body = healthz()
    assert time.monotonic() - started < 5
    assert code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["broker"] == {"ok": False, "error": "OperationalError"}
    assert body["checks"]["worker"]["ok"] is False
    assert body["checks"]["database"] == {"ok": True}
    text = str(body)
    assert "hunter2" not in text
    assert "127.0.0.1" not in text


def test_post_is_not_allowed(client, db):
    assert client.post("/healthz").status_code == 405


@pytest.mark.realstack
@override_settings(CELERY_TASK_ALWAYS_EAGER=False)
def test_real_worker_answers(healthz):
    """Against REDIS_URL: degraded with no worker, ok once a real worker is up."""
    # The test settings already use REDIS_URL for the broker and the cache when it is set.
    assert os.environ["REDIS_URL"] == settings.CELERY_BROKER_URL

    code, body = healthz()
    assert code == 200
    assert body["checks"]["broker"] == {"ok": True}
    assert body["checks"]["cache"] == {"ok": True}
    assert body["checks"]["worker"] == {"ok": False, "workers": 0, "error": "no worker answered"}
    assert body["status"] == "degraded"

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "REDIS_URL": os.environ["REDIS_URL"],
        "DATABASE_URL": os.environ["DATABASE_URL"],
    }
    command = [sys.executable, "-m", "celery", "-A", "config.celery_app", "worker", "--pool=solo", "-Q", "default"]
    command += ["--without-mingle", "--without-gossip", "--loglevel=INFO"]
    with tempfile.TemporaryFile() as log:
        worker = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and worker.poll() is None:
                code, body = healthz()
                if body["checks"]["worker"]["ok"]:
                    break
                time.sleep(0.5)
            log.seek(0)
            output = log.read().decode(errors="replace")[-3000:]
            assert worker.poll() is None, f"the worker exited:\n{output}"
            assert body["checks"]["worker"] == {"ok": True, "workers": 1}, output
            assert (code, body["status"]) == (200, "ok")
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
