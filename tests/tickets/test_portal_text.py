"""User text in the portal: always escaped, line breaks kept, links only for http, https and mailto."""

import pytest
from django.urls import reverse

from apps.tickets import services
from apps.tickets.templatetags.portal import user_text
from tests.support import logged_in
from tests.tickets.factories import TicketFactory


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("plain", "plain"),
        ("two\nlines\r\nand\rthree", "two<br>lines<br>and<br>three"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        (
            "see https://example.com/a?b=1&c=2.",
            'see <a href="https://example.com/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">'
            "https://example.com/a?b=1&amp;c=2</a>.",
        ),
        (
            "(http://example.com/x)",
            '(<a href="http://example.com/x" rel="nofollow noopener noreferrer">http://example.com/x</a>)',
        ),
        (
            "https://en.wikipedia.org/wiki/Foo_(bar)",
            '<a href="https://en.wikipedia.org/wiki/Foo_(bar)" rel="nofollow noopener noreferrer">'
            "https://en.wikipedia.org/wiki/Foo_(bar)</a>",
        ),
        (
            "write to mailto:help@example.com!",
            'write to <a href="mailto:help@example.com" rel="nofollow noopener noreferrer">'
            "mailto:help@example.com</a>!",
        ),
        ("javascript:alert(document.cookie)", "javascript:alert(document.cookie)"),
        ("JavaScript:alert(1)//https://x", "JavaScript:alert(1)//https://x"),
        ("data:text/html,<b>x</b>", "data:text/html,&lt;b&gt;x&lt;/b&gt;"),
        ("ftp://files.example.com", "ftp://files.example.com"),
        ("www.example.com and example.com", "www.example.com and example.com"),
        ("user@example.com", "user@example.com"),
        ("https://", "https://"),
        (
            'https://x.com/"onmouseover="alert(1)',
            '<a href="https://x.com/" rel="nofollow noopener noreferrer">https://x.com/</a>&quot;onmouseover=&quot;alert(1)',
        ),
        (
            "https://x.com/<script>",
            '<a href="https://x.com/" rel="nofollow noopener noreferrer">https://x.com/</a>&lt;script&gt;',
        ),
        (
            "HTTPS://EXAMPLE.COM",
            '<a href="HTTPS://EXAMPLE.COM" rel="nofollow noopener noreferrer">HTTPS://EXAMPLE.COM</a>',
        ),
    ],
)
def test_user_text(text, html):
    assert user_text(text) == html


def test_user_text_of_nothing_is_empty():
    assert user_text(None) == ""


@pytest.fixture
def hostile_ticket(requester, agent, it_dept):
    ticket = TicketFactory(
        requester=requester,
        department=it_dept,
        title="<script>alert('title')</script>",
        description="<script>alert('description')</script>\nhttps://example.com/help\njavascript:alert('x')",
    )
    services.comment_add(
        ticket=ticket, actor=agent, body="<img src=x onerror=alert('comment')>\nmailto:desk@example.com"
    )
    return ticket


def test_script_in_title_description_and_comments_is_escaped(requester, hostile_ticket):
    browser = logged_in(requester)

    detail = browser.get(reverse("portal:ticket_detail", args=[hostile_ticket.pk])).content.decode()
    listing = browser.get(reverse("portal:ticket_list")).content.decode()

    for html in (detail, listing):
        assert "<script>alert(" not in html
        assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&#x27;description&#x27;)&lt;/script&gt;<br>" in detail
    assert "&lt;img src=x onerror=alert(&#x27;comment&#x27;)&gt;<br>" in detail
    assert "<img src=x" not in detail


def test_only_http_https_and_mailto_become_links_on_the_ticket_page(requester, hostile_ticket):
    html = logged_in(requester).get(reverse("portal:ticket_detail", args=[hostile_ticket.pk])).content.decode()

    assert '<a href="https://example.com/help" rel="nofollow noopener noreferrer">' in html
    assert '<a href="mailto:desk@example.com" rel="nofollow noopener noreferrer">' in html
    assert 'href="javascript:' not in html
    assert "<br>javascript:alert(&#x27;x&#x27;)" in html
