"""Config the original CodeTether documents must keep working here: its theme names, its map-valued keys."""

import base64
import tomllib

import pytest

SEED_THEMES = ["default", "marketing", "dark", "light", "solarized-dark", "solarized-light"]
KEY = base64.b64encode(bytes(range(32))).decode()  # an Ed25519 public key's size


@pytest.mark.parametrize("theme", [*SEED_THEMES, "auto"])
def test_seed_theme_names_are_accepted_by_every_command(cli, config_file, theme):
    config_file.parent.mkdir(parents=True)
    config_file.write_text(f'[ui]\ntheme = "{theme}"\n')
    shown = cli("config", "--show")
    assert shown.code == 0, shown.stderr
    assert f'theme = "{theme}"' in shown.stdout
    assert cli("models", "--provider", "llama-cpp").code == 0


def test_unknown_theme_is_refused_with_the_names(cli, config_file):
    config_file.parent.mkdir(parents=True)
    config_file.write_text('[ui]\ntheme = "neon"\n')
    shown = cli("config", "--show")
    assert shown.code == 1
    assert "ui.theme" in shown.stderr and all(name in shown.stderr for name in SEED_THEMES)


def test_set_a_trusted_plugin_key_keeps_the_files_comments(cli, config_file):
    assert cli("config", "--init").code == 0
    result = cli("config", "--set", f"plugins.trusted_keys.acme={KEY}")
    assert result.code == 0, result.stderr
    text = config_file.read_text()
    assert "# Credentials never go here" in text  # the template's comments survive
    assert tomllib.loads(text)["plugins"]["trusted_keys"] == {"acme": KEY}
    second = cli("config", "--set", f"plugins.trusted_keys.other={KEY}")
    assert second.code == 0, second.stderr
    assert tomllib.loads(config_file.read_text())["plugins"]["trusted_keys"] == {"acme": KEY, "other": KEY}
    shown = cli("config", "--show", "--json")
    assert '"acme"' in shown.stdout and '"other"' in shown.stdout


def test_set_a_map_entry_is_validated_against_its_value_type(cli, config_file):
    bad = cli("config", "--set", "plugins.trusted_keys.acme=not-a-key")
    assert bad.code == 1 and "plugins.trusted_keys.acme" in bad.stderr and "Ed25519" in bad.stderr
    assert not config_file.exists()
    headers = cli("config", "--set", "providers.proxy.kind=openai", "--set", "providers.proxy.headers.X-Team=tools")
    assert headers.code == 0, headers.stderr
    assert tomllib.loads(config_file.read_text())["providers"]["proxy"]["headers"] == {"X-Team": "tools"}


def test_set_a_map_entry_without_a_name_lists_the_pattern(cli, config_file):
    result = cli("config", "--set", f"plugins.trusted_keys={KEY}")
    assert result.code == 1
    assert "plugins.trusted_keys.NAME" in result.stderr
