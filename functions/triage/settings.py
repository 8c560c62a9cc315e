"""Every knob of the stack in one pydantic model, read once from the environment.

The environment variable of a field is its name in upper case (``triage_queue_url`` → ``TRIAGE_QUEUE_URL``).
A malformed value fails loudly at first use, naming the variable, instead of half-working. A plain pydantic model
with a few lines of environment reading, not pydantic-settings: that costs ~45 ms of cold start for no gain here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

_REPO_MODEL_DIR = Path(__file__).resolve().parents[2] / "layers" / "model" / "triage-model"
_LAYER_MODEL_DIR = Path("/opt/triage-model")

_REPO_INFRA_DIR = Path(__file__).resolve().parents[2] / "infra"
_LAYER_CONFIG_DIR = Path("/opt/triage-config")


def _default_model_dir() -> Path:
    return _LAYER_MODEL_DIR if _LAYER_MODEL_DIR.is_dir() else _REPO_MODEL_DIR


def _config_dir() -> Path:
    """The config layer in Lambda (policy and templates), the repository's ``infra/`` elsewhere."""
    return _LAYER_CONFIG_DIR if _LAYER_CONFIG_DIR.is_dir() else _REPO_INFRA_DIR


class SettingsError(ValueError):
    """The environment holds a value the stack cannot run with."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    triage_queue_url: str = ""
    escalation_queue_url: str = ""
    idempotency_table: str = ""
    decision_log_bucket: str = Field("", description="Bucket that keeps one JSON record per decision.")
    decision_log_prefix: str = "decisions/"
    reply_from_address: str = "support@example.com"
    reply_from_name: str = "Customer Support"
    reply_signature: str = "The Customer Support team"
    help_center_url: str = "https://help.example.com"
    loop_token: str = Field("support-triage", description="Value of our loop header; set one per deployment.")
    support_addresses: tuple[str, ...] = Field(
        (), description="Our own receiving addresses (comma separated): mail from them is a loop."
    )
    relay_lists: tuple[str, ...] = Field(
        (),
        description=(
            "List-Ids (comma separated) of our own groups that pass customers' mail on to the address SES receives "
            "at; their list headers do not make the mail list mail. A Google Group at one of our addresses is "
            "known without it (support@example.com: support.example.com)."
        ),
    )
    policy_file: Path = Field(
        default_factory=lambda: _config_dir() / "policy.json",
        description="Policy profiles per segment, routing and caps (infra/policy.json).",
    )
    templates_dir: Path = Field(
        default_factory=lambda: _config_dir() / "templates", description="Per-intent reply templates."
    )
    conversation_table: str = Field(
        "", description="DynamoDB table of threads, senders' caps and share counters; empty = in memory."
    )
    context_retention_days: int = Field(
        90, ge=1, le=3650, description="Days the conversation store keeps each contact (DynamoDB TTL)."
    )
    customer_table: str = Field("", description="Optional DynamoDB table: customer email address → segment.")
    model_dir: Path = Field(default_factory=_default_model_dir)
    use_encoder: bool = Field(
        True, description="Let the encoder tier decide what the fast tier is unsure of."
    )
    encoder_dir: Path | None = Field(
        None, description="Sentence-encoder files; default: layer or installed package."
    )
    webhook_secret_prefix: str = Field(
        "triage/webhooks/", description="Secrets Manager name prefix of each provider's webhook secrets."
    )
    helpdesk_secret_prefix: str = Field(
        "triage/helpdesk/", description="Secrets Manager name prefix of each provider's API credentials."
    )
    escalation_queue_prefix: str = Field(
        "",
        description="Name prefix of the team queues (<prefix><team>-<priority>); empty = ESCALATION_QUEUE_URL only.",
    )
    routing_file: Path = Field(
        default_factory=lambda: _config_dir() / "routing.json",
        description="Teams and priorities (infra/routing.json).",
    )
    summariser: Literal["extractive", "bedrock"] = Field(
        "extractive",
        description="Who writes the agent's summary; bedrock falls back to extractive on any error.",
    )
    bedrock_model_id: str = ""
    bedrock_region: str = "us-east-1"
    faq_match_threshold: float = Field(
        0.925,
        ge=0.5,
        le=1.0,
        description="Cosine to an approved FAQ question needed to answer with it (measured).",
    )
    outbox_queue_url: str = Field("", description="Queue of replies and notes to post back to helpdesks.")
    ses_configuration_set: str = ""
    idempotency_ttl_seconds: int = Field(7 * 24 * 3600, ge=60)
    aws_endpoint_url: str | None = None

    @field_validator("support_addresses", "relay_lists", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(item.strip().lower() for item in value.split(",") if item.strip())
        return value

    @property
    def reply_domain(self) -> str:
        return self.reply_from_address.rpartition("@")[2].lower()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Fields from their upper-case environment variables (unset ones keep their defaults)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {
            name: environ[name.upper()] for name in cls.model_fields if name.upper() in environ
        }
        try:
            return cls(**(values | overrides))
        except ValidationError as error:
            problems = "; ".join(
                f"{str(item['loc'][0]).upper() if item['loc'] else '?'}: {item['msg']}"
                for item in error.errors()
            )
            raise SettingsError(f"invalid settings in the environment: {problems}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process; read on first use (never at import), then cached."""
    return Settings.from_env()
