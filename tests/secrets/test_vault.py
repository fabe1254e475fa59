"""hvac against a loopback Vault: token and Kubernetes auth, re-login on 403, missing, sealed, down."""

import pytest
import requests

from codetether.errors import VaultError
from codetether.secrets import Keystore, SecretResolver, StoredCredential, VaultSecrets, VaultSettings, redact


def settings_for(vault, **extra) -> VaultSettings:
    return VaultSettings.from_env({"VAULT_ADDR": vault if isinstance(vault, str) else vault.addr, **extra})


def test_token_auth_reads_provider_secret(vault):
    token = vault.issue_token()
    vault.put("codetether/providers/openai", {"api_key": "sk-vault-0123456789abcdef", "organization": "org-1"})
    resolver = SecretResolver.from_environment({"VAULT_ADDR": vault.addr, "VAULT_TOKEN": token})
    secret = resolver.resolve("openai")
    assert secret.api_key == "sk-vault-0123456789abcdef" and secret.organization == "org-1"
    assert secret.source == "vault" and secret.origin == "vault secret/codetether/providers/openai"
    assert "sk-vault" not in repr(secret)
    assert ("GET", "/v1/secret/data/codetether/providers/openai") in vault.requests
    assert redact("key=sk-vault-0123456789abcdef") == "key=[REDACTED]"


def test_custom_mount_and_prefix(vault):
    vault.mount = "kv"
    token = vault.issue_token()
    vault.put("team/llm/my-llm", {"api_key": "custom-key-123", "base_url": "http://127.0.0.1:9/v1"})
    env = {"VAULT_ADDR": vault.addr, "VAULT_TOKEN": token, "VAULT_MOUNT": "kv", "VAULT_SECRETS_PATH": "/team/llm/"}
    secret = SecretResolver.from_environment(env).resolve("my-llm")
    assert (secret.api_key, secret.base_url) == ("custom-key-123", "http://127.0.0.1:9/v1")


def test_missing_secret_falls_through_to_keystore_then_env(vault, data_dir):
    token = vault.issue_token()
    env = {"VAULT_ADDR": vault.addr, "VAULT_TOKEN": token, "ANTHROPIC_API_KEY": "env-anthropic-key"}
    Keystore().put("openai", StoredCredential(api_key="keystore-openai-key"))
    resolver = SecretResolver.from_environment(env)
    assert resolver.resolve("openai").source == "keystore"
    assert resolver.resolve("anthropic").origin == "environment variable ANTHROPIC_API_KEY"
    assert resolver.resolve("zai") is None


def test_list_providers_uses_metadata_list(vault):
    token = vault.issue_token()
    vault.put("codetether/providers/openai", {"api_key": "a" * 20})
    vault.put("codetether/providers/anthropic", {"api_key": "b" * 20})
    client = VaultSecrets(settings_for(vault, VAULT_TOKEN=token))
    assert client.providers() == ["anthropic", "openai"]
    assert ("LIST", "/v1/secret/metadata/codetether/providers") in vault.requests
    vault.kv.clear()
    assert client.providers() == []


def test_kubernetes_auth_relogs_in_after_403(vault, tmp_path):
    jwt_file = tmp_path / "sa-token"
    jwt_file.write_text("service-account-jwt\n")
    vault.roles["codetether"] = "service-account-jwt"
    vault.put("codetether/providers/openai", {"api_key": "sk-k8s-0123456789abcdef"})
    client = VaultSecrets(settings_for(vault, VAULT_ROLE="codetether", VAULT_K8S_TOKEN_PATH=str(jwt_file)))
    assert client.read("openai")["api_key"] == "sk-k8s-0123456789abcdef"
    assert vault.logins == 1
    vault.revoke_all()  # the token's lease ran out
    assert client.read("openai")["api_key"] == "sk-k8s-0123456789abcdef"
    assert vault.logins == 2
    assert ("POST", "/v1/auth/kubernetes/login") in vault.requests


def test_kubernetes_login_refused(vault, tmp_path):
    jwt_file = tmp_path / "sa-token"
    jwt_file.write_text("wrong-jwt")
    vault.roles["codetether"] = "service-account-jwt"
    client = VaultSecrets(settings_for(vault, VAULT_ROLE="codetether", VAULT_K8S_TOKEN_PATH=str(jwt_file)))
    with pytest.raises(VaultError, match="refused Kubernetes login for role codetether"):
        client.read("openai")
    unknown = VaultSecrets(settings_for(vault, VAULT_ROLE="nope", VAULT_K8S_TOKEN_PATH=str(jwt_file)))
    with pytest.raises(VaultError, match="invalid role name"):
        unknown.read("openai")


def test_kubernetes_auth_without_service_account_token(vault, tmp_path):
    client = VaultSecrets(settings_for(vault, VAULT_ROLE="r", VAULT_K8S_TOKEN_PATH=str(tmp_path / "missing")))
    with pytest.raises(VaultError, match="VAULT_K8S_TOKEN_PATH"):
        client.read("openai")


def test_expired_static_token_is_a_clear_error(vault):
    token = vault.issue_token()
    vault.put("codetether/providers/openai", {"api_key": "x" * 20})
    vault.revoke_all()
    with pytest.raises(VaultError) as err:
        VaultSecrets(settings_for(vault, VAULT_TOKEN=token)).read("openai")
    assert "VAULT_TOKEN" in str(err.value) and "403" in str(err.value)
    assert token not in str(err.value)


def test_sealed_vault(vault):
    token = vault.issue_token()
    vault.sealed = True
    client = VaultSecrets(settings_for(vault, VAULT_TOKEN=token))
    with pytest.raises(VaultError, match=f"VAULT_ADDR={vault.addr} is sealed"):
        client.read("openai")
    assert client.health() == "sealed"
    vault.sealed = False
    assert client.health() == "active"


def test_unreachable_vault_names_vault_addr(dead_addr):
    client = VaultSecrets(settings_for(dead_addr, VAULT_TOKEN="t" * 20))
    with pytest.raises(VaultError, match=f"cannot reach Vault at VAULT_ADDR={dead_addr}"):
        client.read("openai")
    assert client.health() == "unreachable"


def test_hanging_vault_times_out_instead_of_hanging(hanging_addr):
    client = VaultSecrets(settings_for(hanging_addr, VAULT_TOKEN="t" * 20, VAULT_TIMEOUT="0.5"))
    with pytest.raises(VaultError, match=r"cannot reach Vault .*\(ReadTimeout\)") as caught:
        client.read("openai")
    # The request gave up on its own read timeout (requests' default is none: it would wait forever).
    assert isinstance(caught.value.__cause__, requests.exceptions.ReadTimeout)


def test_settings_errors():
    assert VaultSettings.from_env({}) is None
    with pytest.raises(VaultError, match="neither VAULT_TOKEN nor VAULT_ROLE"):
        VaultSecrets(VaultSettings.from_env({"VAULT_ADDR": "http://127.0.0.1:1"}))
    with pytest.raises(VaultError, match="VAULT_TIMEOUT"):
        VaultSettings.from_env({"VAULT_ADDR": "http://127.0.0.1:1", "VAULT_TIMEOUT": "soon"})
