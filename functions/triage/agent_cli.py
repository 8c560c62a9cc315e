"""``triage agent``: the team queues, pull (urgent first), release and resolve, against SQS and S3.

Moto locally (``--endpoint-url http://127.0.0.1:5000``), AWS when deployed. Errors are one sentence on stderr and
exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from triage.agent import (
    DEFAULT_VISIBILITY_S,
    OUTCOMES,
    AgentDesk,
    AgentError,
    Outcome,
    aws_errors,
    render_escalation,
)
from triage.routing import DEFAULT_QUEUE_PREFIX, RoutingError, load_routing

EXIT_OK = 0
EXIT_USAGE = 2
_REPO_ROUTING = Path(__file__).resolve().parents[2] / "infra" / "routing.json"
_LAYER_ROUTING = Path("/opt/triage-config/routing.json")


def default_routing_path() -> Path:
    """The config layer's routing file in Lambda (or wherever it is mounted), the repository's elsewhere."""
    return _LAYER_ROUTING if _LAYER_ROUTING.is_file() else _REPO_ROUTING


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``agent`` and its subcommands to the ``triage`` parser."""
    agent = sub.add_parser("agent", help="work the escalation queues: queues, pull, release, resolve")
    agent.add_argument("--endpoint-url", help="SQS/S3/CloudWatch endpoint (moto, LocalStack); default: AWS")
    agent.add_argument("--region", help="AWS region (default: AWS_REGION / the profile's)")
    agent.add_argument(
        "--queue-prefix",
        default=os.environ.get("ESCALATION_QUEUE_PREFIX", DEFAULT_QUEUE_PREFIX),
        help="team queue names start with this (default: $ESCALATION_QUEUE_PREFIX or %(default)s)",
    )
    agent.add_argument(
        "--feedback-bucket",
        default=os.environ.get("FEEDBACK_BUCKET") or os.environ.get("DECISION_LOG_BUCKET"),
        help="bucket for claims and feedback records (default: $FEEDBACK_BUCKET or $DECISION_LOG_BUCKET)",
    )
    agent.add_argument(
        "--routing", type=Path, help="routing file naming the teams (default: infra/routing.json)"
    )
    actions = agent.add_subparsers(dest="agent_command", required=True)

    p = actions.add_parser("queues", help="depth, in-flight and oldest age per team and priority")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_queues)

    p = actions.add_parser("pull", help="the next escalation for a team, urgent first, claimed")
    p.add_argument("--team", required=True)
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--visibility",
        type=int,
        default=DEFAULT_VISIBILITY_S,
        metavar="S",
        help="hold the claim this many seconds (default: %(default)s; renew with `extend`)",
    )
    p.set_defaults(func=cmd_pull)

    p = actions.add_parser("extend", help="keep a claim longer while you work on it")
    p.add_argument("id", metavar="ID")
    p.add_argument("--visibility", type=int, default=DEFAULT_VISIBILITY_S, metavar="S")
    p.set_defaults(func=cmd_extend)

    p = actions.add_parser("release", help="put a claimed escalation back in its queue now")
    p.add_argument("id", metavar="ID")
    p.set_defaults(func=cmd_release)

    p = actions.add_parser("resolve", help="record your label and outcome, then delete the escalation")
    p.add_argument("id", metavar="ID")
    p.add_argument("--intent", required=True, help="the intent label you judge right")
    p.add_argument("--outcome", choices=OUTCOMES, default="replied")
    p.add_argument("--note", help="free text for FAQ mining (keep customer details out)")
    p.add_argument("--agent", help="your name or id (default: $USER)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_resolve)


def build_desk(args: argparse.Namespace) -> AgentDesk:
    import boto3

    config = load_routing(args.routing or default_routing_path())
    with aws_errors("creating the AWS clients"):
        session = boto3.session.Session(region_name=args.region)
        clients = {
            name: session.client(name, endpoint_url=args.endpoint_url)  # type: ignore[call-overload]
            for name in ("sqs", "s3", "cloudwatch")
        }
    return AgentDesk(
        clients["sqs"],
        clients["s3"],
        args.queue_prefix,
        config.team_names,
        args.feedback_bucket,
        cloudwatch=clients["cloudwatch"],
    )


def _run(args: argparse.Namespace, action: Any) -> int:
    from triage.observability import logger

    level = logger.log_level
    logger.setLevel(
        "ERROR"
    )  # the service's JSON logs go to stdout, where the agent reads (or pipes) the answer
    try:
        return int(action(build_desk(args)))
    except (AgentError, RoutingError) as error:
        print(f"triage: {error}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        logger.setLevel(level)


def cmd_queues(args: argparse.Namespace) -> int:
    def action(desk: AgentDesk) -> int:
        rows = desk.queues()
        if args.json:
            print(json.dumps(rows, indent=2))
            return EXIT_OK
        print(f"{'team':<20} {'priority':<8} {'depth':>6} {'in flight':>9} {'oldest':>8}")
        for row in rows:
            age = "-" if row["oldest_age_s"] is None else _age(row["oldest_age_s"])
            print(f"{row['team']:<20} {row['priority']:<8} {row['depth']:>6} {row['in_flight']:>9} {age:>8}")
        if all(row["oldest_age_s"] is None for row in rows):
            print("(oldest age: no CloudWatch data for these queues)")
        return EXIT_OK

    return _run(args, action)


def _age(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def cmd_pull(args: argparse.Namespace) -> int:
    def action(desk: AgentDesk) -> int:
        pulled = desk.pull(args.team, visibility_s=args.visibility)
        if pulled is None:
            if args.json:
                print("null")
            else:
                print(f"no escalations waiting for {args.team}")
            return EXIT_OK
        if args.json:
            print(
                json.dumps(
                    {
                        "claim_id": pulled.id,
                        "team": pulled.team,
                        "priority": pulled.priority,
                        "receive_count": pulled.receive_count,
                        "segment": pulled.segment,
                        "visibility_s": args.visibility,
                        "escalation": pulled.escalation,
                    },
                    indent=2,
                    ensure_ascii=False,
                )
            )
        else:
            print(render_escalation(pulled))
            print(f"Claimed for {args.visibility} s: `triage agent extend|release|resolve <ID>`")
        return EXIT_OK

    return _run(args, action)


def cmd_extend(args: argparse.Namespace) -> int:
    def action(desk: AgentDesk) -> int:
        desk.extend(args.id, args.visibility)
        print(f"claim extended: {args.visibility} s from now")
        return EXIT_OK

    return _run(args, action)


def cmd_release(args: argparse.Namespace) -> int:
    def action(desk: AgentDesk) -> int:
        desk.release(args.id)
        print("released: back in the queue")
        return EXIT_OK

    return _run(args, action)


def cmd_resolve(args: argparse.Namespace) -> int:
    outcome: Outcome = args.outcome

    def action(desk: AgentDesk) -> int:
        record = desk.resolve(
            args.id,
            intent=args.intent,
            outcome=outcome,
            note=args.note,
            agent=args.agent or os.environ.get("USER"),
        )
        if args.json:
            print(json.dumps(record, indent=2, ensure_ascii=False))
        else:
            print(
                f"resolved {record.get('message_key')}: {outcome}, intent {args.intent}"
                f" (model said {record.get('model_intent') or 'nothing'}); feedback recorded"
            )
        return EXIT_OK

    return _run(args, action)
