"""A throw-away Dovecot IMAP server for the tests: its own config, password file and mail in a temporary
folder, listening on 127.0.0.1 on a free port, no TLS, no change to the machine's own Dovecot configuration.

Dovecot refuses to run its log-in processes as root: run as root (a CI container), it uses Debian's `dovenull`
and `dovecot` accounts; otherwise the current user for everything.
"""

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

USER = "support@example.com"
PASSWORD = "imap-test-password"


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if Path(p).exists()), None
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    host: str
    port: int
    user: str
    password: str


CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@contextlib.contextmanager
def running_dovecot(binary: str):
    root = Path(tempfile.mkdtemp(prefix="ts-dovecot-"))
    root.chmod(0o755)
    (root / "home").mkdir()
    if os.geteuid() == 0:
        login, internal = "dovenull", "dovecot"
        os.chown(root / "home", pwd.getpwnam(internal).pw_uid, pwd.getpwnam(internal).pw_gid)
    else:
        login = internal = pwd.getpwuid(os.geteuid()).pw_name
    group = internal if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    port = free_port()
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    (root / "passwd").chmod(0o644)
    (root / "dovecot.conf").write_text(
        CONFIG.format(
            root=root,
            port=port,
            login=login,
            internal=internal,
            internal_group=group,
            mail_user=internal,
            mail_group=group,
        )
    )
    process = subprocess.Popen(  # noqa: S603 (the Dovecot binary with our own config)
        [binary, "-F", "-c", str(root / "dovecot.conf")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(64).startswith(b"* OK"):
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                output = process.stdout.read().decode(errors="replace") if process.poll() is not None else ""
                raise RuntimeError(f"Dovecot did not start: {output}{log}")
            time.sleep(0.1)
        yield Server(host="127.0.0.1", port=port, user=USER, password=PASSWORD)
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        if process.poll() is None:
            process.kill()
        shutil.rmtree(root, ignore_errors=True)
