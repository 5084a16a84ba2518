"""Portal URLs for tickets (namespace "portal"), mounted at the site root: / is My tickets."""

from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.ticket_list, name="ticket_list"),
    path("tickets/new/", views.ticket_create, name="ticket_create"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/reply/", views.ticket_reply, name="ticket_reply"),
    path("tickets/<int:pk>/status/", views.ticket_transition, name="ticket_transition"),
    path(
        "tickets/<int:pk>/files/<int:attachment_id>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path("notifications/", views.notifications, name="notifications"),
]
