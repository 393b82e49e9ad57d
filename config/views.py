from django.views.generic import TemplateView


class HomeView(TemplateView):
    template_name = "home.html"


class SearchView(TemplateView):
    template_name = "search.html"


def healthz(request):
    raise NotImplementedError


def page_not_found(request, exception):
    raise NotImplementedError


def server_error(request):
    raise NotImplementedError
