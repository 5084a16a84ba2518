"""Single sign-on settings for the tests: a provider at a made-up address (unit tests never reach it) with the
role and department maps of the examples in docs/DEPLOYMENT.md."""

import pytest

ISSUER = "http://127.0.0.1:9/issuer"


@pytest.fixture
def sso(settings):
    settings.OIDC_ENABLED = True
    settings.OIDC_ISSUER = ISSUER
    settings.OIDC_RP_CLIENT_ID = "ticket-system"
    settings.OIDC_RP_CLIENT_SECRET = "test-client-secret-that-is-long-enough"
    settings.OIDC_ROLE_CLAIM = "groups"
    settings.OIDC_ROLE_MAP = {"helpdesk-admins": "admin", "helpdesk-agents": "agent"}
    settings.OIDC_DEPARTMENT_CLAIM = "departments"
    settings.OIDC_DEPARTMENT_MAP = {"it": "it-support", "billing": "billing"}
    settings.OIDC_CREATE_USER = True
    return settings
