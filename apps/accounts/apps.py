from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from django.contrib.auth.models import Group
        from django_q.models import Schedule

        from apps.audit.registry import track

        from .models import User
        from .oidc import checks  # noqa: F401 - registers the single sign-on settings' system checks

        # The audit log (apps/audit/registry.py): accounts (is_staff / is_superuser follow the role; log-ins are
        # not administrative changes), groups, and the workers' schedules edited in the back office.
        track(User, exclude=("last_login", "date_joined", "is_staff", "is_superuser"), secrets=("password",))
        track(Group)
        track(Schedule, exclude=("next_run", "task", "repeats"))  # the scheduler rewrites these on every run
