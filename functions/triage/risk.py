"""The risk head: would a person rather answer this mail than a template?

The intent model says which routine question a mail asks, and is sure of it in a mail that also tells of a fall, a
stain, a changed account or a reply that did not help. The phrase tables catch those only in words they know. This
head reads the whole mail (subject and new text) and gives the probability that a person should answer it.

It is trained (``make risk-model``, ``triage train --head risk``) on:

- the labelled mails of the adversarial rounds (``events/labelled_mail/mails.csv``): a routine question alone is
  ``answer``; one beside a risk, a story, a feeling or a failed earlier answer, and machine mail, is ``person``;
- one-line routine requests of the intent model's data (Bitext, the default segment's automated intents) as
  ``answer``, so that a short plain question is not read as a person's for being short.

``python -m triage.risk prepare`` writes that training CSV. At run time ``policy.person_risk`` asks the head about
would-be automatic replies only, against each profile's ``max_person_risk``. A company's own tickets (escalated or
answered by a template) train a head of its own with the same command.
"""

from __future__ import annotations

import csv
import random
import sys
from collections import Counter
from collections.abc import Collection, Sequence
from pathlib import Path

HEAD = "risk"
ANSWER = "answer"
PERSON = "person"
ROUTINE_REQUESTS = 1000  # one-line routine requests added as ``answer`` (see the module docstring)
SEED = 13


def training_rows(
    labelled: Path,
    requests: Path,
    routine_intents: Collection[str],
    count: int = ROUTINE_REQUESTS,
    seed: int = SEED,
) -> list[tuple[str, str]]:
    """(text, label) rows: every labelled mail (``text``, ``category`` in answer/person), then ``count`` requests of
    ``requests`` (``text``, ``category`` = an intent) whose intent is routine, drawn with ``seed``, as ``answer``."""
    from triage.training import (
        load_dataset,  # the training CSV reader and its errors; not the worker's to import
    )

    mails = load_dataset(labelled)
    unknown = sorted(set(mails.labels) - {ANSWER, PERSON})
    if unknown:
        raise ValueError(f"{labelled}: labels must be {ANSWER!r} or {PERSON!r}; found {unknown}")
    asked = load_dataset(requests)
    routine = [
        text for text, intent in zip(asked.texts, asked.labels, strict=True) if intent in routine_intents
    ]
    if len(routine) < count:
        raise ValueError(f"{requests}: {len(routine)} routine requests, fewer than the {count} asked for")
    random.Random(seed).shuffle(routine)  # noqa: S311 - a reproducible sample, not a secret
    return [*zip(mails.texts, mails.labels, strict=True), *((text, ANSWER) for text in routine[:count])]


def main(argv: Sequence[str] | None = None) -> int:
    import argparse  # a command-line tool inside a module the worker imports: argparse only when run

    from triage.profiles import load_policy

    parser = argparse.ArgumentParser(
        prog="python -m triage.risk", description="Prepare the risk head's data."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    prepare = sub.add_parser("prepare", help="write the risk head's training CSV (text,category) to stdout")
    prepare.add_argument("labelled", type=Path, help="labelled mails: text,category (answer or person)")
    prepare.add_argument("requests", type=Path, help="one-line requests with their intent: text,category")
    prepare.add_argument(
        "--policy", type=Path, required=True, help="policy.json: its default segment's intents"
    )
    prepare.add_argument("--count", type=int, default=ROUTINE_REQUESTS)
    args = parser.parse_args(argv)
    try:
        config = load_policy(args.policy)
        intents = config.profile(config.default_segment).auto_reply_intents
        rows = training_rows(args.labelled, args.requests, intents, args.count)
    except (OSError, ValueError) as error:  # PolicyError and TrainingError are ValueErrors
        print(f"triage.risk: {error}", file=sys.stderr)
        return 2
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["text", "category"])
    writer.writerows(rows)
    counts = ", ".join(f"{label} {n}" for label, n in Counter(label for _, label in rows).most_common())
    print(f"{len(rows)} rows: {counts}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
