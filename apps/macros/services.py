"""All writes of canned responses and macros, and their use on a ticket.

`macro_apply` is one transaction: the reply, the internal note, then priority, assignee and status through the
ticket services (each checks the actor's rights and records its history entry); any refusal leaves the ticket
as it was. `macro_text` gives the reply text for a ticket (the requester's language, placeholders filled), for
the composer to insert.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.choices import STAFF_ROLES
from apps.common.text import normalise_text
from apps.tickets.choices import TRANSITIONS, Status
from apps.tickets.models import Ticket
from apps.tickets.services import comment_add, ticket_change

from .choices import AssignTo, Scope
from .models import Macro
from .permissions import can_manage_macro, can_use_macros
from .placeholders import render, text_for, validate


def _denied(message: str):
    return PermissionDenied(message)


def _clean(macro: Macro) -> None:
    macro.title = normalise_text(macro.title)
    macro.body = normalise_text(macro.body)
    macro.note = normalise_text(macro.note)
    languages = dict(settings.LANGUAGES)
    translations = {}
    for language, text in (macro.translations or {}).items():
        if language not in languages:
            raise ValidationError(
                {"translations": _("“%(code)s” is not a language of this site.") % {"code": language}}
            )
        text = normalise_text(str(text or ""))
        if text:
            translations[language] = text
    macro.translations = translations
    if macro.scope != Scope.DEPARTMENT:
        macro.department = None
    elif macro.department_id is None:
        raise ValidationError({"department": _("Choose the department whose agents use it.")})
    if macro.assign == AssignTo.USER:
        agent = macro.assignee
        if agent is None or not (agent.is_active and agent.role in STAFF_ROLES):
            raise ValidationError({"assignee": _("Choose an active agent or admin to assign to.")})
    else:
        macro.assignee = None
    if not (macro.body or macro.translations or macro.has_actions):
        raise ValidationError({"body": _("Write a reply text, or choose at least one action.")})
    _check_placeholders(macro)


def _check_placeholders(macro: Macro) -> None:
    """Refuse a text whose placeholders with an argument may not be sent to a requester, naming each text."""
    errors: dict[str, list] = {}
    texts = [("body", macro.body), ("note", macro.note)]
    texts += [
        (f"body_{language}", text)  # the form's box of that variant
        for language, text in sorted(macro.translations.items())
    ]
    for field, text in texts:
        try:
            validate(text)
        except ValidationError as exc:
            errors[field] = exc.messages
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def macro_save(*, macro: Macro, actor) -> Macro:
    """Create or change a macro: admins any, agents their own private ones (saved as private and theirs)."""
    if macro.pk is not None:
        stored = Macro.objects.select_for_update().filter(pk=macro.pk).first()
        if stored is None or not can_manage_macro(actor, stored):
            raise _denied(_("Only its owner or an admin changes this macro."))
    if macro.scope == Scope.PRIVATE and macro.owner_id is None:
        macro.owner = actor
    if macro.scope != Scope.PRIVATE:
        macro.owner = None
    if not can_manage_macro(actor, macro):
        raise _denied(_("Agents keep private macros only; admins share them."))
    _clean(macro)
    macro.full_clean()
    macro.save()
    return macro


@transaction.atomic
def macro_delete(*, macro: Macro, actor) -> None:
    """Delete a macro: its owner (a private one) or an admin."""
    if not can_manage_macro(actor, macro):
        raise _denied(_("Only its owner or an admin deletes this macro."))
    Macro.objects.filter(pk=macro.pk).delete()


def macro_text(*, macro: Macro, ticket: Ticket, actor) -> str:
    """The macro's reply text for this ticket: the requester's language variant, the placeholders filled."""
    return render(text_for(macro, language=ticket.requester.language), ticket=ticket, agent=actor)


def _status_steps(current: str, target: str) -> list[str]:
    """The statuses to pass through to reach `target`: one move, or two through In progress (Open → Waiting)."""
    if target == current:
        return []
    if target in TRANSITIONS[current]:
        return [target]
    if Status.IN_PROGRESS in TRANSITIONS[current] and target in TRANSITIONS[Status.IN_PROGRESS]:
        return [Status.IN_PROGRESS, target]
    return [target]  # the ticket services refuse it, naming both statuses


@transaction.atomic
def macro_apply(*, macro: Macro, ticket: Ticket, actor) -> Ticket:
    """Use a macro on a ticket: its reply (public), its note (internal), then priority, assignee and status."""
    if not can_use_macros(actor):
        raise _denied(_("Only agents and admins use macros."))
    reply = macro_text(macro=macro, ticket=ticket, actor=actor)
    if reply.strip():
        comment_add(ticket=ticket, actor=actor, body=reply)
    note = render(macro.note, ticket=ticket, agent=actor)
    if note.strip():
        comment_add(ticket=ticket, actor=actor, body=note, is_internal=True)
    ticket = Ticket.objects.get(pk=ticket.pk)
    changes = {}
    if macro.set_priority and macro.set_priority != ticket.priority:
        changes["priority"] = macro.set_priority
    if macro.assign == AssignTo.ME:
        changes["assignee"] = actor
    elif macro.assign == AssignTo.NOBODY:
        changes["assignee"] = None
    elif macro.assign == AssignTo.USER:
        changes["assignee"] = macro.assignee
    steps = _status_steps(ticket.status, macro.set_status) if macro.set_status else []
    for index, status in enumerate(steps or [None]):
        ticket = ticket_change(ticket=ticket, actor=actor, status=status, **(changes if index == 0 else {}))
    return ticket
