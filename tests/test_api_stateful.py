"""Stateful contract test: schemathesis follows the links the schema declares, as each role, against a live server,
and runs every check of the installed schemathesis that applies to a live answer.

Links followed (apps/*/api/views.py, `link(...)`): a new ticket leads to reading, editing, transferring, deleting
it, its rating, replying, its files and history; a reply to reading, editing, replacing and deleting it; a new
webhook endpoint to reading, editing, replacing it, rotating its secret, its delivery log and deleting it; a new
API key to reading and revoking it; a page of articles or ratings to the first one's article or ticket.

Checks: every response and request check of schemathesis (`CHECKS`) except `max_response_time` (timings are
noise on a shared machine). The checks that only act on cases of another phase (negative_data_rejection,
missing_required_header: the fuzzing and coverage phases) run too and pass over positive stateful cases.

Bounded and deterministic (derandomized Hypothesis, a fixed number of scenarios and steps). Documented failures:
`DOCUMENTED`, each with its reason; any other failure fails the test.
"""

import pytest
import requests
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings

from apps.accounts.choices import Role
from apps.knowledge.services import satisfaction_request
from tests.accounts.factories import UserFactory
from tests.knowledge.conftest import resolve
from tests.knowledge.factories import ArticleFactory
from tests.support import reset_throttles
from tests.tickets.factories import TicketFactory

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402 - needs the import above
from schemathesis.core.failures import Failure, FailureGroup  # noqa: E402
from schemathesis.openapi.checks import RejectedPositiveData  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    allow_header_conformance,
    content_type_conformance,
    ensure_resource_availability,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
    use_after_free,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    allow_header_conformance,
    positive_data_acceptance,
    negative_data_rejection,
    missing_required_header,
    unsupported_method,
    ignored_auth,
    use_after_free,
    ensure_resource_availability,
]
PATHS = r"^/api/(tickets|webhooks|keys|articles|satisfaction)/"
SCENARIOS = 15
STEPS = 6

# Refusals of schema-valid requests that the schema cannot express (the rule depends on the database, the clock, the
# caller's role or another parameter), as (operation, status, field of the 400 or code of the problem) → reason.
# A failure is documented when every field it names is; "*" stands for every operation.
_CURSOR = "an opaque cursor: only those the API gave out, and not together with page or count"
_EXISTS = "an id of a row that must exist and be in the caller's scope"
_ROLE_OR_EXISTS = "a field only staff may set (one schema for every role), or an id or address that must exist"
DOCUMENTED: dict[tuple[str, int, str], str] = {
    ("*", 422, "idempotency_key_reused"): "the generator sent one Idempotency-Key with two different bodies",
    ("*", 400, "ordering"): "a sort key given with both signs (id,-id): uniqueItems cannot say it",
    ("*", 412, "stale"): "the `version` sent must be the ticket's current one (optimistic locking)",
    ("GET /api/tickets/", 400, "cursor"): _CURSOR,
    ("GET /api/tickets/deleted/", 400, "cursor"): _CURSOR,
    ("GET /api/tickets/{ticket_pk}/comments/", 400, "cursor"): _CURSOR,
    ("GET /api/tickets/{ticket_pk}/events/", 400, "cursor"): _CURSOR,
    ("POST /api/keys/", 400, "expires_at"): "an expiry must lie in the future (the clock, not the schema)",
    ("POST /api/keys/", 400, "owner"): _EXISTS,
    **{("POST /api/tickets/", 400, name): _ROLE_OR_EXISTS for name in ("priority", "language", "department")},
    **{("POST /api/tickets/", 400, name): _ROLE_OR_EXISTS for name in ("requester", "requester_email", "assignee")},
    **{
        (f"{method} /api/tickets/{{id}}/", 400, name): _ROLE_OR_EXISTS
        for method in ("PUT", "PATCH")
        for name in ("title", "description", "category", "priority", "language", "assignee")
    },
    **{
        (f"{method} /api/tickets/{{id}}/", 400, "status"): "a move the lifecycle (or the role) does not allow"
        for method in ("PUT", "PATCH")
    },
    ("POST /api/tickets/{id}/transfer/", 400, "department"): _EXISTS,
    ("POST /api/webhooks/", 400, "department"): _EXISTS,
    ("PUT /api/webhooks/{id}/", 400, "department"): _EXISTS,
    ("PATCH /api/webhooks/{id}/", 400, "department"): _EXISTS,
    (
        "POST /api/tickets/{ticket_pk}/attachments/",
        400,
        "file",
    ): "the file's bytes decide: empty, or a type not allowed",
}


def _documented(operation: str, response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    names = list(body.get("errors") or {}) or [body.get("code")] if isinstance(body, dict) else [None]
    return all(
        (operation, response.status_code, name) in DOCUMENTED or ("*", response.status_code, name) in DOCUMENTED
        for name in names
    )


@pytest.fixture
def world(transactional_db, settings, it_dept):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(rates, "10000/minute"),
    }
    # Endpoints the run registers have made-up URLs: nothing is queued or sent (tests never reach the network).
    settings.WEBHOOKS_ENABLED = False
    reset_throttles()
    accounts = {
        Role.ADMIN: UserFactory(username="state-admin", role=Role.ADMIN),
        Role.AGENT: UserFactory(username="state-agent", role=Role.AGENT, departments=[it_dept]),
        Role.REQUESTER: UserFactory(username="state-requester", role=Role.REQUESTER),
    }
    # An article and a rating, so that the links from their lists lead somewhere.
    ArticleFactory(department=it_dept)
    rated = resolve(TicketFactory(department=it_dept, requester=accounts[Role.REQUESTER]), accounts[Role.AGENT])
    satisfaction_request(ticket_id=rated.pk, resolved_by_id=accounts[Role.AGENT].pk)
    return accounts


def _undocumented(exc: AssertionError | FailureGroup, response) -> list:
    failures = exc.exceptions if isinstance(exc, FailureGroup) else [exc]
    for failure in failures:
        if not isinstance(failure, Failure):
            raise failure
    return [f for f in failures if not (isinstance(f, RejectedPositiveData) and _documented(f.operation, response))]


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.AGENT, Role.ADMIN])
def test_stateful_workflows_follow_the_schema_links(live_server, world, role):
    base_url = live_server.url
    token = requests.post(
        f"{base_url}/api/token/", json={"username": world[role].username, "password": "demo"}, timeout=10
    ).json()["access"]
    headers = {"Authorization": f"Bearer {token}"}
    raw = requests.get(f"{base_url}/api/schema/?format=json", headers=headers, timeout=30).json()
    schema = schemathesis.openapi.from_dict(raw).include(path_regex=PATHS)
    base = schema.as_state_machine()

    found: dict[tuple[str, str], str] = {}  # failure → the first answer that showed it

    class Workflow(base):
        def get_call_kwargs(self, case):
            return {"base_url": base_url, "headers": headers, "timeout": 30}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # Collected rather than raised, so that one run reports every kind of failure at once.
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except (AssertionError, FailureGroup) as exc:
                for failure in _undocumented(exc, response):
                    found.setdefault(
                        (failure.operation, failure.title), f"{response.status_code} {response.text[:300]}"
                    )

    Workflow.run(
        settings=hypothesis_settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    assert found == {}, "\n".join(
        f"{operation} {title}: {answer}" for (operation, title), answer in sorted(found.items())
    )
