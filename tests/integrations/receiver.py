"""A real webhook receiver for the tests: an HTTP server on 127.0.0.1 (a free port) in a thread.

Each path answers from its own script of replies (`"ok"`, `"500"`, `"slow"`: sleeps past the timeout, then 200,
`"redirect"`: a 302 to /elsewhere), then 200 once the script is used up; every request is recorded.
"""

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    scripts: dict[str, list[str]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    slow_seconds: float = 1.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def script(self, path: str, *replies: str) -> None:
        self.scripts[path] = list(replies)

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


def start_receiver() -> Receiver:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True  # headers and body leave at once (no delayed-ACK stall)

        def log_message(self, *args):  # quiet
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            with receiver.lock:
                receiver.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                script = receiver.scripts.get(self.path) or []
                reply = script.pop(0) if script else "ok"
            if reply == "slow":
                time.sleep(receiver.slow_seconds)
            if reply == "500":
                self.send_response(500)
                payload = b"x" * 5000  # longer than the log keeps
            elif reply == "redirect":
                self.send_response(302)
                self.send_header("Location", "/elsewhere")
                payload = b""
            else:
                self.send_response(200)
                payload = b'{"ok": true}'
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            with contextlib.suppress(OSError):  # the sender gave up (timeout)
                self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = Receiver(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver
