"""What every handler module does around its imports: the collector is off while they run, then what they built goes
to the collector's permanent generation and collection is back on (``triage.runtime.keep_imported_objects``). And
what the tracer patches: botocore everywhere, requests only in the helpdesk sender (``triage.observability``). And what
they leave out: sqlite3, and Powertools' parser event models."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from triage import bench

HANDLERS = ("email_intake", "faq_miner", "helpdesk_sender", "triage_worker", "webhook_intake")
# Powertools' batch utility, imported once pydantic is, imports every event model of its parser (SQS, DynamoDB
# streams, Kinesis, Kafka: ~60 ms of cold start) for type hints alone; imported before pydantic, none of them.
PARSER_MODELS = "aws_lambda_powertools.utilities.parser.models"

# A fresh interpreter, as Lambda starts one: nothing but the handler module imported. Collections are counted by a
# callback registered before the import.
_CHILD = """\
import gc, json, sys
PARSER_MODELS = sys.argv[2]
sys.path.insert(0, sys.argv[1])
collections = []
gc.callbacks.append(lambda phase, info: collections.append(info["generation"]) if phase == "start" else None)
import {name}.app
during = len(collections)
enabled, frozen = gc.isenabled(), gc.get_freeze_count()
gc.unfreeze()
import botocore.client
patched = lambda function: hasattr(function, "__wrapped__")  # X-Ray patches through wrapt
requests = sys.modules.get("requests")
print(json.dumps({{
    "during": during, "enabled": enabled, "frozen": frozen, "garbage": gc.collect(),
    "botocore_patched": patched(botocore.client.BaseClient._make_api_call),
    "requests_patched": requests is not None and patched(requests.Session.request),
    "imported": sorted(name for name in ("requests", "sqlite3", PARSER_MODELS) if name in sys.modules),
}}))
"""


@pytest.mark.parametrize("name", HANDLERS)
def test_a_handler_module_imports_without_collecting_and_leaves_its_imports_frozen(name: str) -> None:
    bench.compile_functions()  # as deployed: compiling app.py from source would allocate before its first line runs
    # The Lambda runtime's variables, tracing on: what the imports do depends on them (see bench.LAMBDA_ENVIRONMENT).
    env = bench.child_environment(bench.DEFAULT_MODEL_DIR.resolve())
    completed = subprocess.run(
        [sys.executable, "-c", _CHILD.format(name=name), str(bench.FUNCTIONS_DIR), PARSER_MODELS],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    seen = json.loads(completed.stdout)
    # The imports ran without a collection: without gc.disable() they trigger a few hundred.
    assert seen["during"] == 0
    assert seen["enabled"] is True
    assert seen["frozen"] > 50_000  # Powertools, boto3, pydantic and our modules
    # What was frozen holds next to no garbage. Outside Lambda it would not: there the X-Ray SDK builds a botocore
    # client for its sampling rules at import, and leaves ~27k objects of parsed service model behind.
    assert seen["garbage"] < 1_000
    assert seen["botocore_patched"] is True
    # requests is patched (and imported) only where it is called; X-Ray's patch_all would import it and sqlite3
    # into every function. No function imports the parser's event models (see PARSER_MODELS).
    assert seen["requests_patched"] is (name == "helpdesk_sender")
    assert seen["imported"] == (["requests"] if name == "helpdesk_sender" else [])
