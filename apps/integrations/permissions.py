"""Who may manage which webhooks and API keys.

Webhooks: admins manage every endpoint; an agent holding the `integrations.manage_department_webhooks`
permission (given to the account or to its department's group by an admin) manages the endpoints of their own
departments, and every endpoint they create is limited to one of them. Requesters manage none.
API keys: everyone manages their own; admins every key, and create keys for any account (a dedicated service
user). A key cannot create keys (a leaked key must not be able to outlive its revocation).
Whatever the owner's rights, a webhook only ever delivers the tickets its owner may see (apps/integrations/
services.py checks at delivery time).
"""

from django.db.models import Q, QuerySet

from apps.accounts.permissions import is_admin, is_agent
from apps.departments.models import Department

MANAGE_DEPARTMENT_WEBHOOKS = "integrations.manage_department_webhooks"


def may_manage_webhooks(user) -> bool:
    """Whether the user may open webhooks at all (admins, and agents with the permission)."""
    return is_admin(user) or (is_agent(user) and user.has_perm(MANAGE_DEPARTMENT_WEBHOOKS))


def own_departments(user) -> QuerySet[Department]:
    return Department.objects.filter(group__user=user)


def webhook_scope(user) -> Q | None:
    """The filter of the endpoints `user` manages (None: every one; admins)."""
    if is_admin(user):
        return None
    if may_manage_webhooks(user):
        return Q(department__in=own_departments(user).values("pk"))
    return Q(pk__in=[])


def may_use_department(user, department: Department | None) -> bool:
    """An admin may leave the department empty or pick any; an agent must pick one of their own."""
    if is_admin(user):
        return True
    if department is None or not may_manage_webhooks(user):
        return False
    return own_departments(user).filter(pk=department.pk).exists()


def may_manage_keys_of(user, owner) -> bool:
    return bool(user.is_authenticated and user.is_active and (owner.pk == user.pk or is_admin(user)))
