"""Benchmark: training the learning triage on N generated tickets (100,000 by default) and predicting.

The tickets come from bench/triage_history.py (six languages, ten topics, three departments, noise in a tenth
of each label), held out as the site's tickets are (one in five by a hash of the id). Measured in this
process, without a database (reading the labels is a query per 2,000 tickets and is not included):

- training: wall clock and CPU time of `apps.ai.learning.training.train` (one feature extraction, three
  classifiers, the held-out figures), and the process's peak memory (ru_maxrss) before and after it;
- the stored size of each model (compressed pickle, as in TriageModel.payload);
- prediction: the three models on one ticket at a time, as a worker's triage does (the text turned into
  features once, then three classifiers; median and 95th percentile over 1,000 held-out tickets), after the
  models were loaded.

`--longer K` appends to each description those of the K following tickets (same language), to see how time
and memory grow with the length of the texts (generated tickets are short; real ones are often longer).

    .venv/bin/python bench/bench_triage.py [--tickets 100000] [--seed 7] [--longer 3]
"""

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--longer", type=int, default=0)
    args = parser.parse_args()

    import django

    django.setup()
    from apps.ai.learning import training
    from apps.ai.learning.dataset import model_text
    from bench.triage_history import LANGUAGES, as_examples, generate

    examples = as_examples(generate(args.tickets, seed=args.seed))
    if args.longer:
        step = len(LANGUAGES)  # the next ticket in the same language
        texts = [example.text for example in examples]
        for index, example in enumerate(examples):
            more = [texts[(index + step * k) % len(texts)].split("\n\n", 1)[1] for k in range(1, args.longer + 1)]
            example.text = " ".join([example.text, *more])
    before_mb = peak_mb()
    wall, cpu = time.perf_counter(), cpu_seconds()
    results = training.train(examples, min_per_class=20)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    print(f"{args.tickets:,} tickets: training {wall:.1f} s wall clock, {cpu:.1f} s CPU; "
          f"peak memory {before_mb:.0f} MB before, {peak_mb():.0f} MB after")  # fmt: skip
    candidates = [result for result in results if isinstance(result, training.Candidate)]
    for candidate in candidates:
        size = len(training.dumps(candidate.pipeline)) / 1024 / 1024
        print(
            f"  {candidate.target}: {candidate.training_size:,} training / {candidate.heldout_size:,} held-out, "
            f"accuracy {candidate.accuracy:.3f} (majority class {candidate.baseline_accuracy:.3f}), "
            f"model {size:.1f} MB"
        )

    heldout = [model_text(example.text) for example in examples if example.heldout][:1000]
    # As apps.ai.learning.predict does: the models of one run share their features, computed once per ticket.
    features = candidates[0].pipeline.named_steps["features"]
    timings, cpu_timings = [], []
    for text in heldout:
        start, start_cpu = time.perf_counter(), time.process_time()
        x = features.transform([text])
        for candidate in candidates:
            candidate.pipeline.named_steps["classifier"].predict_proba(x)
        timings.append((time.perf_counter() - start) * 1000)
        cpu_timings.append((time.process_time() - start_cpu) * 1000)
    timings.sort()
    print(
        f"prediction, {len(candidates)} models per ticket: median {statistics.median(timings):.2f} ms, "
        f"95th percentile {timings[int(len(timings) * 0.95)]:.2f} ms wall clock; "
        f"mean {statistics.fmean(cpu_timings):.2f} ms CPU ({len(timings)} tickets)"
    )
    average = statistics.fmean(len(model_text(example.text)) for example in examples)
    print(f"texts: {average:.0f} characters on average; load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
