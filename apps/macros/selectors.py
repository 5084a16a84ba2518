"""Every read of canned responses and macros; `macros_visible_to` is the one scope rule."""

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import Http404

from apps.accounts.permissions import is_admin

from .choices import Scope
from .models import Macro
from .permissions import can_use_macros


def macros_visible_to(user) -> QuerySet[Macro]:
    """The active macros `user` may use somewhere: for everyone, of their departments (admins: all), their own."""
    if not can_use_macros(user):
        return Macro.objects.none()
    scope = Q(scope=Scope.EVERYONE) | Q(scope=Scope.PRIVATE, owner=user)
    if is_admin(user):
        scope |= Q(scope=Scope.DEPARTMENT)
    else:
        groups = get_user_model().groups.through.objects.filter(user=user).values("group_id")
        scope |= Q(scope=Scope.DEPARTMENT, department__group__in=groups)
    return Macro.objects.filter(scope, is_active=True).select_related("department").order_by("title", "id")


def macros_for_ticket(user, ticket) -> QuerySet[Macro]:
    """The macros `user` may use on `ticket`: a department's macros only on that department's tickets."""
    return macros_visible_to(user).filter(~Q(scope=Scope.DEPARTMENT) | Q(department_id=ticket.department_id))


def macro_get_for_ticket(*, user, ticket, pk) -> Macro:
    """One macro the user may use on the ticket, or Http404 (a macro outside the scope does not exist for them)."""
    try:
        return macros_for_ticket(user, ticket).get(pk=pk)
    except (Macro.DoesNotExist, ValueError, TypeError):
        raise Http404("No macro matches the given query.") from None


def macros_listed_for(user) -> QuerySet[Macro]:
    """The back office's list: admins every macro (inactive and private ones too); agents their own private
    ones (active or not) and the others they may use."""
    if is_admin(user):
        return Macro.objects.select_related("department", "owner")
    if not can_use_macros(user):
        return Macro.objects.none()
    usable = macros_visible_to(user).values("pk")
    return Macro.objects.filter(Q(scope=Scope.PRIVATE, owner=user) | Q(pk__in=usable)).select_related(
        "department", "owner"
    )
