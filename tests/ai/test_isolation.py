"""Only apps/ai loads the provider libraries, and only when a provider is used."""

import subprocess
import sys

from django.conf import settings


def test_importing_the_tickets_app_loads_no_provider_library():
    code = (
        "import django, os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; django.setup();"
        "import apps.tickets.services, apps.tickets.admin, apps.tickets.api.views, apps.ai.services;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('lingua', 'vaderSentiment', 'google')))"
    )
    result = subprocess.run(  # noqa: S603 — our own interpreter and a fixed script
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=settings.BASE_DIR
    )
    assert result.stdout.strip() == "[]"
