"""The activation config and secrets of this deployment, as every sender reads them.

The Dagster sync assets, `cdp sync` and erasure (which removes people from every destination a
sync sent to) must agree on which destinations exist and where file drops go; reading them here,
without the asset definitions, keeps them agreeing and keeps the CLI quick to start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from activation.config import ActivationConfig, load_config
from activation.secrets import MissingSecretError, SecretResolver
from orchestration import settings


def load_activation_config(folder: Path | None = None) -> ActivationConfig:
    """The config in `folder`, else CDP_ACTIVATION_CONFIG, else the project's.

    Relative `output_dir`s are resolved as `settings.project_path` says.
    """
    config = load_config(folder or settings.activation_config_dir())
    for destination in config.destinations.values():
        output_dir = destination.get("output_dir")
        if output_dir:
            destination["output_dir"] = str(settings.project_path(Path(output_dir)))
    return config


def activation_secrets() -> SecretResolver:
    return SecretResolver(os.environ, settings.project_root() / ".dlt" / "secrets.toml")


def missing_secret(destination: Mapping[str, Any], secrets: SecretResolver) -> str | None:
    """Why the destination cannot be used yet (its `secret:` is not set), or None."""
    name = destination.get("secret")
    if not name:
        return None
    try:
        secrets.get(name)
    except MissingSecretError as missing:
        return str(missing)
    return None
