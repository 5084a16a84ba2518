"""The client side of scripts/smoke_production.sh: what browsers and programs do, over HTTP, against gunicorn.

    python scripts/smoke_client.py --port PORT --logs LOG [LOG ...]

Requests go to http://127.0.0.1:PORT with `X-Forwarded-Proto: https`, as nginx sends them after ending TLS; the
servers run with SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto, so Django treats them as HTTPS (secure cookies, HSTS,
no redirect) exactly as behind the real proxy. Passwords come from SMOKE_PASSWORD. Standard library only.

Each check prints one line; the first failure stops the run with exit status 1.
"""

import argparse
import http.client
import json
import os
import posixpath
import re
import sys
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from apps.common.security import BACK_OFFICE, STRICT, render_policy

HSTS = "max-age=31536000; includeSubDomains; preload"
HASHED_STATIC = re.compile(r"^/static/.+\.[0-9a-f]{12}\.[A-Za-z0-9]+$")
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")
READY_WAIT_SECONDS = 60
NOTIFICATION_WAIT_SECONDS = 60


class SmokeFailure(Exception):
    pass


def check(condition: bool, what: str, detail: object = "") -> None:
    if not condition:
        raise SmokeFailure(f"{what}{': ' if detail != '' else ''}{detail}")
    print(f"  ok  {what}")


class Response:
    def __init__(self, raw: http.client.HTTPResponse):
        self.status = raw.status
        self.body = raw.read()
        self.header_list = raw.getheaders()
        self.headers = {name.lower(): value for name, value in self.header_list}
        self.cookies = SimpleCookie()
        for name, value in self.header_list:
            if name.lower() == "set-cookie":
                self.cookies.load(value)

    def __repr__(self) -> str:
        return f"<{self.status} {self.text[:300]!r}>"

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)


class Client:
    """One browser or program: its own cookies; every request as if through the TLS proxy (unless https=False)."""

    def __init__(self, port: int, *, https: bool = True):
        self.port = port
        self.https = https
        self.cookies: dict[str, str] = {}
        self.origin = f"https://127.0.0.1:{port}"

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None) -> Response:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"Host": f"127.0.0.1:{self.port}", "User-Agent": "ticket-system-smoke", **(headers or {})}
        if self.https:
            sent["X-Forwarded-Proto"] = "https"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        try:
            connection.request(method, path, body=body, headers=sent)
            response = Response(connection.getresponse())
        finally:
            connection.close()
        for name, morsel in response.cookies.items():
            self.cookies[name] = morsel.value
        return response

    def get(self, path: str, **headers: str) -> Response:
        return self.request("GET", path, headers=headers)

    def post_json(self, path: str, data: dict, **headers: str) -> Response:
        return self.request(
            "POST", path, body=json.dumps(data).encode(), headers={"Content-Type": "application/json", **headers}
        )

    def post_form(self, path: str, data: dict, *, referer: str) -> Response:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": self.origin,
            "Referer": self.origin + referer,
        }
        return self.request("POST", path, body=urlencode(data).encode(), headers=headers)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def check_security_headers(response: Response, what: str, *, policy: str) -> None:
    headers = response.headers
    check(headers.get("content-security-policy") == policy, f"{what}: Content-Security-Policy", headers)
    check(headers.get("strict-transport-security") == HSTS, f"{what}: Strict-Transport-Security")
    check(headers.get("x-frame-options") == "DENY", f"{what}: X-Frame-Options DENY")
    check(headers.get("x-content-type-options") == "nosniff", f"{what}: X-Content-Type-Options nosniff")
    check(headers.get("referrer-policy") == "same-origin", f"{what}: Referrer-Policy same-origin")
    check(headers.get("cross-origin-opener-policy") == "same-origin", f"{what}: Cross-Origin-Opener-Policy")


def check_cookie(response: Response, name: str, what: str) -> None:
    morsel = response.cookies.get(name)
    check(morsel is not None, f"{what}: sets {name}", response.headers)
    check(bool(morsel["secure"]) and bool(morsel["httponly"]), f"{what}: {name} cookie is Secure and HttpOnly", morsel)


def check_static_files(client: Client, page: Response, what: str) -> None:
    """Every /static/ file a page links is hashed, served by whitenoise, cacheable forever; so are CSS url()s."""
    urls = sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)))
    check(len(urls) >= 2, f"{what}: links its static files", urls)
    referenced = set()
    for url in urls:
        response = client.get(url)
        if url.endswith(".css"):
            for ref in CSS_URL.findall(response.text):
                if not ref.startswith(("data:", "#", "http:", "https:")):
                    referenced.add(posixpath.normpath(posixpath.join(posixpath.dirname(url), urlsplit(ref).path)))
    for url in urls + sorted(referenced):
        response = client.get(url, **{"Accept-Encoding": "gzip"})
        served = response.status == 200 and response.body and "immutable" in response.headers.get("cache-control", "")
        if not (HASHED_STATIC.match(url) and served):
            check(False, f"{what}: {url} hashed and served", (response.status, response.headers))
    compressed = client.get(urls[0], **{"Accept-Encoding": "gzip"}).headers.get("content-encoding")
    check(compressed == "gzip", f"{what}: static files compressed ({urls[0].rsplit('/', 1)[1]})", compressed)
    print(f"  ok  {what}: {len(urls)} linked and {len(referenced)} CSS-referenced files hashed, immutable, 200")


def wait_ready(client: Client) -> None:
    started = time.monotonic()
    last = None
    while time.monotonic() - started < READY_WAIT_SECONDS:
        try:
            last = client.get("/readyz")
            if last.status == 200:
                break
            if 400 <= last.status < 500:  # refused (a host not allowed, a wrong route): waiting will not help
                raise SmokeFailure(f"/readyz answered {last!r}")
        except OSError as exc:
            last = exc
        time.sleep(0.5)
    else:
        raise SmokeFailure(f"/readyz not 200 after {READY_WAIT_SECONDS} s: {last!r}")
    check(last.json() == {"status": "ok"}, f"/readyz 200 after {time.monotonic() - started:.1f} s")


def wait_for_notification(client: Client, access: str, ticket: dict, *, started: float) -> None:
    """The worker (qcluster on Redis) turned the ticket's "created" event into the agent's notification."""
    first = client.get("/api/notifications/", **bearer(access))
    if first.status == 404:  # the notifications API is not in this build: the worker is checked by a task alone
        print("  --  no /api/notifications/ in this build: notification check skipped (see smoke_production.sh)")
        return
    while time.monotonic() - started < NOTIFICATION_WAIT_SECONDS:
        listed = client.get("/api/notifications/", **bearer(access))
        check(listed.status == 200, "GET /api/notifications/ as the agent", listed)
        mine = [item for item in listed.json()["results"] if item["ticket"] == ticket["id"]]
        if mine:
            check(
                mine[0]["ticket_reference"] == ticket["reference"],
                f"the worker notified the agent ({mine[0]['kind']}) within {time.monotonic() - started:.1f} s",
            )
            return
        time.sleep(0.5)
    raise SmokeFailure(f"no notification of {ticket['reference']} for the agent within {NOTIFICATION_WAIT_SECONDS} s")


def run(port: int, log_files: list[Path]) -> None:
    password = os.environ["SMOKE_PASSWORD"]
    secrets: list[str] = [password]
    strict, back_office = render_policy(STRICT), render_policy(BACK_OFFICE)

    print("probes")
    program = Client(port)
    wait_ready(program)
    check(program.get("/healthz").json() == {"status": "ok"}, "/healthz 200")
    plain = Client(port, https=False)
    redirect = plain.get("/login/")
    check(
        redirect.status == 301 and redirect.headers.get("location") == f"https://127.0.0.1:{port}/login/",
        "plain HTTP without the proxy's header is redirected to HTTPS",
        (redirect.status, redirect.headers.get("location")),
    )
    check(plain.get("/readyz").status == 200, "probes answer over plain HTTP (SECURE_REDIRECT_EXEMPT)")

    print("API: a requester opens a ticket with an attachment")
    token = program.post_json("/api/token/", {"username": "smoke-requester", "password": password})
    check(token.status == 200, "POST /api/token/ (JWT)", token.text)
    access = token.json()["access"]
    secrets += [access, token.json()["refresh"]]
    me = program.get("/api/users/me/", **bearer(access))
    check(me.status == 200 and me.json()["username"] == "smoke-requester", "GET /api/users/me/", me.text)
    check_security_headers(me, "API response", policy=strict)
    title = f"Smoke test {uuid.uuid4().hex[:8]}"
    created = program.post_json(
        "/api/tickets/",
        {"title": title, "description": "Opened by scripts/smoke_production.sh.", "category": "incident"},
        **bearer(access),
    )
    created_at = time.monotonic()
    check(created.status == 201, "POST /api/tickets/", created.text)
    ticket = created.json()
    content = f"smoke attachment {uuid.uuid4()}\n".encode()
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="smoke.txt"\r\n'
            f"Content-Type: text/plain\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    uploaded = program.request(
        "POST",
        f"/api/tickets/{ticket['id']}/attachments/",
        body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", **bearer(access)},
    )
    check(uploaded.status == 201, "POST /api/tickets/{id}/attachments/ (multipart)", uploaded.text)
    download = program.get(urlsplit(uploaded.json()["download"]).path, **bearer(access))
    check(download.status == 200 and download.body == content, "the attachment downloads intact", download.status)
    check(
        download.headers.get("content-disposition", "").startswith("attachment")
        and download.headers.get("content-security-policy") == "default-src 'none'; sandbox",
        "the download is an attachment with its own sandboxing policy",
        download.headers,
    )

    print("API: the agent of the default department sees it, and is notified by the worker")
    recovery_codes = json.loads(Path(os.environ["SMOKE_2FA_FILE"]).read_text())["recovery_codes"]
    secrets += recovery_codes
    asked = program.post_json("/api/token/", {"username": "smoke-agent", "password": password})
    check(
        asked.status == 401 and asked.json().get("code") == "otp_required",
        "POST /api/token/ as the agent without a second factor: 401 otp_required",
        asked.text,
    )
    agent_token = program.post_json(
        "/api/token/", {"username": "smoke-agent", "password": password, "otp": recovery_codes[0]}
    )
    check(agent_token.status == 200, "POST /api/token/ as the agent with a recovery code as otp", agent_token.text)
    agent_access = agent_token.json()["access"]
    secrets += [agent_access, agent_token.json()["refresh"]]
    seen = program.get(f"/api/tickets/{ticket['id']}/", **bearer(agent_access))
    check(seen.status == 200 and seen.json()["reference"] == ticket["reference"], f"agent reads {ticket['reference']}")
    wait_for_notification(program, agent_access, ticket, started=created_at)
    docs = program.get("/api/docs/", **bearer(agent_access))
    policy = docs.headers.get("content-security-policy", "")
    check(
        docs.status == 200 and "'sha256-" in policy and "unsafe" not in policy, "API docs page and its policy", policy
    )

    print("portal: the requester logs in with the form and finds the ticket")
    browser = Client(port)
    login = browser.get("/login/")
    check(login.status == 200, "GET /login/")
    check_security_headers(login, "portal page", policy=strict)
    check_cookie(login, "csrftoken", "portal page")
    check_static_files(browser, login, "portal")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
    logged_in = browser.post_form(
        "/login/", {"username": "smoke-requester", "password": password, "csrfmiddlewaretoken": csrf}, referer="/login/"
    )
    check(logged_in.status == 302 and logged_in.headers.get("location") == "/", "POST /login/ (CSRF via the proxy)")
    check_cookie(logged_in, "sessionid", "portal log-in")
    secrets += [browser.cookies["sessionid"], browser.cookies["csrftoken"], csrf]
    mine = browser.get("/")
    check(mine.status == 200 and ticket["reference"] in mine.text, "My tickets lists the API's ticket")

    print("back office: the agent logs in and opens the ticket")
    agent = Client(port)
    admin_login = agent.get("/admin/login/")
    check(admin_login.status == 200, "GET /admin/login/")
    check_security_headers(admin_login, "back-office page", policy=back_office)
    check_static_files(agent, admin_login, "back office")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', admin_login.text).group(1)
    logged_in = agent.post_form(
        "/admin/login/?next=/admin/",
        {"username": "smoke-agent", "password": password, "csrfmiddlewaretoken": csrf, "next": "/admin/"},
        referer="/admin/login/",
    )
    check(logged_in.status == 302 and logged_in.headers.get("location") == "/admin/", "POST /admin/login/")
    secrets += [agent.cookies["sessionid"], agent.cookies["csrftoken"], csrf]
    sent = agent.get("/admin/tickets/ticket/")
    check(
        sent.status == 302 and sent.headers.get("location", "").startswith("/admin/2fa/?next="),
        "the back office asks for the second factor first (STAFF_2FA_REQUIRED)",
        (sent.status, sent.headers.get("location")),
    )
    verify = agent.get(sent.headers["location"])
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', verify.text).group(1)
    verified = agent.post_form(
        "/admin/2fa/",
        {"code": recovery_codes[1], "next": "/admin/tickets/ticket/", "csrfmiddlewaretoken": csrf},
        referer="/admin/2fa/",
    )
    check(
        verified.status == 302 and verified.headers.get("location") == "/admin/tickets/ticket/",
        "POST /admin/2fa/ with a recovery code",
        (verified.status, verified.headers.get("location")),
    )
    secrets += [agent.cookies["sessionid"]]
    changelist = agent.get("/admin/tickets/ticket/")
    check(changelist.status == 200 and ticket["reference"] in changelist.text, "the ticket list shows the ticket")
    change = agent.get(f"/admin/tickets/ticket/{ticket['id']}/change/")
    check(change.status == 200 and title in change.text, "the ticket's page opens")
    check_security_headers(change, "back-office ticket page", policy=back_office)

    print("logs")
    time.sleep(1)  # let the servers write their last lines
    for path in log_files:
        text = path.read_text(errors="replace")
        leaked = [secret[:6] + "…" for secret in secrets if secret and secret in text]
        check(not leaked, f"{path.name}: no password, token, session id or CSRF token", leaked)
    app_lines = [line for line in log_files[0].read_text().splitlines() if line.strip()]
    not_json = []
    for line in app_lines:
        try:
            json.loads(line)
        except ValueError:
            not_json.append(line)
    check(app_lines and not not_json, f"{log_files[0].name}: {len(app_lines)} lines, each a JSON object", not_json[:3])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--logs", type=Path, nargs="+", required=True, help="the app's JSON log first")
    arguments = parser.parse_args()
    try:
        run(arguments.port, arguments.logs)
    except (SmokeFailure, OSError, KeyError, ValueError, AttributeError) as exc:
        print(f"FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
