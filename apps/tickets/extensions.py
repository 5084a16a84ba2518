"""Extension points of the tickets app's pages and API, which the apps above it fill in their AppConfig.ready().

The tickets app imports neither notifications nor ai (the layers in DESIGN.md). Where one of its pages or its
API shows something of theirs, the tickets code iterates a registry here (after NetBox's plugin template
extensions), and the app that owns the piece registers it at start-up:

| registry | read by | an entry adds |
|---|---|---|
| `portal_urls` | apps/tickets/urls.py | a URL in the portal's namespace (`portal:<name>`) |
| `portal_ticket_context` | the portal's ticket page (views.py) | context for templates/portal/ticket_detail.html |
| `admin_ticket_panels` | the back office's ticket page (admin/page.py) | a section in `main`, `side` or `composer` |
| `admin_ticket_urls` | TicketAdmin.get_urls | a URL of the ticket admin (`admin:<name>`) |
| `api_ticket_fields` | TicketSerializer | a read-only field of the ticket's representation |
| `api_ticket_actions` | TicketViewSet.with_extensions | a detail action, `/api/tickets/{id}/<name>/` |
| `ticket_language_lookups` | admin/filters.py LanguageFilter | where a ticket without a language has one |
| `outgoing_ticket_mail` | notifications/emails.py, around sending | headers, sender, files of a ticket's e-mail |
| `ticket_reply_rights` | permissions.py `can_comment` | someone besides the requester who may reply publicly |
| `portal_includes` | `{% portal_includes "<slot>" %}` in the portal's templates | a template included at a slot |
| `dashboard_sections` | dashboard.py `dashboard_callback` | a section at the end of the back office's dashboard |
| `reply_placeholders` | macros/placeholders.py (canned responses, macros) | a placeholder `{name:argument}` |

Entries are kept in the order they were registered (INSTALLED_APPS order); registering a name again replaces
its entry in place, so a second ready() changes nothing.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin
    from django.core.mail import EmailMessage
    from django.http import HttpRequest, HttpResponse
    from django.urls import URLPattern
    from rest_framework.fields import Field

    from .models import Comment, Ticket


class _Named(Protocol):
    @property
    def name(self) -> str | None: ...


Entry = TypeVar("Entry", bound=_Named)


class Registry(Generic[Entry]):
    """Entries by name, in the order they were first registered."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}

    def register(self, entry: Entry) -> Entry:
        if not entry.name:
            raise ValueError(f"{entry!r} needs a name to be registered")
        self._entries[entry.name] = entry
        return entry

    def __iter__(self) -> Iterator[Entry]:
        return iter(list(self._entries.values()))


@dataclass(frozen=True)
class PortalTicketContext:
    """Context for the portal's ticket page, from the request, the ticket and the comments the page shows."""

    name: str
    context: "Callable[[HttpRequest, Ticket, list[Comment]], Mapping[str, Any]]"


@dataclass(frozen=True)
class AdminPanel:
    """A section of the back office's ticket page: `template` is included in `column`, with `context(...)`
    merged into the page's context (prefix the keys with the app's name when they could clash).

    "main": under the conversation; "side": in the side panel, under the properties; "composer": inside the
    composer, above the message box (canned responses, article search), shown to those who may answer. A
    composer tool writes into the message box (the textarea `#composer-body`) with the page's script API
    `window.ticketComposer.insert(text)`, which inserts at the cursor (replacing a selection) and keeps the
    draft."""

    name: str
    template: str
    column: Literal["main", "side", "composer"]
    context: "Callable[[ModelAdmin, HttpRequest, Ticket], Mapping[str, Any]]"


@dataclass(frozen=True)
class AdminUrl:
    """A URL of the ticket admin: `route` below /admin/tickets/ticket/, `view(model_admin, request, **kwargs)`
    wrapped in the admin site's login and staff checks, reversed as `admin:<name>`."""

    name: str
    route: str
    view: "Callable[..., HttpResponse]"


@dataclass(frozen=True)
class AdminAction:
    """An action of the ticket list (`action(model_admin, request, queryset)`, as Django admin actions are),
    offered to the users for whom `allowed(user)` is true."""

    name: str
    action: "Callable[[ModelAdmin, HttpRequest, Any], HttpResponse | None]"
    description: str
    allowed: "Callable[[Any], bool]"


@dataclass(frozen=True)
class ApiField:
    """A read-only field of the ticket's API representation, after the ticket's own fields.

    `field()` builds the DRF field, with `source="*"` (it is given the ticket); it serves the representation
    and the OpenAPI schema alike. `select_related`: what the ticket list reads with each row so that the field
    costs no query per row.
    """

    name: str
    field: "Callable[[], Field]"
    select_related: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApiAction:
    """A detail action of the tickets API: `view` is a method decorated with DRF's @action(detail=True), named
    `name`; `query_parameters` are the query parameters it accepts (every other one is a 400)."""

    name: str
    view: Callable[..., Any]
    query_parameters: frozenset[str] = frozenset()


@dataclass(frozen=True)
class LanguageLookup:
    """An ORM lookup from Ticket to a language detected elsewhere (e.g. "insight__language"), used for tickets
    whose own `language` is empty."""

    name: str
    lookup: str


@dataclass(frozen=True)
class OutgoingMail:
    """A hook on every e-mail about a ticket that leaves (the notifications' e-mails): `prepare(message, ticket,
    comment)` may set its headers, sender, subject and files before it is sent (`comment`: the reply or note the
    e-mail is about, or None; a hook never adds an internal note's text or files to a message);
    `finished(message, error)` hears how sending went (`error` None: sent)."""

    name: str
    prepare: "Callable[[EmailMessage, Ticket, Comment | None], None]"
    finished: "Callable[[EmailMessage, Exception | None], None]"


@dataclass(frozen=True)
class ReplyRight:
    """Who else, besides the requester, may write public replies on a ticket they can see (not staff: staff write
    when they may change the ticket): `allows(user, ticket)`, e.g. the watchers an e-mail put in copy."""

    name: str
    allows: "Callable[[Any, Ticket], bool]"


@dataclass(frozen=True)
class PortalInclude:
    """A template included in a portal page at `slot`, with that page's context: "nav" (the header's links, for
    everyone, signed in or not), "ticket_create" (the new-ticket form, after its fields), "ticket_detail" (the
    ticket page, above the conversation; its context comes from `portal_ticket_context`) or "profile" (the
    requester's profile page, after the notification preferences)."""

    name: str
    slot: Literal["nav", "ticket_create", "ticket_detail", "profile"]
    template: str


@dataclass(frozen=True)
class DashboardSection:
    """A section at the end of the back office's dashboard: `template` rendered with `section` =
    `context(request, first_day, last_day)` (the dashboard's period)."""

    name: str
    template: str
    context: "Callable[[HttpRequest, Any, Any], Mapping[str, Any]]"


@dataclass(frozen=True)
class ReplyPlaceholder:
    """A placeholder with an argument in the texts of canned responses and macros, `{<name>:<argument>}` (the
    argument: letters, digits, `-` and `_`), e.g. `{article:reset-password}`.

    `label` describes it in the macro form's help text (`argument` names the argument there, e.g. "slug or id");
    `validate(argument)` raises a ValidationError (its message shown on the form) when the argument may not be
    sent to a requester; `render(argument, ticket, agent)` returns the text for this ticket, read as its requester
    would be allowed to read it, or "" when it stands for nothing (the placeholder is then sent as written).
    """

    name: str
    label: str
    argument: str
    validate: "Callable[[str], None]"
    render: "Callable[[str, Ticket, Any], str]"


portal_urls: "Registry[URLPattern]" = Registry()
portal_ticket_context: Registry[PortalTicketContext] = Registry()
admin_ticket_panels: Registry[AdminPanel] = Registry()
admin_ticket_urls: Registry[AdminUrl] = Registry()
admin_ticket_actions: Registry[AdminAction] = Registry()
api_ticket_fields: Registry[ApiField] = Registry()
api_ticket_actions: Registry[ApiAction] = Registry()
ticket_language_lookups: Registry[LanguageLookup] = Registry()
outgoing_ticket_mail: Registry[OutgoingMail] = Registry()
ticket_reply_rights: Registry[ReplyRight] = Registry()
portal_includes: Registry[PortalInclude] = Registry()
dashboard_sections: Registry[DashboardSection] = Registry()
reply_placeholders: Registry[ReplyPlaceholder] = Registry()
