"""The learning triage's figures: the "AI quality" admin page and GET /api/ai/quality/ (admins only), and the
probabilities on the ticket page."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.ai.choices import InsightStatus, ModelStatus
from apps.ai.models import TicketInsight, TriageModel
from apps.tickets.choices import Priority
from tests.accounts.factories import UserFactory
from tests.support import jwt_client, logged_in
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db

TRAINED = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
QUALITY_URL = "/api/ai/quality/"


@pytest.fixture
def models(it_dept, billing_dept):
    metrics = {
        "classes": {str(it_dept.pk): 40, str(billing_dept.pk): 30},
        "labels": {str(it_dept.pk): "IT Support", str(billing_dept.pk): "Billing"},
        "majority": str(it_dept.pk),
        "languages": {
            "de": {"tickets": 8, "accuracy": 0.875, "baseline": 0.5},
            "tr": {"tickets": 10, "accuracy": 0.9, "baseline": 0.6},
        },
        "confused": [{"true": str(billing_dept.pk), "predicted": str(it_dept.pk), "count": 2}],
        "cold_start_accuracy": 0.4,
        "seconds": 1.5,
    }  # fmt: skip
    active = TriageModel.objects.create(
        target="department", version=1, status=ModelStatus.ACTIVE, trained_at=TRAINED, training_size=70,
        heldout_size=18, accuracy=0.8889, baseline_accuracy=0.5556, metrics=metrics, payload=b"x",
    )  # fmt: skip
    rejected = TriageModel.objects.create(
        target="department", version=2, status=ModelStatus.REJECTED, trained_at=TRAINED + dt.timedelta(days=1),
        training_size=71, heldout_size=18, accuracy=0.8333, baseline_accuracy=0.5556, compared_accuracy=0.8889,
        metrics=metrics,
    )  # fmt: skip
    return active, rejected


def test_admins_read_the_quality_figures(admin_user, models):
    response = jwt_client(admin_user).get(QUALITY_URL)

    assert response.status_code == 200
    data = response.json()
    assert data["min_per_class"] == 20
    assert [(row["target"], row["model"] is None) for row in data["targets"]] == [
        ("department", False),
        ("category", True),
        ("priority", True),
    ]
    department = data["targets"][0]
    assert department["model"] == {
        "version": 1,
        "status": "active",
        "status_display": "In use",
        "trained_at": "2026-12-01T03:00:00+00:00",
        "training_size": 70,
        "heldout_size": 18,
        "accuracy": 0.8889,
        "baseline_accuracy": 0.5556,
        "compared_accuracy": None,
        "cold_start_accuracy": 0.4,
        "majority_class": "IT Support",
        "classes": {"IT Support": 40, "Billing": 30},
        "languages": {
            "de": {"tickets": 8, "accuracy": 0.875, "baseline": 0.5},
            "tr": {"tickets": 10, "accuracy": 0.9, "baseline": 0.6},
        },
        "confused": [{"true": "Billing", "predicted": "IT Support", "count": 2}],
        "seconds": 1.5,
    }
    assert (department["latest"]["version"], department["latest"]["status"]) == (2, "rejected")
    assert data["targets"][1] == {"target": "category", "name": "Category", "model": None, "latest": None}


@pytest.mark.parametrize(("who", "status"), [("anonymous", 401), ("requester", 403), ("agent", 403)])
def test_only_admins_read_the_quality_api(who, status, agent, requester, models):
    user = {"anonymous": None, "requester": requester, "agent": agent}[who]
    response = jwt_client(user).get(QUALITY_URL)
    assert response.status_code == status
    assert "targets" not in response.json()


def test_the_quality_api_is_read_only(admin_user, models):
    before = list(TriageModel.objects.order_by("pk").values_list("pk", "status", "accuracy"))
    assert jwt_client(admin_user).post(QUALITY_URL, {}, format="json").status_code == 405
    assert list(TriageModel.objects.order_by("pk").values_list("pk", "status", "accuracy")) == before


def test_the_quality_page_shows_the_figures_to_admins(admin_user, models):
    response = logged_in(admin_user).get(reverse("admin:ai_triagemodel_quality"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-quality="accuracy">89 %' in html
    assert 'data-quality="baseline">56 % (IT Support)' in html
    assert 'data-quality="cold-start">40 %' in html
    assert 'data-quality="training-size">70' in html
    assert 'data-quality="trained-at">2026-12-01 03:00 UTC' in html
    assert '<tr data-language="tr"><td>tr</td><td>10</td><td>90 %</td><td>60 %</td></tr>' in html
    assert "<tr><td>Billing</td><td>IT Support</td><td>2</td></tr>" in html
    assert "Latest training: version 2 (Not better than the model in use), held-out accuracy 83 %." in html
    assert html.count('data-quality="none"') == 2  # category and priority have no model yet


def test_agents_and_requesters_do_not_get_the_quality_page(agent, requester, models):
    url = reverse("admin:ai_triagemodel_quality")
    assert logged_in(agent).get(url).status_code == 403
    assert logged_in(requester).get(url).status_code == 302  # to the log-in page: not a back-office account
    assert logged_in(agent).get(reverse("admin:ai_triagemodel_changelist")).status_code == 403
    other_admin = UserFactory(username="root", role="admin")
    assert logged_in(other_admin).get(reverse("admin:ai_triagemodel_changelist")).status_code == 200


def test_the_ticket_page_shows_each_suggestion_with_its_probability(agent, it_dept, billing_dept, requester):
    ticket = TicketFactory(department=it_dept, requester=requester, title="Rechnung doppelt")
    TicketInsight.objects.create(
        ticket=ticket,
        status=InsightStatus.DONE,
        provider="local",
        language="de",
        categories=["billing"],
        suggested_category="billing",
        suggested_priority=Priority.HIGH,
        suggested_department=billing_dept,
        confidence={"category": 0.912, "priority": 0.5, "department": 0.777},
        suggested_by={"category": "model v3", "priority": "rules", "department": "model v3"},
    )
    html = logged_in(agent).get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).content.decode()

    assert '<span class="text-subtle" data-confidence="category">91 %</span>' in html
    assert '<span class="text-subtle" data-confidence="priority">50 %</span>' in html
    assert '<span class="text-subtle" data-confidence="department">78 %</span>' in html
    assert "category: model v3, priority: rules, department: model v3" in html
