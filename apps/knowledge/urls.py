"""The knowledge app's portal pages, joined to the portal's namespace ("portal:help", ...) through
apps/tickets/extensions.py portal_urls (apps.py)."""

from django.urls import path

from . import views

portal_urlpatterns = [
    path("help/", views.help_home, name="help"),
    path("help/categories/<slug:slug>/", views.help_category, name="help_category"),
    path("help/articles/<slug:slug>/", views.help_article, name="help_article"),
    path("help/articles/<slug:slug>/feedback/", views.help_article_feedback, name="help_article_feedback"),
    path("help/suggest/", views.help_suggest, name="help_suggest"),
    path("help/suggested/", views.help_suggested, name="help_suggested"),
    path("help/answered/", views.help_deflect, name="help_deflect"),
    path("tickets/<int:pk>/rating/", views.satisfaction_rate, name="satisfaction_rate"),
    path("rate/<str:token>/", views.satisfaction_link, name="satisfaction_link"),
    path("profile/ratings/", views.satisfaction_opt_out, name="satisfaction_opt_out"),
]
