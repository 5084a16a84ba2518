"""AI_PROVIDER=disabled: knows nothing, translates nothing."""

from .base import Provider


class DisabledProvider(Provider):
    name = "disabled"
