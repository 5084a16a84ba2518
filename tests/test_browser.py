"""The portal in a real browser: Playwright driving Debian's Chromium against pytest-django's live server.

The journey: a requester logs in, opens a ticket with an attachment and finds it in My tickets; an agent
replies in the back office; the requester reads the reply and closes the ticket. Every page of the journey
is screenshotted at 390×844 and 1280×800 into artifacts/screenshots/ (a CI artifact path, git-ignored), and
checked on the way: no horizontal scrolling on a phone, a label for every input, nothing loaded from
another host.

Playwright's own browser download is not available on the CI machines, so Chromium is launched by its path
(CHROMIUM_PATH, default /usr/bin/chromium). Without Chromium the tests skip with a message, unless CI is set:
then they fail, so that a CI machine cannot silently stop testing in a browser.
"""

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from apps.accounts.choices import Role
from apps.tickets.choices import Status
from apps.tickets.models import Comment, Ticket
from tests.accounts.factories import UserFactory
from tests.departments.factories import DepartmentFactory
from tests.support import component_missing

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the test itself (fixtures,
# assertions) are still plain synchronous calls, which Django would otherwise refuse next to a running loop.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_PATH = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
SIZES = {"phone": (390, 844), "desktop": (1280, 800)}
PASSWORD = "demo"  # every factory user's password


def _unavailable(reason: str):
    component_missing(reason, tests="browser tests", hint="install Debian's `chromium`, or set CHROMIUM_PATH")


@pytest.fixture(scope="module")
def chromium():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("The Python package `playwright` is not installed")
    if not CHROMIUM_PATH.exists():
        _unavailable(f"No Chromium at {CHROMIUM_PATH}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM_PATH), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def screenshot_dir():
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS


class Visit:
    """One person's browser tab, with the checks every page of the journey must pass."""

    def __init__(self, browser, base_url: str, shots: Path):
        self.context = browser.new_context(viewport=dict(zip(("width", "height"), SIZES["desktop"], strict=True)))
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.base_url = base_url
        self.shots = shots
        self.foreign_requests: list[str] = []
        host = urlsplit(base_url).netloc
        self.page.on(
            "request",
            lambda request: (
                self.foreign_requests.append(request.url)
                if urlsplit(request.url).scheme in ("http", "https") and urlsplit(request.url).netloc != host
                else None
            ),
        )

    def goto(self, path: str):
        self.page.goto(self.base_url + path)

    def capture(self, name: str, *, portal: bool = True) -> None:
        """Screenshot the page at both sizes; portal pages must also fit a phone and label every input."""
        for size, (width, height) in SIZES.items():
            self.page.set_viewport_size({"width": width, "height": height})
            if portal and size == "phone":
                overflow = self.page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert overflow <= 0, f"{name}: {overflow}px of horizontal scrolling at {width}px"
            self.page.screenshot(path=str(self.shots / f"{name}-{width}x{height}.png"), full_page=True)
        self.page.set_viewport_size(dict(zip(("width", "height"), SIZES["desktop"], strict=True)))
        if portal:
            unlabelled = self.page.evaluate(
                """() => [...document.querySelectorAll("input, select, textarea")]
                    .filter((el) => !["hidden", "submit", "button"].includes(el.type))
                    .filter((el) => el.labels.length === 0 && !el.getAttribute("aria-label"))
                    .map((el) => el.name)"""
            )
            assert unlabelled == [], f"{name}: inputs without a label: {unlabelled}"
            assert self.page.get_attribute("html", "lang") in ("en", "tr", "de")


@pytest.fixture
def people(db):
    it = DepartmentFactory(name="IT Support", slug="it-support", is_default=True)
    agent = UserFactory(username="alice", first_name="Alice", last_name="Agent", role=Role.AGENT, departments=[it])
    requester = UserFactory(username="carol", first_name="Carol", last_name="Requester", role=Role.REQUESTER)
    return agent, requester


def test_requester_journey_with_an_agent_reply(chromium, live_server, screenshot_dir, people, settings):
    from playwright.sync_api import expect

    settings.NOTIFICATIONS_POLL_SECONDS = 2  # the header's counter polls this often

    carol = Visit(chromium, live_server.url, screenshot_dir)
    page = carol.page

    # Log in with the keyboard only: the user name field has the focus, Tab moves on, Enter sends.
    carol.goto("/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/")
    carol.capture("01-login")
    page.keyboard.type("carol")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    expect(page.get_by_text("No tickets yet")).to_be_visible()
    carol.capture("02-my-tickets-empty")

    # Open a ticket with an attachment.
    page.get_by_role("link", name="New ticket").first.click()
    page.get_by_label("Subject").fill("VPN drops every hour")
    page.get_by_label("Category").select_option("incident")
    page.get_by_label("Description").fill("Since Monday the VPN disconnects every hour.\nRestarting does not help.")
    page.get_by_label("Attachments").set_input_files(
        [{"name": "vpn-client.log", "mimeType": "text/plain", "buffer": b"12:00 connected\n13:00 dropped\n"}]
    )
    expect(page.locator(".file-list")).to_contain_text("vpn-client.log")
    carol.capture("03-new-ticket")
    page.get_by_role("button", name="Send ticket").click()

    ticket = Ticket.objects.get()
    expect(page.locator("#ticket-reference")).to_have_text(ticket.reference)
    expect(page.get_by_text(f"Your ticket {ticket.reference} has been opened.")).to_be_visible()
    expect(page.get_by_role("link", name="vpn-client.log")).to_be_visible()
    carol.capture("04-ticket-opened")

    # It is in My tickets.
    page.get_by_role("link", name="My tickets").first.click()
    row = page.locator("#ticket-list li").filter(has_text=ticket.reference)
    expect(row).to_contain_text("VPN drops every hour")
    expect(row).to_contain_text("Received")
    carol.capture("05-my-tickets")

    # The agent replies in the back office.
    alice = Visit(chromium, live_server.url, screenshot_dir)
    alice.goto("/admin/login/")
    alice.page.fill("#id_username", "alice")
    alice.page.fill("#id_password", PASSWORD)
    alice.page.locator("button[type=submit]").click()
    alice.goto(f"/admin/tickets/ticket/{ticket.pk}/change/")
    alice.page.fill("#composer-body", "Thanks, Carol. Please update the VPN client to version 5.2 and tell us.")
    alice.page.get_by_role("button", name="Send", exact=True).click()
    expect(alice.page.locator("#ticket-conversation")).to_contain_text("update the VPN client")
    alice.capture("06-back-office-reply", portal=False)
    assert Comment.objects.filter(ticket=ticket, author__username="alice", is_internal=False).count() == 1
    alice.context.close()

    # Without reloading My tickets, the requester's header counts the reply's notification.
    expect(page.locator("#unread-counter")).to_be_visible()
    expect(page.locator("#unread-counter")).to_have_attribute("data-unread-count", "1")

    # The requester reads the reply and closes the ticket.
    row.locator("a").click()
    expect(page.locator("#conversation")).to_contain_text("Please update the VPN client to version 5.2")
    expect(page.locator("#conversation")).to_contain_text("Support team")
    carol.capture("07-ticket-with-reply")
    page.get_by_role("button", name="Close ticket").click()
    expect(page.get_by_text("The ticket is closed. Thank you!")).to_be_visible()
    expect(page.locator(".ticket-head .badge")).to_have_text("Closed")
    expect(page.locator("#history")).to_contain_text("Carol Requester set the status to Closed")
    carol.capture("08-ticket-closed")
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED

    # The other pages of the portal.
    page.get_by_role("link", name="Notifications").click()
    expect(page.locator("#notification-list")).to_contain_text(
        f"Alice Agent replied to your ticket {ticket.reference}: VPN drops every hour"
    )
    carol.capture("09-notifications")
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_text("All notifications are marked as read.")).to_be_visible()
    expect(page.locator("#unread-counter")).to_be_hidden()
    page.get_by_role("link", name="Profile").click()
    carol.capture("10-profile")
    carol.goto("/tickets/999999/")
    expect(page.get_by_text("We could not find that page")).to_be_visible()
    carol.capture("11-not-found")

    assert carol.foreign_requests == [], "the portal loaded something from another host"
    carol.context.close()


def test_the_language_switcher_in_a_browser(chromium, live_server, screenshot_dir, people):
    from playwright.sync_api import expect

    visitor = Visit(chromium, live_server.url, screenshot_dir)
    visitor.goto("/login/")
    visitor.page.get_by_label("Language").select_option("de")
    visitor.page.get_by_role("button", name="Change").click()
    expect(visitor.page.locator("html")).to_have_attribute("lang", "de")
    expect(visitor.page.get_by_role("heading", name="Anmelden")).to_be_visible()
    visitor.capture("12-login-german")
    visitor.context.close()


def test_staff_set_up_two_factor_in_a_browser(chromium, live_server, screenshot_dir, people, settings):
    """An agent's first back-office visit with STAFF_2FA_REQUIRED: scan (here: read) the secret, type the code."""
    from base64 import b32decode

    from django_otp.oath import TOTP
    from playwright.sync_api import expect

    settings.STAFF_2FA_REQUIRED = True
    alice = Visit(chromium, live_server.url, screenshot_dir)
    page = alice.page
    alice.goto("/admin/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.locator("button[type=submit]").click()

    expect(page).to_have_url(f"{live_server.url}/admin/2fa/setup/?next=%2Fadmin%2F")
    expect(page.locator("#two-factor-qr svg")).to_be_visible()
    alice.capture("13-two-factor-setup", portal=False)
    secret = page.locator("#two-factor-secret").inner_text().replace(" ", "")
    key = b32decode(secret + "=" * (-len(secret) % 8))
    page.get_by_role("textbox", name="Code").fill(f"{TOTP(key).token():06d}")
    page.get_by_role("button", name="Turn on two-factor authentication").click()

    expect(page.locator("[data-recovery-code]")).to_have_count(10)
    alice.capture("14-two-factor-recovery-codes", portal=False)
    page.get_by_role("link", name="I have stored them: continue").click()
    expect(page).to_have_url(f"{live_server.url}/admin/")
    expect(page.locator("#dashboard")).to_be_visible()

    assert alice.foreign_requests == [], "the two-factor pages loaded something from another host"
    alice.context.close()


def test_the_ticket_list_fits_1280_px(chromium, live_server, screenshot_dir, people):
    """The back-office list at 1280×800 beside the open sidebar: no horizontal scrolling, one line per ticket
    (long titles cut, the whole title on hover), the total and page numbers, one highlighted sidebar view."""
    from playwright.sync_api import expect

    from apps.tickets import services
    from tests.tickets.factories import TicketFactory

    agent, requester = people
    department = agent.groups.get().department
    long_title = "The printer on the third floor prints every page twice and then jams " * 2
    tickets = TicketFactory.create_batch(55, department=department, requester=requester, title=long_title.strip())
    services.ticket_assign(ticket=tickets[0], actor=agent, assignee=agent)

    alice = Visit(chromium, live_server.url, screenshot_dir)
    alice.goto("/admin/login/")
    alice.page.fill("#id_username", "alice")
    alice.page.fill("#id_password", PASSWORD)
    alice.page.get_by_role("button", name="Log in").click()
    alice.goto("/admin/tickets/ticket/")
    alice.capture("20-back-office-ticket-list", portal=False)
    page = alice.page

    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    table_overflow = page.evaluate(
        "(() => { const t = document.querySelector('#result_list'); "
        "return t.scrollWidth - t.parentElement.clientWidth })()"
    )
    title_width = page.evaluate("document.querySelector('#result_list th.tl-h-title').offsetWidth")
    assert title_width >= 160
    assert overflow <= 0
    assert table_overflow <= 0
    heights = page.evaluate("[...document.querySelectorAll('#result_list tbody tr')].map((row) => row.offsetHeight)")
    assert len(heights) == 50
    assert max(heights) < 40  # one line each
    expect(page.locator("#result_list tbody tr").first.locator("td a[title]")).to_have_attribute(
        "title", long_title.strip()
    )
    expect(page.locator(".tl-pages .total")).to_have_text("55 tickets")
    expect(page.locator(".tl-pages a", has_text="2")).to_be_visible()
    active = page.locator("#nav-sidebar-apps a.active").all_inner_texts()
    assert [text.split("\n")[-1] for text in active] == ["Tickets"]
    # The admin's actions script works on the lean rows: ticking one shows the actions bar.
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.reload()
    page.get_by_label(f"Select {tickets[-1].reference}").check()
    expect(page.locator("#changelist-actions-wrapper")).to_be_visible()
    assert errors == []
    alice.context.close()


def test_an_agent_works_a_ticket_from_the_conversation(chromium, live_server, screenshot_dir, people):
    """The agent's journey on the ticket page: a New ticket, "Send and wait for requester" (the draft kept across
    a reload, a canned response picked with the keyboard in the composer's picker, its placeholders filled), the
    requester's answer in the thread, "Send and resolve"; the page at 1280×800 and 390×844."""
    from playwright.sync_api import expect

    from apps.macros.choices import Scope
    from apps.tickets import services
    from tests.macros.factories import make_macro
    from tests.tickets.factories import TicketFactory

    agent, requester = people
    ticket = TicketFactory(
        department=agent.groups.get().department, requester=requester, title="Outlook asks for the password again"
    )
    make_macro(agent, title="Welcome", body="Welcome, {requester_first_name}!", scope=Scope.PRIVATE)
    make_macro(
        agent,
        title="Outlook version",
        body="{requester_first_name}, which Outlook version do you use? ({ticket_reference}, {agent_first_name})",
        scope=Scope.PRIVATE,
    )
    alice = Visit(chromium, live_server.url, screenshot_dir)
    page = alice.page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    alice.goto("/admin/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()

    alice.goto(f"/admin/tickets/ticket/{ticket.pk}/change/")
    expect(page.locator("#ticket-title")).to_have_text("Outlook asks for the password again")
    expect(page.locator("#ticket-description")).to_contain_text("It makes a grinding noise")
    page.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_label("Assignee")).to_have_value(str(agent.pk))

    # The draft survives a reload; a composer tool inserts at the cursor.
    page.fill("#composer-body", "Hello Carol,\n\n\nBest regards")
    page.reload()
    expect(page.locator("#composer-body")).to_have_value("Hello Carol,\n\n\nBest regards")
    # The agent picks the canned response in the composer's picker with the keyboard: the filter, then Tab to its
    # "Insert" button and Enter; the text arrives at the cursor with the placeholders filled for this ticket.
    page.locator("#composer-body").evaluate("(el) => el.setSelectionRange(14, 14)")
    page.get_by_label("Find by title").click()
    page.keyboard.type("outlook")
    expect(page.get_by_role("button", name="Welcome")).to_be_hidden()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Outlook version")).to_be_focused()
    page.keyboard.press("Enter")
    asked = f"Carol, which Outlook version do you use? ({ticket.reference}, Alice)"
    expect(page.locator("#composer-body")).to_have_value(f"Hello Carol,\n\n{asked}\nBest regards")
    expect(page.locator("#macro-picker [data-macro-status]")).to_have_text("The text was inserted into the reply.")
    alice.capture("30-ticket-page-composer", portal=False)
    page.get_by_role("button", name="Send and wait for requester").click()

    expect(page.locator("#thread")).to_contain_text(asked)
    expect(page.locator("#ticket-header")).to_contain_text("Waiting for requester")
    expect(page.locator("#composer-body")).to_have_value("")
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING
    sent = Comment.objects.get(ticket=ticket)
    assert (sent.body, sent.is_internal, sent.author) == (f"Hello Carol,\n\n{asked}\nBest regards", False, agent)

    # The requester answers; the agent sees it in the thread and resolves with a last reply.
    services.comment_add(ticket=ticket, actor=requester, body="Outlook 2021, version 2108.")
    page.reload()
    expect(page.locator("#thread .tp-message").last).to_contain_text("Outlook 2021, version 2108.")
    page.get_by_role("link", name="Show history").click()
    expect(page.locator("#thread .tp-event").first).to_be_visible()
    expect(page.locator("#thread")).to_contain_text(
        "Alice Agent changed the status from New to Waiting for requester"  # one step: New → Waiting is allowed
    )
    alice.capture("31-ticket-page-waiting", portal=False)
    page.fill("#composer-body", "Thanks. Please install the update from the portal; I am resolving this ticket.")
    page.get_by_role("button", name="Send and resolve").click()

    expect(page.locator("#ticket-header")).to_contain_text("Resolved")
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert list(ticket.comments.order_by("pk").values_list("author__username", flat=True)) == [
        "alice",
        "carol",
        "alice",
    ]
    alice.capture("32-ticket-page-resolved", portal=False)
    page.set_viewport_size({"width": 390, "height": 844})
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{overflow}px of horizontal scrolling at 390px"
    assert errors == []
    assert alice.foreign_requests == []
    alice.context.close()
