"""The ``triage`` command: look at what the pipeline does with a message, train the model, run the demo."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_USAGE = 2


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        print(f"triage: cannot read {path}: {error.strerror or error}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None


def _settings(args: argparse.Namespace) -> Any:
    from triage.settings import Settings

    overrides = {"model_dir": args.model} if getattr(args, "model", None) else {}
    return Settings(**overrides)


def cmd_parse(args: argparse.Namespace) -> int:
    from triage.service import read_email

    message = read_email(_read(args.file), _settings(args))
    if args.json:
        _print_json(message.flat())
        return EXIT_OK
    print(f"subject:      {message.subject}")
    print(f"from:         {message.from_.name} <{message.from_.address}>")
    print(f"message id:   {message.message_id}")
    print(f"language:     {message.language}")
    print(f"attachments:  {[a.filename or a.content_type for a in message.attachments]}")
    print(f"auto signals: {list(message.auto_signals)}")
    print(f"defects:      {list(message.defects)}")
    print("--- customer text ---")
    print(message.text)
    return EXIT_OK


def cmd_predict(args: argparse.Namespace) -> int:
    from triage.classifier import load_model

    settings = _settings(args)
    prediction = load_model(settings.model_dir).predict(args.text, k=3)
    top3 = [{"label": label, "confidence": round(p, 4)} for label, p in prediction.top_k]
    result = {
        "label": prediction.label,
        "confidence": round(prediction.confidence, 4),
        "top3": top3,
        "model_version": prediction.model_version,
    }
    if args.json:
        _print_json(result)
    else:
        print(f"{result['label']}  {result['confidence']:.3f}")
        for item in top3:
            print(f"  {item['label']:<28} {item['confidence']:.3f}")
    return EXIT_OK


def cmd_decide(args: argparse.Namespace) -> int:
    from triage.service import load_model_or_none, read_email, triage_message

    settings = _settings(args)
    message = read_email(_read(args.file), settings)
    outcome = triage_message(message, load_model_or_none(settings), settings)
    decision = outcome.decision
    result: dict[str, Any] = {
        "action": decision.action.value,
        "reason": decision.reason.value,
        "detail": list(decision.detail),
        "intent": decision.intent,
        "confidence": decision.confidence,
        "reply": outcome.reply.model_dump(mode="json") if outcome.reply else None,
        "escalation": outcome.escalation.model_dump(mode="json") if outcome.escalation else None,
    }
    if args.json:
        _print_json(result)
    else:
        print(
            f"{result['action']}  ({result['reason']})  intent={result['intent']} confidence={result['confidence']}"
        )
        if outcome.reply:
            print(f"--- reply: {outcome.reply.subject}\n{outcome.reply.body}")
        if outcome.escalation:
            print("--- escalation key points:")
            for point in outcome.escalation.summary.key_points:
                print(f"  - {point}")
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    try:
        from triage.training import load_dataset, train
    except ImportError as error:  # pragma: no cover - depends on the environment
        print(f"triage train needs the 'train' extra (pip install '.[train]'): {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        dataset = load_dataset(args.data, text_column=args.text_column, label_column=args.label_column)
    except (OSError, ValueError) as error:
        print(f"triage: {error}", file=sys.stderr)
        return EXIT_USAGE
    card = train(dataset, args.out, progress=not args.quiet)
    print(
        f"trained on {card['data']['rows']} rows, {len(card['labels'])} intents, {card['n_features']} features; "
        f"holdout accuracy {card['metrics']['holdout']['accuracy']:.4f}, macro-F1 "
        f"{card['metrics']['holdout']['macro_f1']:.4f}; artifact {card['artifact_bytes'] / 1e6:.1f} MB "
        f"→ {args.out}"
    )
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from triage.demo import run_demo

    return run_demo(args.events, show_messages=not args.table_only, quiet=not args.verbose)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="triage", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def with_model(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--model", type=Path, help="model directory (default: the bundled model)")
        return p

    p = with_model(sub.add_parser("parse", help="print the normalised message of an .eml file"))
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_parse)

    p = with_model(sub.add_parser("predict", help="classify one text"))
    p.add_argument("--text", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_predict)

    p = with_model(sub.add_parser("decide", help="what the pipeline would do with an .eml file (no AWS)"))
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_decide)

    p = sub.add_parser("train", help="train the intent model and export the numpy artifact")
    p.add_argument("--data", type=Path, required=True, help="CSV (with header) or JSONL")
    p.add_argument("--text-column", default="text")
    p.add_argument("--label-column", default="category")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("demo", help="run the whole pipeline on the sample emails with moto (no AWS account)")
    p.add_argument("--events", type=Path, default=Path("events/email"))
    p.add_argument("--table-only", action="store_true")
    p.add_argument("--verbose", action="store_true", help="also print the handlers' structured logs")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
