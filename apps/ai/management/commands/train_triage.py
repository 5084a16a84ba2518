"""`manage.py train_triage [--report] [--seed N]`: train the learning triage now, or show its quality figures."""

from django.core.management.base import BaseCommand

from apps.ai.selectors import triage_quality
from apps.ai.services import triage_models_train


def _percent(value) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


class Command(BaseCommand):
    help = (
        "Train a model per target (department, category, priority) on the resolved tickets, as the nightly task "
        "does; a new model replaces the one in use only when it is better on the held-out tickets. Prints what "
        "was stored. --report trains nothing and prints the figures of the models in use: held-out accuracy and "
        "the majority-class baseline, accuracy per language, the most-confused classes, training size and date "
        "(the same as the back office's AI quality page and GET /api/ai/quality/)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--report", action="store_true", help="Print the quality figures; train nothing.")
        parser.add_argument("--seed", type=int, default=None, help="Random seed of the training (default: fixed).")

    def handle(self, *args, report: bool, seed: int | None, **options):
        if not report:
            stored = triage_models_train(seed=seed)
            if not stored:
                self.stdout.write(
                    "Nothing trained: no target has two classes with enough labelled tickets yet "
                    "(AI_LEARN_MIN_PER_CLASS)."
                )
            for model in stored:
                verdict = "now in use" if model.status == "active" else "not better, kept the model in use"
                self.stdout.write(
                    f"{model.target} v{model.version}: held-out accuracy {_percent(model.accuracy)} "
                    f"(majority class {_percent(model.baseline_accuracy)}, model in use "
                    f"{_percent(model.compared_accuracy)}) — {verdict}"
                )
        self.print_report(triage_quality())

    def print_report(self, quality: dict) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING("AI quality"))
        self.stdout.write(f"Minimum labelled tickets per class: {quality['min_per_class']}")
        for row in quality["targets"]:
            model = row["model"]
            self.stdout.write(self.style.MIGRATE_HEADING(f"{row['name']}"))
            if model is None:
                self.stdout.write("  No model in use: suggestions come from keywords and rules.")
            else:
                self.stdout.write(
                    f"  v{model['version']}, trained {model['trained_at']} on {model['training_size']} tickets, "
                    f"measured on {model['heldout_size']} held-out tickets"
                )
                self.stdout.write(
                    f"  accuracy {_percent(model['accuracy'])}, majority class ({model['majority_class']}) "
                    f"{_percent(model['baseline_accuracy'])}, keywords and rules "
                    f"{_percent(model['cold_start_accuracy'])}"
                )
                for language, figures in model["languages"].items():
                    self.stdout.write(
                        f"    {language}: {_percent(figures['accuracy'])} of {figures['tickets']} "
                        f"(majority class {_percent(figures['baseline'])})"
                    )
                for pair in model["confused"]:
                    self.stdout.write(f"    {pair['true']} taken for {pair['predicted']}: {pair['count']}")
            latest = row["latest"]
            if latest is not None:
                self.stdout.write(
                    f"  latest training v{latest['version']} ({latest['trained_at']}): "
                    f"{_percent(latest['accuracy'])}, {latest['status']}"
                )
