import pytest

from apps.audit.models import AuditEntry


@pytest.fixture
def fresh_log(db):
    """Fixtures write entries too (accounts, departments): a test about its own change starts from an empty log."""

    def clear():
        AuditEntry.objects.all()._raw_delete(AuditEntry.objects.db)

    return clear
