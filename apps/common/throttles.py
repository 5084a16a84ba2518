"""The API's scoped rate limits, for pages outside the API (the portal's forms).

`throttle_wait(request, scope)` counts one request against the same DRF scoped throttle the API views use
(DEFAULT_THROTTLE_RATES[scope], keyed on the user, or the client address for anonymous requests), in the same
cache entry: the portal and the API share one counter per user and scope, so neither is a way around the other.
"""

import math
from types import SimpleNamespace

from django.http import HttpRequest

from .api.views import ScopedThrottle


def throttle_wait(request: HttpRequest, scope: str) -> int | None:
    """None if the request is within the rate (and then it is counted), else the seconds to wait."""
    throttle = ScopedThrottle()
    if throttle.allow_request(request, SimpleNamespace(throttle_scope=scope)):
        return None
    return max(1, math.ceil(throttle.wait() or 1))
