"""The project's URLs plus two ceilings, each through the same middleware as the API.

- /bench/hello/: a trivial Django view (no authentication);
- /bench/whoami/: a trivial API view on the API's own base class, so with everything every API request
  does before its own work (JWT check, loading the user, DRF's dispatch), answering the user's id.
"""

from django.http import HttpResponse
from django.urls import include, path
from rest_framework.response import Response

from apps.common.api.views import SafeAPIView


def hello(request):
    return HttpResponse(b"hello", content_type="text/plain")


class WhoAmI(SafeAPIView):
    def get(self, request):
        return Response({"id": request.user.pk})


urlpatterns = [
    path("bench/hello/", hello),
    path("bench/whoami/", WhoAmI.as_view()),
    path("", include("config.urls")),
]
