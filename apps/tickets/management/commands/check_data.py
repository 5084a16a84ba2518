"""`manage.py check_data [--fix] [--limit N]`: find (and repair) data that disagrees with the rules."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.tickets.integrity import Check, Finding, all_checks


class Command(BaseCommand):
    help = (
        "Report data that disagrees with the rules, with counts and the first --limit examples of each problem: "
        "ticket grants (the department group holds view_ticket+change_ticket, the requester view_ticket, the "
        "assignee view_ticket+change_ticket); department groups holding grants on tickets of another department "
        "(stale: transfers move those grants; share a ticket with people, not with another department's group); "
        "tickets assigned to accounts that are not active agents or admins; non-staff members of department groups; "
        "department groups not named department:<slug>, department:* groups without a department; not exactly one "
        "active default department; the reference sequence behind the highest reference; tickets without a "
        "'created' event; status time stamps that disagree with the status, or precede creation; attachments "
        "whose file is missing, and files under attachments/ that no attachment refers to (older than one hour); "
        "tickets whose stored search documents differ from what a rebuild computes from their text (PostgreSQL); "
        "the ticket figures (day aggregates and open counts) that disagree with a recount of the tickets. "
        "Grants held by other users are shares an admin made and are never reported. "
        "--fix repairs what is safe, in one transaction, and prints every change: adds missing grants, removes "
        "stale department grants, unassigns invalid assignees (with an 'assigned' event by the system), removes "
        "non-staff accounts from departments, renames department groups, advances the sequence, fills or clears "
        "status time stamps from the history, rebuilds stale search documents, deletes orphan files (after commit), "
        "recounts the figures. "
        "Exit status 0 when no problem remains, 1 otherwise (for cron and CI)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Repair what can be repaired safely.")
        parser.add_argument("--limit", type=int, default=10, help="Examples shown per problem (default: %(default)s).")

    def handle(self, *args, fix: bool, limit: int, **options):
        if limit < 0:
            raise CommandError("--limit cannot be negative.")
        verbosity = options["verbosity"]
        checks = all_checks()
        found = [(check, check.find(limit=limit)) for check in checks]
        problems = [(c, f) for c, f in found if f.count]
        self.report(found, verbosity=verbosity)
        if not problems:
            self.stdout.write(self.style.SUCCESS(f"No problems found ({len(checks)} checks)."))
            return
        if not fix:
            fixable = sum(1 for c, _ in problems if c.fixable)
            hint = f" ({fixable} can be repaired with --fix)" if fixable else ""
            raise CommandError(f"{len(problems)} kind(s) of problem found{hint}.", returncode=1)

        if not any(c.fixable for c, _ in problems):
            raise CommandError(
                f"{len(problems)} kind(s) of problem found; none can be repaired with --fix.", returncode=1
            )
        changes = self.repair([c for c, _ in problems])
        self.stdout.write(self.style.MIGRATE_HEADING(f"Changes made ({len(changes)}):"))
        for code, line in changes:
            self.stdout.write(f"  [{code}] {line}")
        remaining = [(c, f) for c in checks if (f := c.find(limit=limit)).count]
        if not remaining:
            self.stdout.write(self.style.SUCCESS("All problems repaired: the data is clean now."))
            return
        self.stdout.write(self.style.MIGRATE_HEADING("Still wrong after repairing:"))
        self.report(remaining, verbosity=verbosity)
        raise CommandError(f"{len(remaining)} kind(s) of problem remain after --fix.", returncode=1)

    def repair(self, checks: list[Check]) -> list[tuple[str, str]]:
        """Run the fixes of the fixable checks in one transaction, then their after-commit steps."""
        changes = []
        fixable = [c for c in checks if c.fixable]
        with transaction.atomic():
            for check in fixable:
                changes += [(check.code, line) for line in check.fix()]
        for check in fixable:
            changes += [(check.code, line) for line in check.after_commit()]
        return changes

    def report(self, found: list[tuple[Check, Finding]], *, verbosity: int) -> None:
        for check, finding in found:
            title = check.title[:1].upper() + check.title[1:]
            if not finding.count:
                if verbosity >= 2:
                    self.stdout.write(f"ok    {check.code}: {title}")
                continue
            how = "fixable with --fix" if check.fixable else "not fixable automatically"
            self.stdout.write(self.style.ERROR(f"FOUND {check.code}: {title}: {finding.count} ({how})"))
            if verbosity < 1:
                continue
            for line in finding.examples:
                self.stdout.write(f"        {line}")
            if finding.count > len(finding.examples):
                self.stdout.write(f"        … and {finding.count - len(finding.examples)} more")
            if check.advice:
                self.stdout.write(f"        → {check.advice}")
