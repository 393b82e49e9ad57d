"""Small helpers shared by the page tests."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext


def page_text(html) -> str:
    """A page's visible text (a response or its HTML), scripts and styles dropped, whitespace collapsed."""
    if not isinstance(html, str):
        html = html.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def query_count(client, url) -> int:
    """How many queries a GET of `url` makes; the page must answer 200."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)
