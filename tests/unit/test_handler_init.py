"""What every handler module does last at import: the objects the imports built go to the collector's permanent
generation (``triage.runtime.keep_imported_objects``), so no full collection walks them again."""

from __future__ import annotations

import subprocess
import sys

import pytest

from triage import bench

HANDLERS = ("email_intake", "faq_miner", "helpdesk_sender", "triage_worker", "webhook_intake")


@pytest.mark.parametrize("name", HANDLERS)
def test_a_handler_module_leaves_its_imports_frozen(name: str) -> None:
    # A fresh interpreter, as Lambda starts one: nothing but the handler module imported.
    env = bench.child_environment(bench.DEFAULT_MODEL_DIR.resolve())
    code = f"import gc, sys; sys.path.insert(0, {str(bench.FUNCTIONS_DIR)!r}); import {name}.app; print(gc.get_freeze_count())"
    frozen = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert int(frozen) > 50_000  # Powertools, boto3, pydantic and our modules
