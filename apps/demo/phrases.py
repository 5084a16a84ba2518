"""Stock lines of a demo conversation, values for the topics' placeholders, and small attachments."""

# Stock lines of a conversation, per language.
PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "ack": (
            "Thanks for reporting this, I'm looking into it now.",
            "Thanks, I've picked this up and will get back to you shortly.",
            "Hi, I'm on it. I'll update this ticket as soon as I know more.",
        ),
        "follow_up": (
            "Any news on this? It is still happening.",
            "Just to add: two colleagues have the same problem now.",
            "Sorry to chase, but this is blocking my work.",
        ),
        "thanks": ("Works again, thank you!", "All good now, thanks for the quick help.", "Confirmed, that fixed it."),
        "reopen": (
            "Sorry, the problem is back since this morning.",
            "It worked for a day, but now it's the same again.",
        ),
        "withdraw": ("Please close this, it solved itself after a restart.", "No longer needed, thanks."),
    },
    "de": {
        "ack": ("Danke für die Meldung, ich kümmere mich darum.", "Vielen Dank, ich schaue mir das gleich an."),
        "follow_up": ("Gibt es schon Neuigkeiten? Das Problem besteht weiterhin.",),
        "thanks": ("Funktioniert wieder, vielen Dank!", "Alles in Ordnung, danke für die schnelle Hilfe."),
        "reopen": ("Leider tritt das Problem seit heute Morgen wieder auf.",),
        "withdraw": ("Bitte schließen, hat sich erledigt.",),
    },
    "tr": {
        "ack": ("Bildiriminiz için teşekkürler, hemen inceliyorum.", "Teşekkürler, konuyla ilgileniyorum."),
        "follow_up": ("Bir gelişme var mı? Sorun devam ediyor.",),
        "thanks": ("Tekrar çalışıyor, çok teşekkürler!", "Sorun çözüldü, hızlı yardımınız için teşekkürler."),
        "reopen": ("Maalesef sorun bu sabahtan beri tekrar yaşanıyor.",),
        "withdraw": ("Lütfen kapatın, sorun kendiliğinden çözüldü.",),
    },
}

# Internal notes that fit any ticket (always English, see the module docstring).
GENERIC_NOTES = (
    "Checked the monitoring dashboard: nothing unusual on our side.",
    "Asked second-level support to have a look.",
    "Requester is travelling this week; expect slow replies.",
    "Similar ticket last month, same root cause.",
    "Priority agreed with the team lead in the morning stand-up.",
)
DUPLICATE_NOTE = "Duplicate of {other}; closing this one."
TRANSFER_NOTE = "This is not for us, moving it to {department}."

MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October"),
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober"),
    "tr": ("Ocak", "Şubat", "Mart", "Nisan", "Mayıs", "Haziran", "Temmuz", "Ağustos", "Eylül", "Ekim"),
}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
TEAMS = ("Finance", "Marketing", "Sales", "Logistics", "Legal", "Customer Care")
PRINTERS = ("HP LaserJet M507", "Kyocera TASKalfa 2554ci", "Canon iR-ADV C5535", "Brother HL-L6400")
SOFTWARE = ("Visio", "Power BI Desktop", "Adobe Acrobat Pro", "SPSS", "AutoCAD LT", "Tableau")
ROOMS = ("Atlas", "Borealis", "Cedar", "Delta", "Everest", "Fjord")


def placeholders(rng) -> dict[str, str]:
    """Values for every `{placeholder}` the topics use, drawn from the seeded random generator."""
    month = rng.randrange(len(MONTHS["en"]))
    amount = rng.choice((49, 89, 120, 249, 480, 1250, 3400))
    return {
        "floor": str(rng.randint(1, 6)),
        "printer": rng.choice(PRINTERS),
        "weekday": rng.choice(WEEKDAYS),
        "extension": str(rng.randint(2100, 2999)),
        "team": rng.choice(TEAMS),
        "asset": f"NB-{rng.randint(10000, 99999)}",
        "room": rng.choice(ROOMS),
        "software": rng.choice(SOFTWARE),
        "invoice": f"INV-2025-{rng.randint(1000, 9999)}",
        "order": str(rng.randint(100000, 999999)),
        "amount": f"{amount:.2f}",
        "contract": f"{amount * 0.8:.2f}",
        "month": MONTHS["en"][month],
        "month_de": MONTHS["de"][month],
        "month_tr": MONTHS["tr"][month],
    }


# A 1×1 transparent PNG: the smallest real image the upload checks accept.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b4944415478da636000020000050001e9fadcd80000000049454e44ae426082"
)


def attachment_file(kind: str, values: dict[str, str]) -> tuple[str, bytes]:
    """(file name, content) of a small, realistic attachment."""
    if kind == "png":
        return "screenshot.png", TINY_PNG
    if kind == "csv":
        content = f"invoice;date;amount\n{values['invoice']};2025-03-01;{values['amount']}\n"
        return f"{values['invoice'].lower()}.csv", content.encode()
    lines = [
        "2025-03-04 08:12:03 INFO  tunnel up (profile remote-2019)",
        "2025-03-04 08:42:03 WARN  idle timeout reached, closing tunnel",
        "2025-03-04 08:42:04 INFO  tunnel down",
    ]
    return "client.log", ("\n".join(lines) + "\n").encode()
