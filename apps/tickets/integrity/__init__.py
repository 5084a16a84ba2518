"""Data-integrity checks for `manage.py check_data`, in the order they are reported and repaired.

The order matters for repairs: unassigning invalid assignees comes before adding missing grants (so no
grant is given to an account about to be unassigned), and adding missing grants before removing stale
department grants (whose helper also writes the current department's grants); the figures come last, as
the repairs before them may change tickets.
"""

from .base import Check, Finding
from .departments import DefaultDepartment, DepartmentGroupName, OrphanDepartmentGroup
from .figures import FiguresDisagree
from .files import AttachmentFileMissing, OrphanAttachmentFile
from .grants import InvalidAssignee, MissingGrants, RequesterInDepartment, StaleDepartmentGrants
from .search import StaleSearchDocuments
from .tickets import MissingCreatedEvent, ReferenceSequenceBehind, StatusTimestamps, TimestampBeforeCreated

CHECK_CLASSES: tuple[type[Check], ...] = (
    DepartmentGroupName,
    OrphanDepartmentGroup,
    DefaultDepartment,
    RequesterInDepartment,
    InvalidAssignee,
    MissingGrants,
    StaleDepartmentGrants,
    ReferenceSequenceBehind,
    MissingCreatedEvent,
    StatusTimestamps,
    TimestampBeforeCreated,
    StaleSearchDocuments,
    AttachmentFileMissing,
    OrphanAttachmentFile,
    FiguresDisagree,
)


def all_checks() -> list[Check]:
    """Fresh instances (a check may carry state from its fix to its after-commit step)."""
    return [cls() for cls in CHECK_CLASSES]


__all__ = ["CHECK_CLASSES", "Check", "Finding", "all_checks"]
