"""Set-your-password e-mails for accounts the site made for people (an import's requesters: `--invite`).

The link is Django's password-reset link (accounts:password_reset_confirm): it proves control of the address,
and works for accounts with an unusable password, as "forgot password" does (forms.AccountPasswordResetForm).
Messages go out over one mail connection per call; a call that fails part-way can be repeated (a second link
only replaces the first: the token changes once the password is set).
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import User


def password_invitations_send(*, user_ids) -> int:
    """E-mail each active account among `user_ids` a link to set its password; returns how many were sent."""
    site = urlsplit(settings.SITE_URL)
    messages = []
    for user in User.objects.filter(pk__in=list(user_ids), is_active=True).exclude(email=""):
        context = {
            "user": user,
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
            "protocol": site.scheme or "https",
            "domain": site.netloc,
        }
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = " ".join(render_to_string("accounts/invitation_subject.txt", context).split())
            body = render_to_string("accounts/invitation_email.txt", context)
        messages.append(EmailMessage(subject, body, to=[user.email]))
    if messages:
        get_connection().send_messages(messages)
    return len(messages)
