from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _model_permissions_changed(sender, **kwargs) -> None:
    from .services import model_permissions_changed

    if kwargs.get("action", "post_").startswith("post_"):
        model_permissions_changed()


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from django.contrib.auth.models import Group, Permission
        from django.contrib.contenttypes.models import ContentType
        from django.db.models.signals import m2m_changed, post_delete, post_save
        from django_q.models import Schedule

        from apps.audit.registry import track

        from .models import User
        from .oidc import checks  # noqa: F401 - registers the single sign-on settings' system checks

        # The audit log (apps/audit/registry.py): accounts (is_staff / is_superuser follow the role; log-ins are
        # not administrative changes), groups, and the workers' schedules edited in the back office.
        track(User, exclude=("last_login", "date_joined", "is_staff", "is_superuser"), secrets=("password",))
        track(Group)
        track(Schedule, exclude=("next_run", "task", "repeats"))  # the scheduler rewrites these on every run

        # The model permissions kept in the cache (selectors.kept_model_permissions) change with an account's
        # groups or permissions, a group's permissions, and a permission, group or content type written or deleted
        # (a deletion's cascades through the many-to-many tables send no m2m_changed).
        for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
            m2m_changed.connect(
                _model_permissions_changed, sender=through, dispatch_uid=f"accounts:permissions:{through.__name__}"
            )
        for model in (Permission, Group, ContentType):
            for signal in (post_save, post_delete):
                signal.connect(
                    _model_permissions_changed,
                    sender=model,
                    dispatch_uid=f"accounts:permissions:{model.__name__}:{signal is post_save}",
                )
