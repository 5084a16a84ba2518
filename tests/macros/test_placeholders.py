"""Placeholders are a fixed set of values, never a template language; language variants follow the requester."""

from apps.macros.models import Macro
from apps.macros.placeholders import render, text_for
from apps.macros.services import macro_apply, macro_text
from apps.tickets.models import Comment
from tests.macros.factories import make_macro


def test_known_placeholders_are_filled_for_the_ticket_and_the_agent(ticket, agent):
    agent.first_name, agent.last_name = "Alice", "Jones"
    text = render(
        "{requester_name} <{requester_email}> / {requester_first_name} / {ticket_reference} / {ticket_title} / "
        "{department_name} / {agent_name} / {agent_first_name}",
        ticket=ticket,
        agent=agent,
    )
    assert text == (
        f"Carol Smith <carol@example.com> / Carol / {ticket.reference} / VPN drops every hour / "
        "IT Support / Alice Jones / Alice"
    )


def test_a_template_language_or_an_attribute_path_is_sent_literally(ticket, agent, admin_user, settings):
    body = "Key: {{ settings.SECRET_KEY }} Password: {ticket.requester.password} {% debug %} {unknown} {SECRET_KEY}"
    macro = make_macro(admin_user, title="Sneaky", body=body)

    comment_before = Comment.objects.count()
    macro_apply(macro=macro, ticket=ticket, actor=agent)

    sent = Comment.objects.order_by("pk").last()
    assert Comment.objects.count() == comment_before + 1
    assert sent.body == body
    assert settings.SECRET_KEY not in sent.body
    assert ticket.requester.password not in sent.body


def test_values_are_not_expanded_again(ticket, agent):
    ticket.requester.first_name = "{agent_name}"
    assert render("Hi {requester_first_name}", ticket=ticket, agent=agent) == "Hi {agent_name}"


def test_the_requesters_language_picks_the_variant_else_the_default_text(ticket, agent, admin_user):
    macro = make_macro(
        admin_user, body="Hello {requester_first_name}", translations={"tr": "Merhaba {requester_first_name}", "de": ""}
    )
    assert macro.translations == {"tr": "Merhaba {requester_first_name}"}  # empty variants are not kept

    ticket.requester.language = "tr"
    assert macro_text(macro=macro, ticket=ticket, actor=agent) == "Merhaba Carol"
    ticket.requester.language = "de"
    assert macro_text(macro=macro, ticket=ticket, actor=agent) == "Hello Carol"
    assert text_for(Macro(body="x", translations={}), language="") == "x"
