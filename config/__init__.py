# Load Celery when Django starts so that shared_task uses this project's app.
from config.celery_app import app as celery_app

__all__ = ("celery_app",)
