"""Posting limits hold across processes: they are counted in Redis, not in a web process's memory."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from forums import limits
from tests.forums.conftest import member

pytestmark = [pytest.mark.realstack, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parents[2]


def test_a_post_counted_by_another_process_uses_up_the_window():
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    user = member()
    now = timezone.now()
    # Another process (as a second gunicorn worker would) takes this user's whole minute.
    script = f"""
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
django.setup()
from datetime import datetime
from types import SimpleNamespace
from forums import limits
joined = datetime.fromisoformat("{user.date_joined.isoformat()}")
user = SimpleNamespace(pk={user.pk}, can_moderate=False, date_joined=joined)
for _ in range({settings.FORUMS_POSTS_PER_MINUTE}):
    limits.post_allowance_take(user=user, now=datetime.fromisoformat("{now.isoformat()}"))
print("took")
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "took", done.stderr
    with pytest.raises(limits.RateLimited, match="per minute"):
        limits.post_allowance_take(user=user, now=now)
