"""The client's address of a request, for everything that keys or records on it (throttles, the audit log).

One rule for the whole project, the API throttles' rule (REST_FRAMEWORK["NUM_PROXIES"]): with no proxy
configured the X-Forwarded-For header is ignored (a client could write anything there); behind NUM_PROXIES
proxies, the entry that the outermost trusted proxy appended is the client.
"""

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the right entry of X-Forwarded-For behind NUM_PROXIES proxies."""
    num_proxies = getattr(settings, "REST_FRAMEWORK", {}).get("NUM_PROXIES") or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if num_proxies > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(num_proxies, len(hops))]
    return request.META.get("REMOTE_ADDR") or "unknown"
