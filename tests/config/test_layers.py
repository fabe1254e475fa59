"""Layered config: defaults < user file < trusted project file < environment < flags."""

import subprocess
from pathlib import Path

import pytest

from codetether.config import load_config
from codetether.config.edit import init_file, set_values, template
from codetether.config.trust import TrustState, trust, untrust
from codetether.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "src" / "pkg").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def test_defaults_without_any_file():
    loaded = load_config()
    assert loaded.config.default.provider == "llama-cpp"
    assert loaded.config.telemetry.crash_reporting is False
    assert loaded.origins == {}


def test_user_file_under_xdg_config_home(config_file):
    write(config_file, '[default]\nprovider = "openai"\nmodel = "gpt-5"\n')
    loaded = load_config()
    assert (loaded.config.default.provider, loaded.config.default.model) == ("openai", "gpt-5")
    assert loaded.origins["default.model"] == str(config_file)


def test_codetether_config_names_another_file(tmp_path, monkeypatch, config_file):
    write(config_file, '[ui]\ntheme = "light"\n')
    other = write(tmp_path / "elsewhere.toml", '[ui]\ntheme = "dark"\n')
    monkeypatch.setenv("CODETETHER_CONFIG", str(other))
    assert load_config().config.ui.theme == "dark"


def test_full_layering_order(repo, config_file, monkeypatch):
    write(config_file, '[default]\nprovider = "openai"\nmodel = "user-model"\n[ui]\ntheme = "light"\n')
    write(repo / "codetether.toml", '[default]\nmodel = "project-model"\n[session]\nauto_save = false\n')
    trust(repo)
    monkeypatch.setenv("CODETETHER_UI_THEME", "dark")
    loaded = load_config(repo / "src" / "pkg", overrides={"default.model": "flag-model"})
    c = loaded.config
    assert c.default.provider == "openai"  # user
    assert c.session.auto_save is False  # project
    assert c.ui.theme == "dark"  # env beats user
    assert c.default.model == "flag-model"  # flag beats project
    assert loaded.origins["ui.theme"] == "environment"
    assert loaded.origins["session.auto_save"] == str(repo / "codetether.toml")
    assert loaded.origins["default.model"] == "command line"


def test_untrusted_project_file_is_ignored(repo):
    write(
        repo / "codetether.toml",
        '[default]\nmodel = "evil"\n[providers.openai]\nkind = "openai"\nbase_url = "http://x"\n',
    )
    loaded = load_config(repo)
    assert loaded.project_state is TrustState.UNTRUSTED
    assert loaded.config.default.model == "gemma-3-270m"
    assert loaded.config.providers == {}


def test_trust_is_pinned_to_content(repo):
    project = write(repo / "codetether.toml", '[default]\nmodel = "reviewed"\n')
    trust(repo)
    assert load_config(repo).config.default.model == "reviewed"
    project.write_text('[default]\nmodel = "pulled-in"\n')
    loaded = load_config(repo)
    assert loaded.project_state is TrustState.CHANGED
    assert loaded.config.default.model == "gemma-3-270m"
    trust(repo)
    assert load_config(repo).config.default.model == "pulled-in"
    assert untrust(repo) is True
    assert load_config(repo).project_state is TrustState.UNTRUSTED
    assert untrust(repo) is False


def test_providers_merge_across_layers(repo, config_file):
    write(config_file, '[providers.local]\nkind = "openai"\nbase_url = "http://127.0.0.1:8000/v1"\n')
    write(repo / "codetether.toml", '[providers.local]\nmodels = ["qwen"]\n')
    trust(repo)
    provider = load_config(repo).config.providers["local"]
    assert (provider.kind, provider.base_url, provider.models) == ("openai", "http://127.0.0.1:8000/v1", ["qwen"])


def test_env_values_are_coerced_and_checked(monkeypatch):
    monkeypatch.setenv("CODETETHER_SESSION_AUTO_SAVE", "false")
    monkeypatch.setenv("CODETETHER_TELEMETRY_CRASH_REPORTING", "1")
    c = load_config().config
    assert c.session.auto_save is False and c.telemetry.crash_reporting is True
    monkeypatch.setenv("CODETETHER_UI_THEME", "neon")
    with pytest.raises(ConfigError, match="CODETETHER_UI_THEME") as err:
        load_config()
    assert "auto" in str(err.value) and "dark" in str(err.value)


# --- bad input -------------------------------------------------------------------------------------


def test_malformed_toml_names_file_line_and_column(config_file):
    write(config_file, '[default]\nprovider = "openai"\nmodel = \n')
    with pytest.raises(ConfigError) as err:
        load_config()
    assert f"{config_file}:3:" in str(err.value)
    assert "codetether config --init" in str(err.value)


def test_non_utf8_file(config_file):
    config_file.parent.mkdir(parents=True)
    config_file.write_bytes(b'[ui]\ntheme = "\xff"\n')
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config()


def test_unknown_key_lists_valid_keys(config_file):
    write(config_file, '[ui]\nthme = "dark"\n')
    with pytest.raises(ConfigError) as err:
        load_config()
    message = str(err.value)
    assert "unknown key `ui.thme`" in message and "ui.theme" in message and "default.model" in message


def test_unknown_section(config_file):
    write(config_file, "[colors]\nbg = 1\n")
    with pytest.raises(ConfigError, match="unknown key `colors`"):
        load_config()


def test_wrong_type_names_key_and_file(config_file):
    write(config_file, '[session]\nauto_save = "yes"\n')
    with pytest.raises(ConfigError) as err:
        load_config()
    assert str(config_file) in str(err.value) and "session.auto_save" in str(err.value)
    assert "Expected `bool`" in str(err.value)


def test_section_that_is_not_a_table(config_file):
    write(config_file, 'ui = "dark"\n')
    with pytest.raises(ConfigError, match=r"`ui` must be a table"):
        load_config()


def test_provider_without_kind(config_file):
    write(config_file, '[providers.x]\nbase_url = "http://127.0.0.1:1"\n')
    with pytest.raises(ConfigError, match=r"providers\.x.*kind"):
        load_config()


def test_unknown_provider_kind(config_file):
    write(config_file, '[providers.x]\nkind = "cohere"\n')
    with pytest.raises(ConfigError, match="providers.x.kind"):
        load_config()


@pytest.mark.parametrize("snippet", ['[providers.openai]\nkind = "openai"\napi_key = "sk-1"\n', 'api_key = "x"\n'])
def test_credentials_in_config_are_refused(config_file, snippet):
    write(config_file, snippet)
    with pytest.raises(ConfigError, match="credential") as err:
        load_config()
    assert "codetether auth login" in str(err.value)


def test_bad_flag_key_and_value():
    with pytest.raises(ConfigError, match="unknown key `default.modle`"):
        load_config(overrides={"default.modle": "x"})
    with pytest.raises(ConfigError, match="session.auto_save"):
        load_config(overrides={"session.auto_save": "maybe"})


# --- --init and --set -----------------------------------------------------------------------------


def test_template_loads_to_the_defaults(config_file):
    init_file(config_file)
    from codetether.config import Config

    assert load_config().config == Config()
    assert template().startswith("# CodeTether configuration")


def test_init_refuses_to_clobber(config_file):
    write(config_file, "# mine\n")
    with pytest.raises(ConfigError, match="already exists"):
        init_file(config_file)
    assert config_file.read_text() == "# mine\n"


def test_set_keeps_comments_and_validates(config_file):
    init_file(config_file)
    set_values(config_file, ["ui.theme=dark", "session.auto_save=false", "default.model=3"])
    text = config_file.read_text()
    assert "# auto, dark or light; the original's default" in text
    c = load_config().config
    assert (c.ui.theme, c.session.auto_save, c.default.model) == ("dark", False, "3")


def test_set_new_provider_needs_kind_and_writes_nothing_otherwise(config_file):
    init_file(config_file)
    before = config_file.read_text()
    with pytest.raises(ConfigError, match="kind"):
        set_values(config_file, ["providers.local.base_url=http://127.0.0.1:8000/v1"])
    assert config_file.read_text() == before
    set_values(config_file, ["providers.local.kind=openai", "providers.local.base_url=http://127.0.0.1:8000/v1"])
    assert load_config().config.providers["local"].base_url == "http://127.0.0.1:8000/v1"


@pytest.mark.parametrize(
    ("assignment", "expected"),
    [
        ("ui.colour=dark", "unknown key `ui.colour`"),
        ("ui.theme=neon", "ui.theme"),
        ("session.auto_save=perhaps", "session.auto_save"),
        ("providers.openai.api_key=sk-abc", "credential"),
        ("theme", "not key=value"),
    ],
)
def test_set_rejects_bad_input(config_file, assignment, expected):
    with pytest.raises(ConfigError, match=expected):
        set_values(config_file, [assignment])
    assert not config_file.exists()
