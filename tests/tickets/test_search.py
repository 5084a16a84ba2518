"""Ticket search (apps/tickets/search.py) in the back office, the portal and the API.

The same tests run on SQLite (the substring fallback) and on PostgreSQL (full text); the few that only hold
for full text (accents, relevance, the stored documents) say so and are skipped elsewhere.
"""

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.common.csv.files import inspect_csv
from apps.departments.models import Department
from apps.tickets import search, services
from apps.tickets.admin.paging import CappedPaginator
from apps.tickets.imports import ImportOptions, tickets_import
from apps.tickets.models import Ticket
from apps.tickets.search import SEARCH_MAX_WORDS, search_documents_rebuild, search_words, tickets_search
from apps.tickets.selectors import tickets_visible_to
from tests.departments.factories import DepartmentFactory
from tests.support import assert_constant_queries, db_state, jwt_client, logged_in, references
from tests.tickets.factories import TicketFactory

CHANGELIST = reverse("admin:tickets_ticket_changelist")
PORTAL_LIST = reverse("portal:ticket_list")
API_LIST = "/api/tickets/"
REFERENCE = re.compile(r"TCK-\d{6}")

full_text_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search (accents, ranking) is PostgreSQL's"
)


def found_in_back_office(user, text: str) -> list[str]:
    response = logged_in(user).get(CHANGELIST, {"q": text})
    assert response.status_code == 200
    return [t.reference for t in response.context["cl"].result_list]


def found_in_portal(user, text: str) -> list[str]:
    response = logged_in(user).get(PORTAL_LIST, {"q": text, "status": "all"})
    assert response.status_code == 200
    return re.findall(r'<span class="reference">([^<]+)</span>', response.content.decode())


def found_in_api(user, text: str) -> list[str]:
    response = jwt_client(user).get(API_LIST, {"search": text})
    assert response.status_code == 200, response.json()
    return references(response)


AGENT_CHANNELS = {"back office": found_in_back_office, "API": found_in_api}
REQUESTER_CHANNELS = {"portal": found_in_portal, "API": found_in_api}


@pytest.fixture
def conversation(agent, other_agent, requester, other_requester, it_dept, billing_dept):
    """carol's IT ticket: a word in its description (quokka), one in a public reply (wombat), one in an internal
    note (platypus); carol's Billing ticket and dave's IT ticket carry the same words, outside someone's scope."""
    it = TicketFactory(
        department=it_dept, requester=requester, title="Scanner stops", description="It shows error quokka."
    )
    services.comment_add(ticket=it, actor=agent, body="Please try the firmware called wombat.")
    services.comment_add(ticket=it, actor=agent, body="Vendor knows it as platypus.", is_internal=True)
    billing = TicketFactory(
        department=billing_dept, requester=requester, title="Invoice wrong", description="Code quokka on it."
    )
    services.comment_add(ticket=billing, actor=other_agent, body="Filed as platypus.", is_internal=True)
    daves = TicketFactory(
        department=it_dept, requester=other_requester, title="Another", description="Also quokka, and wombat."
    )
    return {"it": it.reference, "billing": billing.reference, "daves": daves.reference}


@pytest.mark.parametrize("channel", AGENT_CHANNELS)
def test_an_agent_finds_words_of_internal_notes_replies_and_descriptions_in_scope_only(
    channel, conversation, agent, other_agent
):
    found = AGENT_CHANNELS[channel]
    it, billing, daves = conversation["it"], conversation["billing"], conversation["daves"]

    assert found(agent, "platypus") == [it]
    assert sorted(found(agent, "quokka")) == sorted([it, daves])
    assert sorted(found(agent, "wombat")) == sorted([it, daves])
    assert found(agent, "Quokka WOMBAT platypus") == [it]
    # bob (Billing) finds the Billing ticket by its note, never the IT ones.
    assert found(other_agent, "platypus") == [billing]
    assert found(other_agent, "wombat") == []
    assert found(other_agent, it) == []


@pytest.mark.parametrize("channel", REQUESTER_CHANNELS)
def test_a_requester_finds_replies_and_descriptions_never_internal_notes(
    channel, conversation, requester, other_requester
):
    found = REQUESTER_CHANNELS[channel]
    it, billing, daves = conversation["it"], conversation["billing"], conversation["daves"]

    assert found(requester, "platypus") == []
    assert found(requester, "wombat") == [it]
    assert sorted(found(requester, "quokka")) == sorted([it, billing])
    assert found(requester, "quokka wombat") == [it]
    assert found(requester, "wombat platypus") == []
    # dave sees his own ticket only, whatever the words.
    assert found(other_requester, "quokka") == [daves]
    assert found(other_requester, "platypus") == []
    assert found(other_requester, it) == []


def test_the_requesters_search_never_reads_internal_notes(conversation, requester, agent):
    """Not even for ranking: the requester's query does not touch the internal document at all."""
    for_requester = str(tickets_search(tickets_visible_to(requester), user=requester, text="wombat").query)
    for_agent = str(tickets_search(tickets_visible_to(agent), user=agent, text="wombat").query)

    assert "search_internal" not in for_requester
    assert "is_internal" in for_requester or "search_public" in for_requester
    assert ("search_internal" in for_agent) == (connection.vendor == "postgresql")


def test_the_last_word_may_be_the_start_of_a_word(conversation, agent, requester):
    assert found_in_api(agent, "platyp") == [conversation["it"]]
    assert found_in_api(requester, "firmware wom") == [conversation["it"]]
    assert found_in_api(requester, "nothing like this") == []


def test_a_whole_reference_finds_its_ticket(conversation, agent, requester):
    it = conversation["it"]
    assert found_in_back_office(agent, it) == [it]
    assert found_in_api(agent, it.lower()) == [it]
    assert found_in_portal(requester, it) == [it]


def test_odd_input_is_just_words(conversation, agent, requester):
    text = "quokka & !wombat | (x) :* 'y' \"z\" \\ %"
    assert found_in_api(agent, text) == []
    assert sorted(found_in_api(agent, "quokka & | !")) == sorted([conversation["it"], conversation["daves"]])
    assert found_in_portal(requester, "!!! ???") == found_in_portal(requester, "")
    assert search_words("one two three four five six seven eight") == ["one", "two", "three", "four", "five", "six"]
    assert len(search_words(" ".join(["w"] * 100))) == SEARCH_MAX_WORDS


def test_the_portal_escapes_the_search_text(carol, conversation):
    html = carol.get(PORTAL_LIST, {"q": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_documents_follow_every_write(agent, requester, it_dept):
    ticket = TicketFactory(department=it_dept, requester=requester, title="Keyboard", description="Sticky keys")
    assert found_in_api(agent, "keyboard") == [ticket.reference]

    services.ticket_update(ticket=ticket, actor=agent, title="Mouse", description="Scroll wheel")
    assert found_in_api(agent, "keyboard") == []
    assert found_in_api(agent, "sticky") == []
    assert found_in_api(agent, "mouse wheel") == [ticket.reference]

    services.comment_add(ticket=ticket, actor=requester, body="Still broken after reboot")
    assert found_in_api(requester, "reboot") == [ticket.reference]
    services.comment_add(ticket=ticket, actor=agent, body="Replace with spare unit", is_internal=True)
    assert found_in_api(agent, "spare") == [ticket.reference]
    assert found_in_api(requester, "spare") == []


def test_imported_tickets_are_found(admin_user, agent, requester, it_dept):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(
        [["title", "description", "requester"], ["Projector", "Lamp flickers in room nine", requester.email]]
    )
    data = buffer.getvalue().encode()
    report = tickets_import(
        actor=admin_user,
        csv_file=inspect_csv(lambda: io.BytesIO(data), name="t.csv", size=len(data)),
        dry_run=False,
        options=ImportOptions.from_settings(),
    )
    assert report.created == 1
    imported = Ticket.objects.get().reference
    assert found_in_api(agent, "lamp flickers") == [imported]
    assert found_in_portal(requester, "flickers") == [imported]


def test_a_search_leaves_the_database_alone(conversation, agent, requester):
    back_office, portal, api = logged_in(agent), logged_in(requester), jwt_client(requester)
    before = db_state()

    assert back_office.get(CHANGELIST, {"q": "platypus"}).status_code == 200
    assert portal.get(PORTAL_LIST, {"q": "wombat"}).status_code == 200
    assert api.get(API_LIST, {"search": "quokka"}).status_code == 200

    assert db_state() == before


# Query counts: the list with a search runs as many queries at 2 rows as at 30 --------------------------------


def test_back_office_search_query_count_is_constant(alice_client, agent, requester, it_dept):
    def add(count):
        TicketFactory.create_batch(count, department=it_dept, requester=requester, description="Grinding noise")
        for ticket in Ticket.objects.filter(comments__isnull=True):
            services.comment_add(ticket=ticket, actor=agent, body="Noted grinding", is_internal=True)

    add(2)
    alice_client.get(CHANGELIST, {"q": "grinding"})  # warm up per-process caches
    measured = assert_constant_queries(
        lambda: alice_client.get(CHANGELIST, {"q": "grinding"}), add_rows=add, existing=2
    )
    assert len(measured.many.context["cl"].result_list) == 30


def test_api_search_query_count_is_constant(agent, requester, it_dept):
    client = jwt_client(agent)
    client.get(API_LIST, {"search": "grinding"})  # the agent's departments are read once, then kept
    measured = assert_constant_queries(
        lambda: client.get(API_LIST, {"search": "grinding", "page_size": 50}),
        add_rows=lambda count: TicketFactory.create_batch(
            count, department=it_dept, requester=requester, description="Grinding noise"
        ),
    )
    assert len(references(measured.many)) == 30


def test_portal_search_query_count_is_constant(carol, requester, it_dept):
    carol.get(PORTAL_LIST)  # the header's unread count is read once, then kept
    measured = assert_constant_queries(
        lambda: carol.get(PORTAL_LIST, {"q": "grinding", "status": "all"}),
        add_rows=lambda count: TicketFactory.create_batch(
            count, department=it_dept, requester=requester, description="Grinding noise"
        ),
        rows=(2, 20),
    )
    assert len(re.findall(r'<span class="reference">', measured.many.content.decode())) == 20


# Full text only ---------------------------------------------------------------------------------------------


@full_text_only
def test_accents_and_case_do_not_matter(agent, requester, it_dept):
    ticket = TicketFactory(
        department=it_dept,
        requester=requester,
        title="Café Müller",
        description="Işık yanmıyor, Straße. Élève, niño, ação.",
    )
    for text in ("cafe", "CAFÉ muller", "isik", "IŞIK", "strasse", "yanmiyor", "eleve", "nino", "acao", "ação"):
        assert found_in_api(agent, text) == [ticket.reference], text


@full_text_only
def test_results_come_by_relevance_unless_an_order_is_asked(agent, requester, it_dept):
    in_title = TicketFactory(department=it_dept, requester=requester, title="Toner empty", description="x")
    in_reply = TicketFactory(department=it_dept, requester=requester, title="Printer", description="y")
    services.comment_add(ticket=in_reply, actor=agent, body="Ordered new toner.")

    assert found_in_api(agent, "toner") == [in_title.reference, in_reply.reference]
    assert found_in_back_office(agent, "toner") == [in_title.reference, in_reply.reference]
    assert found_in_portal(requester, "toner") == [in_title.reference, in_reply.reference]
    newest_first = jwt_client(agent).get(API_LIST, {"search": "toner", "ordering": "-created_at"})
    assert references(newest_first) == [in_reply.reference, in_title.reference]


@full_text_only
def test_rebuild_fills_missing_documents(conversation, agent):
    Ticket.objects.update(search_public=None, search_internal=None)
    assert found_in_api(agent, "platypus") == []

    assert search_documents_rebuild(connection, batch=2) == 3
    assert found_in_api(agent, "platypus") == [conversation["it"]]


@full_text_only
@pytest.mark.parametrize("listed", [2, 1], ids=["from the ids read", "walking the creation index"])
def test_a_search_with_too_many_matches_to_rank_comes_newest_first(agent, requester, it_dept, monkeypatch, listed):
    in_title = TicketFactory(department=it_dept, requester=requester, title="Toner empty", description="x")
    in_reply = TicketFactory(department=it_dept, requester=requester, title="Printer", description="toner")
    TicketFactory(department=it_dept, requester=requester, title="Printer", description="paper")
    monkeypatch.setattr("apps.tickets.search.RANKED_MATCHES", 1)
    monkeypatch.setattr("apps.tickets.search.LISTED_MATCHES", listed)

    assert found_in_api(agent, "toner") == [in_reply.reference, in_title.reference]
    assert found_in_back_office(agent, "toner") == [in_reply.reference, in_title.reference]
    assert found_in_portal(requester, "toner") == [in_reply.reference, in_title.reference]


@pytest.mark.parametrize("channel", AGENT_CHANNELS)
@pytest.mark.parametrize("share", [0.0, 0.5], ids=["rare word: by reach", "common word: newest first walk"])
def test_an_agents_search_finds_exactly_what_the_grants_allow_outside_and_inside_their_departments(
    channel, share, reach_world, agent, monkeypatch
):
    """Shares with the agent and their groups, assignments, transfers, a revoked department grant and a department
    left: the search finds exactly the tickets the agent may see, on PostgreSQL both within the department form
    (a word in few tickets) and without it (a word PostgreSQL's statistics say is common)."""
    monkeypatch.setattr(search, "word_shares", lambda using="default": {"kiwi": share})
    expected = sorted(ref for ref, seen in reach_world.items() if seen)
    assert sorted(AGENT_CHANNELS[channel](agent, "kiwi")) == expected
    visible = tickets_visible_to(agent, first_rows=True)
    assert sorted(t.reference for t in tickets_search(visible, user=agent, text="kiwi")) == expected
    assert sorted(t.reference for t in tickets_search(visible, user=agent, text="kiw")) == expected


def expect_many(monkeypatch, *, share: float, tickets: float, departments) -> None:
    """PostgreSQL's statistics, as the search reads them, saying that "kiwi" is in `share` of `tickets` tickets
    spread evenly over `departments`."""
    statistics = search._Statistics({"kiwi": share}, {d.pk: 1 / len(departments) for d in departments}, tickets)
    monkeypatch.setattr(search, "_statistics", lambda using: statistics)


@pytest.mark.parametrize("channel", AGENT_CHANNELS)
@pytest.mark.parametrize(
    ("share", "tickets"),
    [(0.5, 1e6), (1e-6, 1e12)],
    ids=["many matches expected: walk, no first ids", "many matches expected, rare in reach: reach, no first ids"],
)
def test_an_agents_search_that_the_statistics_expect_to_match_many_finds_exactly_what_the_grants_allow(
    channel, share, tickets, reach_world, agent, monkeypatch
):
    """The same world when the statistics expect more matches than are ranked: the search skips reading the first
    ids (newest first at once), by the creation index or by the reach, and still finds exactly what alice may see."""
    expect_many(monkeypatch, share=share, tickets=tickets, departments=Department.objects.all())
    expected = sorted(ref for ref, seen in reach_world.items() if seen)
    assert sorted(AGENT_CHANNELS[channel](agent, "kiwi")) == expected
    visible = tickets_visible_to(agent, first_rows=True)
    found = tickets_search(visible, user=agent, text="kiwi")
    assert search.SEARCH_RANK not in found.query.annotations
    assert sorted(t.reference for t in found) == expected


def back_office_total(user, text: str) -> tuple[str, int]:
    """The total the back office's list shows for a search, and how many counting queries it ran."""
    with CaptureQueriesContext(connection) as queries:
        response = logged_in(user).get(CHANGELIST, {"q": text})
    assert response.status_code == 200
    counts = [q for q in queries if q["sql"].startswith("SELECT COUNT(*)")]
    return response.context["cl"].total_display, len(counts)


@pytest.mark.parametrize("text", ["kiwi", "kiw"], ids=["a whole word", "a word being typed"])
@pytest.mark.parametrize("who", ["agent", "admin"])
@pytest.mark.parametrize("common", [True, False], ids=["whole word counted first", "search counted at once"])
def test_a_searched_lists_total_is_exact_up_to_the_cap_and_counts_nothing_out_of_scope(
    who, common, text, reach_world, agent, admin_user, it_dept, requester, monkeypatch
):
    """Around the cap, the total is exact below and "cap+" above, whether the statistics make the list count the
    search with its last word whole first (a common word, on PostgreSQL) or the search at once. A ticket found only
    by the prefix ("kiwifruit") makes the whole word's count fall short of the search's, so that crossing the cap
    there needs the second count. A word being typed ("kiw") is counted first as the common word it starts. The
    agent never counts a ticket out of their scope (a department ticket whose group lost its grant, another
    department's ticket that only its requester sees, a department left)."""
    TicketFactory(department=it_dept, requester=requester, title="Smoothie", description="Fruit: kiwifruit.")
    user = agent if who == "agent" else admin_user
    whole = sum(reach_world.values()) if who == "agent" else len(reach_world)
    shares = {"kiwi": 0.5} if common else {}
    statistics = search._Statistics(
        shares, {d.pk: 1 / Department.objects.count() for d in Department.objects.all()}, 1e6
    )
    monkeypatch.setattr(search, "_statistics", lambda using: statistics)
    first = common and connection.vendor == "postgresql"

    # The search finds whole + 1 (the prefix's ticket); the whole word alone finds `whole`.
    for cap, total, counts in (
        (whole + 1, f"{whole + 1} tickets", 2 if first else 1),  # exact at the cap: both counts when counted first
        (whole, f"{whole}+ tickets", 2 if first else 1),  # the whole word reaches the cap but does not pass it
        (whole - 1, f"{whole - 1}+ tickets", 1),  # the whole word passes the cap: one count when counted first
    ):
        monkeypatch.setattr(CappedPaginator, "cap", cap)
        assert back_office_total(user, text) == (total, counts)
    monkeypatch.setattr(CappedPaginator, "cap", 100)
    assert back_office_total(user, text)[0] == f"{whole + 1} tickets"


@full_text_only
def test_a_search_the_statistics_expect_to_match_many_comes_newest_first_without_reading_the_first_ids(
    agent, admin_user, requester, it_dept, monkeypatch
):
    in_title = TicketFactory(department=it_dept, requester=requester, title="Kiwi crate", description="x")
    in_reply = TicketFactory(department=it_dept, requester=requester, title="Fruit", description="kiwi")
    expect_many(monkeypatch, share=0.5, tickets=1e6, departments=Department.objects.all())

    assert found_in_api(agent, "kiwi") == [in_reply.reference, in_title.reference]
    for user in (agent, admin_user):
        with CaptureQueriesContext(connection) as queries:
            found = list(tickets_search(tickets_visible_to(user, first_rows=True), user=user, text="kiwi"))
        assert [t.reference for t in found] == [in_reply.reference, in_title.reference]
        # The terms unaccented, then the page itself (the agent's departments, read by the search above, are kept).
        assert len(queries) == 2
    # A requester's search starts from their own grants whatever the statistics say: ranked.
    assert found_in_portal(requester, "kiwi") == [in_title.reference, in_reply.reference]


@full_text_only
def test_a_search_the_statistics_expect_to_match_few_still_reads_the_first_ids_and_ranks_them(
    agent, requester, it_dept, monkeypatch
):
    in_title = TicketFactory(department=it_dept, requester=requester, title="Kiwi crate", description="x")
    in_reply = TicketFactory(department=it_dept, requester=requester, title="Fruit", description="kiwi")
    # 0.5 of 1,000 tickets in ten departments: about 50 in alice's, fewer than are ranked.
    expect_many(monkeypatch, share=0.5, tickets=1000, departments=[it_dept, *DepartmentFactory.create_batch(9)])

    assert found_in_api(agent, "kiwi") == [in_title.reference, in_reply.reference]
