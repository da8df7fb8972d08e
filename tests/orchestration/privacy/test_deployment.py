"""The erasure settings of a deployment come from its environment, like the serving asset's."""

from __future__ import annotations

import pytest

from orchestration.privacy.deployment import deployment_settings


@pytest.mark.parametrize(("setting", "restricted"), [(None, False), ("0", False), ("1", True)])
def test_an_erasure_republishes_the_restricted_copy_as_cdp_restricted_copy_says(
    monkeypatch: pytest.MonkeyPatch, setting: str | None, restricted: bool
) -> None:
    if setting is None:
        monkeypatch.delenv("CDP_RESTRICTED_COPY", raising=False)
    else:
        monkeypatch.setenv("CDP_RESTRICTED_COPY", setting)
    assert deployment_settings().restricted_copy is restricted
