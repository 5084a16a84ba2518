"""The learning triage: labels from the tickets' history, training on a generated multilingual history, held-out
figures, promotion, use in the triage, and the training command."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.ai.choices import InsightStatus, LearnTarget, ModelStatus
from apps.ai.learning import training
from apps.ai.learning.dataset import is_heldout, labelled_tickets
from apps.ai.models import TicketInsight, TriageModel
from apps.ai.services import triage_models_train
from apps.ai.tasks import train_triage_models
from apps.tickets.choices import EventKind, Status
from apps.tickets.models import Ticket, TicketEvent
from apps.tickets.services import ticket_transfer, ticket_transition, ticket_update
from bench.triage_history import LANGUAGES, as_examples, generate
from tests.departments.factories import DepartmentFactory
from tests.tickets.factories import TicketFactory


def resolve(ticket, actor):
    for status in (Status.OPEN, Status.IN_PROGRESS, Status.RESOLVED):
        ticket = ticket_transition(ticket=Ticket.objects.get(pk=ticket.pk), actor=actor, to_status=status)
    return ticket


# Training without the database ------------------------------------------------------------------------------------


def test_training_beats_the_majority_class_in_every_language():
    results = training.train(as_examples(generate(900)), min_per_class=5)

    assert [type(result).__name__ for result in results] == ["Candidate"] * 3
    for candidate in results:
        assert candidate.accuracy > candidate.baseline_accuracy + 0.3, candidate.target
        assert sorted(candidate.metrics["languages"]) == sorted(LANGUAGES)
        for language, figures in candidate.metrics["languages"].items():
            assert figures["accuracy"] > figures["baseline"], (candidate.target, language)
    department = results[0]
    assert (department.target, department.metrics["classes"].keys()) == ("department", {"billing", "hr", "it"})
    assert department.training_size + department.heldout_size == 900


def test_retraining_is_deterministic_with_a_fixed_seed():
    examples = as_examples(generate(300))
    first = training.train(examples, min_per_class=5)
    second = training.train(examples, min_per_class=5)
    texts = [example.text for example in examples[:20]]
    for a, b in zip(first, second, strict=True):
        assert (a.accuracy, a.baseline_accuracy, a.metrics["confused"]) == (
            b.accuracy,
            b.baseline_accuracy,
            b.metrics["confused"],
        )
        assert (a.pipeline.predict_proba(texts) == b.pipeline.predict_proba(texts)).all()


def test_a_class_below_the_minimum_is_left_out_and_one_class_trains_nothing():
    examples = as_examples(generate(120))
    for example in examples:
        example.labels["priority"] = "normal"  # one class only: nothing to learn
    results = training.train(examples, min_per_class=20)

    by_target = {result.target: result for result in results}
    assert type(by_target["priority"]).__name__ == "Skipped"
    assert by_target["priority"].reason == "not_enough_labels"
    department = by_target["department"]
    assert set(department.metrics["classes"]) == {"billing", "hr", "it"}
    # 120 tickets over 10 topics: the categories of fewer topics stay under the minimum, listed as left out.
    category = by_target["category"]
    assert all(n >= 20 for n in category.metrics["classes"].values())
    assert all(n < 20 for n in category.metrics["left_out"].values())


# Labels from the history --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_labels_are_what_agents_left_on_resolved_tickets(it_dept, billing_dept, agent, admin_user, requester):
    corrected = TicketFactory(department=it_dept, requester=requester, category="question", title="VPN")
    ticket_update(ticket=corrected, actor=agent, category="access")
    ticket_update(ticket=Ticket.objects.get(pk=corrected.pk), actor=agent, priority="high")
    ticket_transfer(ticket=Ticket.objects.get(pk=corrected.pk), actor=admin_user, department=billing_dept)
    resolve(corrected, admin_user)

    untouched = TicketFactory(department=it_dept, requester=requester, category="billing", title="Invoice")
    resolve(untouched, agent)

    filed_by_agent = TicketFactory(
        department=it_dept, requester=requester, actor=agent, category="incident", priority="urgent", title="Down"
    )
    resolve(filed_by_agent, agent)

    TicketFactory(department=it_dept, requester=requester, title="Still open")
    cancelled = TicketFactory(department=it_dept, requester=requester, title="Never mind")
    ticket_transition(ticket=cancelled, actor=agent, to_status=Status.CLOSED)

    labelled = {example.ticket_id: example.labels for example in labelled_tickets()}
    assert labelled == {
        corrected.pk: {"category": "access", "priority": "high", "department": str(billing_dept.pk)},
        untouched.pk: {"department": str(it_dept.pk)},
        filed_by_agent.pk: {"category": "incident", "priority": "urgent", "department": str(it_dept.pk)},
    }
    # AI_LEARN_MAX_TICKETS: the newest resolved tickets only.
    assert [example.ticket_id for example in labelled_tickets(limit=2)] == [untouched.pk, filed_by_agent.pk]


# Training, promotion and use ------------------------------------------------------------------------------------


def store_history(history, departments, *, agent, requester):
    """Resolved tickets filed by an agent (so category and priority are the agent's), written in bulk."""
    now = timezone.now()
    tickets = Ticket.objects.bulk_create(
        [
            Ticket(
                reference=f"H-{index}",
                title=ticket.title,
                description=ticket.description,
                status=Status.RESOLVED,
                resolved_at=now,
                priority=ticket.priority,
                category=ticket.category,
                requester=requester,
                department=departments[ticket.department],
                language=ticket.language,
            )
            for index, ticket in enumerate(history)
        ]
    )
    TicketEvent.objects.bulk_create(
        [
            TicketEvent(ticket=ticket, actor=agent, kind=EventKind.CREATED, data={"priority": ticket.priority})
            for ticket in tickets
        ]
    )
    return tickets


@pytest.fixture
def history(settings, it_dept, billing_dept, agent, requester):
    settings.AI_LEARN_MIN_PER_CLASS = 5
    departments = {"it": it_dept, "billing": billing_dept, "hr": DepartmentFactory(name="HR", slug="hr")}
    store_history(generate(600), departments, agent=agent, requester=requester)
    return departments


@pytest.mark.django_db
def test_training_stores_a_model_per_target_and_a_worse_one_is_not_promoted(history, monkeypatch):
    first = triage_models_train()

    assert [(m.target, m.version, m.status) for m in first] == [
        ("department", 1, ModelStatus.ACTIVE),
        ("category", 1, ModelStatus.ACTIVE),
        ("priority", 1, ModelStatus.ACTIVE),
    ]
    department = first[0]
    assert department.training_size + department.heldout_size == 600
    assert department.accuracy > department.baseline_accuracy + 0.3
    assert department.compared_accuracy is None
    assert department.metrics["labels"] == {str(d.pk): d.name for d in history.values()}
    assert len(department.payload) > 1000

    # A weaker learner (two features) on the same tickets: stored with its figures, not used, no payload.
    monkeypatch.setattr(training, "WORD_FEATURES", 1)
    monkeypatch.setattr(training, "CHAR_FEATURES", 1)
    second = triage_models_train()

    assert [(m.target, m.version, m.status) for m in second] == [
        ("department", 2, ModelStatus.REJECTED),
        ("category", 2, ModelStatus.REJECTED),
        ("priority", 2, ModelStatus.REJECTED),
    ]
    assert second[0].accuracy < second[0].compared_accuracy == department.accuracy
    assert bytes(TriageModel.objects.get(pk=second[0].pk).payload) == b""
    assert set(TriageModel.objects.filter(status=ModelStatus.ACTIVE).values_list("pk", flat=True)) == {
        m.pk for m in first
    }


@pytest.mark.django_db
def test_the_same_tickets_give_the_same_figures(history):
    first = {m.target: (m.accuracy, m.baseline_accuracy, m.metrics["confused"]) for m in triage_models_train()}
    TriageModel.objects.all().delete()
    second = {m.target: (m.accuracy, m.baseline_accuracy, m.metrics["confused"]) for m in triage_models_train()}
    assert first == second


@pytest.mark.django_db
def test_the_models_in_use_suggest_with_probabilities(history, triage_on, after_commit, requester, settings):
    assert train_triage_models() == ["department v1 (active)", "category v1 (active)", "priority v1 (active)"]
    settings.AI_ROUTE_MIN_CONFIDENCE = 0.5
    with after_commit():  # no rule matches: routing sends it to the default department (IT), then it is triaged
        ticket = TicketFactory(
            department=None,
            requester=requester,
            title="La facture 4411 est erronée",
            description="Nous avons été débités deux fois sur la facture 4411. C'est urgent, nous ne pouvons pas "
            "travailler.",
        )

    insight = TicketInsight.objects.get(ticket=ticket)
    assert (insight.language, insight.suggested_department, insight.suggested_category, insight.suggested_priority) == (
        "fr",
        history["billing"],
        "billing",
        "high",
    )
    assert insight.suggested_by == {"department": "model v1", "category": "model v1", "priority": "model v1"}
    assert set(insight.confidence) == {"department", "category", "priority"}
    assert all(0.5 <= p <= 1 for p in insight.confidence.values())
    # Routing sent it to the default department; the model's suggestion is above the threshold: moved.
    assert Ticket.objects.get(pk=ticket.pk).department == history["billing"]
    transfer = TicketEvent.objects.get(ticket=ticket, kind=EventKind.TRANSFERRED)
    assert (transfer.actor, transfer.data) == (None, {"from": history["it"].pk, "to": history["billing"].pk})


@pytest.mark.django_db
def test_below_the_threshold_the_ticket_stays(history, triage_on, after_commit, requester, settings):
    triage_models_train()
    settings.AI_ROUTE_MIN_CONFIDENCE = 0.99
    with after_commit():
        ticket = TicketFactory(
            department=None,
            requester=requester,
            title="La facture 4411 est erronée",
            description="Nous avons été débités deux fois sur la facture 4411.",
        )

    insight = TicketInsight.objects.get(ticket=ticket)
    assert insight.suggested_department == history["billing"]
    assert insight.confidence["department"] < 0.99
    assert Ticket.objects.get(pk=ticket.pk).department == history["it"]
    assert not TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TRANSFERRED).exists()


@pytest.mark.django_db
def test_the_command_trains_and_reports(history, capsys):
    call_command("train_triage")
    trained = capsys.readouterr().out
    assert "department v1: held-out accuracy" in trained
    assert "now in use" in trained

    call_command("train_triage", "--report")
    report = capsys.readouterr().out
    assert TriageModel.objects.count() == 3  # --report trains nothing
    for line in ("AI quality", "Minimum labelled tickets per class: 5", "    tr: ", "    pt: ", "majority class"):
        assert line in report


@pytest.mark.django_db
def test_the_command_says_when_there_is_too_little_to_learn(capsys):
    call_command("train_triage")
    out = capsys.readouterr().out
    assert out.startswith("Nothing trained: no target has two classes with enough labelled tickets yet")
    assert "No model in use: suggestions come from keywords and rules." in out
    assert not TriageModel.objects.exists()


def test_every_target_is_a_learn_target():
    assert LearnTarget.values == ["department", "category", "priority"]


@pytest.mark.django_db
def test_a_model_is_not_used_where_the_provider_did_better_on_the_held_out_tickets(history):
    """Item 6: the provider's categories (Google's, or the keywords) stay in use unless the model beats them."""
    heldout = [ticket for ticket in Ticket.objects.order_by("pk") if is_heldout(ticket.pk)]
    TicketInsight.objects.bulk_create(
        [
            TicketInsight(ticket=t, status=InsightStatus.DONE, provider="google", categories=[t.category])
            for t in heldout
        ]
    )
    stored = triage_models_train()

    assert [(m.target, m.status) for m in stored] == [
        ("department", ModelStatus.ACTIVE),
        ("category", ModelStatus.REJECTED),
        ("priority", ModelStatus.ACTIVE),
    ]
    category = stored[1]
    assert (category.metrics["cold_start_tickets"], category.metrics["cold_start_accuracy"]) == (
        category.heldout_size,
        1.0,
    )
    assert category.metrics["model_accuracy_on_cold_start_tickets"] == category.accuracy
    # The insights suggested no department and no priority: the models beat that.
    assert stored[0].metrics["cold_start_accuracy"] == 0.0
