"""Reading single CSV cells the way people write them: yes/no flags and lists of names."""

import re

from django.utils.translation import gettext as _

TRUE = frozenset({"1", "y", "yes", "true", "t", "x", "on", "active", "ja", "evet"})
FALSE = frozenset({"0", "n", "no", "false", "f", "off", "inactive", "nein", "hayır", "hayir", "-"})
LIST_SEPARATORS = re.compile(r"[,;|\n]")


def parse_flag(value: str) -> bool:
    """yes/no, true/false, 1/0, x/- (and ja/nein, evet/hayır); raise ValueError with a message otherwise."""
    word = value.strip().lower()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise ValueError(_("“%(value)s” is not yes or no.") % {"value": value})


def split_names(value: str) -> list[str]:
    """“IT Support, Billing” or “alice; bob” → the names, without blanks and repeats."""
    names = []
    for part in LIST_SEPARATORS.split(value):
        name = part.strip()
        if name and name not in names:
            names.append(name)
    return names
