"""A local fake of the Google Cloud Natural Language v2 and Translation v3 REST endpoints.

The real client libraries talk to it (transport="rest", api_endpoint="http://127.0.0.1:PORT", anonymous
credentials). Each request is recorded (method, path, JSON body); a test sets the next responses per path suffix:
a dict (200 JSON), an int (that HTTP status, with a Google-style error body) or ("sleep", seconds, response).
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULTS = {
    ":analyzeSentiment": {"documentSentiment": {"score": -0.8, "magnitude": 0.8}, "languageCode": "en"},
    ":classifyText": {"categories": [{"name": "/Finance/Accounting & Auditing", "confidence": 0.9}]},
    ":detectLanguage": {"languages": [{"languageCode": "de", "confidence": 1.0}]},
    ":translateText": {"translations": [{"translatedText": "<b>Hallo</b> & Welt"}]},
}
STATUS_NAMES = {400: "INVALID_ARGUMENT", 429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE", 500: "INTERNAL"}


class FakeGoogle:
    def __init__(self):
        self.requests: list[tuple[str, str, dict]] = []
        self.responses: dict[str, list] = {}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(("POST", self.path.split("?")[0], body))
                suffix = next((s for s in DEFAULTS if self.path.split("?")[0].endswith(s)), None)
                queued = fake.responses.get(suffix) or []
                answer = queued.pop(0) if queued else DEFAULTS.get(suffix, {})
                if isinstance(answer, tuple) and answer[0] == "sleep":
                    time.sleep(answer[1])
                    answer = answer[2]
                if isinstance(answer, int):
                    payload = {"error": {"code": answer, "message": "fake error", "status": STATUS_NAMES[answer]}}
                    self._send(answer, payload)
                else:
                    self._send(200, answer)

            def _send(self, code, payload):
                data = json.dumps(payload).encode()
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def paths(self) -> list[str]:
        return [path for _method, path, _body in self.requests]
