"""The project's URLs plus /bench/hello/, a trivial Django view through the same middleware: the ceiling."""

from django.http import HttpResponse
from django.urls import include, path


def hello(request):
    return HttpResponse(b"hello", content_type="text/plain")


urlpatterns = [path("bench/hello/", hello), path("", include("config.urls"))]
