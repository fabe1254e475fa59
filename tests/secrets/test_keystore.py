"""The local keystore: private, atomic, and refusing to use a file that may have leaked."""

import os
import stat

import pytest

from codetether.errors import KeystoreError
from codetether.secrets import Keystore, SecretResolver, StoredCredential


def test_roundtrip_is_private(data_dir):
    store = Keystore()
    store.put("openai", StoredCredential(api_key="sk-test-0123456789abcdef"))
    store.put("anthropic", StoredCredential(api_key="sk-ant-test-0123456789", base_url="http://127.0.0.1:1"))
    assert store.path == data_dir / "keystore.json"
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert store.get("openai").api_key == "sk-test-0123456789abcdef"
    assert store.providers() == ["anthropic", "openai"]
    assert store.delete("openai") is True and store.delete("openai") is False
    assert store.get("openai") is None
    assert not [p for p in data_dir.iterdir() if p.name.startswith(".keystore-")]  # no temp files left


def test_wrong_permissions_are_refused_with_fix(data_dir):
    store = Keystore()
    store.put("openai", StoredCredential(api_key="sk-test-0123456789abcdef"))
    os.chmod(store.path, 0o644)
    with pytest.raises(KeystoreError) as err:
        store.get("openai")
    assert "mode 0644" in str(err.value) and f"chmod 600 {store.path}" in str(err.value)
    with pytest.raises(KeystoreError):  # nor is it silently overwritten
        store.put("zai", StoredCredential(api_key="other-key-123456"))


def test_file_owned_by_another_user_is_refused(data_dir):
    if os.geteuid() != 0:
        pytest.skip("needs root to give the file to another user")
    store = Keystore()
    store.put("openai", StoredCredential(api_key="sk-test-0123456789abcdef"))
    os.chown(store.path, 12345, -1)
    with pytest.raises(KeystoreError, match="belongs to another user"):
        store.get("openai")


def test_unreadable_keystore(data_dir):
    data_dir.mkdir(parents=True)
    (data_dir / "keystore.json").mkdir()
    with pytest.raises(KeystoreError, match="is a directory"):
        Keystore().get("openai")


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"version": 1, "providers": {"openai": {"api_key": 5}}}', b'{"version": 1, "extra": 1}', b"[]"],
)
def test_corrupt_keystore(data_dir, content):
    data_dir.mkdir(parents=True)
    path = data_dir / "keystore.json"
    path.write_bytes(content)
    os.chmod(path, 0o600)
    with pytest.raises(KeystoreError, match="corrupt"):
        Keystore().get("openai")
    assert path.read_bytes() == content  # nothing lost


def test_future_format_version(data_dir):
    data_dir.mkdir(parents=True)
    path = data_dir / "keystore.json"
    path.write_text('{"version": 9, "providers": {}}')
    os.chmod(path, 0o600)
    with pytest.raises(KeystoreError, match="format version 9"):
        Keystore().get("openai")


def test_env_fallback_and_its_switch(data_dir):
    env = {"OPENAI_API_KEY": "sk-env-0123456789abcdef", "MY_LLM_API_KEY": "custom-0123456789"}
    resolver = SecretResolver(environ=env)
    assert resolver.resolve("openai").origin == "environment variable OPENAI_API_KEY"
    assert resolver.resolve("my-llm").api_key == "custom-0123456789"
    disabled = SecretResolver(environ={**env, "CODETETHER_DISABLE_ENV_FALLBACK": "1"})
    assert disabled.resolve("openai") is None
    assert "export" not in disabled.env_hint("openai")
    assert "OPENAI_API_KEY" in resolver.env_hint("openai")
