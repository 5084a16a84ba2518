"""How the exports of other help desks read: their columns and their values, as our ticket fields and choices.

`import_tickets FILE --from zammad` (and the import page's "Exported from" choice) reads a file through one of
these presets. A preset adds to the column names the import always understands (columns.TICKET_COLUMNS); it
never removes one. Headers and values are compared normalised (lower case, punctuation as "_"), so
`Data de abertura` and `data_de_abertura` are the same header, and `2 normal` is `2_normal`.

A preset may send two of its columns to one field (Zammad's `number` and `id`, GLPI's `Category` and
`Type`): the conflict rules of columns.resolve_columns pick one and the report says which and why. The order
of a preset's columns is its preference when nothing else decides (`number` before `id`).

Values that a preset does not know are listed by the import once per column with their row count; the
`--value` option (or the import page's mapping step) maps them.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Preset:
    """One system's export: header → field, and per field their value → our value ("" ignores the value)."""

    name: str
    label: str
    columns: dict[str, str]
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    description: str = ""


ZAMMAD = Preset(
    name="zammad",
    label=_("Zammad"),
    description=_("ticket CSV (id and number, group, state, owner, customer; priorities like “2 normal”)"),
    columns={
        "number": "reference",
        "id": "reference",
        "title": "title",
        "note": "description",
        "body": "description",
        "group": "department",
        "state": "status",
        "priority": "priority",
        "owner": "assignee",
        "customer": "requester",
        "customer_email": "requester",
        "created_at": "created_at",
        "updated_at": "updated_at",
        "close_at": "closed_at",
        "closed_at": "closed_at",
        "first_response_at": "first_responded_at",
    },
    values={
        "status": {
            "new": "new",
            "open": "open",
            "pending_reminder": "waiting",
            "pending_close": "waiting",
            "closed": "closed",
            "merged": "closed",
            "removed": "closed",
        },
        "priority": {"1_low": "low", "2_normal": "normal", "3_high": "high"},
    },
)

OSTICKET = Preset(
    name="osticket",
    label=_("osTicket"),
    description=_("ticket export (Ticket Number, From and From Email, Help Topic, Current Status; no body)"),
    columns={
        "ticket_number": "reference",
        "ticket": "reference",
        "subject": "title",
        "from_email": "requester",
        "from": "requester_name",
        "department": "department",
        "help_topic": "category",
        "current_status": "status",
        "status": "status",
        "priority": "priority",
        "agent_assigned": "assignee",
        "date_created": "created_at",
        "create_date": "created_at",
        "last_updated": "updated_at",
        "close_date": "closed_at",
    },
    values={
        "status": {
            "open": "open",
            "resolved": "resolved",
            "closed": "closed",
            "archived": "closed",
            "deleted": "closed",
        },
        "priority": {"low": "low", "normal": "normal", "high": "high", "emergency": "urgent"},
    },
)

DJANGO_HELPDESK = Preset(
    name="helpdesk",
    label=_("django-helpdesk"),
    description=_("ticket table (submitter_email, numeric queue, status and priority)"),
    columns={
        "id": "reference",
        "title": "title",
        "description": "description",
        "submitter_email": "requester",
        "queue": "department",
        "queue_id": "department",
        "status": "status",
        "priority": "priority",
        "assigned_to": "assignee",
        "created": "created_at",
        "modified": "updated_at",
    },
    values={
        # Ticket.STATUS_CHOICES and PRIORITY_CHOICES of django-helpdesk (numbers and their English names).
        "status": {
            "1": "open",
            "2": "open",
            "3": "resolved",
            "4": "closed",
            "5": "closed",
            "reopened": "open",
            "duplicate": "closed",
        },
        "priority": {
            "1": "urgent",
            "2": "high",
            "3": "normal",
            "4": "low",
            "5": "low",
            "very_low": "low",
        },
    },
)

_GLPI_STATUS = {
    "new": "new",
    "processing_assigned": "in_progress",
    "processing_planned": "in_progress",
    "pending": "waiting",
    "solved": "resolved",
    "closed": "closed",
    "novo": "new",
    "processando_atribu_do": "in_progress",
    "processando_atribuido": "in_progress",
    "processando_planejado": "in_progress",
    "em_atendimento_atribu_do": "in_progress",
    "em_atendimento_planejado": "in_progress",
    "pendente": "waiting",
    "solucionado": "resolved",
    "fechado": "closed",
}
_GLPI_PRIORITY = {
    "very_low": "low",
    "low": "low",
    "medium": "normal",
    "high": "high",
    "very_high": "urgent",
    "major": "urgent",
    "muito_baixa": "low",
    "baixa": "low",
    "m_dia": "normal",
    "media": "normal",
    "alta": "high",
    "muito_alta": "urgent",
    "cr_tica": "urgent",
    "critica": "urgent",
}
GLPI = Preset(
    name="glpi",
    label=_("GLPI"),
    description=_("ticket search export, English or Portuguese headers and values; Category paths kept"),
    columns={
        "id": "reference",
        "title": "title",
        "name": "title",  # older exports call the title NAME
        "t_tulo": "title",
        "titulo": "title",
        "description": "description",
        "descri_o": "description",
        "descricao": "description",
        "requester_requester": "requester",
        "requester": "requester",
        "requerente_requerente": "requester",
        "requerente": "requester",
        "assigned_to_technician": "assignee",
        "atribu_do_para_t_cnico": "assignee",
        "atribuido_para_tecnico": "assignee",
        "type": "category",
        "tipo": "category",
        "category": "category",
        "categoria": "category",
        "status": "status",
        "estado": "status",
        "priority": "priority",
        "prioridade": "priority",
        "opening_date": "created_at",
        "data_de_abertura": "created_at",
        "last_update": "updated_at",
        "ltima_atualiza_o": "updated_at",
        "ultima_atualizacao": "updated_at",
        "resolution_date": "resolved_at",
        "solve_date": "resolved_at",
        "data_de_solu_o": "resolved_at",
        "data_da_solu_o": "resolved_at",
        "closing_date": "closed_at",
        "close_date": "closed_at",
        "data_de_fechamento": "closed_at",
    },
    values={
        "status": _GLPI_STATUS,
        "priority": _GLPI_PRIORITY,
        "category": {
            "incident": "incident",
            "request": "request",
            "incidente": "incident",
            "requisi_o": "request",
            "requisicao": "request",
        },
    },
)

FREESCOUT = Preset(
    name="freescout",
    label=_("FreeScout"),
    description=_("conversations export (Number, Customer Email, Mailbox, Status)"),
    columns={
        "number": "reference",
        "conversation_number": "reference",
        "id": "reference",
        "subject": "title",
        "preview": "description",
        "customer_email": "requester",
        "customer_name": "requester_name",
        "customer": "requester_name",
        "mailbox": "department",
        "status": "status",
        "assignee": "assignee",
        "assigned_to": "assignee",
        "created_at": "created_at",
        "created": "created_at",
        "updated_at": "updated_at",
        "closed_at": "closed_at",
    },
    values={
        "status": {"active": "open", "pending": "waiting", "closed": "closed", "spam": "closed"},
    },
)

JIRA = Preset(
    name="jira",
    label=_("Jira Service Management"),
    description=_("issue CSV export (Issue key over Issue id, Summary, Reporter, Request Type)"),
    columns={
        "issue_key": "reference",
        "issue_id": "reference",
        "summary": "title",
        "description": "description",
        "reporter": "requester",
        "reporter_email": "requester",
        "assignee": "assignee",
        "status": "status",
        "priority": "priority",
        "issue_type": "category",
        "request_type": "category",
        "project_name": "department",
        "created": "created_at",
        "updated": "updated_at",
        "resolved": "resolved_at",
    },
    values={
        "status": {
            "open": "open",
            "to_do": "open",
            "waiting_for_support": "open",
            "waiting_for_customer": "waiting",
            "pending": "waiting",
            "in_progress": "in_progress",
            "work_in_progress": "in_progress",
            "escalated": "in_progress",
            "resolved": "resolved",
            "done": "resolved",
            "closed": "closed",
            "canceled": "closed",
            "declined": "closed",
        },
        "priority": {"highest": "urgent", "high": "high", "medium": "normal", "low": "low", "lowest": "low"},
        "category": {
            "system_incident": "incident",
            "system_service_request": "request",
            "system_service_request_with_approvals": "request",
            "system_problem": "incident",
            "system_change": "request",
            "system_post_incident_review": "incident",
            "incident": "incident",
            "service_request": "request",
            "problem": "incident",
            "change": "request",
            "task": "request",
            "bug": "incident",
        },
    },
)

GENERIC = Preset(
    name="generic",
    label=_("Generic support-ticket CSV"),
    description=_("“Ticket Subject”, “Ticket Description”, “Ticket Status”, “Ticket Priority”, or subject/body/queue"),
    columns={
        "ticket_id": "reference",
        "ticket_subject": "title",
        "subject": "title",
        "ticket_description": "description",
        "body": "description",
        "ticket_status": "status",
        "ticket_priority": "priority",
        "ticket_type": "category",
        "type": "category",
        "queue": "department",
        "customer_email": "requester",
        "customer_name": "requester_name",
        "language": "language",
    },
    values={
        "status": {"pending_customer_response": "waiting", "open": "open", "closed": "closed"},
        "priority": {"critical": "urgent", "medium": "normal"},
        "category": {
            "technical_issue": "incident",
            "billing_inquiry": "billing",
            "product_inquiry": "question",
            "refund_request": "billing",
            "cancellation_request": "request",
            "change": "request",
            "problem": "incident",
        },
    },
)

PRESETS: dict[str, Preset] = {
    preset.name: preset for preset in (ZAMMAD, OSTICKET, DJANGO_HELPDESK, GLPI, FREESCOUT, JIRA, GENERIC)
}


# Messages files (import_messages): the same systems' exports of replies and notes. -------------------------

MESSAGE_COLUMNS: dict[str, tuple[str, ...]] = {
    "ticket": ("ticket", "ticket_reference", "reference", "ticket_id", "ticket_number", "number", "issue_key"),
    "author": ("author", "author_email", "email", "from_email", "from", "user", "poster", "writer", "created_by"),
    "body": ("body", "message", "text", "comment", "content", "description"),
    "internal": ("internal", "is_internal", "private", "is_private"),
    "public": ("public", "is_public"),
    "type": ("type", "kind", "thread_type", "entry_type"),
    "created_at": ("created_at", "created", "date", "created_on", "posted_at", "date_creation"),
    "attachments": ("attachments", "attachment", "files", "file"),
}


@dataclass(frozen=True)
class MessagePreset:
    """One system's messages export: header → field, and which values of its `type` column are internal notes."""

    name: str
    columns: dict[str, str]
    internal_types: frozenset[str] = frozenset()
    public_types: frozenset[str] = frozenset()


MESSAGE_PRESETS = {
    preset.name: preset
    for preset in (
        MessagePreset(
            "zammad",
            {"ticket_number": "ticket", "number": "ticket", "ticket_id": "ticket", "from": "author",
             "created_by": "author", "body": "body", "internal": "internal", "created_at": "created_at"},
        ),
        MessagePreset(
            "osticket",
            {"ticket_number": "ticket", "poster": "author", "email": "author", "body": "body", "type": "type",
             "created": "created_at"},
            internal_types=frozenset({"n", "note"}),
            public_types=frozenset({"m", "r", "message", "response"}),
        ),
        MessagePreset(
            "helpdesk",
            {"ticket": "ticket", "ticket_id": "ticket", "user": "author", "user_email": "author",
             "comment": "body", "public": "public", "date": "created_at"},
        ),
        MessagePreset(
            "glpi",
            {"ticket": "ticket", "id_do_chamado": "ticket", "writer": "author", "requester": "author",
             "escritor": "author", "description": "body", "content": "body", "descri_o": "body",
             "private": "internal", "privado": "internal", "date": "created_at", "data": "created_at"},
        ),
        MessagePreset(
            "freescout",
            {"conversation_number": "ticket", "number": "ticket", "created_by": "author", "customer_email": "author",
             "body": "body", "type": "type", "created_at": "created_at"},
            internal_types=frozenset({"note"}),
            public_types=frozenset({"message", "customer", "reply"}),
        ),
        MessagePreset(
            "jira",
            {"issue_key": "ticket", "author": "author", "body": "body", "internal": "internal",
             "created": "created_at"},
        ),
        MessagePreset(
            "generic",
            {"ticket_id": "ticket", "author_email": "author", "message": "body", "internal": "internal",
             "created_at": "created_at"},
        ),
    )
}  # fmt: skip
