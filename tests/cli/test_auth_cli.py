"""`codetether auth`: keys go into the keystore and are never printed."""

import os
import stat


def test_login_from_stdin_list_logout(cli, data_dir):
    key = "sk-test-abcdefghijklmnop0123"
    login = cli("auth", "login", "openai", input=key + "\n")
    assert login.code == 0 and key not in login.stdout + login.stderr
    keystore = data_dir / "keystore.json"
    assert stat.S_IMODE(keystore.stat().st_mode) == 0o600
    listed = cli("auth", "list", env={"ANTHROPIC_API_KEY": "sk-ant-env-0123456789abc"})
    assert listed.code == 0
    assert key not in listed.stdout and "sk-ant-env" not in listed.stdout
    lines = {line.split()[0]: line for line in listed.stdout.splitlines()}
    assert "keystore" in lines["openai"] and str(keystore) in lines["openai"]
    assert "environment variable ANTHROPIC_API_KEY" in lines["anthropic"]
    assert "not configured" in lines["zai"]
    assert cli("auth", "logout", "openai").code == 0
    assert "not configured" in cli("auth", "list").stdout.split("openai", 1)[1].splitlines()[0]


def test_login_with_empty_input(cli):
    result = cli("auth", "login", "openai", input="\n")
    assert result.code == 2 and "no key given for openai" in result.stderr


def test_list_refuses_exposed_keystore(cli, data_dir):
    cli("auth", "login", "openai", input="sk-test-abcdefghijklmnop0123\n")
    os.chmod(data_dir / "keystore.json", 0o644)
    result = cli("auth", "list")
    assert result.code == 1
    assert "chmod 600" in result.stderr and "Traceback" not in result.stderr


def test_list_with_vault_and_with_vault_down(cli, tmp_path):
    from tests.fakes.vault import FakeVault

    vault = FakeVault().start()
    try:
        token = vault.issue_token()
        vault.put("codetether/providers/openrouter", {"api_key": "sk-or-vault-0123456789abcdef"})
        vault.put("codetether/providers/in-house", {"api_key": "in-house-key-0123"})
        env = {"VAULT_ADDR": vault.addr, "VAULT_TOKEN": token}
        result = cli("auth", "list", env=env)
        assert result.code == 0, result.stderr
        lines = {line.split()[0]: line for line in result.stdout.splitlines()}
        assert lines["openrouter"].split()[1] == "vault"
        assert "vault secret/codetether/providers/in-house" in lines["in-house"]
        assert token not in result.stdout + result.stderr
        vault.sealed = True
        sealed = cli("auth", "list", env={**env, "OPENAI_API_KEY": "sk-env-0123456789abcdef"})
        assert sealed.code == 0
        assert f"VAULT_ADDR={vault.addr} is sealed" in sealed.stderr
        assert "environment variable OPENAI_API_KEY" in sealed.stdout
    finally:
        vault.stop()
