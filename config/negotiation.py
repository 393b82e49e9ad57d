"""The API's content negotiation (its own module: DRF's views import it while they load, so it may not import them)."""

from rest_framework import negotiation


class ContentNegotiation(negotiation.DefaultContentNegotiation):
    """DRF's negotiation, answering the usual API client (no Accept header, `*/*` or `application/json`, no
    format override) without parsing: the first renderer (JSON) and its media type, as DRF would choose."""

    PLAIN = frozenset(("", "*/*", "application/json"))

    def select_renderer(self, request, renderers, format_suffix=None):
        if (
            not format_suffix
            and request.META.get("HTTP_ACCEPT", "").strip() in self.PLAIN
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
            and renderers[0].media_type == "application/json"
        ):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)
