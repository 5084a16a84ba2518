"""The fixed placeholders of canned responses and macros: `{requester_name}` and its few siblings, nothing else.

A text is never a template: each `{name}` whose name is in PLACEHOLDERS is replaced by that value, in one pass
(a value that itself contains `{agent_name}` stays as it is); anything else, `{{ settings.SECRET_KEY }}` or
`{ticket.requester.password}` included, is sent literally. No attribute lookup, no filter, no expression.
"""

import re
from collections.abc import Callable

from django.conf import settings
from django.utils.translation import gettext_lazy as _

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


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


def render(text: str, *, ticket, agent) -> str:
    """`text` with its known placeholders replaced by their values for this ticket and agent."""
    values: dict[str, str] = {}

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in PLACEHOLDERS:
            return match.group(0)
        if name not in values:
            values[name] = str(PLACEHOLDERS[name][1](ticket, agent))
        return values[name]

    return PLACEHOLDER.sub(replace, text)


def text_for(macro, *, language: str) -> str:
    """The macro's reply text in `language` when it has a variant in it, else its own."""
    variant = (macro.translations or {}).get(language or settings.LANGUAGE_CODE, "")
    return variant if variant.strip() else macro.body


def help_text() -> str:
    """The placeholders, for the form's help text."""
    return ", ".join(f"{{{name}}} ({label})" for name, (label, _read) in PLACEHOLDERS.items())
