"""An account's model permissions are read from the database once and kept in the cache (selectors.
kept_model_permissions): every later page asks no query for them, and every change of permissions shows on the
next check, however it was written."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache

from apps.accounts.models import User
from apps.accounts.selectors import PERMISSIONS_GENERATION, permissions_key
from tests.support import count_queries

PERM = "auth.change_group"  # not one an agent's role gives (apps/accounts/permissions.py)


def fresh(user) -> User:
    """The account as the next request loads it (no permissions remembered on the instance)."""
    return User.objects.get(pk=user.pk)


def holds(user) -> bool:
    return fresh(user).has_perm(PERM)


@pytest.fixture
def permission(db) -> Permission:
    return Permission.objects.get(content_type__app_label="auth", codename="change_group")


@pytest.fixture
def group(db, permission) -> Group:
    group = Group.objects.create(name="Group editors")
    group.permissions.add(permission)
    return group


def test_the_second_check_asks_no_query(agent, permission):
    agent.user_permissions.add(permission)
    first = fresh(agent)
    assert count_queries(lambda: first.has_perm(PERM)) == 2  # its own permissions and its groups'

    later = fresh(agent)
    assert count_queries(lambda: later.has_perm(PERM)) == 0
    assert later.has_perm(PERM) is True
    assert later.get_all_permissions() == first.get_all_permissions()
    assert PERM in later.get_all_permissions()


def test_own_permissions_given_and_taken_show_at_once(agent, permission):
    assert holds(agent) is False
    agent.user_permissions.add(permission)
    assert holds(agent) is True
    holds(agent)  # kept
    agent.user_permissions.remove(permission)
    assert holds(agent) is False
    agent.user_permissions.set([permission])
    assert holds(agent) is True
    agent.user_permissions.clear()
    assert holds(agent) is False
    permission.user_set.add(agent)  # from the other side of the relation
    assert holds(agent) is True


def test_group_membership_and_group_permissions_show_at_once(agent, group, permission):
    assert holds(agent) is False
    agent.groups.add(group)
    assert holds(agent) is True
    group.permissions.remove(permission)
    assert holds(agent) is False
    group.permissions.add(permission)
    assert holds(agent) is True
    group.user_set.remove(agent)
    assert holds(agent) is False
    group.user_set.add(agent)
    assert holds(agent) is True
    group.delete()  # the membership rows go in a cascade, without m2m_changed
    assert holds(agent) is False


def test_a_deleted_permission_or_content_type_shows_at_once(agent, group, permission):
    agent.groups.add(group)
    assert holds(agent) is True
    permission.delete()
    assert holds(agent) is False

    content_type = ContentType.objects.create(app_label="kept", model="thing")
    thing = Permission.objects.create(content_type=content_type, codename="use_thing", name="Can use thing")
    agent.user_permissions.add(thing)
    assert fresh(agent).has_perm("kept.use_thing") is True
    content_type.app_label = "renamed"
    content_type.save()
    assert fresh(agent).has_perm("kept.use_thing") is False
    assert fresh(agent).has_perm("renamed.use_thing") is True
    content_type.delete()
    assert fresh(agent).has_perm("renamed.use_thing") is False


def test_a_missing_generation_never_matches_a_kept_entry(agent, permission):
    agent.user_permissions.add(permission)
    assert holds(agent) is True
    assert holds(agent) is True
    generation = cache.get(PERMISSIONS_GENERATION)
    assert cache.get(permissions_key(agent.pk)) == (generation, frozenset({PERM}))

    # The generation is evicted while the entry stays, and the permission is then taken without a signal.
    cache.delete(PERMISSIONS_GENERATION)
    User.user_permissions.through.objects.filter(user=agent).delete()

    assert holds(agent) is False
    assert cache.get(PERMISSIONS_GENERATION) not in (None, generation)
    assert holds(agent) is False


def test_the_generation_moves_again_when_the_transaction_commits(agent, permission, django_capture_on_commit_callbacks):
    holds(agent)
    with django_capture_on_commit_callbacks(execute=True):
        agent.user_permissions.add(permission)
        during = cache.get(PERMISSIONS_GENERATION)
    assert cache.get(PERMISSIONS_GENERATION) != during
    assert holds(agent) is True


def test_inactive_accounts_and_superusers_are_answered_as_before(agent, admin_user, permission):
    agent.user_permissions.add(permission)
    User.objects.filter(pk=agent.pk).update(is_active=False)
    assert holds(agent) is False

    admin = fresh(admin_user)
    assert admin.is_superuser
    assert admin.has_perm(PERM) is True
    assert admin.get_all_permissions() == {
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }
    assert cache.get(permissions_key(admin_user.pk)) is None


def test_without_a_shared_cache_nothing_is_kept_and_any_change_shows(settings, agent, group):
    """With the local-memory cache (no REDIS_URL) another process's change would not replace what this one kept:
    the permissions are then read on every check, so even a change that sends no signal shows at once."""
    settings.ACCESS_KEPT_IN_CACHE = False
    agent.groups.add(group)
    assert holds(agent) is True
    again = fresh(agent)
    assert count_queries(lambda: again.has_perm(PERM)) == 2  # read again: its own permissions and its groups'
    User.groups.through.objects.filter(user=agent).delete()  # no m2m_changed: as if another process wrote it
    assert holds(agent) is False
    assert cache.get(permissions_key(agent.pk)) is None
