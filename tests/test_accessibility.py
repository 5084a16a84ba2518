"""Accessibility in a real browser: axe-core on the portal's and the back office's pages, and a keyboard walk.

axe-core (tests/a11y/package.json, installed by `.ci/run` with `npm ci --prefix tests/a11y`) is injected into each
page of PAGES and run with the WCAG 2.1 A and AA rules, in light and dark mode, at 1280 and 390 px wide: every
page must have 0 violations. The keyboard walk presses Tab through the ticket page and its sidebar and must
reach every control a mouse can use: links, buttons, fields, and every element with a click handler (unfold's
Alpine `@click`), which must therefore be a real button or link. On both ticket pages, the Edit and Delete of
one's own message open from the keyboard, have no violations while open, and save from the keyboard.

Add a page by adding a line to PAGES: (name, who is logged in, path; `{ticket}` is the sample ticket's id).
Without Chromium, Playwright or axe-core the tests skip, or fail under CI (tests/support.py component_missing).
"""

import json
import os
from pathlib import Path

import pytest
from django.test import Client

from apps.accounts.choices import Role
from apps.departments.choices import Priority
from apps.departments.models import SlaPolicy
from apps.departments.services import sla_policy_save
from apps.tickets import services
from apps.tickets.choices import Status
from tests.accounts.factories import UserFactory
from tests.departments.factories import DepartmentFactory
from tests.support import component_missing
from tests.test_browser import CHROMIUM_ARGS, CHROMIUM_PATH
from tests.tickets.factories import TicketFactory

# Playwright's sync API runs an event loop in this thread (see tests/test_browser.py).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
SCHEMES = ("light", "dark")

# (name, who, path): who is None (a visitor), "requester", "agent" or "admin".
PAGES = [
    ("portal log-in", None, "/login/"),
    ("portal password reset", None, "/password-reset/"),
    ("portal my tickets", "requester", "/"),
    ("portal new ticket", "requester", "/tickets/new/"),
    ("portal ticket", "requester", "/tickets/{ticket}/"),
    ("portal notifications", "requester", "/notifications/"),
    ("portal profile", "requester", "/profile/"),
    ("back-office log-in", None, "/admin/login/"),
    ("dashboard", "agent", "/admin/"),
    ("ticket list", "agent", "/admin/tickets/ticket/"),
    ("ticket page", "agent", "/admin/tickets/ticket/{ticket}/change/"),
    ("new ticket", "agent", "/admin/tickets/ticket/add/"),
    ("notifications", "agent", "/admin/notifications/notification/"),
    ("reports", "agent", "/admin/tickets/ticket/reports/?kind=volume"),
    ("reports per agent", "admin", "/admin/tickets/ticket/reports/?kind=agents"),
    ("departments", "admin", "/admin/departments/department/"),
    ("department", "admin", "/admin/departments/department/{department}/change/"),
    ("SLA policies", "admin", "/admin/departments/slapolicy/"),
    ("users", "admin", "/admin/accounts/user/"),
]


def _unavailable(reason: str, hint: str):
    component_missing(reason, tests="accessibility tests", hint=hint)


@pytest.fixture(scope="module")
def chromium():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("The Python package `playwright` is not installed", "install the project's dev dependencies")
    if not CHROMIUM_PATH.exists():
        _unavailable(f"No Chromium at {CHROMIUM_PATH}", "install Debian's `chromium`, or set CHROMIUM_PATH")
    if not AXE.exists():
        _unavailable("axe-core is not installed", "run `npm ci --prefix tests/a11y`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM_PATH), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(db):
    """A department with an SLA policy, one person per role, and a ticket with a reply and an internal note."""
    it = DepartmentFactory(name="IT Support", slug="it-support", is_default=True)
    sla_policy_save(
        policy=SlaPolicy(department=it, priority=Priority.NORMAL, first_response_minutes=60, resolution_minutes=480)
    )
    people = {
        "agent": UserFactory(
            username="alice", first_name="Alice", last_name="Agent", role=Role.AGENT, departments=[it]
        ),
        "admin": UserFactory(username="root", first_name="Ada", last_name="Admin", role=Role.ADMIN),
        "requester": UserFactory(username="carol", first_name="Carol", last_name="Requester"),
    }
    ticket = TicketFactory(department=it, requester=people["requester"], title="VPN drops every hour")
    services.comment_add(ticket=ticket, actor=people["requester"], body="Still broken since Monday.")
    services.comment_add(ticket=ticket, actor=people["agent"], body="Probably the gateway.", is_internal=True)
    services.ticket_transition(ticket=ticket, actor=people["agent"], to_status=Status.OPEN)
    return {"people": people, "ids": {"ticket": ticket.pk, "department": it.pk}}


def _session_cookie(user, base_url: str) -> dict:
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    return {"name": "sessionid", "value": cookie.value, "url": base_url}


def _axe(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_21_AA,
    )
    return [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "where": [" ".join(map(str, n["target"])) for n in v["nodes"]][:5],
            "why": v["nodes"][0]["failureSummary"][:300],
        }
        for v in result["violations"]
    ]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", list(WIDTHS))
def test_no_wcag_21_aa_violations(chromium, live_server, site, scheme, width):
    found = {}
    contexts = {}
    try:
        for name, who, path in PAGES:
            if who not in contexts:
                w, h = WIDTHS[width]
                context = chromium.new_context(
                    viewport={"width": w, "height": h},
                    color_scheme=scheme,
                    bypass_csp=True,  # axe is inlined
                )
                if who is not None:
                    context.add_cookies([_session_cookie(site["people"][who], live_server.url)])
                contexts[who] = context.new_page()
            page = contexts[who]
            response = page.goto(live_server.url + path.format(**site["ids"]))
            assert response.status == 200, f"{name}: {response.status} at {page.url}"
            violations = _axe(page)
            if violations:
                found[name] = violations
    finally:
        for page in contexts.values():
            page.context.close()
    assert found == {}, json.dumps(found, indent=1)


# The keyboard walk --------------------------------------------------------------------------------------------------

# Everything a mouse can use in the sidebar, the header and the page's content, marked with data-kw="<n>".
MARK_CONTROLS = """() => {
    const selector = "a[href], button, input, select, textarea, summary, [tabindex]";
    const clickable = (el) => el.hasAttribute("x-on:click") || el.hasAttribute("@click");
    const visible = (el) => {
        const style = getComputedStyle(el);
        return el.getClientRects().length > 0 && style.visibility !== "hidden" && style.display !== "none";
    };
    const scope = [...document.querySelectorAll("#nav-sidebar, #main")];
    const found = [];
    for (const area of scope) {
        for (const el of area.querySelectorAll("*")) {
            if (!(el.matches(selector) || clickable(el)) || !visible(el)) continue;
            if (el.matches("input[type=hidden], [disabled]") || el.closest("[inert], [aria-hidden=true]")) continue;
            // select2 keeps the real <select> out of the tab order and offers its own box instead.
            if (el.classList.contains("select2-hidden-accessible")) continue;
            // The inside of a closed <details> is not shown (its <summary> is the control that opens it).
            if (el.closest("details:not([open])") && !el.matches("details > summary")) continue;
            // A radio group is one tab stop (its checked radio); the arrow keys move inside it.
            if (el.matches("input[type=radio]:not(:checked)") && el.form &&
                el.form.querySelector(`input[type=radio][name="${el.name}"]:checked`)) continue;
            if (el.matches("[tabindex='-1']") && !clickable(el)) continue;
            if (clickable(el) && el.closest("a[href], button") && el.closest("a[href], button") !== el) continue;
            el.dataset.kw = found.length;
            const name = (el.getAttribute("aria-label") || el.innerText || el.name || el.id || el.tagName).trim();
            found.push(`${el.tagName.toLowerCase()} ${name.slice(0, 60).replace(/\\s+/g, " ")}`);
        }
    }
    return found;
}"""
# What a screen reader announces for each link and button: its aria-label, or its text without aria-hidden parts.
ACCESSIBLE_NAMES = r"""() => {
    const shown = (child) => child.nodeType === Node.ELEMENT_NODE && child.getAttribute("aria-hidden") !== "true";
    const text = (node) => [...node.childNodes]
        .map((child) => child.nodeType === Node.TEXT_NODE ? child.textContent : shown(child) ? text(child) : "")
        .join("");
    return [...document.querySelectorAll("#nav-sidebar a[href], #nav-sidebar button, #main a[href], #main button")]
        .map((el) => el.getAttribute("aria-label") || text(el)).join(" | ").replace(/\s+/g, " ");
}"""
FOCUSED = """() => {
    const marked = document.activeElement && document.activeElement.closest("[data-kw]");
    return marked ? Number(marked.dataset.kw) : -1;
}"""


def _walk(page, *, presses: int) -> set[int]:
    reached = set()
    for _ in range(presses):
        page.keyboard.press("Tab")
        reached.add(page.evaluate(FOCUSED))
    return reached


def test_the_keyboard_reaches_every_control_of_the_ticket_page_and_the_sidebar(chromium, live_server, site):
    from playwright.sync_api import expect

    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    context.add_cookies([_session_cookie(site["people"]["agent"], live_server.url)])
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/admin/tickets/ticket/{site['ids']['ticket']}/change/")

        # The first Tab reaches the skip link, which takes the focus to the page's content.
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to content")
        expect(skip).to_be_focused()
        expect(skip).to_be_visible()
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "content"
        assert page.evaluate("document.querySelectorAll('main').length") == 1

        # The collapsed "Administration" group and the user menu open from the keyboard.
        admin_group = page.get_by_role("button", name="Administration")
        admin_group.focus()
        expect(admin_group).to_have_attribute("aria-expanded", "false")
        page.keyboard.press("Enter")
        expect(admin_group).to_have_attribute("aria-expanded", "true")
        user_menu = page.locator("#user-menu-button")
        user_menu.focus()
        page.keyboard.press("Enter")
        expect(page.locator("#user-menu")).to_be_visible()
        expect(page.get_by_role("button", name="Dark")).to_be_visible()

        # Then every control of the page, the header and the sidebar is reached by Tab alone.
        page.evaluate("window.scrollTo(0, 0)")
        controls = page.evaluate(MARK_CONTROLS)
        assert len(controls) > 30
        page.locator("body").focus()
        page.evaluate("document.activeElement.blur()")
        reached = _walk(page, presses=len(controls) + 120)
        missing = [control for n, control in enumerate(controls) if n not in reached]
        assert missing == [], f"not reachable by Tab: {missing}"
        # Accessible names hold no icon ligature text.
        names = page.evaluate(ACCESSIBLE_NAMES)
        for ligature in ("confirmation_number", "dock_to_right", "unfold_more", "chevron_right", "arrow_back"):
            assert ligature not in names
    finally:
        context.close()


# Edit and Delete of one's own message, opened from the keyboard -----------------------------------------------------


@pytest.mark.parametrize(
    ("who", "path", "saved"),
    [
        ("agent", "/admin/tickets/ticket/{ticket}/change/", "Probably the gateway, and the DNS."),
        ("requester", "/tickets/{ticket}/", "Still broken since Sunday."),
    ],
)
def test_the_edit_form_opens_and_saves_from_the_keyboard_without_violations(
    chromium, live_server, site, who, path, saved
):
    from playwright.sync_api import expect

    context = chromium.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    context.add_cookies([_session_cookie(site["people"][who], live_server.url)])
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(live_server.url + path.format(**site["ids"]))
        edit = page.locator("summary", has_text="Edit").first
        edit.focus()
        page.keyboard.press("Enter")
        box = page.get_by_label("New text")
        expect(box).to_be_visible()
        delete = page.locator("summary", has_text="Delete").first
        delete.focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("button", name="Yes, delete it")).to_be_visible()
        # Both forms open: axe sees their fields and buttons too.
        assert _axe(page) == []
        box.focus()
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.type(saved)
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Save the change")).to_be_focused()
        page.keyboard.press("Enter")
        page.wait_for_load_state()
        expect(page.get_by_text(saved).first).to_be_visible()
    finally:
        context.close()
