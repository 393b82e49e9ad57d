"""The Celery app, wired the cookiecutter-django way: settings under the CELERY_ namespace."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("frontrunner")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
