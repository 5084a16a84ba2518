"""Before any model is trained: keyword categories in every language of AI_DETECT_LANGUAGES, departments suggested
from their own keywords, and a probability with every suggestion."""

import pytest

from apps.ai.models import TicketInsight
from apps.ai.providers.local import keyword_categories
from apps.ai.services import (
    department_keywords,
    suggest_department_by_keywords,
    suggest_priority,
    triage_suggestions,
)
from apps.departments.services import department_update
from apps.tickets.choices import EventKind, Priority
from apps.tickets.models import Ticket, TicketEvent
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "The invoice for March is wrong", ["billing"]),
        ("tr", "Mart ayı faturası yanlış, ödeme iki kez alındı", ["billing"]),
        ("de", "Der Drucker ist kaputt", ["incident"]),
        ("fr", "J'ai oublié mon mot de passe", ["access"]),
        ("es", "La impresora no funciona desde ayer", ["incident"]),
        ("pt", "Esqueci minha senha do sistema", ["access"]),
        ("fr", "Comment puis-je changer la langue ?", ["question"]),
        ("es", "Necesito un monitor nuevo", ["request"]),
        ("pt", "A fatura de março está errada", ["billing"]),
    ],
)
def test_cold_start_keywords_give_a_category_in_each_language(language, text, expected):
    assert keyword_categories(text) == expected


def test_every_detected_language_has_a_keyword_category(settings):
    assert settings.AI_DETECT_LANGUAGES == ["en", "tr", "de", "fr", "es", "pt"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No rush, whenever you have time.", Priority.LOW),
        ("Pas urgent : le badge du stagiaire", Priority.LOW),
        ("Sin prisa, cuando tengan tiempo.", Priority.LOW),
        ("É urgente, o servidor caiu", Priority.HIGH),
        ("Nicht dringend, aber bitte ansehen", Priority.LOW),
    ],
)
def test_calm_and_urgent_words_in_every_language(text, expected):
    assert suggest_priority(text=text, sentiment=None) == expected


def test_department_keywords_are_lines_or_commas():
    assert department_keywords(" Invoice, payment\nFATURA ,\n\n pago ") == ["invoice", "payment", "fatura", "pago"]


def test_the_department_whose_keywords_occur_most_is_suggested(it_dept, billing_dept):
    department_update(department=billing_dept, keywords="invoice, refund\nfacture, remboursement")
    department_update(department=it_dept, keywords="printer, vpn\nimprimante")

    assert suggest_department_by_keywords(text="Facture 12 : remboursement demandé, imprimante OK") == (
        billing_dept,
        0.667,
    )
    assert suggest_department_by_keywords(text="Nothing that matches") == (None, 0.0)
    department_update(department=billing_dept, is_active=False)
    assert suggest_department_by_keywords(text="Facture 12 : remboursement") == (None, 0.0)


def test_each_cold_start_suggestion_carries_its_probability_and_origin(billing_dept):
    department_update(department=billing_dept, keywords="facture")
    suggestions = triage_suggestions(text="La facture est fausse", categories=["billing", "question"], sentiment=None)

    assert suggestions == {
        "priority": Priority.NORMAL,
        "category": "billing",
        "department": billing_dept,
        "confidence": {"category": 0.5, "department": 1.0, "priority": 0.5},
        "suggested_by": {"category": "provider", "department": "keywords", "priority": "rules"},
    }


def test_a_ticket_is_moved_by_department_keywords_above_the_threshold(
    triage_on, after_commit, it_dept, billing_dept, requester, settings
):
    settings.AI_ROUTE_MIN_CONFIDENCE = 0.6
    department_update(department=billing_dept, keywords="factura, reembolso")
    with after_commit():
        ticket = TicketFactory(
            department=None, requester=requester, title="Factura duplicada", description="Quiero un reembolso."
        )

    insight = TicketInsight.objects.get(ticket=ticket)
    assert (insight.suggested_department, insight.confidence["department"], insight.suggested_by["department"]) == (
        billing_dept,
        1.0,
        "keywords",
    )
    assert Ticket.objects.get(pk=ticket.pk).department == billing_dept
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.TRANSFERRED)
    assert (event.actor, event.data) == (None, {"from": it_dept.pk, "to": billing_dept.pk})


def test_a_tie_between_departments_stays_below_the_threshold(
    triage_on, after_commit, it_dept, billing_dept, requester, settings
):
    settings.AI_ROUTE_MIN_CONFIDENCE = 0.6
    department_update(department=billing_dept, keywords="factura")
    department_update(department=it_dept, keywords="impresora")
    with after_commit():
        ticket = TicketFactory(
            department=None, requester=requester, title="Factura de la impresora", description="Está mal."
        )

    insight = TicketInsight.objects.get(ticket=ticket)
    assert (insight.suggested_department, insight.confidence["department"]) == (billing_dept, 0.5)
    assert Ticket.objects.get(pk=ticket.pk).department == it_dept
    assert not TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TRANSFERRED).exists()
