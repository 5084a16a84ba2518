"""Single sign-on URLs (namespace "oidc"), mounted at /oidc/; 404 while OIDC_ENABLED is off. Log-out is the
portal's own (accounts:logout)."""

from django.urls import path

from . import views

app_name = "oidc"

urlpatterns = [
    path("authenticate/", views.AuthenticateView.as_view(), name="authenticate"),
    path("callback/", views.CallbackView.as_view(), name="callback"),
]
