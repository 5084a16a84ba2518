"""The OpenAPI schema validates, describes every endpoint and error, and every API view is safe by default."""

import json
from types import SimpleNamespace

import pytest
import yaml
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.permissions import IsAuthenticated

from apps.common.api.views import DescriptionOnlyMetadata, SafeViewMixin
from tests.support import jwt_client, logged_in

# Every documented operation; adding an endpoint means adding it here on purpose.
OPERATIONS = {
    ("/api/token/", "post"),
    ("/api/token/refresh/", "post"),
    ("/api/token/blacklist/", "post"),
    ("/api/token/verify/", "post"),
    ("/api/tickets/", "get"),
    ("/api/tickets/", "post"),
    ("/api/tickets/{id}/", "get"),
    ("/api/tickets/{id}/", "put"),
    ("/api/tickets/{id}/", "patch"),
    ("/api/tickets/{id}/", "delete"),
    ("/api/tickets/{id}/transfer/", "post"),
    ("/api/tickets/deleted/", "get"),
    ("/api/tickets/bulk/", "post"),
    ("/api/tickets/{id}/translation/", "get"),
    ("/api/tickets/{id}/macros/{macro_id}/apply/", "post"),
    ("/api/tickets/{ticket_pk}/comments/", "get"),
    ("/api/tickets/{ticket_pk}/comments/", "post"),
    ("/api/tickets/{ticket_pk}/comments/{id}/", "get"),
    ("/api/tickets/{ticket_pk}/comments/{id}/", "put"),
    ("/api/tickets/{ticket_pk}/comments/{id}/", "patch"),
    ("/api/tickets/{ticket_pk}/comments/{id}/", "delete"),
    ("/api/tickets/{ticket_pk}/attachments/", "get"),
    ("/api/tickets/{ticket_pk}/attachments/", "post"),
    ("/api/tickets/{ticket_pk}/attachments/{id}/", "get"),
    ("/api/tickets/{ticket_pk}/attachments/{id}/", "delete"),
    ("/api/tickets/{ticket_pk}/events/", "get"),
    ("/api/attachments/{id}/download/", "get"),
    ("/api/users/", "get"),
    ("/api/users/me/", "get"),
    ("/api/users/{id}/", "get"),
    ("/api/departments/", "get"),
    ("/api/departments/{id}/", "get"),
    ("/api/notifications/", "get"),
    ("/api/notifications/{id}/", "get"),
    ("/api/notifications/{id}/read/", "post"),
    ("/api/notifications/read-all/", "post"),
    ("/api/notifications/unread-count/", "get"),
    ("/api/stats/", "get"),
    ("/api/stats/reports/{kind}/", "get"),
    ("/api/audit/", "get"),
    ("/api/audit/{id}/", "get"),
    ("/api/ai/quality/", "get"),
    ("/api/webhooks/", "get"),
    ("/api/webhooks/", "post"),
    ("/api/webhooks/{id}/", "get"),
    ("/api/webhooks/{id}/", "put"),
    ("/api/webhooks/{id}/", "patch"),
    ("/api/webhooks/{id}/", "delete"),
    ("/api/webhooks/{id}/rotate-secret/", "post"),
    ("/api/webhooks/{webhook_pk}/deliveries/", "get"),
    ("/api/webhooks/{webhook_pk}/deliveries/{id}/", "get"),
    ("/api/webhooks/{webhook_pk}/deliveries/{id}/redeliver/", "post"),
    ("/api/keys/", "get"),
    ("/api/keys/", "post"),
    ("/api/keys/{id}/", "get"),
    ("/api/keys/{id}/", "delete"),
    ("/api/macros/", "get"),
    ("/api/articles/", "get"),
    ("/api/articles/{id}/", "get"),
    ("/api/satisfaction/", "get"),
    ("/api/tickets/{id}/satisfaction/", "get"),
}
TOKEN_VIEWS = {"TokenObtainPairView", "TokenRefreshView", "TokenBlacklistView", "TokenVerifyView"}
SCHEMA_VIEWS = {"SpectacularAPIView", "SpectacularSwaggerSplitView"}


@pytest.fixture(scope="module")
def schema(django_db_blocker, tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def operations(schema) -> set[tuple[str, str]]:
    return {(path, method) for path, item in schema["paths"].items() for method in item}


def test_schema_validates_without_warnings_and_lists_every_operation(schema):
    assert operations(schema) == OPERATIONS


def test_every_operation_documents_its_errors(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert {"400", "401"} <= codes, (path, method)
            if not path.startswith("/api/token/"):
                assert {"403", "404"} <= codes, (path, method)
            if method in ("post", "put", "patch"):
                assert {"413", "415"} <= codes, (path, method)
            assert any(code.startswith("2") for code in codes), (path, method)


def test_throttled_and_locked_operations_document_429_and_412(schema):
    paths = schema["paths"]
    for path, method in [
        ("/api/token/", "post"),
        ("/api/tickets/", "post"),
        ("/api/tickets/{ticket_pk}/comments/", "post"),
        ("/api/tickets/{ticket_pk}/attachments/", "post"),
    ]:
        assert "429" in paths[path][method]["responses"], (path, method)
    for method in ("put", "patch"):
        assert "412" in paths["/api/tickets/{id}/"][method]["responses"]
        assert "If-Match" in {p["name"] for p in paths["/api/tickets/{id}/"][method]["parameters"]}
    assert "412" in paths["/api/tickets/{id}/transfer/"]["post"]["responses"]
    assert "ETag" in paths["/api/tickets/{id}/"]["get"]["responses"]["200"]["headers"]
    assert "304" in paths["/api/tickets/{id}/"]["get"]["responses"]
    for code in ("201", "429"):
        headers = paths["/api/tickets/"]["post"]["responses"][code]["headers"]
        assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(headers)


def test_every_post_of_a_resource_takes_an_idempotency_key(schema):
    for path, item in schema["paths"].items():
        if "post" not in item or path.startswith("/api/token/"):
            continue
        operation = item["post"]
        assert "Idempotency-Key" in {p["name"] for p in operation.get("parameters", [])}, path
        assert {"409", "422"} <= set(operation["responses"]), path


def test_ticket_list_documents_its_filters(schema):
    names = {p["name"] for p in schema["paths"]["/api/tickets/"]["get"]["parameters"]}
    assert names == {
        "status",
        "priority",
        "category",
        "department",
        "assignee",
        "requester",
        "created_after",
        "created_before",
        "updated_after",
        "search",
        "ordering",
        "page",
        "page_size",
        "count",
        "cursor",
    }


def _api_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _api_patterns(pattern, route)
        elif isinstance(pattern, URLPattern) and route.startswith("api/"):
            yield route, pattern


def test_every_api_view_is_safe_by_default():
    seen = set()
    for route, pattern in _api_patterns():
        view_class = getattr(pattern.callback, "cls", None)
        if view_class is None:  # the JSON 404 for unknown paths
            continue
        seen.add(view_class.__name__)
        if view_class.__name__ in TOKEN_VIEWS | SCHEMA_VIEWS:
            continue
        assert issubclass(view_class, SafeViewMixin), route
        assert any(issubclass(p, IsAuthenticated) for p in view_class.permission_classes), route
        assert view_class.metadata_class is DescriptionOnlyMetadata, route
    assert seen >= TOKEN_VIEWS


def test_the_schema_does_not_depend_on_who_asks(db, admin_user, requester):
    as_admin = jwt_client(admin_user).get("/api/schema/?format=json")
    as_requester = jwt_client(requester).get("/api/schema/?format=json")
    assert as_admin.status_code == as_requester.status_code == 200
    assert json.loads(as_admin.content) == json.loads(as_requester.content)


def test_docs_page_is_served_without_a_cdn(db, agent):
    response = logged_in(agent).get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    for cdn in ("jsdelivr", "unpkg", "cdnjs", "https://"):
        assert cdn not in html


def test_every_filterset_changes_nothing_without_its_parameters(db, agent):
    """GivenFiltersBackend skips a FilterSet whose parameters are absent: that must change no list."""
    from django.http import QueryDict

    filtersets = {
        pattern.callback.cls.filterset_class
        for _route, pattern in _api_patterns()
        if getattr(getattr(pattern.callback, "cls", None), "filterset_class", None) is not None
    }
    assert len(filtersets) >= 3
    request = SimpleNamespace(user=agent)
    for filterset_class in filtersets:
        queryset = filterset_class._meta.model._default_manager.all()
        filterset = filterset_class(QueryDict(), queryset=queryset, request=request)
        assert filterset.is_valid(), filterset_class
        assert str(filterset.qs.query) == str(queryset.query), filterset_class


# Strictness: the schema says what the server enforces ------------------------------------------------------------


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_every_request_body_is_closed(schema):
    components = schema["components"]["schemas"]
    request_components = {name for name in components if name.endswith("Request")}
    assert len(request_components) >= 16
    for name in request_components:
        assert components[name]["additionalProperties"] is False, name
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
                assert media["schema"]["$ref"].rsplit("/", 1)[1] in request_components, (path, method, media_type)


def test_every_request_body_serializer_refuses_unknown_fields():
    """The serializer behind each `...Request` component goes through the one shared refusal."""
    from drf_spectacular.generators import SchemaGenerator

    from apps.common.api.serializers import RefuseUnknownFieldsMixin

    generator = SchemaGenerator()
    generator.get_schema(request=None, public=True)
    serializers = {
        component.name: component.object
        for component in generator.registry._components.values()
        if component.name.endswith("Request") and component.type == "schemas"
    }
    assert len(serializers) >= 16
    for name, serializer in serializers.items():
        serializer_class = serializer if isinstance(serializer, type) else type(serializer)
        assert issubclass(serializer_class, RefuseUnknownFieldsMixin), name


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/token/", {"username": "carol", "password": "demo", "remember": True}),
        ("/api/token/refresh/", {"refresh": "x", "remember": True}),
        ("/api/token/verify/", {"token": "x", "remember": True}),
        ("/api/token/blacklist/", {"refresh": "x", "remember": True}),
    ],
)
def test_token_endpoints_refuse_unknown_fields(db, requester, path, body):
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    from tests.support import field_errors, reset_throttles

    reset_throttles()
    before = (OutstandingToken.objects.count(), BlacklistedToken.objects.count())
    response = jwt_client(None).post(path, body, format="json")
    assert response.status_code == 400
    assert field_errors(response) == {"remember": ["Unknown field."]}
    assert (OutstandingToken.objects.count(), BlacklistedToken.objects.count()) == before
    requester.refresh_from_db()
    assert requester.last_login is None


# What may stay open: the dashboard figures are documented in prose (their members follow the back office's
# dashboard and reports and change with them); spectacular's BlankEnum/NullEnum are typed by their enum.
OPEN_SCHEMAS = {
    "/api/stats/ get 200",
    "/api/stats/reports/{kind}/ get 200",
    "/api/ai/quality/ get 200",
}
TYPE_KEYS = {"type", "$ref", "anyOf", "oneOf", "allOf", "enum"}


def _untyped(node: dict, where: str):
    """Places in a schema that say nothing about a value: no type, an object without members, an array
    without items."""
    if not TYPE_KEYS & set(node):
        yield where
    if node.get("type") == "object" and not node.get("properties") and node.get("additionalProperties") in (None, {}):
        yield where
    if node.get("type") == "array" and not node.get("items"):
        yield where
    for name, child in node.get("properties", {}).items():
        yield from _untyped(child, f"{where}.{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            yield from _untyped(node[key], f"{where}.{key}")
    for key in ("anyOf", "oneOf", "allOf"):
        for index, child in enumerate(node.get(key, [])):
            yield from _untyped(child, f"{where}.{key}[{index}]")


def test_no_schema_leaves_a_value_untyped(schema):
    found = set()
    for name, component in schema["components"]["schemas"].items():
        found |= set(_untyped(component, name))
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                found |= set(_untyped(parameter["schema"], f"{path} {method} {parameter['name']}"))
            for code, response in operation["responses"].items():
                for media in response.get("content", {}).values():
                    if f"{path} {method} {code}" not in OPEN_SCHEMAS:
                        found |= set(_untyped(media["schema"], f"{path} {method} {code}"))
    assert found == set()


def test_categories_event_data_and_webhook_events_are_typed(schema):
    components = schema["components"]["schemas"]
    insight = components["TicketInsight"]["properties"]
    assert insight["categories"]["items"] == {"$ref": "#/components/schemas/TicketCategoryEnum"}
    assert set(insight["confidence"]["properties"]) == set(insight["suggested_by"]["properties"])
    assert set(insight["confidence"]["properties"]) == {"department", "category", "priority"}
    data = components["TicketEvent"]["properties"]["data"]
    assert data["type"] == "object"
    assert {"from", "to", "changes", "comment", "attachment", "department", "status", "priority"} <= set(
        data["properties"]
    )
    events_item = {"$ref": "#/components/schemas/WebhookEventEnum"}
    for name in ("Webhook", "WebhookCreated", "WebhookInputRequest", "PatchedWebhookInputRequest"):
        assert components[name]["properties"]["events"]["items"] == events_item, name
    assert "ticket.created" in components["WebhookEventEnum"]["enum"]
    payload = components["WebhookDelivery"]["properties"]["payload"]
    assert payload["required"] == ["type", "timestamp", "data"]
    assert set(payload["properties"]["data"]["properties"]) == {"ticket", "event", "comment", "attachment", "change"}


def test_array_query_parameters_hold_unique_items(schema):
    arrays = [
        (path, parameter["name"], parameter["schema"])
        for path, item in schema["paths"].items()
        for operation in item.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query" and parameter["schema"].get("type") == "array"
    ]
    assert {(path, name) for path, name, _schema in arrays} >= {
        ("/api/tickets/", "ordering"),
        ("/api/tickets/", "status"),
        ("/api/users/", "role"),
        ("/api/audit/", "action"),
        ("/api/stats/reports/{kind}/", "department"),
    }
    for path, name, parameter_schema in arrays:
        assert parameter_schema["uniqueItems"] is True, (path, name)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("status=new&status=new", "status"),
        ("ordering=created_at,created_at", "ordering"),
        ("ordering=created_at&ordering=created_at", "ordering"),
        ("page=1&page=1", "page"),
    ],
)
def test_a_value_given_twice_is_a_400(db, agent, query, parameter):
    from tests.support import field_errors

    response = jwt_client(agent).get(f"/api/tickets/?{query}")
    assert response.status_code == 400
    assert list(field_errors(response)) == [parameter]


def test_a_report_department_given_twice_is_a_400(db, admin_user, it_dept):
    from tests.support import field_errors

    response = jwt_client(admin_user).get(f"/api/stats/reports/volume/?department={it_dept.pk}&department={it_dept.pk}")
    assert response.status_code == 400
    assert field_errors(response) == {"department": ["The same value is given more than once."]}


def test_operation_ids_are_readable(schema):
    import re

    ids = {
        (path, method): operation["operationId"]
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }
    assert len(set(ids.values())) == len(ids)
    for key, operation_id in ids.items():
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", operation_id), key
    assert {
        ids[("/api/token/", "post")],
        ids[("/api/token/refresh/", "post")],
        ids[("/api/tickets/", "get")],
        ids[("/api/tickets/{id}/", "patch")],
        ids[("/api/tickets/{ticket_pk}/comments/", "post")],
        ids[("/api/tickets/{id}/transfer/", "post")],
        ids[("/api/tickets/bulk/", "post")],
        ids[("/api/tickets/deleted/", "get")],
        ids[("/api/users/me/", "get")],
        ids[("/api/attachments/{id}/download/", "get")],
        ids[("/api/notifications/read-all/", "post")],
        ids[("/api/webhooks/{webhook_pk}/deliveries/{id}/redeliver/", "post")],
    } == {
        "token_obtain",
        "token_refresh",
        "tickets_list",
        "tickets_partial_update",
        "tickets_comments_create",
        "tickets_transfer",
        "tickets_bulk",
        "tickets_deleted_list",
        "users_me",
        "attachments_download",
        "notifications_read_all",
        "webhooks_deliveries_redeliver",
    }


def test_enum_components_have_readable_names(schema):
    enums = {name for name, component in schema["components"]["schemas"].items() if "enum" in component}
    assert enums == {
        "ArticleAudienceEnum",
        "AuditActionEnum",
        "BlankEnum",
        "EventKindEnum",
        "MacroAssignEnum",
        "MacroScopeEnum",
        "NotificationKindEnum",
        "NullEnum",
        "RoleEnum",
        "SiteLanguageEnum",
        "TicketCategoryEnum",
        "TicketInsightStatusEnum",
        "TicketLanguageEnum",
        "TicketPriorityEnum",
        "TicketSourceEnum",
        "TicketStatusEnum",
        "WebhookDeliveryStatusEnum",
        "WebhookEventEnum",
    }


NOT_JSON_SCHEMA = frozenset({"nullable", "readOnly", "writeOnly", "example", "discriminator"})


def _json_schema(node):
    """An OpenAPI 3.0 schema as JSON Schema: `nullable` becomes a null alternative; refs point into `$defs`."""
    if isinstance(node, list):
        return [_json_schema(child) for child in node]
    if not isinstance(node, dict):
        return node
    converted = {}
    for key, value in node.items():
        if key == "$ref":
            converted[key] = value.replace("#/components/schemas/", "#/$defs/")
        elif key == "properties":
            converted[key] = {name: _json_schema(child) for name, child in value.items()}
        elif key not in NOT_JSON_SCHEMA:
            converted[key] = _json_schema(value)
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def _examples(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
                for name, example in media.get("examples", {}).items():
                    yield (path, method, "request", media_type, name), media["schema"], example["value"]
            for code, response in operation["responses"].items():
                for media_type, media in response.get("content", {}).items():
                    for name, example in media.get("examples", {}).items():
                        yield (path, method, code, media_type, name), media["schema"], example["value"]


def test_every_example_validates_against_its_schema(schema):
    import jsonschema

    definitions = {name: _json_schema(component) for name, component in schema["components"]["schemas"].items()}
    examples = list(_examples(schema))
    where = {(path, method, kind) for (path, method, kind, _media, _name), _schema, _value in examples}
    assert where >= {
        ("/api/token/", "post", "request"),
        ("/api/token/", "post", "200"),
        ("/api/tickets/", "get", "200"),
        ("/api/tickets/", "post", "request"),
        ("/api/tickets/", "post", "201"),
        ("/api/tickets/{id}/", "get", "200"),
        ("/api/tickets/{id}/", "patch", "request"),
        ("/api/tickets/{id}/", "patch", "200"),
        ("/api/tickets/{ticket_pk}/comments/", "post", "request"),
        ("/api/tickets/{ticket_pk}/comments/", "post", "201"),
        ("/api/webhooks/", "post", "request"),
        ("/api/webhooks/", "post", "201"),
        ("/api/keys/", "post", "request"),
        ("/api/keys/", "post", "201"),
    }
    for key, media_schema, value in examples:
        validator = jsonschema.Draft202012Validator(
            {**_json_schema(media_schema), "$defs": definitions}, format_checker=jsonschema.FormatChecker()
        )
        errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(value)]
        assert errors == [], key


def test_an_example_that_breaks_its_schema_is_caught(schema):
    """The check above is not vacuous: a wrong type, an unknown member or a missing one fails."""
    import jsonschema

    definitions = {name: _json_schema(component) for name, component in schema["components"]["schemas"].items()}
    request = {"$ref": "#/$defs/TicketCreateRequest", "$defs": definitions}
    validator = jsonschema.Draft202012Validator(request)
    assert validator.is_valid({"title": "t", "description": "d"})
    assert not validator.is_valid({"title": "t", "description": "d", "colour": "red"})
    assert not validator.is_valid({"title": "t"})
    assert not validator.is_valid({"title": "t", "description": "d", "assignee": "me"})
    assert (
        jsonschema.Draft202012Validator({"$ref": "#/$defs/Ticket", "$defs": definitions}).is_valid({"assignee": None})
        is False
    )


def test_every_error_and_empty_answer_has_a_declared_body(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for code, response in operation["responses"].items():
                if code in ("204", "304"):
                    assert "content" not in response, (path, method, code)
                    continue
                assert response.get("content"), (path, method, code)
                if code >= "400":
                    assert list(response["content"]) == ["application/problem+json"], (path, method, code)
    translation = schema["paths"]["/api/tickets/{id}/translation/"]["get"]["responses"]
    for code in ("409", "503"):
        assert translation[code]["content"]["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
    empty = {"type": "object", "properties": {}, "additionalProperties": False, "description": "An empty object."}
    for path in ("/api/token/verify/", "/api/token/blacklist/"):
        assert schema["paths"][path]["post"]["responses"]["200"]["content"]["application/json"]["schema"] == empty
    download = schema["paths"]["/api/attachments/{id}/download/"]["get"]["responses"]["200"]
    assert download["content"] == {"*/*": {"schema": {"type": "string", "format": "binary"}}}
    assert set(download["headers"]) == {"Content-Disposition", "X-Content-Type-Options"}


@pytest.mark.parametrize("path", ["/api/token/verify/", "/api/token/blacklist/"])
def test_verify_and_log_out_answer_the_declared_empty_object(db, requester, path):
    from rest_framework_simplejwt.tokens import RefreshToken

    from tests.support import reset_throttles

    reset_throttles()
    refresh = RefreshToken.for_user(requester)
    body = {"token": str(refresh.access_token)} if path.endswith("verify/") else {"refresh": str(refresh)}
    response = jwt_client(None).post(path, body, format="json")
    assert (response.status_code, response.json()) == (200, {})


def test_links_lead_from_new_resources_to_their_operations(schema):
    def links(path, method, code):
        found = schema["paths"][path][method]["responses"][code]["links"]
        return {name: (link["operationId"], link["parameters"]) for name, link in found.items()}

    webhook = {"id": "$response.body#/id"}
    assert links("/api/webhooks/", "post", "201") == {
        "ReadWebhook": ("webhooks_retrieve", webhook),
        "EditWebhook": ("webhooks_partial_update", webhook),
        "ReplaceWebhook": ("webhooks_update", webhook),
        "RotateSecret": ("webhooks_rotate_secret", webhook),
        "ListDeliveries": ("webhooks_deliveries_list", {"webhook_pk": "$response.body#/id"}),
        "DeleteWebhook": ("webhooks_destroy", webhook),
    }
    assert links("/api/keys/", "post", "201") == {
        "ReadKey": ("keys_retrieve", {"id": "$response.body#/id"}),
        "RevokeKey": ("keys_destroy", {"id": "$response.body#/id"}),
    }
    comment = {"ticket_pk": "$response.body#/ticket", "id": "$response.body#/id"}
    assert links("/api/tickets/{ticket_pk}/comments/", "post", "201") == {
        "ReadComment": ("tickets_comments_retrieve", comment),
        "EditComment": ("tickets_comments_partial_update", comment),
        "ReplaceComment": ("tickets_comments_update", comment),
        "DeleteComment": ("tickets_comments_destroy", comment),
    }
    assert {"DeleteTicket", "ReadRating", "Reply", "TransferTicket"} <= set(links("/api/tickets/", "post", "201"))
    assert links("/api/articles/", "get", "200") == {
        "ReadArticle": ("articles_retrieve", {"id": "$response.body#/results/0/id"})
    }
    assert links("/api/satisfaction/", "get", "200") == {
        "ReadRating": ("tickets_satisfaction", {"id": "$response.body#/results/0/ticket"})
    }


def test_text_inputs_say_what_the_server_refuses(schema):
    """NUL characters (refused in every text field and query parameter), empty filters, and keys that are not
    printable ASCII are 400s; the schema says so, so that a generator of valid requests does not send them."""
    body = schema["components"]["schemas"]["TicketCreateRequest"]["properties"]
    assert body["title"]["pattern"] == body["description"]["pattern"] == "^[^\\x00]*$"
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/tickets/"]["get"]["parameters"]}
    assert parameters["search"]["pattern"] == "^[^\\x00]*$"
    assert parameters["created_after"]["minLength"] == 1
    articles = {p["name"]: p["schema"] for p in schema["paths"]["/api/articles/"]["get"]["parameters"]}
    assert articles["category"] == {"type": "string", "minLength": 1, "pattern": "^[^\\x00]*$"}
    key = {p["name"]: p["schema"] for p in schema["paths"]["/api/tickets/"]["post"]["parameters"]}["Idempotency-Key"]
    assert key == {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"}
    translation = schema["paths"]["/api/tickets/{id}/translation/"]["get"]["parameters"]
    assert next(p for p in translation if p["name"] == "lang")["schema"]["enum"] == ["de", "en", "tr"]
    assert schema["components"]["schemas"]["WebhookInputRequest"]["properties"]["events"]["minItems"] == 1
