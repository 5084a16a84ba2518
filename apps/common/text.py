"""Text as the system stores it, whatever the channel it came through (portal, API, back office, CSV, e-mail)."""


def normalise_text(text: str) -> str:
    """Line endings as LF (browsers send CRLF, old Macs CR) and no surrounding white space."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()
