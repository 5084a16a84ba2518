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
