"""What every handler module does around its imports: the collector is off while they run, then what they built goes
to the collector's permanent generation and collection is back on (``triage.runtime.keep_imported_objects``), and
the garbage Powertools' Tracer leaves is collected first (``triage.observability``)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from triage import bench

HANDLERS = ("email_intake", "faq_miner", "helpdesk_sender", "triage_worker", "webhook_intake")

# A fresh interpreter, as Lambda starts one: nothing but the handler module imported. Collections are counted by a
# callback registered before the import.
_CHILD = """\
import gc, json, sys
sys.path.insert(0, sys.argv[1])
collections = []
gc.callbacks.append(lambda phase, info: collections.append(info["generation"]) if phase == "start" else None)
import {name}.app
during = len(collections)
enabled, frozen = gc.isenabled(), gc.get_freeze_count()
gc.unfreeze()
print(json.dumps({{"during": during, "enabled": enabled, "frozen": frozen, "garbage": gc.collect()}}))
"""


@pytest.mark.parametrize("name", HANDLERS)
def test_a_handler_module_imports_without_collecting_and_leaves_its_imports_frozen(name: str) -> None:
    bench.compile_functions()  # as deployed: compiling app.py from source would allocate before its first line runs
    env = bench.child_environment(bench.DEFAULT_MODEL_DIR.resolve())
    completed = subprocess.run(
        [sys.executable, "-c", _CHILD.format(name=name), str(bench.FUNCTIONS_DIR)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    seen = json.loads(completed.stdout)
    # Besides the one collection after Tracer() (triage.observability), the imports ran without any: without
    # gc.disable() they trigger a few hundred.
    assert seen["during"] == 1
    assert seen["enabled"] is True
    assert seen["frozen"] > 50_000  # Powertools, boto3, pydantic and our modules
    # What was frozen holds next to no garbage: the X-Ray SDK's ~27k objects were collected before the freeze.
    assert seen["garbage"] < 1_000
