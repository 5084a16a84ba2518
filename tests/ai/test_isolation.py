"""Only apps/ai loads the provider and learning libraries, and only when a provider is used or a model trained or
loaded (workers): neither the tickets app nor the web process's URLconf loads them."""

import subprocess
import sys

from django.conf import settings

HEAVY = "('lingua', 'vaderSentiment', 'google', 'sklearn', 'scipy', 'joblib')"


def test_importing_the_tickets_app_loads_no_provider_library():
    code = (
        "import django, os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; django.setup();"
        "import apps.tickets.services, apps.tickets.admin, apps.tickets.api.views, apps.ai.services, config.urls;"
        "import apps.ai.admin, apps.ai.api, apps.ai.tasks, apps.ai.learning.predict, apps.ai.learning.dataset;"
        "from django.urls import resolve; resolve('/api/ai/quality/'); resolve('/admin/');"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY}))"
    )
    result = subprocess.run(  # noqa: S603 — our own interpreter and a fixed script
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=settings.BASE_DIR
    )
    assert result.stdout.strip() == "[]"


def test_training_loads_scikit_learn_in_the_worker_only():
    code = (
        "import django, os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; django.setup();"
        "import apps.ai.learning.training;"
        "print('sklearn' in sys.modules)"
    )
    result = subprocess.run(  # noqa: S603 — our own interpreter and a fixed script
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=settings.BASE_DIR
    )
    assert result.stdout.strip() == "True"
