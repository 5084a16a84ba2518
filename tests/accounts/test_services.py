"""Accounts: the role decides staff flags, model permissions and who may join departments."""

import pytest
from django.core.exceptions import ValidationError

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.accounts.services import user_create, user_set_role
from tests.accounts.factories import UserFactory


@pytest.mark.parametrize(
    ("role", "is_staff", "is_superuser"),
    [(Role.ADMIN, True, True), (Role.AGENT, True, False), (Role.REQUESTER, False, False)],
)
def test_flags_follow_the_role(db, role, is_staff, is_superuser):
    user = UserFactory(role=role)
    assert (user.is_staff, user.is_superuser) == (is_staff, is_superuser)


def test_agent_model_permissions_come_from_the_role(db):
    agent = UserFactory(role=Role.AGENT)
    requester = UserFactory(role=Role.REQUESTER)
    assert agent.has_perm("tickets.view_ticket")
    assert agent.has_perm("tickets.change_ticket")
    assert not agent.has_perm("tickets.delete_ticket")
    assert not agent.has_perm("accounts.change_user")
    assert agent.has_module_perms("tickets")
    assert not requester.has_perm("tickets.view_ticket")
    assert not requester.has_module_perms("tickets")


def test_email_is_unique_case_insensitively(db):
    user_create(username="a", email="Alice@Example.com")
    with pytest.raises(ValidationError) as exc:
        user_create(username="b", email="alice@example.com")
    assert "email" in exc.value.message_dict
    assert User.objects.count() == 1


def test_demoting_to_requester_leaves_departments(agent, it_dept):
    user_set_role(user=agent, role=Role.REQUESTER)
    agent.refresh_from_db()
    assert not agent.is_staff
    assert not agent.groups.filter(pk=it_dept.group_id).exists()


def test_createsuperuser_makes_an_admin(db):
    user = User.objects.create_superuser("root", "root@example.com", "pw")
    assert user.role == Role.ADMIN
    assert user.is_staff and user.is_superuser


def test_update_refuses_a_taken_email_and_changes_nothing(agent, requester):
    from apps.accounts.services import user_update

    with pytest.raises(ValidationError):
        user_update(user=requester, email=agent.email.upper(), first_name="Changed")
    requester.refresh_from_db()
    assert requester.first_name != "Changed"


def test_update_cannot_touch_the_role(requester):
    from apps.accounts.services import user_update

    with pytest.raises(ValueError):
        user_update(user=requester, role=Role.ADMIN)
