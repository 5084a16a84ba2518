"""Which column of a CSV file means which ticket field: our own names, and the ones other systems use.

Headers are compared after normalising them (apps.common.csv.columns), so `Created At`, `created-at` and
`CREATED_AT` are the same column. A file from another help desk imports without renaming its columns:
`subject` is the title, `queue` the department, and so on.
"""

from apps.common.csv.columns import ColumnMap, map_columns

# field → the headers that mean it (normalised). The first one is the name our exports write.
TICKET_COLUMNS: dict[str, tuple[str, ...]] = {
    "reference": ("reference", "ref", "ticket", "ticket_id", "ticket_no", "ticket_number", "number", "id", "key"),
    "title": ("title", "subject", "summary", "short_description", "topic", "headline"),
    "description": ("description", "body", "details", "text", "content", "message", "problem", "comment"),
    "status": ("status", "state"),
    "priority": ("priority", "urgency", "severity"),
    "category": ("category", "type", "ticket_type", "issue_type", "kind"),
    "department": ("department", "queue", "team", "group", "dept", "department_name", "assignment_group"),
    "requester": (
        "requester",
        "requester_email",
        "requester_username",
        "email",
        "e_mail",
        "from",
        "customer",
        "customer_email",
        "reporter",
        "contact",
        "contact_email",
        "requested_by",
        "submitter",
        "caller",
    ),
    "requester_name": ("requester_name", "name", "customer_name", "contact_name", "reporter_name", "from_name"),
    "assignee": ("assignee", "assignee_email", "assignee_username", "assigned_to", "agent", "owner", "technician"),
    "language": ("language", "lang", "locale"),
    "created_at": (
        "created_at",
        "created",
        "created_on",
        "creation_date",
        "date_created",
        "date",
        "opened",
        "opened_at",
        "submitted_at",
    ),
    "updated_at": ("updated_at", "updated", "updated_on", "last_updated", "modified", "modified_at", "last_modified"),
    "first_responded_at": (
        "first_responded_at",
        "first_response",
        "first_response_at",
        "first_reply_at",
        "responded_at",
    ),
    "resolved_at": ("resolved_at", "resolved", "resolved_on", "solved_at", "resolution_date"),
    "closed_at": ("closed_at", "closed", "closed_on", "close_date"),
    # The other system's id of the ticket and that system's name: a re-run finds the tickets by them.
    "external_id": ("external_id",),
    "external_source": ("external_source",),
    # Written by our exports for people to read; an imported ticket's source is always "import".
    "source": ("source", "channel", "via"),
}
REQUIRED_FIELDS = ("title", "description", "requester")


def ticket_columns(headers: tuple[str, ...]) -> ColumnMap:
    """Map a header row to ticket fields (see TICKET_COLUMNS)."""
    return map_columns(headers, TICKET_COLUMNS, required=REQUIRED_FIELDS)
