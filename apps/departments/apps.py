from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _access_changed(sender, **kwargs) -> None:
    from apps.accounts.services import model_permissions_changed

    model_permissions_changed()


class DepartmentsConfig(AppConfig):
    name = "apps.departments"
    label = "departments"
    verbose_name = _("Departments")

    def ready(self):
        from apps.accounts.access import on_staff_access_ended
        from apps.accounts.oidc.claims import on_sso_sign_in
        from apps.accounts.selectors import register_agent_contacts
        from apps.audit.registry import track

        from .models import Department, RoutingRule, SlaPolicy
        from .selectors import colleagues_of
        from .services import departments_from_sso_claims, leave_every_department

        register_agent_contacts(colleagues_of)
        on_staff_access_ended("departments", leave_every_department)
        # The audit log (apps/audit/registry.py); membership is recorded by the services (a many-to-many).
        track(Department, exclude=("group",))
        track(RoutingRule)
        track(SlaPolicy)
        on_sso_sign_in("departments", departments_from_sso_claims)
        # A department saved or deleted can change which group's members work in it: what is kept of anyone's
        # access starts a new generation (apps/accounts/selectors.py; the tickets' kept agent reach reads it).
        for signal in (post_save, post_delete):
            signal.connect(_access_changed, sender=Department, dispatch_uid=f"departments:access:{signal is post_save}")
