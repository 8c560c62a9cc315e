"""Shared fixtures: the bundled model, default settings, and a moto account with the stack's resources."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from triage import cues, entities, local, runtime, topics, urgency
from triage.classifier import IntentModel, load_model
from triage.cues import Phrases
from triage.settings import Settings

pytest_plugins = [
    "log_leak_plugin",  # fails the session on any address, subject or body in a log line
    "iam_plugin",  # fails the session on any AWS call a handler makes that its template policy does not allow
]

REPO = Path(__file__).resolve().parents[1]
EVENTS = REPO / "events"
EMAIL_CASES = sorted((EVENTS / "email").glob("*.eml"))
SHARED_DATA = REPO.parent / "shared" / "data"


def _phrase_tables() -> Iterator[tuple[str, Phrases]]:
    for module in (cues, topics, urgency, entities):
        for name, value in vars(module).items():
            if isinstance(value, Phrases):
                yield f"{module.__name__}.{name}", value
            elif isinstance(value, dict):
                for key, table in value.items():
                    if isinstance(table, Phrases):
                        yield f"{module.__name__}.{name}[{key}]", table


PHRASE_TABLES = dict(_phrase_tables())  # every phrase table of the code, by module, name (and key)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
def model(settings: Settings) -> IntentModel:
    return load_model(settings.model_dir)


@pytest.fixture
def stack() -> Iterator[local.Stack]:
    """A fresh moto account holding the bucket, queues, idempotency table and SES identity; env set for handlers."""
    from moto import mock_aws

    local.fake_credentials()
    with mock_aws():
        runtime.reset()
        created = local.create_stack("test")
        with local.environment(created.environment()):
            yield created
        runtime.reset()
