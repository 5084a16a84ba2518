"""A typed client generated from the schema (openapi-python-client, as integrators do) completes the requester's and
the agent's workflows against a live server, API keys and webhooks included. If the schema and the server
disagree, the generated models fail to parse an answer, or a call gets an answer the schema does not declare."""

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from apps.accounts.choices import Role
from tests.accounts.factories import UserFactory
from tests.support import component_missing, reset_throttles

PACKAGE = "ts_client"


@pytest.fixture
def client_package(live_server, tmp_path, admin_user):
    """The client package, generated from the running server's schema into tmp_path and imported."""
    generator = shutil.which("openapi-python-client") or str(Path(sys.executable).with_name("openapi-python-client"))
    if not Path(generator).exists():
        component_missing(
            "openapi-python-client is not installed",
            tests="the generated client's workflows",
            hint='pip install ".[test]"',
        )
    schema = tmp_path / "schema.json"
    session = requests.Session()
    token = session.post(
        f"{live_server.url}/api/token/", json={"username": admin_user.username, "password": "demo"}, timeout=10
    ).json()["access"]
    raw = session.get(
        f"{live_server.url}/api/schema/?format=json", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    schema.write_bytes(raw.content)
    # The generator formats its output with ruff, which sits beside the interpreter.
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    subprocess.run(  # noqa: S603 - our own schema, a fixed command
        [generator, "generate", "--path", str(schema), "--meta", "none", "--output-path", str(tmp_path / PACKAGE)],
        check=True,
        capture_output=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _api(package, name: str):
    return importlib.import_module(f"{PACKAGE}.api.{name}")


def _models(package):
    return importlib.import_module(f"{PACKAGE}.models")


def _login(package, base_url: str, username: str):
    models = _models(package)
    anonymous = package.Client(base_url=base_url)
    pair = _api(package, "auth.token_obtain").sync(
        client=anonymous, body=models.TokenObtainPairRequest(username=username, password="demo")
    )
    return package.AuthenticatedClient(base_url=base_url, token=pair.access)


@pytest.mark.django_db(transaction=True)
def test_the_generated_client_runs_the_requesters_and_the_agents_workflows(
    live_server, client_package, it_dept, admin_user, settings
):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": dict.fromkeys(rates, "1000/minute")}
    reset_throttles()
    package, base = client_package, live_server.url
    models = _models(package)
    requester = UserFactory(username="client-requester", role=Role.REQUESTER)
    agent = UserFactory(username="client-agent", role=Role.AGENT, departments=[it_dept])

    # The requester: open a ticket, reply, read the conversation and history, close it; sync by cursor.
    me = _login(package, base, requester.username)
    ticket = _api(package, "tickets.tickets_create").sync(
        client=me, body=models.TicketCreateRequest(title="VPN drops", description="Every hour since Monday.")
    )
    assert (ticket.status, ticket.requester) == (models.TicketStatusEnum.NEW, requester.pk)
    reply = _api(package, "tickets.tickets_comments_create").sync(
        ticket.id, client=me, body=models.CommentCreateRequest(body="It happens at 10:00.")
    )
    edited = _api(package, "tickets.tickets_comments_partial_update").sync(
        ticket.id, reply.id, client=me, body=models.PatchedCommentEditRequest(body="It happens at 11:00.")
    )
    assert edited.body == "It happens at 11:00."
    page = _api(package, "tickets.tickets_list").sync(client=me, cursor="")
    assert [t.id for t in page.results] == [ticket.id]
    closed = _api(package, "tickets.tickets_partial_update").sync(
        ticket.id, client=me, body=models.PatchedTicketUpdateRequest(status=models.TicketStatusEnum.CLOSED)
    )
    assert closed.status == models.TicketStatusEnum.CLOSED
    refused = _api(package, "tickets.tickets_bulk").sync_detailed(
        client=me, body=models.TicketBulkRequest(tickets=[ticket.id], status=models.TicketStatusEnum.OPEN)
    )
    assert (refused.status_code, refused.parsed.code) == (403, "permission_denied")

    # The agent: a key for a program, then the program works the ticket with it; bulk, history, revoke.
    agent_client = _login(package, base, agent.username)
    created = _api(package, "keys.keys_create").sync(
        client=agent_client, body=models.ApiKeyInputRequest(name="nightly", expires_at=None)
    )
    program = package.AuthenticatedClient(base_url=base, token=created.key)
    reopened = _api(package, "tickets.tickets_partial_update").sync(
        ticket.id, client=program, body=models.PatchedTicketUpdateRequest(status=models.TicketStatusEnum.OPEN)
    )
    assert reopened.status == models.TicketStatusEnum.OPEN
    note = _api(package, "tickets.tickets_comments_create").sync(
        ticket.id, client=program, body=models.CommentCreateRequest(body="Known 5.2 bug.", is_internal=True)
    )
    assert note.is_internal is True
    bulk = _api(package, "tickets.tickets_bulk").sync(
        client=program, body=models.TicketBulkRequest(tickets=[ticket.id], assignee=agent.pk)
    )
    assert (bulk.changed, bulk.failed) == (1, 0)
    history = _api(package, "tickets.tickets_events_list").sync(ticket.id, client=program)
    assert models.EventKindEnum.COMMENT_EDITED in [event.kind for event in history.results]
    keys = _api(package, "keys.keys_list").sync(client=agent_client)
    assert [k.name for k in keys.results] == ["nightly"]
    assert _api(package, "keys.keys_destroy").sync_detailed(created.id, client=agent_client).status_code == 204
    assert _api(package, "tickets.tickets_list").sync_detailed(client=program).status_code == 401

    # An admin registers a webhook (after the ticket's events: nothing is sent out), reads it and removes it.
    admin = _login(package, base, admin_user.username)
    hook = _api(package, "webhooks.webhooks_create").sync(
        client=admin,
        body=models.WebhookInputRequest(
            url="https://hooks.example.com/tickets", events=[models.WebhookEventEnum.TICKET_CREATED], department=None
        ),
    )
    assert hook.secret.startswith("whsec_")
    assert [w.id for w in _api(package, "webhooks.webhooks_list").sync(client=admin).results] == [hook.id]
    assert _api(package, "webhooks.webhooks_destroy").sync_detailed(hook.id, client=admin).status_code == 204
