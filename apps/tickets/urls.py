"""Portal URLs (namespace "portal"), mounted at the site root: / is My tickets. Other apps' portal pages
(portal:notifications) join through apps/tickets/extensions.py."""

from django.urls import path

from . import extensions, views

app_name = "portal"

urlpatterns = [
    path("", views.ticket_list, name="ticket_list"),
    path("tickets/new/", views.ticket_create, name="ticket_create"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/reply/", views.ticket_reply, name="ticket_reply"),
    path("tickets/<int:pk>/status/", views.ticket_transition, name="ticket_transition"),
    path("tickets/<int:pk>/comments/<int:comment_id>/edit/", views.comment_edit, name="comment_edit"),
    path("tickets/<int:pk>/comments/<int:comment_id>/delete/", views.comment_delete, name="comment_delete"),
    path(
        "tickets/<int:pk>/files/<int:attachment_id>/",
        views.attachment_download,
        name="attachment_download",
    ),
    *extensions.portal_urls,
]
