"""The ticket back office (Django admin with unfold). Importing the package registers the admins."""

from .tickets import TicketAdmin

__all__ = ["TicketAdmin"]
