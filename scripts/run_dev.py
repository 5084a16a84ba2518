"""`make run`: Django's development server and a django-q2 cluster, started together and stopped together, cleanly.

    python scripts/run_dev.py [--host 127.0.0.1] [--port 8000] [--grace 10]

Each child runs in a process group of its own, so the terminal's Ctrl-C (SIGINT to the foreground group) reaches
only this supervisor. On SIGINT, SIGTERM or SIGHUP it stops each child once, the way that child stops cleanly:

- runserver: SIGTERM to its group. Django's autoreloader and the server process it runs both exit 0 on SIGTERM.
- qcluster: SIGTERM to its main process only. The main process asks the sentinel to stop, the sentinel lets the
  workers finish their task and stops them, and all exit 0. Never signal the cluster's whole group: the sentinel
  and the workers take SIGTERM's default action and die at once, the sentinel possibly holding the lock of the
  cluster's stop event, and the main process then waits for that lock forever.

A child still running after the grace period is killed (SIGKILL to its group), as a last resort. The supervisor
exits 0 when it was asked to stop; when a child ends by itself (runserver cannot bind its port, say), it stops
the other one and exits 1. Standard library only: it starts before Django does.
"""

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
POLL_SECONDS = 0.1


class Child:
    """One command in a process group of its own, and how to ask it to stop."""

    def __init__(self, name: str, args: list[str], *, signal_whole_group: bool):
        self.name = name
        self.signal_whole_group = signal_whole_group
        self.process = subprocess.Popen(args, cwd=BASE_DIR, process_group=0)  # noqa: S603 (our manage.py)

    @property
    def pgid(self) -> int:
        return self.process.pid  # process_group=0: the child leads a group of its own pid

    def running(self) -> bool:
        """The child or anything it started (in its group) is still alive."""
        if self.process.poll() is None:
            return True
        try:
            os.killpg(self.pgid, 0)
        except ProcessLookupError:
            return False
        return True

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            if self.signal_whole_group:
                os.killpg(self.pgid, signal.SIGTERM)
            elif self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGKILL)
        self.process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the development server and a worker cluster.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    parser.add_argument("--grace", type=float, default=10.0, help="seconds to wait for a clean stop before killing")
    options = parser.parse_args(argv)

    requested = []
    # Handled, not ignored: the children start with these signals at their defaults (exec resets handled ones).
    for signum in STOP_SIGNALS:
        signal.signal(signum, lambda signum, frame: requested.append(signum))

    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    children = [
        Child("qcluster", [*manage, "qcluster"], signal_whole_group=False),
        Child("runserver", [*manage, "runserver", f"{options.host}:{options.port}"], signal_whole_group=True),
    ]
    ended = []
    while not requested and not ended:
        time.sleep(POLL_SECONDS)
        ended = [child for child in children if child.process.poll() is not None]

    for child in children:
        child.stop()
    deadline = time.monotonic() + options.grace
    while any(child.running() for child in children) and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
    for child in children:
        if child.running():
            print(f"run_dev: {child.name} did not stop within {options.grace:g} s; killed it.", file=sys.stderr)
            child.kill()
    if requested:
        return 0
    for child in ended:
        print(f"run_dev: {child.name} ended by itself (status {child.process.returncode}).", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
