"""`make run` stops cleanly: Ctrl-C or SIGTERM ends the web server and the worker cluster within seconds, exit 0.

The test starts what the Makefile's `run` target starts (scripts/run_dev.py, which runs `manage.py runserver` and
`manage.py qcluster`) with DEBUG=true, on a SQLite file of its own (also when the suite runs on PostgreSQL: the
target is SQLite's) and a free port. It waits until the web server answers and the cluster is running, signals
the supervisor's process group as a terminal's Ctrl-C does, and checks the exit status, the output, and that no
process of the session is left. Linux only: it reads /proc.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads the process table from /proc")

BASE_DIR = Path(settings.BASE_DIR)
START_SECONDS = 60  # generous: CI machines are slow to start two Django processes
STOP_SECONDS = 20
CLUSTER_RUNNING = re.compile(r"Q Cluster \S+ \[.+\] running\.")


@pytest.fixture(scope="module")
def run_env(tmp_path_factory):
    """The environment of `make run` on a migrated SQLite file of this module's own."""
    database = tmp_path_factory.mktemp("run") / "db.sqlite3"
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DJANGO_ENV")}
    env.update(DATABASE_URL=f"sqlite:///{database}", DEBUG="true")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, env=env, check=True, timeout=120
    )
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def session_processes(session: int) -> dict[int, str]:
    """Live (not zombie) processes of the session, by pid: the supervisor and everything it started."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # ended while we looked
            continue
        state, _ppid, _pgrp, sid = stat[stat.rindex(")") + 2 :].split()[:4]
        if int(sid) == session and state != "Z":
            found[int(entry.name)] = command
    return found


def the_run_recipe() -> str:
    makefile = (BASE_DIR / "Makefile").read_text()
    return re.search(r"^run:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE).group(1)


def test_the_make_target_runs_the_supervisor():
    assert "exec $(PY) scripts/run_dev.py --host $(HOST) --port $(PORT)" in the_run_recipe()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_stops_the_server_and_the_worker_cleanly(run_env, tmp_path, signum):
    port = free_port()
    log = tmp_path / "run.log"
    with log.open("wb") as output:
        supervisor = subprocess.Popen(  # noqa: S603 -- our own script with fixed arguments
            [sys.executable, "scripts/run_dev.py", "--host", "127.0.0.1", "--port", str(port)],
            cwd=BASE_DIR,
            env=run_env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group and session of its own, like a terminal's foreground job
        )
    try:
        deadline = time.monotonic() + START_SECONDS
        while not (answers(port) and CLUSTER_RUNNING.search(log.read_text())):
            assert supervisor.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"not up after {START_SECONDS} s:\n{log.read_text()}"
            time.sleep(0.2)
        started = session_processes(supervisor.pid)
        assert len(started) >= 4, started  # supervisor, runserver and its server process, the cluster

        os.killpg(supervisor.pid, signum)
        status = supervisor.wait(timeout=STOP_SECONDS)
    finally:
        if supervisor.poll() is None:
            os.killpg(supervisor.pid, signal.SIGKILL)
            supervisor.wait()

    text = log.read_text()
    assert status == 0, text
    assert "Traceback" not in text
    assert "Segmentation fault" not in text
    assert "did not stop" not in text  # nothing needed SIGKILL
    assert "has stopped." in text  # the cluster stopped its workers itself
    assert session_processes(supervisor.pid) == {}
