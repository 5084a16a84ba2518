from apps.macros.choices import Scope
from apps.macros.models import Macro
from apps.macros.services import macro_save

BODY = "Hello {requester_first_name},\n\nThanks! {agent_name}"


def make_macro(actor, *, title="Thanks", body=BODY, **fields) -> Macro:
    """A macro saved through macro_save by `actor` (for everyone unless `scope` says otherwise)."""
    fields.setdefault("scope", Scope.EVERYONE)
    return macro_save(macro=Macro(title=title, body=body, **fields), actor=actor)
