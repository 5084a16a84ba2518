"""Shared fixtures: a small organisation with two departments, one person per role, and carol in the portal."""

import pytest
from django.utils import translation

from apps.accounts.choices import Role
from tests.accounts.factories import UserFactory
from tests.departments.factories import DepartmentFactory
from tests.support import logged_in, reset_throttles


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    # As a deployment with a shared cache (REDIS_URL): what decides access is kept between requests, and the tests
    # check that every change replaces it (tests/accounts/test_kept_permissions.py reads it always, too).
    settings.ACCESS_KEPT_IN_CACHE = True
    # A request of a user who reads Turkish leaves Turkish active in the thread (a server's next request
    # activates its own); each test starts in the site's language.
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Rate-limit counters (the API's and the portal's, log-in and password-reset counters) live in the cache,
    which outlives a test; a user's primary key can come back in the next test and find them used up."""
    reset_throttles()


@pytest.fixture(autouse=True)
def _tasks_run_inline(settings, monkeypatch):
    """django-q2 tasks run in the caller (`sync`), when the transaction that queued them commits. django-q2 reads
    its settings once, at import, hence the patch of its Conf. tests/test_workers.py runs a real cluster."""
    from django_q.conf import Conf

    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    monkeypatch.setattr(Conf, "SYNC", True)


@pytest.fixture(autouse=True)
def _no_ai_triage(settings):
    """New tickets are not triaged unless a test asks for it (tests/ai: the `triage_on` fixture): the other tests
    count the callbacks and queries their writes queue, and need no language model."""
    settings.AI_TRIAGE_ENABLED = False
    settings.AI_PROVIDER = "local"


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """`with after_commit(): <writes>` runs, at the end of the block, what the writes queued for after their commit
    (notification tasks, which run inline in tests). Outside such a block a test's transaction never commits."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture
def it_dept(db):
    return DepartmentFactory(name="IT Support", slug="it-support", is_default=True)


@pytest.fixture
def billing_dept(db):
    return DepartmentFactory(name="Billing", slug="billing")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", role=Role.ADMIN)


@pytest.fixture
def agent(it_dept):
    """An agent of IT Support."""
    return UserFactory(username="alice", role=Role.AGENT, departments=[it_dept])


@pytest.fixture
def other_agent(billing_dept):
    """An agent of Billing: outside IT Support's tickets."""
    return UserFactory(username="bob", role=Role.AGENT, departments=[billing_dept])


@pytest.fixture
def requester(db):
    return UserFactory(username="carol", role=Role.REQUESTER)


@pytest.fixture
def other_requester(db):
    return UserFactory(username="dave", role=Role.REQUESTER)


@pytest.fixture
def carol(requester):
    """carol (requester) logged in: the portal as she sees it."""
    return logged_in(requester)
