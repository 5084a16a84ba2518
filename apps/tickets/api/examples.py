"""Request and response examples of the tickets API for the schema (Swagger UI shows them; tests/test_schema.py
checks each against its schema)."""

from drf_spectacular.utils import OpenApiExample

TICKET = {
    "id": 42,
    "url": "https://help.example.com/api/tickets/42/",
    "reference": "TCK-000042",
    "title": "VPN drops every hour",
    "description": "Since Monday the VPN disconnects about every hour; reconnecting works.",
    "status": "open",
    "priority": "high",
    "category": "incident",
    "department": 3,
    "requester": 17,
    "assignee": 5,
    "language": "en",
    "source": "api",
    "first_response_due_at": "2026-03-02T13:00:00Z",
    "resolution_due_at": "2026-03-04T09:00:00Z",
    "first_responded_at": "2026-03-02T10:12:00Z",
    "resolved_at": None,
    "closed_at": None,
    "created_at": "2026-03-02T09:00:00Z",
    "updated_at": "2026-03-02T10:12:00Z",
    "version": 3,
    "comments": "https://help.example.com/api/tickets/42/comments/",
    "attachments": "https://help.example.com/api/tickets/42/attachments/",
    "events": "https://help.example.com/api/tickets/42/events/",
    "insight": {
        "status": "done",
        "provider": "local",
        "language": "en",
        "sentiment": -0.42,
        "categories": ["incident", "access"],
        "suggested_priority": "high",
        "suggested_category": "incident",
        "suggested_department": 3,
        "confidence": {"category": 0.5, "department": 0.5, "priority": 0.6},
        "suggested_by": {"category": "provider", "department": "rules", "priority": "rules"},
        "analysed_at": "2026-03-02T09:00:05Z",
    },
}
NEW_TICKET = {
    **TICKET,
    "status": "new",
    "priority": "normal",
    "assignee": None,
    "first_responded_at": None,
    "updated_at": "2026-03-02T09:00:00Z",
    "version": 1,
    "insight": None,
}
COMMENT = {
    "id": 310,
    "url": "https://help.example.com/api/tickets/42/comments/310/",
    "ticket": 42,
    "author": 5,
    "author_name": "Ada Lovelace",
    "body": "Please send the time of the next drop; the gateway's log shows the reason.",
    "is_internal": False,
    "created_at": "2026-03-02T10:12:00Z",
    "updated_at": "2026-03-02T10:12:00Z",
    "edited_at": None,
    "attachments": [],
}

TICKET_LIST_EXAMPLES = [
    OpenApiExample(
        "OpenTickets",
        summary="Open tickets, most recently updated first",
        description="GET /api/tickets/?status=open&ordering=-updated_at",
        value=TICKET,
        response_only=True,
    )
]
TICKET_CREATE_EXAMPLES = [
    OpenApiExample(
        "RequesterOpens",
        summary="A requester opens a ticket",
        value={
            "title": "VPN drops every hour",
            "description": "Since Monday the VPN disconnects about every hour; reconnecting works.",
            "category": "incident",
        },
        request_only=True,
    ),
    OpenApiExample(
        "AgentOpensForSomeone",
        summary="An agent opens a ticket for someone",
        value={
            "title": "New laptop for the new hire",
            "description": "Starts on the 1st; standard developer set-up.",
            "category": "request",
            "priority": "normal",
            "department": 3,
            "requester_email": "new.hire@example.com",
            "assignee": None,
        },
        request_only=True,
    ),
    OpenApiExample("Created", summary="The new ticket", value=NEW_TICKET, response_only=True, status_codes=["201"]),
]
TICKET_RETRIEVE_EXAMPLES = [
    OpenApiExample("AsStaffSeeIt", summary="A ticket, as staff see it", value=TICKET, response_only=True)
]
TICKET_PARTIAL_UPDATE_EXAMPLES = [
    OpenApiExample(
        "TakeAndRaisePriority",
        summary="Take a ticket and raise its priority",
        value={"assignee": 5, "priority": "high"},
        request_only=True,
    ),
    OpenApiExample(
        "RequesterCloses", summary="A requester closes their ticket", value={"status": "closed"}, request_only=True
    ),
    OpenApiExample("Changed", summary="The changed ticket", value=TICKET, response_only=True, status_codes=["200"]),
]
COMMENT_CREATE_EXAMPLES = [
    OpenApiExample("Reply", summary="A reply", value={"body": "It dropped at 10:03 and at 11:05."}, request_only=True),
    OpenApiExample(
        "InternalNote",
        summary="An internal note (staff only)",
        value={"body": "Same gateway as INC-311; waiting for the vendor.", "is_internal": True},
        request_only=True,
    ),
    OpenApiExample("Created", summary="The new comment", value=COMMENT, response_only=True, status_codes=["201"]),
]
