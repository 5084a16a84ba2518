"""Notification endpoints (namespace "notifications"), mounted at the site root beside the portal."""

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
