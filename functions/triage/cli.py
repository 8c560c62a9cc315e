"""The ``triage`` command: look at what the pipeline does with a message, train the model, run the demo."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
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
    return Settings.from_env(**overrides)


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


def _load_head(args: argparse.Namespace) -> Any:
    from triage.classifier import ModelError, load_model

    try:
        return load_model(_settings(args).model_dir, getattr(args, "head", "intent"))
    except ModelError as error:
        print(f"triage: {error}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None


def _tier_encoder(model: Any, tier: str) -> Any:
    """The encoder when the tier needs it and it can be had (else None: the linear tier answers)."""
    if tier == "linear" or not model.has_encoder_tier:
        return None
    from triage.encoder import default_encoder_dir, load_encoder

    directory = default_encoder_dir()
    if directory is None:
        if tier == "combined":
            print(
                "triage: the combined tier needs the sentence encoder, which is not installed",
                file=sys.stderr,
            )
            raise SystemExit(EXIT_USAGE)
        return None
    return load_encoder(directory)


def _read_rows(args: argparse.Namespace) -> Any:
    from triage.training import TrainingError, load_dataset

    try:
        return load_dataset(args.data, text_column=args.text_column, label_column=args.label_column)
    except TrainingError as error:
        print(f"triage: {error}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None


def cmd_predict(args: argparse.Namespace) -> int:
    if args.data is not None:
        return _predict_file(args)
    if args.text is None:
        print("triage predict: give --text or --data", file=sys.stderr)
        return EXIT_USAGE
    model = _load_head(args)
    [result] = _predictions(model, [args.text], args.tier)
    result["model_version"] = model.version
    if args.json:
        _print_json(result)
    else:
        print(f"{result['label']}  {result['confidence']:.3f}  ({result['tier']} tier)")
        for item in result["top3"]:
            print(f"  {item['label']:<28} {item['confidence']:.3f}")
    return EXIT_OK


def _predictions(model: Any, texts: list[str], tier: str) -> list[dict[str, Any]]:
    """Label, confidence, top 3, the label's calibrated threshold and auto-eligibility, and the tier that answered,
    for each text (``--text`` and ``--data`` alike)."""
    probabilities, tiers = model.predict_proba_tiered(texts, tier, _tier_encoder(model, tier))
    thresholds = {name: model.thresholds(name) for name in model.tiers}
    results = []
    for row, answered in zip(probabilities, tiers, strict=True):
        order = row.argsort()[::-1][:3]
        label = model.labels[order[0]]
        threshold = thresholds[answered][label]
        results.append(
            {
                "label": label,
                "confidence": round(float(row[order[0]]), 4),
                "top3": [{"label": model.labels[i], "confidence": round(float(row[i]), 4)} for i in order],
                "auto_eligible": threshold is not None and float(row[order[0]]) >= threshold,
                "threshold": threshold,
                "tier": answered,
            }
        )
    return results


def _predict_file(args: argparse.Namespace) -> int:
    """One JSON line per row: label, confidence, top3, auto_eligible (the label's calibrated threshold)."""
    from triage.training import TrainingError, read_rows, require_columns

    model = _load_head(args)
    try:
        rows, _ = read_rows(args.data)
        if rows:
            require_columns(args.data, rows, args.text_column)
    except TrainingError as error:
        print(f"triage: {error}", file=sys.stderr)
        return EXIT_USAGE
    texts = [str(row.get(args.text_column) or "") for row in rows]
    for result in _predictions(model, texts, args.tier):
        print(json.dumps(result, ensure_ascii=False))
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    import time

    from triage.evaluation import evaluate, write_report

    if args.report is not None and args.report.exists() and not args.report.is_dir():
        print(f"triage: --report {args.report} is a file; the report is a folder", file=sys.stderr)
        return EXIT_USAGE
    model = _load_head(args)
    dataset = _read_rows(args)
    available = ["linear"] + (["combined", "cascade"] if model.has_encoder_tier else [])
    wanted = available if args.tier == "all" else [args.tier]
    results: dict[str, Any] = {}
    for tier in wanted:
        encoder = _tier_encoder(model, tier)
        started = time.perf_counter()
        probabilities, used = model.predict_proba_tiered(dataset.texts, tier, encoder)
        elapsed = time.perf_counter() - started
        thresholds = model.thresholds("linear" if tier == "cascade" else tier)
        result = evaluate(
            dataset.labels,
            probabilities,
            model.labels,
            thresholds=thresholds,
            target_precision=model.card.get("target_precision", 0.99),
            full_confusion=args.report is not None,
        )
        result["tier"] = tier if encoder is not None or tier == "linear" else "linear"
        result["ms_per_message"] = round(1000 * elapsed / max(len(dataset.texts), 1), 3)
        result["share_by_tier"] = {name: round(used.count(name) / max(len(used), 1), 4) for name in set(used)}
        results[tier] = result
    main_tier = "cascade" if "cascade" in results else wanted[-1]
    summary = {key: value for key, value in results[main_tier].items() if key not in {"confusion_matrix"}}
    summary["model"] = str(model.directory)
    summary["model_version"] = model.version
    summary["data"] = str(args.data)
    if len(results) > 1:
        summary["tiers"] = {
            tier: {
                key: result[key] for key in ("accuracy", "macro_f1", "ece", "ms_per_message", "share_by_tier")
            }
            for tier, result in results.items()
        }
    if args.previous is not None:
        summary["previous"], summary["change"] = _compare_previous(args, dataset, summary)
    if args.report is not None:
        written = write_report(
            results[main_tier], args.report, title=f"{model.head} model on {args.data.name}"
        )
        summary["report"] = [str(path) for path in written]
    if args.json:
        _print_json(summary)
    else:
        for tier, result in results.items():
            print(
                f"{tier:<9} accuracy {result['accuracy']:.4f}  macro-F1 {result['macro_f1']:.4f}  "
                f"ECE {result['ece']:.4f}  {result['ms_per_message']:.2f} ms/message"
            )
        if "change" in summary:
            change = ", ".join(f"{key} {value:+.4f}" for key, value in summary["change"].items())
            print(f"vs previous model {summary['previous']['model_version']}: {change}")
        if args.report is not None:
            print(f"report: {args.report / 'index.html'}")
    return EXIT_OK


COMPARED = ("accuracy", "macro_f1", "ece")


def _compare_previous(
    args: argparse.Namespace, dataset: Any, summary: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, float]]:
    """The previous model (its card's version) on the same data, and the change: new minus previous."""
    from triage.classifier import ModelError, load_model
    from triage.evaluation import evaluate

    try:
        previous = load_model(args.previous, getattr(args, "head", "intent"))
    except ModelError as error:
        print(f"triage: --previous: {error}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None
    tier = "cascade" if previous.has_encoder_tier and summary.get("tier") == "cascade" else "linear"
    probabilities, _ = previous.predict_proba_tiered(dataset.texts, tier, _tier_encoder(previous, tier))
    result = evaluate(
        dataset.labels,
        probabilities,
        previous.labels,
        thresholds=previous.thresholds("linear"),
        target_precision=previous.card.get("target_precision", 0.99),
    )
    before = {"model_version": previous.version, **{key: result[key] for key in COMPARED}}
    return before, {key: round(summary[key] - result[key], 4) for key in COMPARED}


def cmd_decide(args: argparse.Namespace) -> int:
    from triage.service import (
        encoder_provider,
        load_emotion_model_or_none,
        load_model_or_none,
        load_risk_model_or_none,
        policy_for,
        read_email,
        triage_message,
    )

    settings = _settings(args)
    policy = policy_for(settings)
    if args.profile:
        policy.config.profile(args.profile)
    message = read_email(_read(args.file), settings)
    outcome = triage_message(
        message,
        load_model_or_none(settings),
        settings,
        encoder_provider(settings),
        load_emotion_model_or_none(settings),
        policy=policy,
        segment=args.profile,
        risk_model=load_risk_model_or_none(settings),
    )
    decision = outcome.decision
    escalation = outcome.escalation
    if escalation is not None:
        # Exactly what an agent pulls: routed to its team queue and priority.
        from triage.routing import load_routing, route

        team, priority = route(escalation, escalation.segment, load_routing(settings.routing_file))
        escalation = escalation.model_copy(update={"team": team, "priority": priority})
    result: dict[str, Any] = {
        "action": decision.action.value,
        "reason": decision.reason.value,
        "detail": list(decision.detail),
        "intent": decision.intent,
        "confidence": decision.confidence,
        "emotion": (
            {"label": outcome.emotion.label, "confidence": round(outcome.emotion.confidence, 4)}
            if outcome.emotion
            else None
        ),
        "urgency": (
            {"level": outcome.urgency.level, "score": outcome.urgency.score} if outcome.urgency else None
        ),
        "segment": outcome.segment,
        "mode": policy.config.profile(outcome.segment).mode.value,
        "would_auto_reply": decision.would_auto_reply,
        "reply": outcome.reply.model_dump(mode="json") if outcome.reply else None,
        "escalation": escalation.model_dump(mode="json") if escalation else None,
    }
    if args.json:
        _print_json(result)
    else:
        print(
            f"{result['action']}  ({result['reason']})  segment={result['segment']} "
            f"intent={result['intent']} confidence={result['confidence']}"
        )
        if outcome.reply:
            print(f"--- reply: {outcome.reply.subject}\n{outcome.reply.body}")
        if escalation:
            from triage.agent import Pulled, render_escalation

            print(f"--- escalation, as an agent of {escalation.team} pulls it ({escalation.priority}):")
            pulled = Pulled(
                id="(not queued)",
                escalation=escalation.model_dump(mode="json"),
                priority=escalation.priority or "normal",
                team=escalation.team or "general",
                receive_count=0,
                segment=escalation.segment,
            )
            print(render_escalation(pulled))
    return EXIT_OK


def cmd_replay(args: argparse.Namespace) -> int:
    from triage.replay import format_report, load_cases, replay
    from triage.service import (
        encoder_provider,
        load_emotion_model_or_none,
        load_model_or_none,
        load_risk_model_or_none,
        policy_for,
    )
    from triage.training import TrainingError

    settings = _settings(args)
    policy = policy_for(settings)
    if args.profile:
        policy.config.profile(args.profile)
    try:
        cases = load_cases(args.data, settings)
    except TrainingError as error:
        print(f"triage: {error}", file=sys.stderr)
        return EXIT_USAGE
    report = replay(
        cases,
        policy,
        load_model_or_none(settings),
        settings,
        profile=args.profile,
        emotion_model=load_emotion_model_or_none(settings),
        encoder=encoder_provider(settings),
        risk_model=load_risk_model_or_none(settings),
    )
    if args.json:
        _print_json(report)
    else:
        print(format_report(report))
    return EXIT_OK


def cmd_webhook(args: argparse.Namespace) -> int:
    """Run the real webhook intake on a body and headers (no AWS), or print the headers a valid request carries."""
    from datetime import UTC, datetime

    from triage.parsing.webhooks import PROVIDERS, sign

    if args.provider not in PROVIDERS:
        print(f"triage: unknown provider {args.provider!r}; known: {', '.join(PROVIDERS)}", file=sys.stderr)
        return EXIT_USAGE
    try:
        now = datetime.fromisoformat(args.now.replace("Z", "+00:00")) if args.now else datetime.now(UTC)
    except ValueError:
        print(f"triage: --now {args.now!r} is not an ISO-8601 time", file=sys.stderr)
        return EXIT_USAGE
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    body = _read(args.body)
    headers: dict[str, str] = {}
    if args.headers:
        try:
            loaded = json.loads(_read(args.headers))
        except ValueError as error:
            print(f"triage: {args.headers}: not JSON ({error})", file=sys.stderr)
            return EXIT_USAGE
        if not isinstance(loaded, dict):
            print(
                f"triage: {args.headers}: expected a JSON object of header names to values", file=sys.stderr
            )
            return EXIT_USAGE
        headers = {str(name): str(value) for name, value in loaded.items()}
    if args.sign:
        if len(args.secret) != 1:
            print("triage: --sign needs exactly one --secret", file=sys.stderr)
            return EXIT_USAGE
        # With --headers: those headers (event names, ids) kept, the signature headers made anew.
        signed = sign(args.provider, body, args.secret[0], now, args.delivery_id)
        fresh = {name.lower() for name in signed}
        _print_json({name: value for name, value in headers.items() if name.lower() not in fresh} | signed)
        return EXIT_OK
    from triage.observability import logger

    level = logger.log_level
    if not args.verbose:
        logger.setLevel("WARNING")
    try:
        return _run_webhook(args, body, headers, now)
    finally:
        logger.setLevel(level)


def _run_webhook(args: argparse.Namespace, body: bytes, headers: dict[str, str], now: Any) -> int:
    from triage.webhook_intake import StaticSecrets, WebhookIntake

    class Captured:
        def __init__(self) -> None:
            self.bodies: list[str] = []

        def send(self, message: str) -> str:
            self.bodies.append(message)
            return "local"

    queue = Captured()
    intake = WebhookIntake(StaticSecrets({args.provider: list(args.secret)}), queue, clock=lambda: now)
    answer = intake.receive(args.provider, body, headers)
    result: dict[str, Any] = {
        "status": answer.status,
        "verified": answer.status not in (401, 404, 413),
        "reason": answer.body.get("reason") or answer.body.get("error") or answer.body.get("status"),
        "response": answer.body,
        "message": json.loads(queue.bodies[0]) if queue.bodies else None,
    }
    if args.json:
        _print_json(result)
    else:
        print(f"{answer.status} {result['reason']}  verified={result['verified']}")
        if answer.status >= 400:
            print(answer.body.get("message", ""))
        if result["message"]:
            message = result["message"]
            print(
                f"ticket {message['ticket_id']}  from {message['from']['address'] or message['from']['name']}"
            )
            print(f"subject: {message['subject']}\n{message['text']}")
    return EXIT_OK if answer.status < 400 else 1


def cmd_load_webhooks(args: argparse.Namespace) -> int:
    from triage.loadtest import run_load

    try:
        report = run_load(rate=args.rate, seconds=args.seconds, replay_share=args.replay_share)
    except ValueError as error:
        print(f"triage: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        _print_json(report)
    else:
        print(
            f"{report['requests']} requests at {report['achieved_rate_per_s']}/s: ack p50 {report['ack_p50_ms']} ms, "
            f"p99 {report['ack_p99_ms']} ms, max {report['ack_max_ms']} ms; statuses {report['status_counts']}; "
            f"5xx {report['server_errors_5xx']}; each delivery queued once: {report['each_delivery_queued_once']}"
        )
    return EXIT_OK


def _encoder_for_training(args: argparse.Namespace) -> Any:
    if args.no_encoder:
        return None
    from triage.encoder import default_encoder_dir, load_encoder

    directory = args.encoder or default_encoder_dir()
    if directory is None:
        print("triage: no sentence encoder found; training the linear tier only", file=sys.stderr)
        return None
    return load_encoder(directory)


def cmd_train(args: argparse.Namespace) -> int:
    try:
        from triage.training import TrainConfig, TrainingError, load_datasets, read_shared_features, train
    except ImportError as error:  # pragma: no cover - depends on the environment
        print(f"triage train needs the 'train' extra (pip install '.[train]'): {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.out.exists() and not args.out.is_dir():
        print(f"triage: --out {args.out} is a file; the model is a folder", file=sys.stderr)
        return EXIT_USAGE
    try:
        dataset = load_datasets(args.data, text_column=args.text_column, label_column=args.label_column)
        if args.feedback is not None:
            from triage.feedback import merge_feedback

            dataset = merge_feedback(dataset, args.feedback)
            added = dataset.extra["feedback"]
            print(
                f"feedback: +{added['rows_added']} rows {added['by_kind']}; new labels {added['new_labels'] or 'none'}"
                + (
                    f"; too few examples, left out: {added['skipped_rare_new_labels']}"
                    if added["skipped_rare_new_labels"]
                    else ""
                ),
                file=sys.stderr,
            )
        config = TrainConfig(
            target_precision=args.target_precision,
            folds=args.folds,
            augment_share=args.letters,
            linear_c=args.c,
        )
        shared = read_shared_features(args.features_from) if args.features_from is not None else None
        card = train(
            dataset,
            args.out,
            head=args.head,
            config=config,
            encoder=_encoder_for_training(args),
            progress=not args.quiet,
            shared=shared,
        )
    except TrainingError as error:
        print(f"triage: {error}", file=sys.stderr)
        return EXIT_USAGE
    cv = card["metrics"]["cross_validation"]
    tiers = ", ".join(f"{tier} {cv[tier]['accuracy']:.4f}" for tier in card["tiers"])
    cascade = f", cascade {cv['cascade']['accuracy']:.4f}" if "cascade" in cv else ""
    print(
        f"trained {args.head} on {card['data']['rows']} rows, {len(card['labels'])} labels, "
        f"{card['n_text_features']} text features in {card['training_seconds']} s; "
        f"{args.folds}-fold CV accuracy: {tiers}{cascade}; artifact {card['artifact_bytes'] / 1e6:.1f} MB → {args.out}"
    )
    return EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    if args.local_stack is not None:  # 0 is refused by run_load, not read as "not given"
        # The loopback load run of issue 9: mails over SMTP into the local stack (triage serve), then the counts.
        from triage.serve import run_load

        try:
            report = run_load(
                args.local_stack, big_share=args.big_share, big_mb=args.big_mb, timeout=args.load_timeout
            )
        except ValueError as error:
            print(f"triage: {error}", file=sys.stderr)
            return EXIT_USAGE
        _print_json(report)
        return EXIT_OK if not report.get("lost") and not report.get("duplicates") else 1
    from triage.bench import DEFAULT_EMAIL, run_bench, run_deployed
    from triage.settings import Settings

    model_dir = args.model or Settings.from_env().model_dir
    args.email = args.email or DEFAULT_EMAIL  # the repository's copy, wherever the command runs from
    if args.deployed:
        try:
            deployed = run_deployed(args.deployed, model_dir, args.email, repeats_cold=args.repeats_cold)
        except ValueError as error:
            print(f"triage: {error}", file=sys.stderr)
            return EXIT_USAGE
        _print_json(deployed)
        return EXIT_OK
    result = run_bench(model_dir, args.email, iterations=args.iterations, repeats_cold=args.repeats_cold)
    if args.json:
        _print_json(result)
    else:
        for key in (
            "cold_start_s",
            "baseline_cold_start_s",
            "cold_start_ratio",
            "import_floor_s",
            "rss_mb",
            "warm_p50_ms",
            "warm_p99_ms",
            "throughput_msgs_per_s",
        ):
            print(f"{key:<24} {result.get(key)}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from triage.bench import REPO_DIR
    from triage.demo import run_demo

    events = args.events or REPO_DIR / "events" / "email"
    return run_demo(events, show_messages=not args.table_only, quiet=not args.verbose)


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

    def with_data(p: argparse.ArgumentParser, required: bool) -> argparse.ArgumentParser:
        p.add_argument(
            "--data", type=Path, required=required, help="CSV with a header (or JSONL for evaluate)"
        )
        p.add_argument("--text-column", default="text")
        p.add_argument("--label-column", default="category")
        p.add_argument("--head", default="intent", choices=["intent", "emotion", "risk"])
        return p

    tiers = ["linear", "combined", "cascade"]
    p = with_data(
        with_model(sub.add_parser("predict", help="classify one text, or every row of a CSV")), False
    )
    p.add_argument("--text")
    p.add_argument("--json", action="store_true")
    p.add_argument("--jsonl", action="store_true", help="with --data: one JSON line per row (the default)")
    p.add_argument("--tier", default="cascade", choices=tiers)
    p.set_defaults(func=cmd_predict)

    p = with_data(
        with_model(sub.add_parser("evaluate", help="accuracy, calibration and coverage on labelled data")),
        True,
    )
    p.add_argument("--json", action="store_true")
    p.add_argument("--report", type=Path, help="write PNG plots and index.html into this directory")
    p.add_argument("--tier", default="all", choices=[*tiers, "all"])
    p.add_argument("--previous", type=Path, help="also evaluate this (previous) model and report the change")
    p.set_defaults(func=cmd_evaluate)

    p = with_model(sub.add_parser("decide", help="what the pipeline would do with an .eml file (no AWS)"))
    p.add_argument("file", type=Path)
    p.add_argument("--profile", help="use this policy profile (default: the policy's routing)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_decide)

    p = with_model(
        sub.add_parser(
            "replay", help="run the policy over past messages: automation rate, precision, wrong replies"
        )
    )
    p.add_argument("--data", type=Path, required=True, help="CSV/JSONL of past messages, or a folder of .eml")
    p.add_argument("--profile", help="replay every message with this profile (default: per message)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("webhook", help="run the webhook intake on a saved request, or sign a body")
    p.add_argument("provider", help="zendesk, freshdesk, intercom, helpscout, front, gorgias or generic")
    p.add_argument("--body", type=Path, required=True, help="the raw request body")
    p.add_argument("--headers", type=Path, help="JSON object of the request headers (names in any case)")
    p.add_argument("--secret", action="append", default=[], help="an active secret (repeat for rotation)")
    p.add_argument("--now", help="ISO-8601 time to verify timestamps against (default: now)")
    p.add_argument("--sign", action="store_true", help="print the headers a valid request would carry")
    p.add_argument("--delivery-id", help="with --sign: the delivery id (generic's webhook-id)")
    p.add_argument("--verbose", action="store_true", help="also print the intake's structured logs")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_webhook)

    from triage import agent_cli, faq_cli

    agent_cli.register(sub)
    faq_cli.register(sub)

    p = sub.add_parser(
        "load-webhooks", help="signed webhook requests at a fixed rate over loopback HTTP (moto)"
    )
    p.add_argument("--rate", type=int, default=50, help="requests per second (default 50)")
    p.add_argument("--seconds", type=int, default=60, help="duration (default 60)")
    p.add_argument("--replay-share", type=float, default=0.1, help="share of requests that resend a delivery")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_load_webhooks)

    p = sub.add_parser("train", help="train the intent model and export the numpy artifact")
    p.add_argument(
        "--data",
        type=Path,
        required=True,
        action="append",
        help="CSV (with header) or JSONL; repeat to train on several files' rows (same columns)",
    )
    p.add_argument("--text-column", default="text")
    p.add_argument("--label-column", default="category")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--head", default="intent", choices=["intent", "emotion", "risk"])
    p.add_argument(
        "--target-precision",
        type=_bounded(float, 0.0, 1.0, low_open=True),
        default=0.99,
        help="precision auto-eligible answers must reach (0 < p <= 1)",
    )
    p.add_argument(
        "--folds", type=_bounded(int, 2, None), default=5, help="cross-validation folds (at least 2)"
    )
    p.add_argument(
        "--c",
        type=_bounded(float, 0.0, None, low_open=True),
        default=10.0,
        help="inverse regularisation of the n-gram tier (> 0)",
    )
    p.add_argument(
        "--letters",
        type=_bounded(float, 0.0, 1.0),
        default=0.0,
        metavar="SHARE",
        help="add letter-shaped copies (greeting, 1-3 requests, sign-off) of this share of rows to the n-gram tier",
    )
    p.add_argument("--encoder", type=Path, help="sentence-encoder directory (default: the installed one)")
    p.add_argument("--no-encoder", action="store_true", help="train the fast linear tier only")
    p.add_argument(
        "--feedback",
        type=Path,
        help="agents' corrected labels and approved FAQ entries to merge in (folder of JSON records, or JSONL)",
    )
    p.add_argument(
        "--features-from",
        type=Path,
        metavar="MODEL_DIR",
        help="train on the vocabulary and idf of the intent head in MODEL_DIR, as they are: the worker then works "
        "out a message's features once for both heads (how `make emotion-model` and `make risk-model` train)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_train)

    p = with_model(
        sub.add_parser("bench", help="cold start, warm latency, throughput and memory (prints figures)")
    )
    p.add_argument(
        "--email",
        type=Path,
        default=None,
        help="the mail to time (default: events/email/routine_order_tracking.eml)",
    )
    p.add_argument("--iterations", type=int, default=2000)
    p.add_argument("--repeats-cold", type=int, default=5)
    p.add_argument(
        "--local-stack",
        type=int,
        metavar="N",
        help="instead: N mails over SMTP into the local stack (moto server), then received/replied/lost/duplicates",
    )
    p.add_argument(
        "--big-share",
        type=float,
        default=0.1,
        help="with --local-stack: share of mails with a big attachment",
    )
    p.add_argument("--big-mb", type=float, default=10.0, help="with --local-stack: attachment size in MB")
    p.add_argument(
        "--deployed",
        metavar="PYTHON",
        help="instead: the worker's cold start as deployed (layer and function built by the Makefile, imported by"
        " PYTHON, the runtime's version, e.g. python3.12), with and without the shipped bytecode",
    )
    p.add_argument(
        "--load-timeout", type=float, default=1800.0, help="with --local-stack: seconds to wait for decisions"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("demo", help="run the whole pipeline on the sample emails with moto (no AWS account)")
    p.add_argument(
        "--events",
        type=Path,
        default=None,
        help="folder of .eml files (default: the repository's events/email, wherever the command runs from)",
    )
    p.add_argument("--table-only", action="store_true")
    p.add_argument("--verbose", action="store_true", help="also print the handlers' structured logs")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "serve", help="the stack on localhost: SMTP, webhooks over HTTP, moto server; Ctrl-C stops"
    )
    p.add_argument("--smtp-port", type=int, default=2525)
    p.add_argument("--http-port", type=int, default=8080)
    p.add_argument("--aws-port", type=int, default=5000)
    p.add_argument(
        "--show-sent", action="store_true", help="list the replies in a running stack's SES outbox"
    )
    p.add_argument(
        "--load", type=int, metavar="N", help="load run: N mails over SMTP on free ports, then counts"
    )
    p.add_argument("--big-share", type=float, default=0.1, help="load run: share of mails with an attachment")
    p.add_argument("--big-mb", type=float, default=10.0, help="load run: attachment size in MB")
    p.add_argument(
        "--load-timeout", type=float, default=900.0, metavar="S", help="load run: bound in seconds"
    )
    p.set_defaults(func=lambda args: __import__("triage.serve", fromlist=["main"]).main(args))
    return parser


def _bounded(
    kind: Callable[[str], Any], low: float, high: float | None, *, low_open: bool = False
) -> Callable[[str], Any]:
    """An argparse type: ``kind`` of the text, within [low, high] (or (low, high] with ``low_open``)."""

    def parse(text: str) -> Any:
        value = kind(text)
        if value < low or (low_open and value == low) or (high is not None and value > high):
            bound = f"{'>' if low_open else '>='} {low}" + (f" and <= {high}" if high is not None else "")
            raise argparse.ArgumentTypeError(f"{text} is out of range: must be {bound}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in "invalid float value"
    return parse


def main(argv: Sequence[str] | None = None) -> int:
    from triage.classifier import ModelError
    from triage.profiles import PolicyError
    from triage.replies import TemplateError
    from triage.routing import RoutingError
    from triage.settings import SettingsError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (PolicyError, TemplateError, SettingsError, ModelError, RoutingError) as error:
        print(f"triage: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # `triage predict ... | head`: the reader left, which is not an error
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
