import pytest

from apps.macros.choices import Scope
from tests.macros.factories import make_macro
from tests.tickets.factories import TicketFactory


@pytest.fixture
def ticket(it_dept, requester):
    """carol's IT ticket."""
    requester.first_name, requester.last_name = "Carol", "Smith"
    requester.save(update_fields=["first_name", "last_name"])
    return TicketFactory(department=it_dept, requester=requester, title="VPN drops every hour")


@pytest.fixture
def macros(admin_user, agent, other_agent, it_dept, billing_dept):
    """One of each scope: for everyone, IT's, Billing's, alice's private one, bob's private one."""
    return {
        "everyone": make_macro(admin_user, title="Everyone"),
        "it": make_macro(admin_user, title="IT", scope=Scope.DEPARTMENT, department=it_dept),
        "billing": make_macro(admin_user, title="Billing", scope=Scope.DEPARTMENT, department=billing_dept),
        "alice": make_macro(agent, title="Alice's", scope=Scope.PRIVATE),
        "bob": make_macro(other_agent, title="Bob's", scope=Scope.PRIVATE),
    }
