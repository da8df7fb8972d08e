"""Erasure settings of this deployment, from the environment (the CLI and the Dagster job)."""

from __future__ import annotations

from orchestration import settings
from orchestration.privacy.erasure import ErasureSettings


def deployment_settings() -> ErasureSettings:
    """The warehouse and serving copy of `CDP_WAREHOUSE`, receipts under `<data>/privacy`, the
    activation config the syncs use (so removals reach every destination a sync sent to), and a
    dbt target folder of its own so a rebuild never races Dagster's or the CLI's."""
    from orchestration.activation_config import activation_secrets, load_activation_config

    return ErasureSettings(
        warehouse=settings.warehouse_path(),
        serving=settings.serving_path(),
        privacy_dir=settings.data_dir() / "privacy",
        activation=load_activation_config(),
        secrets=activation_secrets(),
        dbt_target_dir=settings.dbt_project_dir() / "target" / "privacy",
        restricted_copy=settings.restricted_copy(),
    )
