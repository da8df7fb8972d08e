"""Secrets by dotted name, from the environment or `.dlt/secrets.toml`, as `SecretStr`.

The name `destinations.mailchimp.api_key` is looked up as the environment variable
`DESTINATIONS__MAILCHIMP__API_KEY` (dlt's convention), then as `[destinations.mailchimp] api_key`
in the TOML file. Callers pass the environment and the file in: libraries never read globals.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from pydantic import SecretStr


class MissingSecretError(LookupError):
    """Names the secret and where it was looked for, never a value."""


class SecretResolver:
    def __init__(self, environ: Mapping[str, str], secrets_toml: Path | None = None) -> None:
        self._environ = dict(environ)
        self._secrets_toml = secrets_toml

    def __repr__(self) -> str:
        return f"SecretResolver(secrets_toml={self._secrets_toml})"

    def get(self, name: str) -> SecretStr:
        env_name = "__".join(part.upper() for part in name.split("."))
        if self._environ.get(env_name):
            return SecretStr(self._environ[env_name])
        value = self._from_toml(name.split("."))
        if value is None:
            raise MissingSecretError(
                f"secret {name!r} not set: export {env_name} or add it to {self._secrets_toml}"
            )
        return SecretStr(value)

    def _from_toml(self, parts: list[str]) -> str | None:
        if self._secrets_toml is None or not self._secrets_toml.exists():
            return None
        node: object = tomllib.loads(self._secrets_toml.read_text(encoding="utf-8"))
        for part in parts:
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node if isinstance(node, str) and node else None
