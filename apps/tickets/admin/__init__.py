"""The ticket back office (Django admin with unfold). Importing the package registers the admins: tickets, and
the agents' availability page (about ticket workload), and the page of saved views."""

from .agents import AgentAdmin
from .import_profiles import ImportProfileAdmin
from .saved_views import SavedViewAdmin
from .tickets import TicketAdmin

__all__ = ["AgentAdmin", "ImportProfileAdmin", "SavedViewAdmin", "TicketAdmin"]
