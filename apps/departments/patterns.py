"""The patterns of routing rules: how each kind is written, checked and matched.

A plain module (no models), used by RoutingRule.clean() to refuse a bad pattern when the rule is saved and
by apps.departments.routing to match tickets.

- keywords: a comma-separated list; a keyword matches as a whole word or phrase, ignoring case;
- regex: a Python regular expression, searched in "title, new line, description", ignoring case;
- category: a comma-separated list of ticket category values (e.g. "billing, access");
- email_domain: a comma-separated list of domains; a domain also matches its subdomains.
"""

import re
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .choices import Category, RuleField

# Only the start of a long description is searched: a rule needs the gist, and a pathological regular expression
# stays bounded by the text it can see.
MAX_TEXT_LENGTH = 10_000
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def split_list(pattern: str) -> list[str]:
    """The non-empty items of a comma- or line-separated list, stripped."""
    return [item.strip() for item in re.split(r"[,\n]", pattern or "") if item.strip()]


def _domain(item: str) -> str:
    return item.strip().lower().lstrip("@")


def validate_pattern(field: str, pattern: str) -> None:
    """Raise ValidationError (on `pattern`) unless `pattern` is a usable pattern for `field`."""
    items = split_list(pattern)
    if field != RuleField.REGEX and not items:
        raise ValidationError({"pattern": _("Enter at least one value.")}, code="empty")
    if field == RuleField.REGEX:
        if not (pattern or "").strip():
            raise ValidationError({"pattern": _("Enter a regular expression.")}, code="empty")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValidationError(
                {
                    "pattern": _("“%(pattern)s” is not a valid regular expression: %(error)s.")
                    % {"pattern": pattern, "error": exc}
                },
                code="invalid_regex",
            ) from None
    elif field == RuleField.CATEGORY:
        unknown = [item for item in items if item not in Category.values]
        if unknown:
            raise ValidationError(
                {
                    "pattern": _("Unknown categories: %(unknown)s. Use: %(known)s.")
                    % {"unknown": ", ".join(unknown), "known": ", ".join(Category.values)}
                },
                code="invalid_category",
            )
    elif field == RuleField.EMAIL_DOMAIN:
        bad = [item for item in items if not DOMAIN_RE.match(_domain(item))]
        if bad:
            raise ValidationError(
                {"pattern": _("Not e-mail domains: %(bad)s.") % {"bad": ", ".join(bad)}}, code="invalid_domain"
            )
    elif field != RuleField.KEYWORDS:
        raise ValidationError({"field": _("Unknown rule field.")}, code="invalid_field")


@lru_cache(maxsize=512)
def _compiled(field: str, pattern: str) -> re.Pattern | None:
    if field == RuleField.REGEX:
        try:
            return re.compile(pattern, re.IGNORECASE)
        except re.error:  # a rule written around the validation (raw SQL, old data) never matches
            return None
    words = "|".join(re.escape(item) for item in split_list(pattern))
    return re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE) if words else None


def matches(field: str, pattern: str, *, title: str, description: str, category: str, email: str) -> bool:
    """Does a ticket with these values match the rule (`field`, `pattern`)?"""
    if field in (RuleField.KEYWORDS, RuleField.REGEX):
        compiled = _compiled(field, pattern)
        text = f"{title}\n{description}"[:MAX_TEXT_LENGTH]
        return compiled is not None and compiled.search(text) is not None
    if field == RuleField.CATEGORY:
        return category in split_list(pattern)
    if field == RuleField.EMAIL_DOMAIN:
        domain = (email or "").rpartition("@")[2].lower()
        return bool(domain) and any(
            domain == wanted or domain.endswith(f".{wanted}") for wanted in map(_domain, split_list(pattern))
        )
    return False
