"""The worker's cold start, memory and warm latency with the bundled numpy model, against scikit-learn.

Usage: ``python -m triage.bench [--model-dir DIR] [--email FILE.eml] [--iterations N] [--repeats-cold N]``
prints one JSON object. Nothing here asserts anything about speed: it reports.

Cold start (``cold_start_s``) is measured in fresh interpreters (``sys.executable``), each started with the
variables the Lambda runtime sets (``LAMBDA_ENVIRONMENT``: tracing on, as deployed), fake AWS credentials, metrics
disabled, the settings the worker reads, and ``MODEL_DIR``.
The child imports the handler module ``triage_worker.app`` (as Lambda's init does), loads the model, then
parses, classifies and decides the email once. It times itself with ``time.perf_counter`` from its first line,
so ``cold_start_s`` is *the worker's own init + first message*: it excludes the interpreter's start-up, which
Lambda pays before our code runs whatever we ship. ``cold_start_process_s`` is the whole subprocess wall time
seen from here (interpreter start-up and exit included; ``interpreter_s`` splits them out for ours, the baseline and
the floor). Creating boto3 clients is in neither (both pay it).
The functions' bytecode is compiled first (``compile_functions``), as the build ships it to Lambda and as any
machine has it after one import: otherwise an environment with ``PYTHONDONTWRITEBYTECODE`` set would have every
child compile our modules from source, a cost no deployed worker pays. So is the phrase tables' regular-expression
code (``save_regex_code``, ``triage.regex_code``), which the build also ships.

``baseline_cold_start_s`` is the same child, except that instead of our numpy scorer it imports joblib and
loads a scikit-learn ``Pipeline`` of the *same* linear model (rebuilt here from ``intent.npz``, checked to
predict the same labels as the numpy scorer, and dumped with joblib), then classifies the email's views with
it. It does not compose a reply afterwards, so the comparison slightly favours the baseline.

``import_floor_s`` is a fresh interpreter importing only numpy, boto3 and Powertools' Logger, Tracer, Metrics
and batch utilities: the part of the cold start no model choice can remove (``import_floor_process_s``: that
child's whole wall time). ``pydantic_import_s`` is what importing pydantic's ``BaseModel`` then adds, measured in
another such child after its floor: the settings, messages and Powertools' event parser all stand on it, so no
handler of this stack starts faster than floor + that.

``rss_mb`` (and ``baseline_rss_mb``, ``import_floor_rss_mb``) is a child's peak resident memory, read in the
child from ``VmHWM`` in ``/proc/self/status`` (``ru_maxrss`` where there is no ``/proc``): compare it with the
function's memory size.

Warm figures are in this process, after a warm-up: ``read_email`` + ``triage_message`` on the email's bytes.
Each iteration first drops the per-text caches (n-gram counts, normalised texts, anger cues), so the same email is
paid for as a new message.
``parse_p50_ms`` is ``read_email``; ``classify_p50_ms`` is the model alone on the message
(``triage.service.classify``); ``triage_p50_ms`` is ``triage_message`` (classify, decide, compose).

Nasty-mail figures (issue 8) on messages generated here: ``mail_10mb_parse_s`` and ``mail_40mb_parse_s`` are
``parse_email`` on a short question with a 10 MB / 40 MB base64 attachment (best of a few runs, in this process);
``encoded_words_8000_parse_s`` on a Subject of 8,000 encoded-words; ``mail_40mb_rss_mb`` is the peak RSS of a
fresh child that imports the parser, reads the 40 MB mail and parses it. The goal is a 40 MB mail in <= 2 s: reported,
not asserted.
"""

from __future__ import annotations

import argparse
import base64
import compileall
import dataclasses
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from triage import local

FUNCTIONS_DIR = Path(__file__).resolve().parents[1]
REPO_DIR = FUNCTIONS_DIR.parent
DEFAULT_MODEL_DIR = REPO_DIR / "layers" / "model" / "triage-model"
DEFAULT_EMAIL = (
    REPO_DIR / "events" / "email" / "routine_order_tracking.eml"
)  # `triage bench`'s, as every round
ARTIFACT = "intent.npz"
CARD = "intent.card.json"
RESULT_MARKER = "BENCH_RESULT "

PARITY_TEXTS = (
    "Where is my order #A-48213? It was due on Monday.",
    "I want my money back for the broken chair",
    "How do I reset my password?",
    "Can I pay with PayPal?",
    "Please cancel my subscription to the newsletter",
    "",
)

# Each child gets its arguments on the command line, prints one marked JSON line, times from its first line.
# Peak RSS: VmHWM of the child's own address space. ``ru_maxrss`` is no good on Linux: it survives exec, and
# subprocess starts children with vfork, so every child would report at least this (large) process's peak.
_HEAD = """\
import time
_start, _wall_start = time.perf_counter(), time.time()
import json, sys
sys.path.insert(0, sys.argv[1])

def _report(figures):
    # With the wall clock at the first line and now, so the parent can tell the interpreter's start-up and exit.
    print(sys.argv[3] + json.dumps({**figures, "wall_start": _wall_start, "wall_end": time.time()}))

def _peak_rss_kb():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak
"""

_OURS = (
    _HEAD
    + """\
import triage_worker.app
_imported = time.perf_counter()
from triage.service import (
    load_emotion_model_or_none, load_model_or_none, load_risk_model_or_none, read_email, triage_message
)
from triage.settings import get_settings
settings = get_settings()
model = load_model_or_none(settings)
if model is None:
    sys.exit(f"the model in {settings.model_dir} did not load")
emotion = load_emotion_model_or_none(settings)
risk = load_risk_model_or_none(settings)
_loaded = time.perf_counter()
with open(sys.argv[2], "rb") as handle:
    raw = handle.read()
outcome = triage_message(read_email(raw, settings), model, settings, emotion_model=emotion, risk_model=risk)
_done = time.perf_counter()
_report({
    "total_s": _done - _start, "import_s": _imported - _start, "model_load_s": _loaded - _imported,
    "first_message_s": _done - _loaded, "peak_rss_kb": _peak_rss_kb(),
    "action": outcome.decision.action.value, "intent": outcome.decision.intent,
})
"""
)

_BASELINE = (
    _HEAD
    + """\
import triage_worker.app
_imported = time.perf_counter()
import joblib
from triage.policy import classification_text
from triage.service import read_email
from triage.settings import get_settings
settings = get_settings()
pipeline = joblib.load(sys.argv[4])
_loaded = time.perf_counter()
with open(sys.argv[2], "rb") as handle:
    raw = handle.read()
text = classification_text(read_email(raw, settings))
subject, _, body = text.partition("\\n")
views = [subject, text] if subject and body.strip() else [text]
proba = pipeline.predict_proba(views)
_done = time.perf_counter()
_report({
    "total_s": _done - _start, "import_s": _imported - _start, "model_load_s": _loaded - _imported,
    "first_message_s": _done - _loaded, "peak_rss_kb": _peak_rss_kb(),
    "intent": str(pipeline.classes_[proba.mean(axis=0).argmax()]),
})
"""
)

_PARSE = (
    _HEAD
    + """\
from triage.parsing.email import parse_email
with open(sys.argv[2], "rb") as handle:
    raw = handle.read()
_read = time.perf_counter()
message = parse_email(raw)
_done = time.perf_counter()
_report({
    "total_s": _done - _start, "parse_s": _done - _read, "peak_rss_kb": _peak_rss_kb(),
    "defects": list(message.defects),
})
"""
)

_FLOOR = (
    _HEAD
    + """\
import numpy
import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
# Any Powertools handler creates these at import; Tracer() is where the X-Ray SDK gets imported. It patches only
# botocore, as ours does: X-Ray's default would also import requests and sqlite3, which no handler needs.
Logger(service="floor"), Tracer(service="floor", patch_modules=["botocore"]), Metrics(namespace="floor")
_done = time.perf_counter()
_peak = _peak_rss_kb()
# Not part of the floor: with the argument "pydantic", what importing pydantic (the house's models, and Powertools'
# parser) adds on top of it. A separate run, so that the plain floor's process time does not include it.
_pydantic = None
if sys.argv[4:] == ["pydantic"]:
    from pydantic import BaseModel
    _pydantic = time.perf_counter() - _done
_report({"total_s": _done - _start, "peak_rss_kb": _peak, "pydantic_s": _pydantic})
"""
)


def compile_functions(root: Path = FUNCTIONS_DIR) -> None:
    """Write the bytecode of every module under ``root`` where it is missing or stale (``compileall`` writes it even
    where ``PYTHONDONTWRITEBYTECODE`` is set, which only stops the import system from caching)."""
    if not compileall.compile_dir(str(root), quiet=2):
        raise RuntimeError(f"cannot compile the modules under {root}")


def save_regex_code(python: str = sys.executable) -> None:
    """Write the phrase tables' compiled code for ``python`` (``triage.regex_code``, in a fresh interpreter), as the
    build ships it to Lambda for the runtime's Python."""
    saved = subprocess.run(  # noqa: S603 - this interpreter, running our own module
        [python, "-m", "triage.regex_code"],
        capture_output=True,
        text=True,
        check=False,
        cwd=str(FUNCTIONS_DIR),
        env={**os.environ, "PYTHONPATH": str(FUNCTIONS_DIR)},
    )
    if saved.returncode != 0:
        raise RuntimeError(f"cannot save the compiled regular expressions:\n{saved.stderr[-3000:]}")


# Set by the Lambda runtime in every execution environment. They change what the imports do: with LAMBDA_TASK_ROOT
# set, the X-Ray SDK samples in-process instead of building a botocore client for the X-Ray API twice (~90 ms and
# ~7 MB at import, never paid on Lambda), and Powertools' Tracer is on and patches botocore, as with the template's
# ``Tracing: Active``. No segment is sent: the children never invoke a handler.
LAMBDA_ENVIRONMENT = {
    "LAMBDA_TASK_ROOT": str(FUNCTIONS_DIR),
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
    "AWS_LAMBDA_FUNCTION_NAME": "triage-bench-triage-worker",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
    "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
    "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
    "POWERTOOLS_TRACE_DISABLED": "false",
}


def child_environment(model_dir: Path) -> dict[str, str]:
    """This process's environment plus what a deployed worker has: the Lambda runtime's variables, fake
    credentials, settings, the model."""
    names: dict[str, str] = {
        "bucket": "triage-bench-decisions",
        "triage_queue_url": f"https://sqs.{local.REGION}.amazonaws.com/{local.ACCOUNT}/triage-bench",
        "escalation_queue_url": f"https://sqs.{local.REGION}.amazonaws.com/{local.ACCOUNT}/escalation-bench",
        "table": "triage-bench-idempotency",
        "conversation_table": "triage-bench-conversations",
    }
    # Only the resources this version of the stack has (it grows as features land).
    fields = {field.name for field in dataclasses.fields(local.Stack)}
    stack = local.Stack(**{name: value for name, value in names.items() if name in fields})
    return {
        **os.environ,
        **LAMBDA_ENVIRONMENT,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": local.REGION,
        "AWS_REGION": local.REGION,
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "SupportTriage",
        "POWERTOOLS_SERVICE_NAME": "triage",
        "PYDANTIC_DISABLE_PLUGINS": "__all__",  # as template.yaml's Globals set it
        **stack.environment(),
        "MODEL_DIR": str(model_dir),
    }


def _run_child(
    code: str,
    env: Mapping[str, str],
    email: Path,
    *extra: str,
    python: Sequence[str] = (sys.executable,),
    functions_dir: Path = FUNCTIONS_DIR,
) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter (``python``: its command) with argv [functions dir, email, result
    marker, *extra]."""
    started, wall_started = time.perf_counter(), time.time()
    completed = subprocess.run(  # noqa: S603 - an interpreter we were given, running our own code
        [*python, "-c", code, str(functions_dir), str(email), RESULT_MARKER, *extra],
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
        cwd=str(REPO_DIR),
    )
    wall, wall_ended = time.perf_counter() - started, time.time()
    lines = [line for line in completed.stdout.splitlines() if line.startswith(RESULT_MARKER)]
    if completed.returncode != 0 or not lines:
        raise RuntimeError(
            f"benchmark child failed (exit {completed.returncode}):\n{completed.stderr[-3000:]}"
            f"{completed.stdout[-2000:]}"
        )
    result: dict[str, Any] = json.loads(lines[-1][len(RESULT_MARKER) :])
    # The interpreter's start-up (before the child's first line) and exit (after its report): in process_s, not in
    # total_s. Read off the wall clock, which parent and child share.
    result["process_s"] = wall
    result["startup_s"] = result.pop("wall_start") - wall_started
    result["exit_s"] = wall_ended - result.pop("wall_end")
    return result


def _median(runs: Sequence[Mapping[str, Any]], key: str) -> float:
    return float(statistics.median(float(run[key]) for run in runs))


def sklearn_pipeline(model_dir: Path) -> Any:
    """The linear tier of ``intent.npz`` as a scikit-learn Pipeline (FeatureUnion of TF-IDF blocks → LR)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    from triage.classifier import terms_of
    from triage.features import normalise

    card = json.loads((model_dir / CARD).read_text(encoding="utf-8"))
    with np.load(model_dir / ARTIFACT, allow_pickle=False) as arrays:
        blocks = []
        for spec in card["features"]:
            name = spec["name"]
            vectorizer = TfidfVectorizer(
                analyzer="char_wb" if spec["analyzer"] == "char" else "word",
                preprocessor=normalise,
                ngram_range=(int(spec["ngram_range"][0]), int(spec["ngram_range"][1])),
                sublinear_tf=bool(spec["sublinear_tf"]),
                dtype=np.float64,
            )
            terms = terms_of(arrays, name)
            vectorizer.vocabulary_ = {str(term): i for i, term in enumerate(terms)}
            vectorizer.fixed_vocabulary_ = True
            vectorizer.idf_ = arrays[f"{name}_idf"].astype(np.float64)
            blocks.append((name, vectorizer))
        classifier = LogisticRegression()
        classifier.classes_ = np.array([str(label) for label in arrays["labels"]])
        classifier.coef_ = arrays["linear_coef"].astype(np.float64)
        classifier.intercept_ = arrays["linear_intercept"].astype(np.float64)
        classifier.n_features_in_ = classifier.coef_.shape[1]
    return Pipeline([("features", FeatureUnion(blocks)), ("model", classifier)])


def check_parity(pipeline: Any, model: Any, texts: Sequence[str]) -> None:
    """The rebuilt pipeline must predict as the numpy scorer does, else the baseline measures another model."""
    ours = [model.labels[i] for i in np.asarray(model.predict_proba(list(texts))).argmax(axis=1)]
    theirs = [str(label) for label in pipeline.predict(list(texts))]
    if ours != theirs:
        raise RuntimeError(f"scikit-learn rebuild disagrees with the numpy scorer: {ours} != {theirs}")


def _percentile_ms(values: Any, q: float) -> float:
    return float(np.percentile(values, q) * 1000.0)


def _warm(model_dir: Path, raw: bytes, env: Mapping[str, str], iterations: int) -> dict[str, Any]:
    wanted = {name: value for name, value in env.items() if os.environ.get(name) != value}
    with local.environment(wanted):
        from triage.classifier import load_model
        from triage.service import (
            classify,
            load_emotion_model_or_none,
            load_risk_model_or_none,
            read_email,
            triage_message,
        )
        from triage.settings import Settings

        settings = Settings.from_env(model_dir=model_dir)
        model = load_model(model_dir)
        # What the worker runs: the emotion and risk heads too, when the model directory has them.
        emotion = load_emotion_model_or_none(settings)
        risk = load_risk_model_or_none(settings)
        for _ in range(max(5, min(200, iterations // 10))):
            triage_message(read_email(raw, settings), model, settings, emotion_model=emotion, risk_model=risk)
        parse = np.empty(iterations)
        classify_only = np.empty(iterations)
        triage = np.empty(iterations)
        from triage import classifier, cues

        def forget_texts() -> None:  # every iteration pays for its n-grams and cues, as a new message would
            classifier.forget_texts()
            cues.forget_texts()

        for i in range(iterations):
            forget_texts()
            started = time.perf_counter()
            message = read_email(raw, settings)
            parsed = time.perf_counter()
            classify(message, model)
            classified = time.perf_counter()
            forget_texts()
            triage_message(message, model, settings, emotion_model=emotion, risk_model=risk)
            done = time.perf_counter()
            parse[i], classify_only[i], triage[i] = parsed - started, classified - parsed, done - classified
    per_message = parse + triage
    return {
        "warm_p50_ms": _percentile_ms(per_message, 50),
        "warm_p99_ms": _percentile_ms(per_message, 99),
        "throughput_msgs_per_s": float(iterations / per_message.sum()),
        "parse_p50_ms": _percentile_ms(parse, 50),
        "classify_p50_ms": _percentile_ms(classify_only, 50),
        "triage_p50_ms": _percentile_ms(triage, 50),
    }


def big_mail(megabytes: int) -> bytes:
    """A short question with one base64 attachment making the message ``megabytes`` MB (SES takes up to 40 MB)."""
    line = base64.b64encode(bytes(range(256)) * 3)[:76] + b"\r\n"
    head = (
        b"From: Ana <ana@example.com>\r\nTo: support@example.org\r\nSubject: Scan of my invoice\r\n"
        b"Message-ID: <bench-big@example.com>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Hello, where is my refund? The invoice is attached.\r\n--b1\r\n"
        b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        b"Content-Disposition: attachment; filename=invoice.pdf\r\n\r\n"
    )
    tail = b"--b1--\r\n"
    count = max(0, (megabytes * 1024 * 1024 - len(head) - len(tail)) // len(line))
    return head + line * count + tail


def encoded_words_mail(count: int = 8000) -> bytes:
    """A Subject of ``count`` encoded-words (quadratic header parsing, cpython#136063)."""
    subject = " ".join(f"=?utf-8?q?w=C3=B6rd{i}?=" for i in range(count))
    return (
        f"From: ana@example.com\r\nTo: support@example.org\r\nSubject: {subject}\r\n\r\nWhere is my order?\r\n"
    ).encode()


def _best_parse_s(raw: bytes, repeats: int) -> float:
    from triage.parsing.email import parse_email

    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        parse_email(raw)
        best = min(best, time.perf_counter() - started)
    return best


def nasty_mail_figures(env: Mapping[str, str], scratch: Path) -> dict[str, Any]:
    """Parse time of a 10 MB, a 40 MB and an 8,000-encoded-word mail; peak RSS of a child parsing the 40 MB one."""
    mail_10mb = big_mail(10)
    result: dict[str, Any] = {"mail_10mb_parse_s": _best_parse_s(mail_10mb, 3)}
    del mail_10mb
    mail_40mb = big_mail(40)
    result["mail_40mb_parse_s"] = _best_parse_s(mail_40mb, 2)
    path = scratch / "mail_40mb.eml"
    path.write_bytes(mail_40mb)
    del mail_40mb
    child = _run_child(_PARSE, env, path)
    result["mail_40mb_rss_mb"] = child["peak_rss_kb"] / 1024
    result["mail_40mb_child_parse_s"] = child["parse_s"]
    result["encoded_words_8000_parse_s"] = _best_parse_s(encoded_words_mail(8000), 3)
    return result


def run_bench(
    model_dir: Path, email: Path, *, iterations: int = 2000, repeats_cold: int = 5
) -> dict[str, Any]:
    """Cold start (ours, scikit-learn, import floor), peak RSS and warm latency; see the module docstring."""
    if iterations < 1 or repeats_cold < 1:
        raise ValueError("iterations and repeats_cold must be at least 1")
    import joblib

    from triage.classifier import load_model
    from triage.policy import classification_text
    from triage.service import read_email
    from triage.settings import Settings

    model_dir, email = model_dir.resolve(), email.resolve()
    raw = email.read_bytes()
    env = child_environment(model_dir)
    model = load_model(model_dir)
    pipeline = sklearn_pipeline(model_dir)
    email_text = classification_text(read_email(raw, Settings.from_env()))
    check_parity(pipeline, model, [*PARITY_TEXTS, email_text])
    compile_functions()
    save_regex_code()

    ours: list[dict[str, Any]] = []
    baseline: list[dict[str, Any]] = []
    floor: list[dict[str, Any]] = []
    floor_pydantic: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="triage-bench-") as scratch:
        dumped = Path(scratch) / "pipeline.joblib"
        joblib.dump(pipeline, dumped)
        baseline_bytes = dumped.stat().st_size
        nasty = nasty_mail_figures(env, Path(scratch))
        for _ in range(repeats_cold):  # interleaved, so drift on the machine hits all three alike
            ours.append(_run_child(_OURS, env, email))
            baseline.append(_run_child(_BASELINE, env, email, str(dumped)))
            floor.append(_run_child(_FLOOR, env, email))
            floor_pydantic.append(_run_child(_FLOOR, env, email, "pydantic"))

    cold = _median(ours, "total_s")
    baseline_cold = _median(baseline, "total_s")
    result: dict[str, Any] = {
        "cold_start_s": cold,
        "cold_start_process_s": _median(ours, "process_s"),
        "cold_start_breakdown_s": {
            key: _median(ours, key) for key in ("import_s", "model_load_s", "first_message_s")
        },
        "baseline_cold_start_s": baseline_cold,
        "baseline_cold_start_process_s": _median(baseline, "process_s"),
        "baseline_cold_start_breakdown_s": {
            key: _median(baseline, key) for key in ("import_s", "model_load_s", "first_message_s")
        },
        "cold_start_ratio": baseline_cold / cold,
        "import_floor_s": _median(floor, "total_s"),
        "import_floor_process_s": _median(floor, "process_s"),
        # What process_s adds to total_s: start-up (Lambda pays it before any handler) and exit (no cold start does).
        "interpreter_s": {
            name: {"startup_s": _median(runs, "startup_s"), "exit_s": _median(runs, "exit_s")}
            for name, runs in (("ours", ours), ("baseline", baseline), ("import_floor", floor))
        },
        "pydantic_import_s": _median(floor_pydantic, "pydantic_s"),
        "rss_mb": _median(ours, "peak_rss_kb") / 1024,
        "baseline_rss_mb": _median(baseline, "peak_rss_kb") / 1024,
        "import_floor_rss_mb": _median(floor, "peak_rss_kb") / 1024,
        "artifact_mb": (model_dir / ARTIFACT).stat().st_size / 1e6,
        "baseline_artifact_mb": baseline_bytes / 1e6,
        "cold_start_decision": {"action": ours[-1]["action"], "intent": ours[-1]["intent"]},
        "baseline_intent": baseline[-1]["intent"],
    }
    result |= _warm(model_dir, raw, env, iterations)
    result |= nasty
    result |= {
        "iterations": iterations,
        "repeats_cold": repeats_cold,
        "model_dir": str(model_dir),
        "model_version": str(model.version),
        "email": str(email),
        "python": platform.python_version(),
        "machine": platform.platform(),
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count() or 0,
    }
    return result


def _tree_mb(root: Path, pattern: str = "*") -> float:
    return sum(path.stat().st_size for path in root.rglob(pattern) if path.is_file()) / 1e6


def _strip_bytecode(*roots: Path) -> None:
    for root in roots:
        for cache in list(root.rglob("__pycache__")):
            shutil.rmtree(cache)


def run_deployed(python: str, model_dir: Path, email: Path, repeats_cold: int = 5) -> dict[str, Any]:
    """The worker's cold start as deployed: the dependencies layer and the function built by the Makefile targets
    ``sam build`` runs, imported by ``python`` (the runtime's version, e.g. python3.12) from those trees with no
    bytecode writes (Lambda's code and layers are read-only), once with the bytecode the build ships and once
    without it. The wheels are this machine's architecture (so they run here), not the runtime's arm64.

    ``PYTHONPATH`` puts the layer and the runtime's boto3 (installed here, compiled by pip, as the runtime's own)
    ahead of that interpreter's own site-packages, as Lambda's runtime does.
    """
    if repeats_cold < 1:
        raise ValueError("repeats_cold must be at least 1")
    try:
        probe = subprocess.run(  # noqa: S603 - the interpreter the user named
            [python, "-c", "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as error:
        raise ValueError(f"cannot run {python}: {error.strerror or error}") from None
    if probe.returncode != 0:
        raise ValueError(f"cannot run {python}: {probe.stderr.strip()[-300:] or 'no output'}")
    version = probe.stdout.strip()
    arch = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}.get(
        platform.machine().lower()
    )
    if arch is None:
        raise ValueError(f"no manylinux wheels for this machine ({platform.machine()})")
    make = shutil.which("make")
    if make is None:
        raise ValueError("needs make (the layer and the function are built by the Makefile)")
    model_dir, email = model_dir.resolve(), email.resolve()
    with tempfile.TemporaryDirectory(prefix="triage-deployed-") as scratch:
        work = Path(scratch)
        layer, function, runtime = work / "layer", work / "function", work / "runtime"
        variables = [f"LAMBDA_PYTHON={version}", f"PYC_PYTHON={python}", f"PYTHON={sys.executable}"]
        for target, artifacts in (
            (f"build-DependenciesLayer LAMBDA_PLATFORM=manylinux2014_{arch}", layer),
            ("build-TriageWorkerFunction", function),
        ):
            command = [make, "--no-print-directory", "-C", str(REPO_DIR), *target.split()]
            built = subprocess.run(  # noqa: S603 - our own Makefile
                [*command, f"ARTIFACTS_DIR={artifacts}", *variables],
                capture_output=True,
                text=True,
                check=False,
            )
            if built.returncode != 0 or "WARNING: " + python in built.stderr:
                raise RuntimeError(f"make {target} failed:\n{built.stderr[-3000:]}")
        installed = subprocess.run(  # noqa: S603 - the interpreter the user named
            [python, "-m", "pip", "install", "--quiet", "--target", str(runtime), "boto3"],
            capture_output=True,
            text=True,
            check=False,
        )
        if installed.returncode != 0:
            raise RuntimeError(f"installing boto3 for {python} failed:\n{installed.stderr[-3000:]}")
        env = child_environment(model_dir) | {
            "LAMBDA_TASK_ROOT": str(function),
            "PYTHONPATH": f"{layer / 'python'}:{runtime}",
            "PYTHONDONTWRITEBYTECODE": "1",
            # The config layer's files, where the function tree has no infra/ beside it.
            "POLICY_FILE": str(REPO_DIR / "infra" / "policy.json"),
            "TEMPLATES_DIR": str(REPO_DIR / "infra" / "templates"),
            "ROUTING_FILE": str(REPO_DIR / "infra" / "routing.json"),
        }
        layer_mb, bytecode_mb = _tree_mb(layer), _tree_mb(layer, "*.pyc")

        def measure() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            ours, floor = [], []
            for _ in range(repeats_cold):
                ours.append(_run_child(_OURS, env, email, python=(python,), functions_dir=function))
                floor.append(
                    _run_child(_FLOOR, env, email, "pydantic", python=(python,), functions_dir=function)
                )
            return ours, floor

        shipped, shipped_floor = measure()
        _strip_bytecode(layer, function)
        bare, bare_floor = measure()
    return {
        "deployed_python": version,
        "deployed_wheels": f"manylinux2014_{arch}",
        "deployed_cold_start_s": _median(shipped, "total_s"),
        "deployed_cold_start_no_bytecode_s": _median(bare, "total_s"),
        "deployed_import_floor_s": _median(shipped_floor, "total_s"),
        "deployed_import_floor_no_bytecode_s": _median(bare_floor, "total_s"),
        "deployed_pydantic_import_s": _median(shipped_floor, "pydantic_s"),
        "deployed_rss_mb": _median(shipped, "peak_rss_kb") / 1024,
        "deployed_decision": {"action": shipped[-1]["action"], "intent": shipped[-1]["intent"]},
        "layer_mb": layer_mb,
        "layer_bytecode_mb": bytecode_mb,
        "repeats_cold": repeats_cold,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m triage.bench", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--email", type=Path, default=DEFAULT_EMAIL)
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--repeats-cold", type=int, default=5)
    args = parser.parse_args(argv)
    result = run_bench(args.model_dir, args.email, iterations=args.iterations, repeats_cold=args.repeats_cold)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
