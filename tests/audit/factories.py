from apps.audit.models import Action
from apps.audit.services import audit_record


def record_entries(count: int, *, obj, actor=None, action=Action.UPDATED) -> list:
    """`count` audit entries about `obj`, written by the recorder as a service would."""
    return [
        audit_record(action=action, obj=obj, actor=actor, changes={"name": [f"old {n}", f"new {n}"]})
        for n in range(count)
    ]
