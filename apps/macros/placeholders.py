"""The placeholders of canned responses and macros: `{requester_name}` and its few fixed siblings, and the
placeholders with an argument that apps above tickets register (`{article:<slug or id>}`, from the knowledge base).

A text is never a template: each `{name}` whose name is in PLACEHOLDERS, and each `{name:argument}` whose name is
registered in apps/tickets/extensions.py `reply_placeholders` (the argument: letters, digits, `-` and `_` only), is
replaced by its value, in one pass (a value that itself contains `{agent_name}` stays as it is); anything else,
`{{ settings.SECRET_KEY }}` or `{ticket.requester.password}` included, is sent literally. No attribute lookup, no
filter, no expression.

A placeholder with an argument is checked when the macro is saved (`validate`: `macro_save` refuses, naming the
field, an argument that may not be sent to a requester, e.g. a draft or agents-only article). One that stands for
nothing when the text is used (the article was unpublished or deleted since) is sent as written, like any
unknown placeholder: never something the requester may not read.
"""

import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.tickets.extensions import reply_placeholders

PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::([A-Za-z0-9_-]{1,120}))?\}")


def _name(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _first_name(user) -> str:
    return (user.first_name or _name(user)) if user is not None else ""


# name → (what it stands for, how it is read from the ticket and the agent who uses the text)
PLACEHOLDERS: dict[str, tuple[str, Callable]] = {
    "requester_name": (_("the requester's full name"), lambda ticket, agent: _name(ticket.requester)),
    "requester_first_name": (_("the requester's first name"), lambda ticket, agent: _first_name(ticket.requester)),
    "requester_email": (_("the requester's e-mail address"), lambda ticket, agent: ticket.requester.email),
    "ticket_reference": (_("the ticket's reference"), lambda ticket, agent: ticket.reference),
    "ticket_title": (_("the ticket's title"), lambda ticket, agent: ticket.title),
    "department_name": (_("the ticket's department"), lambda ticket, agent: ticket.department.name),
    "agent_name": (_("your full name"), lambda ticket, agent: _name(agent)),
    "agent_first_name": (_("your first name"), lambda ticket, agent: _first_name(agent)),
}


def _with_argument() -> dict:
    return {entry.name: entry for entry in reply_placeholders}


def render(text: str, *, ticket, agent) -> str:
    """`text` with its known placeholders replaced by their values for this ticket and agent."""
    values: dict[tuple[str, str | None], str] = {}
    registered = _with_argument()

    def replace(match: re.Match) -> str:
        name, argument = match.group(1), match.group(2)
        key = (name, argument)
        if key in values:
            return values[key]
        if argument is None and name in PLACEHOLDERS:
            values[key] = str(PLACEHOLDERS[name][1](ticket, agent))
        elif argument is not None and name in registered:
            values[key] = str(registered[name].render(argument, ticket, agent) or "") or match.group(0)
        else:
            return match.group(0)
        return values[key]

    return PLACEHOLDER.sub(replace, text)


def validate(text: str) -> None:
    """Refuse (ValidationError, every problem named) the placeholders with an argument that may not be sent."""
    registered = _with_argument()
    problems: list = []
    seen = set()
    for match in PLACEHOLDER.finditer(text or ""):
        name, argument = match.group(1), match.group(2)
        if argument is None or name not in registered or (name, argument) in seen:
            continue
        seen.add((name, argument))
        try:
            registered[name].validate(argument)
        except ValidationError as exc:
            problems.extend(exc.messages)
    if problems:
        raise ValidationError(problems)


def text_for(macro, *, language: str) -> str:
    """The macro's reply text in `language` when it has a variant in it, else its own."""
    variant = (macro.translations or {}).get(language or settings.LANGUAGE_CODE, "")
    return variant if variant.strip() else macro.body


def help_text() -> str:
    """The placeholders, for the form's help text."""
    fixed = [f"{{{name}}} ({label})" for name, (label, _read) in PLACEHOLDERS.items()]
    with_argument = [f"{{{entry.name}:<{entry.argument}>}} ({entry.label})" for entry in reply_placeholders]
    return ", ".join([*fixed, *with_argument])
