"""`codetether config` end to end, as a person runs it."""

import json
import subprocess


def test_init_show_set_roundtrip(cli, config_file):
    first = cli("config", "--init")
    assert first.code == 0 and str(config_file) in first.stdout
    again = cli("config", "--init")
    assert again.code == 1 and "already exists" in again.stderr
    changed = cli("config", "--set", "ui.theme=dark", "--set", "default.provider=anthropic")
    assert changed.code == 0, changed.stderr
    shown = cli("config", "--show")
    assert f'theme = "dark" # from {config_file}' in shown.stdout
    assert "# user file:" in shown.stdout
    as_json = json.loads(cli("config", "--show", "--json").stdout)
    assert as_json["default"]["provider"] == "anthropic"


def test_set_typo_lists_valid_keys(cli, config_file):
    result = cli("config", "--set", "ui.thme=dark")
    assert result.code == 1
    assert "unknown key `ui.thme`" in result.stderr and "ui.theme" in result.stderr
    assert not config_file.exists()


def test_show_masks_secret_headers_and_known_keys(cli, config_file):
    config_file.parent.mkdir(parents=True)
    config_file.write_text(
        '[providers.proxy]\nkind = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n'
        'headers = { "Authorization" = "Bearer abcdefgh12345", "X-Team" = "tools",'
        ' "X-Note" = "sk-live-0123456789abcdefghij" }\n'
    )
    out = cli("config", "--show").stdout + cli("config", "--show", "--json").stdout
    assert "abcdefgh12345" not in out and "sk-live-0123456789abcdefghij" not in out
    assert "tools" in out and "[REDACTED]" in out


def test_project_trust_flow(cli, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "codetether.toml").write_text('[default]\nmodel = "project-model"\n')
    status = cli("config", "project", "status", cwd=repo)
    assert "untrusted" in status.stdout
    shown = cli("config", "--show", cwd=repo)
    assert "project-model" not in shown.stdout
    assert "not applied" in shown.stderr and "config project trust" in shown.stderr
    assert cli("config", "project", "trust", cwd=repo).code == 0
    assert 'model = "project-model"' in cli("config", "--show", cwd=repo).stdout
    (repo / "codetether.toml").write_text('[default]\nmodel = "changed"\n')
    changed = cli("config", "--show", cwd=repo)
    assert "changed since you trusted it" in changed.stderr and '"changed"' not in changed.stdout
    assert cli("config", "project", "untrust", cwd=repo).code == 0
    assert "untrusted" in cli("config", "project", "status", cwd=repo).stdout


def test_trusting_a_broken_project_file_is_refused(cli, tmp_path):
    (tmp_path / "codetether.toml").write_text("[ui]\ncolour = 1\n")
    result = cli("config", "project", "trust", "--path", str(tmp_path))
    assert result.code == 1 and "unknown key `ui.colour`" in result.stderr
    assert "untrusted" in cli("config", "project", "status", "--path", str(tmp_path)).stdout


def test_trust_without_project_file(cli, tmp_path):
    result = cli("config", "project", "trust", "--path", str(tmp_path))
    assert result.code == 1 and "no codetether.toml" in result.stderr
