"""Settings come from the environment: each variant is loaded in a fresh interpreter.

Every probe runs in a subprocess whose environment holds PATH and HOME plus what the test sets,
so neither the suite's own DATABASE_URL/REDIS_URL nor one variant's settings leak into another.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_MODULES = ("config.settings.local", "config.settings.test", "config.settings.production")
# What production needs to load at all; the values are throwaway.
PRODUCTION_ENV = {"DJANGO_SECRET_KEY": "x" * 64, "DJANGO_ALLOWED_HOSTS": "example.com"}

SETTINGS_PROBE = """
import json
import django
from django.conf import settings
from config.celery_app import app

django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "db": {key: str(db.get(key, "")) for key in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT")},
    "cache": settings.CACHES["default"]["BACKEND"],
    "cache_location": settings.CACHES["default"].get("LOCATION"),
    "broker_url": settings.CELERY_BROKER_URL,
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "celery_broker_url": app.conf.broker_url,
    "celery_eager": app.conf.task_always_eager,
}))
"""

CELERY_PROBE = """
import json
from config.celery_app import app

conf = app.conf
print(json.dumps({
    "accept_content": list(conf.accept_content),
    "task_serializer": conf.task_serializer,
    "result_serializer": conf.result_serializer,
    "task_acks_late": conf.task_acks_late,
    "task_reject_on_worker_lost": conf.task_reject_on_worker_lost,
    "worker_prefetch_multiplier": conf.worker_prefetch_multiplier,
    "visibility_timeout": (conf.broker_transport_options or {}).get("visibility_timeout"),
    "task_time_limit": conf.task_time_limit,
    "task_soft_time_limit": conf.task_soft_time_limit,
}))
"""


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    minimal = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**minimal, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def probe(code: str, module: str, **env: str) -> dict:
    extra = PRODUCTION_ENV if module.endswith(".production") else {}
    result = run(["-c", code], {"DJANGO_SETTINGS_MODULE": module, **extra, **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"])
def test_production_refuses_to_load_without_its_secrets(missing):
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.production", **PRODUCTION_ENV}
    del env[missing]
    result = run(["-c", "import django; django.setup()"], env)
    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured" in result.stderr
    assert missing in result.stderr.strip().splitlines()[-1]


def test_production_passes_the_deploy_checks():
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "example.com",
    }
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Nothing silenced either: a check hidden in SILENCED_SYSTEM_CHECKS would pass unseen.
    assert "System check identified no issues (0 silenced)." in result.stdout, output
    assert "WARNING" not in output
    assert "?:" not in output, output  # how a system-check message starts


@pytest.mark.parametrize("module", SETTINGS_MODULES)
def test_embedded_default_is_sqlite_eager_tasks_and_local_cache(module):
    conf = probe(SETTINGS_PROBE, module)
    assert conf["db"]["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(conf["db"]["NAME"]) == ROOT / "frontrunner.sqlite3"
    assert conf["eager"] is True
    assert conf["celery_eager"] is True
    assert conf["cache"] == "django.core.cache.backends.locmem.LocMemCache"


@pytest.mark.parametrize("module", SETTINGS_MODULES)
def test_redis_url_switches_on_the_real_broker_and_cache(module):
    url = "redis://cache.internal:6380/3"
    conf = probe(SETTINGS_PROBE, module, REDIS_URL=url)
    assert conf["cache"] == "config.cache.RedisCache"
    assert conf["cache_location"] == url
    assert conf["broker_url"] == url
    assert conf["celery_broker_url"] == url
    assert conf["eager"] is False
    assert conf["celery_eager"] is False


@pytest.mark.parametrize("module", SETTINGS_MODULES)
def test_database_url_selects_postgresql(module):
    conf = probe(SETTINGS_PROBE, module, DATABASE_URL="postgres://u:p@h:5432/d")
    assert conf["db"] == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "d",
        "USER": "u",
        "PASSWORD": "p",
        "HOST": "h",
        "PORT": "5432",
    }
    assert conf["eager"] is True, "no REDIS_URL still means eager tasks"


@pytest.mark.parametrize("module", ["config.settings.local", "config.settings.production"])
def test_celery_workers_ack_late_and_speak_json_only(module):
    conf = probe(CELERY_PROBE, module, REDIS_URL="redis://127.0.0.1:6379/0")
    assert conf["accept_content"] == ["json"]
    assert conf["task_serializer"] == "json"
    assert conf["result_serializer"] == "json"
    assert conf["task_acks_late"] is True
    assert conf["task_reject_on_worker_lost"] is True
    assert conf["worker_prefetch_multiplier"] == 1
    assert conf["task_time_limit"] and conf["task_soft_time_limit"]
    assert conf["task_soft_time_limit"] < conf["task_time_limit"]
    # Redis redelivers an unacked task after the visibility timeout: it must outlast any run.
    assert conf["visibility_timeout"] > conf["task_time_limit"]
