"""Per-provider API credentials, read by the caller from one Secrets Manager JSON secret per provider."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

PROVIDERS = ("zendesk", "freshdesk", "intercom", "helpscout", "front", "gorgias", "generic")

# Keys each provider's secret must hold. Other keys are allowed and passed through (the optional ones are named
# in each vendor module: e.g. front ``author_id``, intercom ``intercom_version``).
REQUIRED_KEYS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "zendesk": ("subdomain", "email", "api_token"),
        "freshdesk": ("domain", "api_key"),
        "intercom": ("access_token", "admin_id"),
        "helpscout": ("access_token",),
        "front": ("api_token",),
        "gorgias": ("domain", "username", "api_key"),
        "generic": ("base_url", "token"),
    }
)


class CredentialsError(ValueError):
    """The secret is unusable. The message names keys, never values."""


@dataclass(frozen=True)
class Credentials:
    """One provider's credentials. ``values`` is kept out of ``repr`` so a traceback or a log line cannot leak it."""

    provider: str
    values: Mapping[str, str] = field(repr=False)

    def __post_init__(self) -> None:
        if self.provider not in PROVIDERS:
            raise CredentialsError(
                f"unknown helpdesk provider {self.provider!r}; expected one of {', '.join(PROVIDERS)}"
            )
        missing = [key for key in REQUIRED_KEYS[self.provider] if not str(self.values.get(key, "")).strip()]
        if missing:
            raise CredentialsError(f"{self.provider} credentials are missing {', '.join(missing)}")
        # A read-only copy: the caller's dict cannot change the credentials after validation.
        object.__setattr__(
            self, "values", MappingProxyType({key: str(value) for key, value in self.values.items()})
        )

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(key, default).strip()

    def __getitem__(self, key: str) -> str:
        return self.values[key].strip()

    @classmethod
    def from_json(cls, provider: str, text: str) -> Credentials:
        """Parse a Secrets Manager ``SecretString``: a JSON object of string (or number) values."""
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, TypeError):
            # The decoder's message quotes the document, which is the secret: say only where it broke.
            raise CredentialsError(f"{provider} credentials are not valid JSON") from None
        if not isinstance(data, dict):
            raise CredentialsError(f"{provider} credentials must be a JSON object")
        bad = sorted(
            key for key, value in data.items() if not isinstance(value, str | int) or isinstance(value, bool)
        )
        if bad:
            raise CredentialsError(f"{provider} credentials must hold strings; not so for {', '.join(bad)}")
        return cls(provider=provider, values={str(key): str(value) for key, value in data.items()})
