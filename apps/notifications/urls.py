"""Notification endpoints (namespace "notifications"), mounted at the site root beside the portal, and the
portal's Notifications page (`portal_urlpatterns`: joins the portal's namespace as portal:notifications
through apps/tickets/extensions.py, see apps.py)."""

from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("notifications/unread-count/", views.unread_count, name="unread_count"),
    path("notifications/read-all/", views.notifications_read_all, name="read_all"),
    path("notifications/preferences/", views.preferences, name="preferences"),
    path("notifications/<int:pk>/open/", views.notification_open, name="open"),
    path("notifications/<int:pk>/read/", views.notification_read, name="read"),
]

portal_urlpatterns = [
    path("notifications/", views.portal_notifications, name="notifications"),
]
