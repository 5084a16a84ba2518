"""Server-side steps of scripts/smoke_production.sh, run with the same production environment as the servers.

python scripts/smoke_django.py users    # the smoke test's accounts (password from SMOKE_PASSWORD; the agent's
                                        # recovery codes of two-factor written to SMOKE_2FA_FILE)
python scripts/smoke_django.py worker   # queue a task on the broker and wait for the worker's Success row
"""

import json
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402

WORKER_WAIT_SECONDS = 60


def create_users() -> None:
    """An admin, an agent of the default department and a requester, all with SMOKE_PASSWORD."""
    from apps.accounts.choices import Role
    from apps.accounts.services import user_create
    from apps.departments.services import department_default, user_create_with_departments

    password = os.environ["SMOKE_PASSWORD"]
    department = department_default()
    if department is None:
        sys.exit("no default department: `manage.py loaddata initial_data` must run first")
    user_create(username="smoke-admin", email="smoke-admin@example.com", password=password, role=Role.ADMIN)
    agent = user_create_with_departments(
        username="smoke-agent",
        email="smoke-agent@example.com",
        password=password,
        role=Role.AGENT,
        departments=[department],
    )
    user_create(username="smoke-requester", email="smoke-requester@example.com", password=password)
    print(f"users: smoke-admin, smoke-agent ({department.name}), smoke-requester")
    two_factor_for(agent)


def two_factor_for(user) -> None:
    """Production requires a second factor of staff (STAFF_2FA_REQUIRED): set up the agent's authenticator app as
    a person would (a code computed from the device's key), and hand two recovery codes to the client."""
    from django_otp.oath import TOTP

    from apps.accounts.two_factor import two_factor_setup_confirm, two_factor_setup_start

    device = two_factor_setup_start(user=user)
    code = f"{TOTP(device.bin_key).token():06d}"
    codes = two_factor_setup_confirm(user=user, device=device, code=code, address="127.0.0.1")
    Path(os.environ["SMOKE_2FA_FILE"]).write_text(json.dumps({"recovery_codes": codes[:2]}))
    print(f"two-factor: on for {user.get_username()} (STAFF_2FA_REQUIRED={settings.STAFF_2FA_REQUIRED})")


def worker_round_trip() -> None:
    """Queue apps.common.tasks.echo on the configured broker; a qcluster must run it and store its result."""
    from django_q.models import Success
    from django_q.tasks import async_task

    broker = "redis" if settings.Q_CLUSTER.get("redis") else "orm"
    marker = f"smoke-{uuid.uuid4().hex}"
    started = time.monotonic()
    task_id = async_task("apps.common.tasks.echo", marker, task_name=marker)
    while time.monotonic() - started < WORKER_WAIT_SECONDS:
        done = Success.objects.filter(id=task_id).first()
        if done is not None:
            if done.result != marker:
                sys.exit(f"worker: task {task_id} returned {done.result!r}, expected {marker!r}")
            print(f"worker: task {task_id} done through the {broker} broker in {time.monotonic() - started:.1f} s")
            return
        time.sleep(0.25)
    sys.exit(f"worker: task {task_id} not done after {WORKER_WAIT_SECONDS} s ({broker} broker)")


if __name__ == "__main__":
    steps = {"users": create_users, "worker": worker_round_trip}
    if len(sys.argv) != 2 or sys.argv[1] not in steps:
        sys.exit(f"usage: {sys.argv[0]} {'|'.join(steps)}")
    steps[sys.argv[1]]()
