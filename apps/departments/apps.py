from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


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
