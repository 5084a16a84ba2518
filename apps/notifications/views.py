"""Notification pages and endpoints shared by the portal and the back office.

- `unread-count/`: the counter the header (portal) and the sidebar (back office) poll, as JSON with an ETag;
  a matching If-None-Match gets 304 with no body. One indexed query per poll.
- `<id>/open/`: marks the notification read and goes to its ticket (portal for requesters, back office for
  agents and admins).
- `<id>/read/`, `read-all/`, `preferences/`: POST forms, then back to where the person came from.
- `portal_notifications`: the portal's Notifications page, served in the portal's namespace
  (portal:notifications, registered with apps/tickets/extensions.py in apps.py).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import parse_etags, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.tickets.views import requester_required

from .emails import ticket_path
from .forms import PreferencesForm
from .selectors import notifications_for, unread_state
from .services import notification_mark_read, notifications_mark_all_read

PAGE_SIZE = 20


def _list_url(user) -> str:
    return reverse("admin:notifications_notification_changelist") if user.is_staff else reverse("portal:notifications")


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    """Redirect to the form's `next` when it points into this site, else to `fallback`."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


@require_GET
def unread_count(request: HttpRequest) -> HttpResponse:
    """`{"unread": n}` for the logged-in person; 304 when their If-None-Match still matches."""
    if not request.user.is_authenticated:
        # A polling script is not a person: no redirect to the log-in page, just "log in again".
        return JsonResponse({"detail": _("Log in to see your notifications.")}, status=401)
    count, newest = unread_state(request.user)
    etag = f'"{request.user.pk}.{count}.{newest}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Cookie"}
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        response = JsonResponse({"unread": count})
    for name, value in headers.items():
        response[name] = value
    return response


@login_required
@require_GET
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of your notifications read and open its ticket."""
    notification = notifications_for(request.user).select_related("ticket").filter(pk=pk).first()
    if notification is None:
        raise Http404(_("No notification matches the given query."))
    notification_mark_read(user=request.user, notification_id=notification.pk)
    return redirect(ticket_path(request.user, notification.ticket))


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    if not notifications_for(request.user).filter(pk=pk).exists():
        raise Http404(_("No notification matches the given query."))
    notification_mark_read(user=request.user, notification_id=pk)
    return _back(request, _list_url(request.user))


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return _back(request, _list_url(request.user))


@login_required
@require_POST
def preferences(request: HttpRequest) -> HttpResponse:
    """Save which notifications the person gets, in the app and by e-mail."""
    form = PreferencesForm(request.POST, user=request.user)
    if form.is_valid():  # checkboxes: always valid
        form.save()
        messages.success(request, _("Your notification preferences have been saved."))
    fallback = (
        reverse("admin:notifications_notification_preferences")
        if request.user.is_staff
        else reverse("accounts:profile") + "#notification-preferences"
    )
    return _back(request, fallback)


@requester_required
def portal_notifications(request: HttpRequest) -> HttpResponse:
    """The requester's notifications, newest first, a page at a time (the portal's Notifications page)."""
    notifications = notifications_for(request.user).select_related("ticket")
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    count, _newest = unread_state(request.user)
    context = {"page": page, "notifications": page.object_list, "unread": count}
    return render(request, "portal/notifications.html", context)
