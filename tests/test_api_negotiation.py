"""config.negotiation.ContentNegotiation: the usual API client gets JSON without parsing; others, DRF's choice."""

import pytest
from rest_framework.exceptions import NotAcceptable
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from config.negotiation import ContentNegotiation

pytestmark = pytest.mark.django_db

RENDERERS = [JSONRenderer(), BrowsableAPIRenderer()]


def choose(accept: str | None = None, query: str = "", suffix=None):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get(f"/api/odds/1/{query}", **headers))
    renderer, media_type = ContentNegotiation().select_renderer(request, RENDERERS, suffix)
    return type(renderer), media_type


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "*/*",
        "application/json",
        "text/html",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "application/json; indent=4",
        "application/json;q=0.5, text/html",
    ],
)
@pytest.mark.parametrize(("query", "suffix"), [("", None), ("?format=api", None), ("?format=json", None), ("", "api")])
def test_it_chooses_what_drf_chooses(accept, query, suffix):
    from rest_framework.negotiation import DefaultContentNegotiation

    def outcome(negotiator):
        headers = {} if accept is None else {"HTTP_ACCEPT": accept}
        request = Request(APIRequestFactory().get(f"/api/odds/1/{query}", **headers))
        try:
            renderer, media_type = negotiator.select_renderer(request, RENDERERS, suffix)
        except NotAcceptable:
            return "406"
        return type(renderer), media_type

    assert outcome(ContentNegotiation()) == outcome(DefaultContentNegotiation())


def test_the_plain_clients_get_json_and_a_browser_the_browsable_api():
    assert choose() == (JSONRenderer, "application/json")
    assert choose("*/*") == (JSONRenderer, "application/json")
    assert choose("text/html")[0] is BrowsableAPIRenderer
    assert choose(query="?format=api")[0] is BrowsableAPIRenderer
