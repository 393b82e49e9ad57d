# The Frontrunner image: gunicorn by default; docker-compose.yml runs the Celery worker and beat
# from the same image with another command.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    WEB_CONCURRENCY=4

RUN groupadd --system app \
    && useradd --system --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app

# Requirements first, so a code change does not reinstall them. Every pin has a wheel for
# CPython 3.12 on Linux (psycopg2-binary, pandas, numpy), so no compiler is needed.
COPY requirements.txt .
RUN pip install -r requirements.txt

# Code and collected static files stay owned by root: the app user can read them, not change them.
COPY . .

# Hashed, compressed static files for WhiteNoise. Production settings refuse to load without a
# secret and allowed hosts; these throwaway values exist only for this build step.
RUN DJANGO_SECRET_KEY=build-time-collectstatic-only-not-a-secret \
    DJANGO_ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput -v0

USER app

EXPOSE 8000
# gunicorn.conf.py sets the workers (WEB_CONCURRENCY) and their threads (GUNICORN_THREADS).
CMD ["gunicorn", "config.wsgi", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
