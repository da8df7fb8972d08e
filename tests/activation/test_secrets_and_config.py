from __future__ import annotations

from pathlib import Path

import pytest

from activation.config import ConfigError, load_config
from activation.destinations import build_destination
from activation.secrets import MissingSecretError, SecretResolver

SHIPPED = Path(__file__).resolve().parents[2] / "activation" / "config"


def test_secret_comes_from_environment_before_secrets_toml(tmp_path: Path):
    toml = tmp_path / "secrets.toml"
    toml.write_text('[destinations.hubspot]\naccess_token = "from-toml"\n')
    assert (
        SecretResolver({}, toml).get("destinations.hubspot.access_token").get_secret_value()
        == "from-toml"
    )
    env = {"DESTINATIONS__HUBSPOT__ACCESS_TOKEN": "from-env"}
    secret = SecretResolver(env, toml).get("destinations.hubspot.access_token")
    assert secret.get_secret_value() == "from-env"
    assert "from-env" not in repr(secret) + str(secret)


def test_missing_secret_names_the_variable_not_a_value(tmp_path: Path):
    with pytest.raises(MissingSecretError, match="DESTINATIONS__META__ACCESS_TOKEN"):
        SecretResolver({}, tmp_path / "none.toml").get("destinations.meta.access_token")


def test_settings_and_destination_reprs_hold_no_secret():
    resolver = SecretResolver({"DESTINATIONS__HUBSPOT__ACCESS_TOKEN": "pat-na1-SECRET"})
    destination = build_destination(
        {"type": "hubspot", "secret": "destinations.hubspot.access_token"}, resolver
    )
    assert destination.client is not None  # resolves the token into the HTTP client
    text = (
        repr(destination) + repr(destination.settings) + repr(resolver) + repr(destination.client)
    )
    assert "SECRET" not in text


def test_shipped_config_is_valid_and_holds_no_secret_values():
    config = load_config(SHIPPED)
    assert {s.destination for s in config.syncs} <= set(config.destinations)
    for settings in config.destinations.values():
        assert set(settings) & {"api_key", "access_token", "token", "password"} == set()
        build_destination(settings, SecretResolver({}))


def test_sync_naming_an_unknown_destination_fails_naming_the_file(tmp_path: Path):
    (tmp_path / "destinations.yml").write_text("destinations:\n  d: {type: files, output_dir: x}\n")
    (tmp_path / "syncs.yml").write_text("syncs:\n  - {name: s, segment: g, destination: nope}\n")
    with pytest.raises(ConfigError, match=r"syncs.yml.*nope"):
        load_config(tmp_path)
