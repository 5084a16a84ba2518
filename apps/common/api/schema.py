"""The OpenAPI schema class: every operation documents the errors it can answer with.

Views document their successful responses (and special errors such as 412) with `extend_schema`; this
AutoSchema adds the errors that follow from the safe defaults in `views.py`, so that none is forgotten:
400 (validation, unknown query parameters), 401 and 403 (authentication, permission), 404 (out of scope,
unknown page or format), 413 and 415 (request bodies), 429 (throttled actions); on every POST of a view built
on SafeViewMixin the `Idempotency-Key` header with its 409 and 422; on throttled actions the RateLimit headers.
An error a view declares without a body (a 409, a 503, a 404 of its own) gets the problem document's.

Operation ids are `<path words>_<verb>` for the standard actions (tickets_list, tickets_comments_create,
webhooks_partial_update) and the bare path words for the others (tickets_transfer, notifications_read_all,
users_me, stats): an action is not a "create" or a "retrieve" of anything.

`postprocess_strictness` writes down what the server enforces: every request body is closed
(`additionalProperties: false`: input serializers refuse unknown keys, apps/common/api/serializers.py) and every
array query parameter has `uniqueItems` (a repeated value is a 400, apps/common/api/filters.py); the AutoSchema
closed bodies' free-text fields carry a pattern without NUL (refused by DRF); the AutoSchema
gives the text filters `minLength: 1` (an empty filter is a 400) and `Idempotency-Key` its printable-ASCII pattern.
`postprocess_links` writes the OpenAPI links that the apps declare with `link(...)`.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import IsAuthenticated

from .views import SafeViewMixin

_MESSAGES = {"type": "array", "items": {"type": "string"}}
FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": (
        "Field name (or query parameter, or `non_field_errors`) → messages; the errors of a list's items or a "
        "nested field are an object of their own (item index or field name → messages)."
    ),
    "additionalProperties": {"oneOf": [_MESSAGES, {"type": "object", "additionalProperties": _MESSAGES}]},
}
ERROR_SCHEMA = {
    "type": "object",
    "description": "An RFC 9457 problem document (application/problem+json).",
    "properties": {
        "type": {"type": "string", "format": "uri-reference", "description": "about:blank"},
        "title": {"type": "string", "description": "The status' reason phrase."},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "What went wrong, for a person."},
        "code": {"type": "string", "description": "What went wrong, for a program (e.g. not_found, throttled)."},
        "errors": FIELD_ERRORS_SCHEMA,
    },
    "required": ["type", "title", "status", "detail", "code"],
}
VALIDATION_ERROR_SCHEMA = {
    **ERROR_SCHEMA,
    "description": "An RFC 9457 problem document whose `errors` name the fields, parameters or headers at fault.",
}
PROBLEM_MEDIA_TYPE = "application/problem+json"

# A value the API passes through from stored JSON (an audit entry's before/after, an import's extra history): typed
# as far as JSON goes, so that no schema says "anything".
JSON_SCALAR_SCHEMA = {"nullable": True, "anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]}
JSON_VALUE_SCHEMA = {
    "nullable": True,
    "anyOf": [
        {"type": "string"},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "array", "items": JSON_SCALAR_SCHEMA},
        {"type": "object", "additionalProperties": JSON_SCALAR_SCHEMA},
    ],
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
    "409": _("A request with the same Idempotency-Key is still being processed; retry in a moment."),
    "422": _("The Idempotency-Key was already used for a different request."),
}
IDEMPOTENCY_KEY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Optional: a unique key for this request (1 to 255 printable ASCII characters). Retrying with the same "
        "key and body within 24 hours returns the first answer (with Idempotent-Replayed: true) and does "
        "nothing twice; the same key with another body is a 422."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
}
RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": {
        "schema": {"type": "integer", "minimum": 1},
        "description": "Requests allowed in the throttle's window.",
    },
    "RateLimit-Remaining": {
        "schema": {"type": "integer", "minimum": 0},
        "description": "Requests left in the current window.",
    },
    "RateLimit-Reset": {
        "schema": {"type": "integer", "minimum": 1},
        "description": "Seconds until the window frees a request.",
    },
}
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# The viewset actions whose operation ids keep drf-spectacular's verb suffix.
STANDARD_ACTIONS = frozenset({"list", "create", "retrieve", "update", "partial_update", "destroy"})
ACTION_SUFFIXES = ("_create", "_retrieve")


def is_idempotent_post(view, method: str) -> bool:
    return method == "POST" and isinstance(view, SafeViewMixin)


class AutoSchema(SpectacularAutoSchema):
    def is_throttled(self) -> bool:
        view = self.view
        action = getattr(view, "action", None) or self.method.lower()
        return bool(getattr(view, "throttle_scopes", {}).get(action) or getattr(view, "throttle_scope", None))

    def get_operation_id(self):
        operation_id = super().get_operation_id()
        action = getattr(self.view, "action", None)
        if action in STANDARD_ACTIONS or (action is None and operation_id.endswith("_list")):
            return operation_id
        for suffix in ACTION_SUFFIXES:
            if operation_id.endswith(suffix):
                return operation_id.removesuffix(suffix)
        return operation_id

    def _get_parameters(self):
        parameters = super()._get_parameters()
        # A filter given with no value is a 400 (filters.check_filter_values): its text says so with minLength.
        filterset_class = getattr(self.view, "filterset_class", None)
        filters = filterset_class.base_filters if filterset_class is not None else {}
        for parameter in parameters:
            schema = parameter.get("schema", {}) if parameter.get("in") == "query" else {}
            if parameter["name"] in filters and schema.get("type") == "string" and "enum" not in schema:
                schema.setdefault("minLength", 1)
        if is_idempotent_post(self.view, self.method):
            parameters.append(IDEMPOTENCY_KEY_PARAMETER)
        return parameters

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
        if self.is_throttled():
            codes.append("429")
        if is_idempotent_post(view, self.method):
            codes += ["409", "422"]
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self.error_codes():
            if code in responses:
                continue
            schema = self._component("ValidationError", VALIDATION_ERROR_SCHEMA) if code == "400" else None
            schema = schema or self._component("Error", ERROR_SCHEMA)
            responses[code] = {
                "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}},
                "description": str(ERROR_DESCRIPTIONS[code]),
            }
        for code, response in responses.items():
            # Errors a view declares itself (412, 409, 503) are problem documents too, also those declared
            # with a description only.
            content = response.get("content", {})
            if code >= "400" and "application/json" in content:
                content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
            elif code >= "400" and not content:
                response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": self._component("Error", ERROR_SCHEMA)}}
        if self.is_throttled():
            for code, response in responses.items():
                if code.startswith(("2", "4")):
                    response.setdefault("headers", {}).update(RATE_LIMIT_HEADERS)
        return dict(sorted(responses.items()))


# Text fields refuse NUL characters (DRF's ProhibitNullCharactersValidator; no database stores them).
NO_NUL_PATTERN = "^[^\\x00]*$"


def _closed(schema: dict) -> None:
    if schema.get("type") == "object" and "properties" in schema:
        schema.setdefault("additionalProperties", False)
        for field in schema["properties"].values():
            if field.get("type") == "string" and not {"enum", "format", "pattern"} & set(field):
                field["pattern"] = NO_NUL_PATTERN


def postprocess_strictness(result, generator, request, public):
    """drf-spectacular hook: request bodies are closed objects and array query parameters hold no value twice,
    as the server enforces (see the module's docstring)."""
    for name, schema in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            _closed(schema)
    for item in result.get("paths", {}).values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") != "query":
                    continue
                if schema.get("type") == "array":
                    schema["uniqueItems"] = True
                elif schema.get("type") == "string" and not {"enum", "format", "pattern"} & set(schema):
                    schema["pattern"] = NO_NUL_PATTERN  # a NUL in any query parameter is a 400
            for media in operation.get("requestBody", {}).get("content", {}).values():
                _closed(media.get("schema", {}))
    return result


# OpenAPI links (after an answer, the operations it leads to, with where their parameters come from): typed clients
# and stateful testers (schemathesis) follow them from one operation to the next. (path, method, status) → links.
LINKS: dict[tuple[str, str, str], dict[str, tuple[str, str, dict[str, str]]]] = {}


def link(source: tuple[str, str, str], name: str, target: tuple[str, str], parameters: dict[str, str]) -> None:
    """Declare that `source`'s answer leads to `target`, filling its parameters from the answer (runtime
    expressions such as "$response.body#/id")."""
    LINKS.setdefault(source, {})[name] = (*target, parameters)


def postprocess_links(result, generator, request, public):
    """drf-spectacular hook: write the declared links into the responses (operations by their operationId)."""
    paths = result.get("paths", {})
    for (path, method, code), links in LINKS.items():
        response = paths.get(path, {}).get(method, {}).get("responses", {}).get(code)
        if response is None:
            continue
        for name, (target_path, target_method, parameters) in links.items():
            target = paths.get(target_path, {}).get(target_method)
            if target is None:
                continue
            response.setdefault("links", {})[name] = {"operationId": target["operationId"], "parameters": parameters}
    return result
