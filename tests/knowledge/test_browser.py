"""The knowledge base and satisfaction in a real browser (the setup of tests/test_browser.py).

A requester types a problem on the new-ticket page, sees a suggested article, opens it and marks it helpful,
then leaves with "This answered my question"; opens another ticket; an agent resolves it in the back office;
the requester rates it from the e-mail's link; the dashboard shows the rating and the deflection. Every page
is screenshotted at 390×844 and 1280×800 into artifacts/screenshots-knowledge/.
"""

import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core import mail

from apps.knowledge.models import Article, Deflection, Satisfaction
from apps.tickets.choices import Status
from apps.tickets.models import Ticket
from apps.tickets.services import ticket_transition
from tests.knowledge.factories import ArticleFactory, CategoryFactory
from tests.test_browser import PASSWORD, Visit, chromium, people  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parent.parent.parent / "artifacts" / "screenshots-knowledge"


@pytest.fixture(scope="module")
def knowledge_shots():
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    return SHOTS


def test_deflection_and_satisfaction_journey(chromium, live_server, knowledge_shots, people):  # noqa: F811
    from playwright.sync_api import expect

    agent, requester = people
    department = agent.groups.get().department
    category = CategoryFactory(name="Network", slug="network")
    article = ArticleFactory(
        slug="vpn-drops",
        title="The VPN disconnects every hour",
        body="Update the VPN client to **version 5.2**, then restart the laptop.",
        department=department,
        category=category,
    )

    carol = Visit(chromium, live_server.url, knowledge_shots)
    page = carol.page
    carol.goto("/login/")
    page.fill("#id_username", "carol")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()

    # She types her problem: the page suggests the article.
    page.get_by_role("link", name="New ticket").first.click()
    page.get_by_label("Subject").fill("VPN keeps disconnecting")
    expect(page.locator("#suggestions")).to_be_visible()
    expect(page.locator("#suggestion-list")).to_contain_text("The VPN disconnects every hour")
    carol.capture("01-new-ticket-suggestion")

    # She reads it (new tab) and finds it helpful.
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="The VPN disconnects every hour").click()
    reading = opened.value
    expect(reading.locator("#article-body")).to_contain_text("version 5.2")
    reading.get_by_role("button", name="Yes").click()
    expect(reading.get_by_text("Thank you for your feedback.").first).to_be_visible()
    reading.screenshot(path=str(knowledge_shots / "02-article-helpful-1280x800.png"), full_page=True)
    reading.close()
    article.refresh_from_db()
    assert article.helpful_count == 1

    # "This answered my question": she leaves without a ticket.
    page.get_by_role("button", name="This answered my question").click()
    expect(page.get_by_text("answered your question")).to_be_visible()
    carol.capture("03-deflected")
    assert Ticket.objects.count() == 0
    deflection = Deflection.objects.get()
    assert deflection.article_id == article.pk
    assert deflection.deflected_at is not None

    # The Help section.
    page.get_by_role("link", name="Help", exact=True).click()
    expect(page.locator("#help-categories")).to_contain_text("The VPN disconnects every hour")
    carol.capture("04-help")

    # Another problem: a ticket after all.
    page.get_by_role("link", name="New ticket").first.click()
    page.get_by_label("Subject").fill("Monitor flickers")
    page.get_by_label("Category").select_option("incident")
    page.get_by_label("Description").fill("The external monitor flickers since this morning.")
    page.get_by_role("button", name="Send ticket").click()
    ticket = Ticket.objects.get()
    expect(page.locator("#ticket-reference")).to_have_text(ticket.reference)

    # The agent takes it and resolves it in the back office.
    ticket = ticket_transition(ticket=ticket, actor=agent, to_status=Status.OPEN)
    ticket_transition(ticket=ticket, actor=agent, to_status=Status.IN_PROGRESS)
    alice = Visit(chromium, live_server.url, knowledge_shots)
    alice.goto("/admin/login/")
    alice.page.fill("#id_username", "alice")
    alice.page.fill("#id_password", PASSWORD)
    alice.page.locator("button[type=submit]").click()
    alice.goto(f"/admin/tickets/ticket/{ticket.pk}/change/")
    alice.page.select_option("#property-status", "resolved")
    alice.page.locator("form:has(#property-status) button[type=submit]").click()
    expect(alice.page.locator("#ticket-knowledge")).to_contain_text("A rating was requested")
    alice.capture("05-back-office-resolved", portal=False)
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED

    # The requester rates it from the e-mail's link.
    [message] = [m for m in mail.outbox if "/rate/" in m.body]
    assert message.to == [requester.email]
    link = re.search(r"https?://\S+/rate/\S+/", message.body).group(0)
    carol.goto(urlsplit(link).path)
    expect(page.locator("#rating-form")).to_be_visible()
    carol.capture("06-rating-from-email")
    page.get_by_label("Anything you want to tell us?").fill("Fixed within the hour, thanks!")
    page.get_by_role("button", name="Send rating").click()
    expect(page.locator("#rating-thanks")).to_be_visible()
    carol.capture("07-rating-thanks")
    satisfaction = Satisfaction.objects.get(ticket=ticket)
    assert (satisfaction.rating, satisfaction.comment) == (5, "Fixed within the hour, thanks!")
    carol.goto(urlsplit(link).path)
    expect(page.locator("#rating-refused")).to_contain_text("used already")

    # The ticket page shows the rating; the dashboard the rating and the deflection.
    carol.goto(f"/tickets/{ticket.pk}/")
    expect(page.locator("#satisfaction-current")).to_contain_text("5 out of 5")
    carol.capture("08-ticket-rated")
    alice.goto("/admin/")
    expect(alice.page.locator('[data-figure="csat"]')).to_have_text("100 %")
    expect(alice.page.locator('[data-figure="deflected"]')).to_have_text("1")
    alice.capture("09-dashboard", portal=False)

    assert carol.foreign_requests == [], "the portal loaded something from another host"
    assert Article.objects.count() == 1
    carol.context.close()
    alice.context.close()
