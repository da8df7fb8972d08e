"""Sync and destination declarations, read from YAML a user edits (never secrets: only names).

`destinations.yml` says where audiences go and how hard each API may be pushed; `syncs.yml` says
which segment goes where, in which mode, with which fields. Secrets are referenced by a dotted name
(`destinations.mailchimp.api_key`) resolved by `activation.secrets` from the environment or
`.dlt/secrets.toml`.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


class SyncMode(StrEnum):
    UPSERT = "upsert"
    MIRROR = "mirror"
    ADD_ONLY = "add_only"
    REPLACE = "replace"
    """Like mirror, but a run with any change sends the whole audience through the destination's
    replace call (Meta `usersreplace`), which drops whoever was left out."""


class ConsentPurpose(StrEnum):
    EMAIL = "email"
    ADS = "ads"
    NONE = "none"


class ConfigError(ValueError):
    """A sync or destination declaration is wrong; the message names the file and the entry."""


class DestinationSettings(BaseModel):
    """Settings every destination has; each destination class extends it with its own."""

    model_config = ConfigDict(extra="forbid")

    type: str
    batch_size: int = Field(100, ge=1)
    rate_limit_per_second: float | None = Field(None, gt=0)
    burst: int = Field(1, ge=1)
    max_concurrency: int = Field(1, ge=1)
    max_retries: int = Field(5, ge=0)
    backoff_base_seconds: float = Field(0.5, ge=0)
    backoff_max_seconds: float = Field(60.0, gt=0)
    max_wait_seconds: float = Field(600.0, gt=0)
    """The longest wait an API may ask for (`Retry-After`, HubSpot's DAILY limit, Meta's time to
    regain access) that a run sits out; a longer one ends the run, as retrying early only hits
    the limit again."""
    timeout_seconds: float = Field(30.0, gt=0)
    consent: ConsentPurpose | None = None


class SyncConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    segment: str
    destination: str
    mode: SyncMode = SyncMode.UPSERT
    member_key: str = "email"
    fields: dict[str, str] = Field(default_factory=dict)

    @field_validator("name", "member_key")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not _IDENTIFIER.match(value):
            raise ValueError(f"{value!r} must be a lowercase identifier")
        return value

    @field_validator("fields")
    @classmethod
    def _columns(cls, value: dict[str, str]) -> dict[str, str]:
        for column in value.values():
            if not _IDENTIFIER.match(column):
                raise ValueError(f"field source {column!r} must be a mart column name")
        return value


class ActivationConfig(BaseModel):
    destinations: dict[str, dict[str, Any]]
    syncs: list[SyncConfig]

    def sync(self, name: str) -> SyncConfig:
        for sync in self.syncs:
            if sync.name == name:
                return sync
        known = ", ".join(s.name for s in self.syncs) or "none"
        raise ConfigError(f"unknown sync {name!r} (declared: {known})")

    def destination(self, name: str) -> dict[str, Any]:
        if name not in self.destinations:
            raise ConfigError(f"unknown destination {name!r}")
        return self.destinations[name]


def _read_yaml(path: Path, key: str) -> Any:
    if not path.exists():
        raise ConfigError(f"{path}: file not found")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML ({error})") from error
    if not isinstance(document, dict) or key not in document:
        raise ConfigError(f"{path}: expected a top-level '{key}:' mapping")
    return document[key]


def load_config(config_dir: Path) -> ActivationConfig:
    """Read `destinations.yml` and `syncs.yml` from one folder and check they agree."""
    destinations_path = config_dir / "destinations.yml"
    syncs_path = config_dir / "syncs.yml"
    destinations = _read_yaml(destinations_path, "destinations") or {}
    raw_syncs = _read_yaml(syncs_path, "syncs") or []
    syncs: list[SyncConfig] = []
    for index, raw in enumerate(raw_syncs):
        try:
            syncs.append(SyncConfig.model_validate(raw))
        except ValueError as error:
            raise ConfigError(f"{syncs_path}: sync #{index + 1}: {error}") from error
    seen: set[str] = set()
    for sync in syncs:
        if sync.name in seen:
            raise ConfigError(f"{syncs_path}: sync {sync.name!r} declared twice")
        seen.add(sync.name)
        if sync.destination not in destinations:
            raise ConfigError(
                f"{syncs_path}: sync {sync.name!r} names unknown destination {sync.destination!r}"
            )
    for name, settings in destinations.items():
        if not isinstance(settings, dict) or "type" not in settings:
            raise ConfigError(f"{destinations_path}: destination {name!r} needs a 'type'")
    return ActivationConfig(destinations=destinations, syncs=syncs)
