"""The parse path and the reply text (apps/mail/parsing.py, services._reply_text), piece by piece."""

from apps.mail.parsing import html_to_text, parse
from apps.mail.services import _reply_text
from apps.mail.threads import clean_subject, reply_address, ticket_id_from_address
from tests.mail import corpus


def test_the_quoted_history_and_signature_of_a_reply_are_cut():
    text = "Works now, thanks.\n\n-- \nCarol\nACME Ltd\n\n> Did it work?\n> Bob"
    assert _reply_text(text, []) == "Works now, thanks."


def test_an_outlook_style_history_is_cut():
    text = (
        "Yes.\n\nFrom: Support <support@example.com>\nSent: Monday, 1 January 2024 10:00\n"
        "To: Carol <carol@example.com>\nSubject: RE: Printer\n\nDid it work?"
    )
    assert _reply_text(text, []) == "Yes."


def test_quotes_inside_a_reply_stay():
    text = "> the printer jams\nIt does, on page 2.\n\nThanks"
    assert _reply_text(text, []) == text


def test_an_empty_reply_with_files_says_so():
    assert _reply_text("", ["file"]) == "(attachments only)"
    assert _reply_text("  ", []) == "(no text)"


def test_html_to_text_keeps_words_and_line_breaks_only():
    assert html_to_text("<div>One<br>Two</div><ul><li>a &lt;b&gt;</li></ul><script>x()</script>") == "One\nTwo\na <b>"


def test_subjects_lose_reply_prefixes_and_the_reference():
    assert clean_subject("Re: AW: Fwd: [TCK-000012] Printer") == "Printer"
    assert clean_subject("RE[2]: Printer") == "Printer"


def test_reply_addresses_are_signed_per_ticket():
    address = reply_address(address="support@example.com", ticket_id=42)
    assert address.startswith("support+42-") and address.endswith("@example.com")
    assert ticket_id_from_address(address) == 42
    assert ticket_id_from_address(address.replace("+42-", "+43-")) is None
    assert ticket_id_from_address("support@example.com") is None


def test_a_message_with_an_inline_image_keeps_it_as_a_file():
    raw = corpus.message(files=[("logo.png", corpus.PNG, ("image", "png"))], html="<p>See <img src='cid:x'></p>")
    parsed = parse(raw)
    assert [(a.name, a.content_type) for a in parsed.attachments] == [("logo.png", "image/png")]
    assert parsed.text == "The printer on floor 2 is jammed.\n"


def test_parse_never_raises_on_garbage():
    for raw in (b"", b"\x00\xff\xfe", b"Subject: =?utf-8?q?broken", b"Content-Type: multipart/mixed\r\n\r\n--"):
        assert parse(raw).sender == ""
