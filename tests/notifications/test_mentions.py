"""`@username` mentions: what counts as one, and who is found."""

import pytest

from apps.accounts.choices import Role
from apps.notifications.mentions import mentioned_staff, mentioned_usernames
from tests.accounts.factories import UserFactory


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("@alice please look", ["alice"]),
        ("Thanks @Alice, and @bob.", ["alice", "bob"]),
        ("(cc @dave-smith) @dave-smith again", ["dave-smith"]),
        ("@first.last: see above", ["first.last"]),
        ("mail bob@example.com or me", []),  # an address is not a mention
        ("@ alone, @@ and a trailing @", []),
        ("line one\n@erin_x\tline two", ["erin_x"]),
    ],
)
def test_mentioned_usernames(text, names):
    assert mentioned_usernames(text) == names


def test_only_active_staff_are_found(db):
    UserFactory(username="alice", role=Role.AGENT)
    UserFactory(username="Boss", role=Role.ADMIN)
    UserFactory(username="carol", role=Role.REQUESTER)
    left = UserFactory(username="left", role=Role.AGENT)
    left.is_active = False
    left.save()
    odd = UserFactory(username="odd.", email="odd@example.com", role=Role.AGENT)  # a user name that ends with a dot

    found = mentioned_staff("@alice @boss @carol @left @nobody @odd.")

    assert sorted(found.values_list("username", flat=True)) == ["Boss", "alice", "odd."]
    assert odd in found
