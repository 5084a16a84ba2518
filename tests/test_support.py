"""The query-count helper of tests/support.py catches a query per row and passes a constant cost."""

import pytest

from apps.accounts.models import User
from tests.accounts.factories import UserFactory
from tests.support import assert_constant_queries


def test_a_query_per_row_fails(db):
    def per_row():
        return [list(user.groups.all()) for user in User.objects.all()]

    with pytest.raises(AssertionError, match="3 queries at 2 rows, 31 at 30 rows"):
        assert_constant_queries(per_row, add_rows=UserFactory.create_batch, status=None)


def test_a_constant_cost_passes_and_returns_what_the_request_returned(db):
    measured = assert_constant_queries(lambda: list(User.objects.all()), add_rows=UserFactory.create_batch, status=None)

    assert (measured.queries, len(measured.few), len(measured.many)) == (1, 2, 30)


def test_the_status_of_each_response_is_checked(db, client):
    with pytest.raises(AssertionError, match=r"status codes \(302, 302\) at 2 and 30 rows, expected 200"):
        assert_constant_queries(lambda: client.get("/admin/"), add_rows=UserFactory.create_batch)
