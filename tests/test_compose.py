"""docker-compose.yml and the Dockerfile agree with the settings they feed.

There is no Docker engine in CI, so the files are parsed and checked against the source of
config/settings: a renamed environment variable or a new Celery queue fails here first.
"""

import json
import os
import re
import runpy
import shlex
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")
SHARED_ENV = ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_SECRET_KEY")
# Read by Django and Celery themselves (manage.py, wsgi.py, celery_app.py), not by a settings module.
FRAMEWORK_ENV = {"DJANGO_SETTINGS_MODULE"}
# env("NAME"), env.db("NAME"), env.bool("NAME", ...), env.list(...)...
ENV_READ = re.compile(r"""\benv(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""")


@pytest.fixture(scope="module")
def compose() -> dict:
    # safe_load resolves the anchors and `<<:` merge keys, as compose does.
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def settings_env_names(module: str) -> set[str]:
    """Environment variables that base.py and the given settings module read."""
    names = set()
    for name in {"base", module.rsplit(".", 1)[-1]}:
        names |= set(ENV_READ.findall((ROOT / "config" / "settings" / f"{name}.py").read_text()))
    return names


def command_text(service: dict) -> str:
    command = service.get("command", "")
    return shlex.join(command) if isinstance(command, list) else command


def dockerfile_cmd() -> list[str]:
    text = (ROOT / "Dockerfile").read_text()
    cmd = [line for line in text.splitlines() if line.startswith("CMD ")]
    assert len(cmd) == 1, "the Dockerfile has exactly one CMD"
    return json.loads(cmd[0].removeprefix("CMD "))  # exec form, so signals reach gunicorn


def bind_port(command: str) -> int:
    match = re.search(r"--bind[= ]0\.0\.0\.0:(\d+)", command)
    assert match, f"gunicorn binds 0.0.0.0:<port> in {command!r}"
    return int(match.group(1))


def test_the_stack_has_its_five_services(services):
    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    assert services["postgres"]["image"].split(":")[0] == "postgres"
    assert services["postgres"]["image"].split(":")[1].startswith("16")
    assert services["redis"]["image"].split(":")[1].startswith("7")
    for name in APP_SERVICES:
        assert services[name].get("build") == ".", f"{name} runs the image built from this repository"


def test_app_services_share_database_broker_and_settings(services):
    env = {name: services[name]["environment"] for name in APP_SERVICES}
    for var in SHARED_ENV:
        values = {name: env[name].get(var) for name in APP_SERVICES}
        assert len(set(values.values())) == 1, f"{var} differs between services: {values}"
        assert None not in values.values(), f"{var} is missing: {values}"
    web = env["web"]
    assert web["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    assert re.fullmatch(r"postgres(ql)?://[^@]+@postgres:5432/frontrunner", web["DATABASE_URL"])
    assert web["REDIS_URL"] == "redis://redis:6379/0"
    # The compose stack is plain HTTP: an HTTPS redirect would make every page unreachable.
    assert web["DJANGO_SECURE_SSL_REDIRECT"] == "false"


def test_every_compose_variable_is_one_the_settings_read(services):
    for name in APP_SERVICES:
        env = services[name]["environment"]
        read = settings_env_names(env["DJANGO_SETTINGS_MODULE"])
        assert {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"} <= read
        unknown = set(env) - read - FRAMEWORK_ENV
        assert not unknown, f"{name} sets variables no setting reads: {sorted(unknown)}"


def test_the_secret_key_has_no_default(services):
    for name in APP_SERVICES:
        value = services[name]["environment"]["DJANGO_SECRET_KEY"]
        # ${VAR:?message} aborts `docker compose up` when the variable is unset or empty.
        assert re.fullmatch(r"\$\{DJANGO_SECRET_KEY:\?[^}]+\}", value), value
    for service in services.values():
        for key, value in (service.get("environment") or {}).items():
            assert "SECRET" not in key or value.startswith("${"), f"{key} is written into the compose file"


def test_web_migrates_then_runs_gunicorn(services):
    command = command_text(services["web"])
    assert "gunicorn config.wsgi" in command
    assert "manage.py migrate --noinput" in command
    assert command.index("manage.py migrate") < command.index("gunicorn")
    # `&&`: gunicorn must not start on a database whose migrations failed.
    assert re.search(r"migrate --noinput\s*&&", command)


def test_worker_consumes_every_queue_the_settings_route_to(services):
    command = command_text(services["worker"])
    assert command.startswith("celery -A config.celery_app worker")
    match = re.search(r"(?:-Q|--queues)[= ](\S+)", command)
    assert match, "the worker names its queues"
    consumed = set(match.group(1).split(","))
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    declared = set(settings.CELERY_WORKER_QUEUES.split(","))
    expected = routed | declared | {settings.CELERY_TASK_DEFAULT_QUEUE}
    assert expected == {"default", "odds", "leaderboards", "email"}
    assert expected <= consumed, f"no worker consumes {sorted(expected - consumed)}"


def test_beat_runs_the_scheduler(services):
    command = command_text(services["beat"])
    assert command.startswith("celery -A config.celery_app beat")
    assert "worker" not in command


def test_every_service_is_healthy_or_waits_for_healthy_ones(services):
    healthy = {name for name, service in services.items() if service.get("healthcheck", {}).get("test")}
    assert {"postgres", "redis", "web"} <= healthy
    assert "pg_isready" in str(services["postgres"]["healthcheck"]["test"])
    assert services["redis"]["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]
    for name, service in services.items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name} lists depends_on without conditions"
        for dependency, spec in depends.items():
            assert spec.get("condition") == "service_healthy", f"{name} starts before {dependency} is healthy"
            assert dependency in healthy, f"{name} waits for {dependency}, which has no health check"
        assert name in healthy or depends, f"{name} has no health check and waits for nothing"
    for name in APP_SERVICES:
        assert {"postgres", "redis"} <= set(services[name]["depends_on"]), name


def test_web_health_check_probes_healthz_on_the_gunicorn_port(services):
    web = services["web"]
    test = web["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    match = re.search(r"urlopen\('http://127\.0\.0\.1:(\d+)/healthz'", test[3])
    assert match, test
    port = int(match.group(1))
    assert port == bind_port(command_text(web))
    assert f"{port}:{port}" in web["ports"]
    # The probe's Host header must pass ALLOWED_HOSTS, or /healthz answers 400.
    assert "127.0.0.1" in web["environment"]["DJANGO_ALLOWED_HOSTS"].split(",")


def test_postgres_keeps_its_data_in_a_named_volume(compose):
    volumes = compose["services"]["postgres"]["volumes"]
    named = [v.split(":")[0] for v in volumes if v.endswith(":/var/lib/postgresql/data")]
    assert named, volumes
    assert not named[0].startswith(("/", ".")), "a named volume, not a bind mount"
    assert named[0] in (compose.get("volumes") or {}), "the volume is declared at top level"


def test_the_image_serves_gunicorn_on_the_port_compose_uses(services):
    cmd = dockerfile_cmd()
    assert cmd[:2] == ["gunicorn", "config.wsgi"]
    port = bind_port(shlex.join(cmd))
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(rf"^EXPOSE {port}$", text, re.MULTILINE)
    assert port == bind_port(command_text(services["web"]))
    assert f"{port}:{port}" in services["web"]["ports"]


def test_every_gunicorn_loads_the_sites_settings(services):
    commands = {
        "image": shlex.join(dockerfile_cmd()),
        "compose web": command_text(services["web"]),
        "make stack": next(
            line for line in (ROOT / "Makefile").read_text().splitlines() if "gunicorn config.wsgi" in line
        ),
    }
    for where, command in commands.items():
        assert "--config gunicorn.conf.py" in command, where
        assert "--workers" not in command and "--threads" not in command, f"{where} overrides gunicorn.conf.py"


@pytest.mark.parametrize(
    ("env", "workers", "threads"),
    [({}, None, 2), ({"WEB_CONCURRENCY": "3"}, 3, 2), ({"WEB_CONCURRENCY": "5", "GUNICORN_THREADS": "4"}, 5, 4)],
)
def test_gunicorn_settings_read_their_counts_from_the_environment(monkeypatch, env, workers, threads):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("GUNICORN_THREADS", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert conf["worker_class"] == "gthread"
    assert conf["workers"] == (workers or 2 * len(os.sched_getaffinity(0)))  # default: two per usable core
    assert conf["threads"] == threads


def test_the_image_runs_as_a_non_root_user_and_keeps_no_build_secret():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.12-slim", text, re.MULTILINE)
    users = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    # The throwaway key for collectstatic is set on that RUN line only, never baked in as ENV.
    env_lines = re.findall(r"^ENV .*(?:\n\s+.*)*", text, re.MULTILINE)
    assert not any("SECRET" in line for line in env_lines)
    assert re.search(r"DJANGO_SECRET_KEY=\S+ \\\n(.*\\\n)*\s*python manage\.py collectstatic", text)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "*.sqlite3"} <= set(ignored)
