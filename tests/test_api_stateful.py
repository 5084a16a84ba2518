"""Stateful contract test: schemathesis follows the links the schema declares (a new ticket leads to reading,
editing, transferring it, replying; a reply to reading, editing and deleting it) as each role, against a live
server, and checks every answer against the schema.

Bounded and deterministic (derandomized Hypothesis, a fixed number of scenarios). Documented failures: none.
"""

import pytest
import requests
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings

from apps.accounts.choices import Role
from tests.accounts.factories import UserFactory
from tests.support import reset_throttles

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402 - needs the import above
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    use_after_free,
]
SCENARIOS = 15


@pytest.fixture
def accounts(transactional_db, settings, it_dept):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(rates, "10000/minute"),
    }
    reset_throttles()
    return {
        Role.ADMIN: UserFactory(username="state-admin", role=Role.ADMIN),
        Role.AGENT: UserFactory(username="state-agent", role=Role.AGENT, departments=[it_dept]),
        Role.REQUESTER: UserFactory(username="state-requester", role=Role.REQUESTER),
    }


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.AGENT, Role.ADMIN])
def test_stateful_workflows_follow_the_schema_links(live_server, accounts, role):
    base_url = live_server.url
    token = requests.post(
        f"{base_url}/api/token/", json={"username": accounts[role].username, "password": "demo"}, timeout=10
    ).json()["access"]
    headers = {"Authorization": f"Bearer {token}"}
    raw = requests.get(f"{base_url}/api/schema/?format=json", headers=headers, timeout=30).json()
    schema = schemathesis.openapi.from_dict(raw).include(path_regex=r"^/api/tickets/")
    base = schema.as_state_machine()

    class Workflow(base):
        def get_call_kwargs(self, case):
            return {"base_url": base_url, "headers": headers, "timeout": 30}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)

    Workflow.run(
        settings=hypothesis_settings(
            max_examples=SCENARIOS,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
