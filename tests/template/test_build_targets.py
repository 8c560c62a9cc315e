"""The Makefile targets `sam build` runs: every function and makefile-built layer has one, and the functions ship
bytecode compiled for the runtime (Lambda's code is read-only, so Python cannot cache what it compiles there).

The runtime is python3.12; these tests build with the interpreter running them (``LAMBDA_PYTHON`` set to its
version), which exercises the same recipe.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

ROOT = Path(__file__).resolve().parents[2]
THIS_PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"
CHECKED_HASH = 0b11  # PEP 552 flags: hash-based, check the source

MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="needs make")


def _make(target: str, *variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MAKE), "--no-print-directory", "-C", str(ROOT), target, *variables],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _resources() -> dict[str, dict[str, Any]]:
    """The template's resources (Fn::ForEach blocks, which hold no function or layer, left out)."""
    template = json.loads(json.dumps(cfn_yaml.load(str(ROOT / "template.yaml"))))
    return {name: value for name, value in template["Resources"].items() if isinstance(value, dict)}


def _build_worker(artifact: Path, lambda_python: str) -> subprocess.CompletedProcess[str]:
    """``make build-TriageWorkerFunction`` into ``artifact``, compiling with this interpreter for ``lambda_python``."""
    built = _make(
        "build-TriageWorkerFunction",
        f"ARTIFACTS_DIR={artifact}",
        f"PYC_PYTHON={sys.executable}",
        f"LAMBDA_PYTHON={lambda_python}",
    )
    assert built.returncode == 0, built.stderr
    return built


def test_every_function_is_built_by_the_makefile_and_every_makefile_resource_has_a_target() -> None:
    resources = _resources()
    functions = [name for name, r in resources.items() if r["Type"] == "AWS::Serverless::Function"]
    built = [name for name, r in resources.items() if r.get("Metadata", {}).get("BuildMethod") == "makefile"]
    assert functions
    assert set(functions) <= set(built)
    for name in built:
        dry_run = _make(f"build-{name}", "-n", "ARTIFACTS_DIR=/nonexistent")
        assert dry_run.returncode == 0, f"no Makefile target build-{name}: {dry_run.stderr}"


def test_a_function_ships_its_code_with_bytecode_that_python_loads_instead_of_compiling(
    tmp_path: Path,
) -> None:
    artifact = tmp_path / "worker"
    built = _build_worker(artifact, THIS_PYTHON)
    assert "WARNING" not in built.stderr
    assert {"triage", "triage_worker", "email_intake", "webhook_intake"} <= {
        p.name for p in artifact.iterdir()
    }
    assert not list(artifact.glob("*.egg-info"))

    sources = sorted(artifact.rglob("*.py"))
    assert len(sources) > 30
    for source in sources:
        cached = source.parent / "__pycache__" / f"{source.stem}.{sys.implementation.cache_tag}.pyc"
        assert int.from_bytes(cached.read_bytes()[4:8], "little") == CHECKED_HASH, cached
    # In a read-only tree (-B) Python loads the worker's modules from the shipped .pyc: it compiles none of them.
    assert _compiled_on_import(artifact) == []


def _compiled_on_import(artifact: Path) -> list[str]:
    """The artifact's sources a fresh interpreter compiles while importing the worker's handler."""
    spy = f"""
import json, sys, importlib._bootstrap_external as external
compiled, original = [], external.SourceLoader.source_to_code
def source_to_code(self, data, path, *args, **kwargs):
    compiled.append(path)
    return original(self, data, path, *args, **kwargs)
external.SourceLoader.source_to_code = source_to_code
import triage.classifier, triage.policy, triage.parsing.email
print(json.dumps([path for path in compiled if path.startswith({str(artifact)!r})]))
"""
    run = subprocess.run(
        [sys.executable, "-B", "-c", spy],
        env={"PYTHONPATH": str(artifact), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    compiled: list[str] = json.loads(run.stdout)
    return compiled


def test_without_an_interpreter_of_the_runtime_version_the_build_warns_and_ships_sources(
    tmp_path: Path,
) -> None:
    artifact = tmp_path / "worker"
    built = _build_worker(artifact, "3.99")
    assert "is not Python 3.99" in built.stderr
    assert "Set PYC_PYTHON" in built.stderr
    assert (artifact / "triage" / "classifier.py").is_file()
    assert not list(artifact.rglob("*.pyc"))
    assert f"{artifact}/triage/classifier.py" in _compiled_on_import(
        artifact
    )  # every cold start would compile it


def test_the_layers_that_run_the_projects_code_stop_with_advice_when_its_virtualenv_is_missing(
    tmp_path: Path,
) -> None:
    for layer in ("ConfigLayer", "EncoderLayer"):
        built = _make(f"build-{layer}", f"ARTIFACTS_DIR={tmp_path / layer}", "VENV=.venv-that-does-not-exist")
        assert built.returncode != 0
        assert "run `make sam-build`" in built.stderr
        assert not (tmp_path / layer).exists()  # stopped before building anything


def test_sam_cli_is_told_to_expand_the_templates_for_each_loops_wherever_it_reads_the_template() -> None:
    """SAM CLI (>= 1.161) expands ``Fn::ForEach`` locally only when asked: without it, build, validate and deploy
    (which packages) fail on the team queues with "'list' object has no attribute 'get'"."""
    template = json.loads(json.dumps(cfn_yaml.load(str(ROOT / "template.yaml"))))
    assert any(name.startswith("Fn::ForEach::") for name in template["Resources"])
    config = tomllib.loads((ROOT / "infra" / "samconfig.toml").read_text(encoding="utf-8"))
    environments = {name for name in config if isinstance(config[name], dict)}
    assert {"default", "prod"} <= environments
    for environment in environments:
        for command in ("build", "deploy"):
            parameters = config[environment][command]["parameters"]
            assert parameters.get("language_extensions") is True, (environment, command)
    assert config["default"]["validate"]["parameters"].get("language_extensions") is True
