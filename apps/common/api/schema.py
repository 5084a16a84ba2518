"""The OpenAPI schema class: every operation documents the errors it can answer with.

Views document their successful responses (and special errors such as 412) with `extend_schema`; this
AutoSchema adds the errors that follow from the safe defaults in `views.py`, so that none is forgotten:
400 (validation, unknown query parameters), 401 and 403 (authentication, permission), 404 (out of scope,
unknown page or format), 413 and 415 (request bodies), 429 (throttled actions).
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import IsAuthenticated

ERROR_SCHEMA = {
    "type": "object",
    "description": "An error that concerns the whole request.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "Field name (or query parameter, or `non_field_errors`) → messages. A malformed body is reported as `detail`."
    ),
    "additionalProperties": {
        "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
    },
}

ERROR_DESCRIPTIONS = {
    "400": _("Invalid input: field messages, or an unknown or disallowed query parameter."),
    "401": _(
        "Not authenticated: no credentials, or a token that is expired, forged, blacklisted or of the wrong type."
    ),
    "403": _("Authenticated, but your role or your rights on this object do not allow it."),
    "404": _("Not found, or outside what you may see (never distinguished), or an unknown page or format."),
    "413": _("The request body is larger than the limit."),
    "415": _("The request body's media type is not accepted here."),
    "429": _("Too many requests; retry after the number of seconds in Retry-After."),
}
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class AutoSchema(SpectacularAutoSchema):
    def _component(self, name: str, schema: dict) -> dict:
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name)
        self.registry.register_on_missing(component)
        return component.ref

    def error_codes(self) -> list[str]:
        view = self.view
        protected = any(issubclass(p, IsAuthenticated) for p in getattr(view, "permission_classes", ()))
        codes = ["400"]
        if protected:
            codes += ["401", "403", "404"]
        else:  # the token endpoints: refused credentials are 401
            codes += ["401"]
        if self.method in BODY_METHODS:
            codes += ["413", "415"]
        action = getattr(view, "action", None) or self.method.lower()
        if getattr(view, "throttle_scopes", {}).get(action) or getattr(view, "throttle_scope", None):
            codes.append("429")
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self.error_codes():
            if code in responses:
                continue
            schema = self._component("ValidationError", VALIDATION_ERROR_SCHEMA) if code == "400" else None
            schema = schema or self._component("Error", ERROR_SCHEMA)
            responses[code] = {
                "content": {"application/json": {"schema": schema}},
                "description": str(ERROR_DESCRIPTIONS[code]),
            }
        return dict(sorted(responses.items()))
