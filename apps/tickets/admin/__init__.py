"""The ticket back office (Django admin with unfold). Importing the package registers the admins: tickets, and
the agents' availability page (about ticket workload)."""

from .agents import AgentAdmin
from .tickets import TicketAdmin

__all__ = ["AgentAdmin", "TicketAdmin"]
