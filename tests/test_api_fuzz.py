"""Schema-driven fuzzing: schemathesis generates requests from our OpenAPI schema and sends them to a live
test server; no answer may be a 5xx, use an undocumented status or content type, or break its schema.

Bounded and deterministic (derandomized Hypothesis, a fixed number of examples per operation), so it fits
in CI: about a minute on SQLite. Half of the examples of operations on one ticket use an existing ticket,
so that edits, transitions, transfers, comments and uploads really happen, not only 404s.
"""

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from apps.accounts.choices import Role
from apps.tickets.services import attachment_add
from tests.accounts.factories import UserFactory
from tests.support import reset_throttles
from tests.tickets.factories import TicketFactory

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402 - needs the import above
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = {Role.ADMIN: 50, Role.AGENT: 25, Role.REQUESTER: 25}


@pytest.fixture
def fuzz_world(transactional_db, settings, it_dept, billing_dept):
    """A few tickets and accounts; creation throttles raised so that creations are really exercised."""
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(rates, "10000/minute"),
    }
    reset_throttles()
    admin = UserFactory(username="fuzz-admin", role=Role.ADMIN)
    agent = UserFactory(username="fuzz-agent", role=Role.AGENT, departments=[it_dept])
    requester = UserFactory(username="fuzz-requester", role=Role.REQUESTER)
    tickets = [TicketFactory(department=it_dept, requester=requester) for _ in range(3)]
    TicketFactory(department=billing_dept)
    attachment = attachment_add(
        ticket=tickets[0], actor=requester, upload=SimpleUploadedFile("notes.txt", b"The VPN drops at 10:00.\n")
    )
    return {
        Role.ADMIN: admin,
        Role.AGENT: agent,
        Role.REQUESTER: requester,
        "ticket": tickets[0].pk,
        "attachment": attachment.pk,
    }


def _token(base_url: str, username: str) -> str:
    response = requests.post(f"{base_url}/api/token/", json={"username": username, "password": "demo"}, timeout=10)
    response.raise_for_status()
    return response.json()["access"]


def _strategies(operation, world):
    """Random cases, and (for operations on one object) cases on an existing ticket or file."""
    strategies = [operation.as_strategy()]
    names = {p.name for p in operation.path_parameters}
    if names == {"id"}:
        existing = world["attachment"] if operation.path.startswith("/api/attachments/") else world["ticket"]
        strategies.append(operation.as_strategy(path_parameters={"id": existing}))
    elif names == {"ticket_pk"}:
        strategies.append(operation.as_strategy(path_parameters={"ticket_pk": world["ticket"]}))
    return st.one_of(*strategies)


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.AGENT, Role.ADMIN])
def test_fuzz_the_api_against_its_schema(live_server, fuzz_world, role):
    base_url = live_server.url
    headers = {"Authorization": f"Bearer {_token(base_url, fuzz_world[role].username)}"}
    raw = requests.get(f"{base_url}/api/schema/?format=json", headers=headers, timeout=30)
    assert raw.status_code == 200
    schema = schemathesis.openapi.from_dict(raw.json())
    statuses: dict[str, set[int]] = {}
    # Deletions last, so that the other operations still find the ticket.
    operations = sorted((r.ok() for r in schema.get_all_operations()), key=lambda op: op.method.upper() == "DELETE")

    for operation in operations:
        if operation.path.startswith("/api/token/"):
            continue  # token endpoints: tested in tests/accounts/test_jwt.py, and they throttle by design
        seen = statuses.setdefault(f"{operation.method.upper()} {operation.path}", set())

        @hypothesis_settings(
            max_examples=EXAMPLES[role],
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=_strategies(operation, fuzz_world))
        def check(case):
            response = case.call(base_url=base_url, headers=headers, timeout=30)
            seen.add(response.status_code)  # noqa: B023 - the loop's own set, used within the loop
            case.validate_response(response, checks=CHECKS)

        check()

    # The run reached the application, not only its front door.
    assert any(200 <= code < 300 for codes in statuses.values() for code in codes)
